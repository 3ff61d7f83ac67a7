package main

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/inbound"
	"github.com/prioritysupport/backend/internal/testdb"
)

// Provider webhook settings of the test server.
const (
	testMailgunKey       = "key-0123456789abcdef0123456789abcdef"
	testSESTopic         = "arn:aws:sns:eu-west-1:123456789012:support-inbound"
	testPostmarkUser     = "postmark-inbound"
	testPostmarkPassword = "postmark-password-0123456789"
)

// providerEnv turns every provider webhook on.
var providerEnv = map[string]string{
	"PS_MAILGUN_SIGNING_KEY":       testMailgunKey,
	"PS_SES_TOPIC_ARNS":            testSESTopic,
	"PS_POSTMARK_INBOUND_USER":     testPostmarkUser,
	"PS_POSTMARK_INBOUND_PASSWORD": testPostmarkPassword,
}

// snsStandIn serves a throw-away signing certificate over TLS as SNS
// serves its own, and signs messages with its key the way SNS does.
type snsStandIn struct {
	key     *rsa.PrivateKey
	certURL string
	sns     *inbound.SNSVerifier
}

func newSNSStandIn(t *testing.T) *snsStandIn {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(certPEM) }))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	return &snsStandIn{
		key: key, certURL: srv.URL + "/SimpleNotificationService-0000.pem",
		sns: &inbound.SNSVerifier{Client: srv.Client(), AllowURL: func(u *url.URL) bool { return u.Host == host }},
	}
}

// notification returns an SNS Notification (SignatureVersion 2) whose
// Message is an SES receipt notification with raw inline in base64.
func (s *snsStandIn) notification(t *testing.T, raw []byte) []byte {
	t.Helper()
	ses, _ := json.Marshal(map[string]any{
		"notificationType": "Received",
		"receipt": map[string]any{"action": map[string]string{"type": "SNS", "topicArn": testSESTopic, "encoding": "BASE64"},
			"recipients": []string{"support@support.vendor.test"}},
		"mail":    map[string]any{"messageId": "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1", "source": "jamehi03@jamehi03lx.noa.com"},
		"content": base64.StdEncoding.EncodeToString(raw),
	})
	m := map[string]string{
		"Type": "Notification", "MessageId": "da41e39f-ea4d-435a-b922-c6aae3915ebe", "TopicArn": testSESTopic,
		"Subject": "Amazon SES Email Receipt Notification", "Message": string(ses), "Timestamp": time.Now().UTC().Format(time.RFC3339),
		"SignatureVersion": "2", "SigningCertURL": s.certURL,
	}
	text := ""
	for _, k := range []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"} {
		text += k + "\n" + m[k] + "\n"
	}
	digest := sha256.Sum256([]byte(text))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
	body, _ := json.Marshal(m)
	return body
}

// mailgunForm returns a Mailgun "mime" route POST of raw, signed with
// token at now.
func mailgunForm(t *testing.T, raw []byte, token string, at time.Time) (*bytes.Buffer, string) {
	t.Helper()
	ts := strconv.FormatInt(at.Unix(), 10)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range [][2]string{
		{"recipient", "support@support.vendor.test"}, {"sender", "jamehi03@jamehi03lx.noa.com"},
		{"timestamp", ts}, {"token", token}, {"signature", inbound.SignMailgun([]byte(testMailgunKey), ts, token)},
		{"body-mime", string(raw)},
	} {
		mw.WriteField(f[0], f[1])
	}
	mw.Close()
	return &body, mw.FormDataContentType()
}

// post sends body to path and returns the status, the error code (if any)
// and the decoded inbound answer.
func post(t *testing.T, srvURL, path, contentType string, body io.Reader, auth func(*http.Request)) (int, string, inbound.Response) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srvURL+path, body)
	req.Header.Set("Content-Type", contentType)
	if auth != nil {
		auth(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out inbound.Response
	var e gqlResponse
	if res.StatusCode == http.StatusOK {
		json.Unmarshal(raw, &out)
	} else {
		json.Unmarshal(raw, &e)
	}
	return res.StatusCode, e.code(), out
}

// TestProviderWebhooks runs the real server with every provider webhook
// on: the same real message delivered twice through each of Mailgun, SES
// (SNS) and Postmark is one ticket; a replayed Mailgun token and a stale
// timestamp are refused; the deliveries are counted per provider and
// outcome in /metrics and in the source stats; no secret reaches the log.
func TestProviderWebhooks(t *testing.T) {
	raw, err := os.ReadFile("testdata/mail/mail-mime-alternative.eml")
	if err != nil {
		t.Fatal(err)
	}
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		sns := newSNSStandIn(t)
		s := newTestServer(t, databaseURL, providerEnv, func(a *App) { a.SNS = sns.sns })
		now := time.Now()
		var ticket string
		deliver := map[string]func(i int) (int, string, inbound.Response){
			"mailgun": func(i int) (int, string, inbound.Response) {
				body, ct := mailgunForm(t, raw, strings.Repeat(strconv.Itoa(i), 50), now)
				path := "/inbound/mailgun/mime" // the URL of a route's forward(): it ends in "mime"
				if i > 1 {
					path = "/inbound/mailgun"
				}
				return post(t, s.URL, path, ct, body, nil)
			},
			"ses": func(int) (int, string, inbound.Response) {
				return post(t, s.URL, "/inbound/ses", "text/plain; charset=UTF-8", bytes.NewReader(sns.notification(t, raw)), nil)
			},
			"postmark": func(int) (int, string, inbound.Response) {
				body, _ := json.Marshal(map[string]any{"MessageID": "22c74902-a0c1-4511-804f-341342852c90", "RawEmail": string(raw), "Subject": "Multipart Mixed"})
				return post(t, s.URL, "/inbound/postmark", "application/json", bytes.NewReader(body), func(r *http.Request) { r.SetBasicAuth(testPostmarkUser, testPostmarkPassword) })
			},
		}
		i := 0
		for _, provider := range []string{"mailgun", "ses", "postmark"} {
			for range 2 {
				i++
				status, code, res := deliver[provider](i)
				if status != http.StatusOK || res.TicketID == "" {
					t.Fatalf("%s delivery %d: %d %s", provider, i, status, code)
				}
				if ticket == "" {
					ticket = res.TicketID
				} else if !res.Duplicate || res.TicketID != ticket {
					t.Fatalf("%s delivery %d: %+v, want a duplicate on %s", provider, i, res, ticket)
				}
			}
		}
		if n, err := s.App.Store.DB().NewSelect().TableExpr("tickets").Count(t.Context()); err != nil || n != 1 {
			t.Fatalf("%d tickets (%v), want 1", n, err)
		}

		body, ct := mailgunForm(t, raw, strings.Repeat("1", 50), now)
		if status, code, _ := post(t, s.URL, "/inbound/mailgun", ct, body, nil); status != http.StatusUnauthorized || code != inbound.CodeReplayed {
			t.Fatalf("replayed token: %d %s", status, code)
		}
		body, ct = mailgunForm(t, raw, strings.Repeat("s", 50), now.Add(-10*time.Minute))
		if status, code, _ := post(t, s.URL, "/inbound/mailgun", ct, body, nil); status != http.StatusUnauthorized || code != inbound.CodeStaleSignature {
			t.Fatalf("stale timestamp: %d %s", status, code)
		}

		bad, _ := json.Marshal(map[string]any{"MessageID": "5e1c6a3e-0000", "RawEmail": "From: jane\r\n\r\nno domain\r\n"})
		status, code, _ := post(t, s.URL, "/inbound/postmark", "application/json", bytes.NewReader(bad), func(r *http.Request) { r.SetBasicAuth(testPostmarkUser, testPostmarkPassword) })
		if status != http.StatusForbidden || code != "BAD_USER_INPUT" {
			t.Fatalf("unparseable through Postmark: %d %s, want 403 (Postmark stops retrying)", status, code)
		}

		status, metrics, _ := scrape(t, s.URL+"/metrics", "")
		for _, want := range []string{
			`ps_inbound_provider_deliveries_total{outcome="stored",provider="mailgun"} 1`,
			`ps_inbound_provider_deliveries_total{outcome="duplicate",provider="mailgun"} 1`,
			`ps_inbound_provider_deliveries_total{outcome="replayed",provider="mailgun"} 1`,
			`ps_inbound_provider_deliveries_total{outcome="stale",provider="mailgun"} 1`,
			`ps_inbound_provider_deliveries_total{outcome="duplicate",provider="ses"} 2`,
			`ps_inbound_provider_deliveries_total{outcome="duplicate",provider="postmark"} 2`,
			`ps_mail_source_messages_total{result="taken",source="webhook:mailgun"} 1`,
			`ps_mail_source_messages_total{result="duplicate",source="webhook:ses"} 2`,
			`ps_mail_source_messages_total{result="refused",source="webhook:postmark"} 1`,
		} {
			if status != http.StatusOK || !strings.Contains(metrics, want) {
				t.Errorf("/metrics (%d) lacks %s", status, want)
			}
		}
		var taken []int64
		err := s.App.Store.DB().NewSelect().TableExpr("mail_sources").Column("taken").
			Where("source IN (?, ?, ?)", "webhook:mailgun", "webhook:ses", "webhook:postmark").Order("source").Scan(t.Context(), &taken)
		if err != nil || len(taken) != 3 || taken[0] != 2 || taken[1] != 2 || taken[2] != 2 {
			t.Fatalf("source stats taken %v (%v), want 2 each", taken, err)
		}
		logs := s.Logs.String()
		for _, secret := range []string{testMailgunKey, testPostmarkPassword, inbound.SignMailgun([]byte(testMailgunKey), strconv.FormatInt(now.Unix(), 10), strings.Repeat("1", 50))} {
			if strings.Contains(logs, secret) {
				t.Fatal("a secret reached the log")
			}
		}
		if n := strings.Count(logs, `"msg":"inbound webhook"`); n != 9 {
			t.Errorf("%d webhook log lines, want one per request (9)", n)
		}
	})
}

// TestProviderWebhooksOff: without their secrets the provider endpoints are
// not served.
func TestProviderWebhooksOff(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	for _, path := range []string{"/inbound/mailgun", "/inbound/ses", "/inbound/postmark"} {
		res, err := http.Post(s.URL+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}
}
