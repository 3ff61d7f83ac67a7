package inbound

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS SignatureVersion 1
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

const (
	testTopic  = "arn:aws:sns:us-east-1:123456789012:inbound-mail"
	otherTopic = "arn:aws:sns:us-east-1:123456789012:someone-else"
)

// fakeSNS is a throw-away signing key with a self-signed certificate,
// served over TLS as SNS serves its signing certificates, and a
// subscription confirmation URL that counts its visits.
type fakeSNS struct {
	key       *rsa.PrivateKey
	srv       *httptest.Server
	certURL   string
	fetches   atomic.Int32
	confirms  atomic.Int32
	verifier  *SNSVerifier
	messageID atomic.Int32
}

func newFakeSNS(t *testing.T) *fakeSNS {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	f := &fakeSNS{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /SimpleNotificationService-test.pem", func(w http.ResponseWriter, r *http.Request) {
		f.fetches.Add(1)
		w.Write(certPEM)
	})
	mux.HandleFunc("GET /rotated/", func(w http.ResponseWriter, r *http.Request) { w.Write(certPEM) })
	mux.HandleFunc("GET /confirm", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Action") != "ConfirmSubscription" || r.URL.Query().Get("Token") == "" {
			http.Error(w, "bad confirmation", http.StatusBadRequest)
			return
		}
		f.confirms.Add(1)
		w.Write([]byte("<ConfirmSubscriptionResponse/>"))
	})
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	f.certURL = f.srv.URL + "/SimpleNotificationService-test.pem"
	host := strings.TrimPrefix(f.srv.URL, "https://")
	f.verifier = &SNSVerifier{Client: f.srv.Client(), AllowURL: func(u *url.URL) bool { return u.Host == host }}
	return f
}

// canonical builds the string SNS signs, as its documentation lays it
// out, independently of SNSMessage.StringToSign.
func canonical(m map[string]string) string {
	keys := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if m["Type"] != SNSNotification {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			continue
		}
		b.WriteString(k + "\n" + v + "\n")
	}
	return b.String()
}

// sign signs m the way SNS does (version "1" SHA1withRSA, "2"
// SHA256withRSA) and returns its JSON body.
func (f *fakeSNS) sign(t testing.TB, m map[string]string, version string) []byte {
	t.Helper()
	m["SignatureVersion"] = version
	if _, ok := m["SigningCertURL"]; !ok {
		m["SigningCertURL"] = f.certURL
	}
	text := []byte(canonical(m))
	var sig []byte
	var err error
	if version == "1" {
		d := sha1.Sum(text) //nolint:gosec // SNS SignatureVersion 1
		sig, err = rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA1, d[:])
	} else {
		d := sha256.Sum256(text)
		sig, err = rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA256, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// notification returns an SNS Notification of topic carrying an SES
// receipt notification with raw inline, encoded as encoding ("UTF8" or
// "BASE64").
func (f *fakeSNS) notification(t testing.TB, topic string, raw []byte, encoding string) map[string]string {
	t.Helper()
	content := string(raw)
	if encoding == "BASE64" {
		content = base64.StdEncoding.EncodeToString(raw)
	}
	ses := map[string]any{
		"notificationType": "Received",
		"receipt": map[string]any{
			"timestamp": "2026-12-02T12:00:00.000Z", "processingTimeMillis": 222,
			"recipients":  []string{"support@vendor.test"},
			"spamVerdict": map[string]string{"status": "PASS"}, "virusVerdict": map[string]string{"status": "PASS"},
			"spfVerdict": map[string]string{"status": "PASS"}, "dkimVerdict": map[string]string{"status": "PASS"},
			"action": map[string]string{"type": "SNS", "topicArn": topic, "encoding": encoding},
		},
		"mail": map[string]any{
			"timestamp": "2026-12-02T12:00:00.000Z", "source": "jamehi03@jamehi03lx.noa.com",
			"messageId": "d6iitobk75ur44p8kdnnp7g2n800", "destination": []string{"support@vendor.test"},
		},
		"content": content,
	}
	msg, err := json.Marshal(ses)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"Type": SNSNotification, "MessageId": "5d8a-" + string(rune('a'+f.messageID.Add(1))),
		"TopicArn": topic, "Subject": "Amazon SES Email Receipt Notification", "Message": string(msg),
		"Timestamp":      "2026-12-02T12:00:00.123Z",
		"UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + topic + ":1",
	}
}

func sesRequest(body []byte, kind string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/inbound/ses", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("x-amz-sns-message-type", kind)
	return req
}

// TestSNSStringToSign is the documented canonical text: name and value on
// lines of their own, Subject only when present, confirmations with
// SubscribeURL and Token.
func TestSNSStringToSign(t *testing.T) {
	subject := "Hi"
	for _, m := range []SNSMessage{
		{Type: SNSNotification, MessageID: "id", TopicArn: "arn", Message: "line1\nline2", Timestamp: "ts"},
		{Type: SNSNotification, MessageID: "id", TopicArn: "arn", Message: "m", Timestamp: "ts", Subject: &subject},
		{Type: SNSSubscriptionConfirmation, MessageID: "id", TopicArn: "arn", Message: "m", Timestamp: "ts", Token: "tok", SubscribeURL: "https://x"},
	} {
		fields := map[string]string{"Type": m.Type, "MessageId": m.MessageID, "TopicArn": m.TopicArn, "Message": m.Message, "Timestamp": m.Timestamp}
		if m.Subject != nil {
			fields["Subject"] = *m.Subject
		}
		if m.Type != SNSNotification {
			fields["Token"], fields["SubscribeURL"] = m.Token, m.SubscribeURL
		}
		if got, want := m.StringToSign(), canonical(fields); got != want {
			t.Errorf("%s: got %q, want %q", m.Type, got, want)
		}
	}
	const want = "Message\nm\nMessageId\nid\nSubject\nHi\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n"
	m := SNSMessage{Type: SNSNotification, MessageID: "id", TopicArn: "arn", Message: "m", Timestamp: "ts", Subject: &subject}
	if got := m.StringToSign(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestSNSHost: certificates and confirmations come only over https from
// sns.<region>.amazonaws.com (or .amazonaws.com.cn).
func TestSNSHost(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem":   true,
		"https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem": true,
		"https://sns.us-east-1.amazonaws.com:443/x.pem":                           true,
		"http://sns.us-east-1.amazonaws.com/x.pem":                                false,
		"https://sns.us-east-1.amazonaws.com.evil.test/x.pem":                     false,
		"https://evilsns.us-east-1.amazonaws.com/x.pem":                           false,
		"https://s3.amazonaws.com/sns.us-east-1.amazonaws.com/x.pem":              false,
		"https://sns.us-east-1.amazonaws.com:8443/x.pem":                          false,
		"https://user@sns.us-east-1.amazonaws.com/x.pem":                          false,
		"https://example.com/x.pem":                                               false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := SNSHost(u); got != want {
			t.Errorf("%s: %v, want %v", raw, got, want)
		}
	}
}

// TestSESIngestsSignedNotifications: SES receipt notifications signed
// with SignatureVersion 1 and 2, content inline as UTF-8 or base64, are
// ingested; the same message twice is one ticket; the certificate is
// fetched once and cached.
func TestSESIngestsSignedNotifications(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db, 0)
		f := newFakeSNS(t)
		h := NewSES(SES{Webhook: r.hook, Topics: []string{testTopic}, Verifier: f.verifier})
		raw := readSample(t)

		var first Response
		for i, c := range []struct{ version, encoding string }{{"1", "UTF8"}, {"2", "BASE64"}} {
			body := f.sign(t, f.notification(t, testTopic, raw, c.encoding), c.version)
			rec := serve(h, sesRequest(body, SNSNotification))
			var res Response
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &res) != nil || res.TicketID == "" {
				t.Fatalf("version %s %s: %d %s", c.version, c.encoding, rec.Code, rec.Body)
			}
			if i == 0 {
				first = res
			} else if !res.Duplicate || res.TicketID != first.TicketID {
				t.Fatalf("second delivery %+v, want a duplicate of %+v", res, first)
			}
		}
		if n := r.count(t, "tickets"); n != 1 {
			t.Fatalf("%d tickets, want 1", n)
		}
		if n := f.fetches.Load(); n != 1 {
			t.Fatalf("certificate fetched %d times, want 1", n)
		}
		if taken, _ := r.source(t, ProviderSES); taken != 2 {
			t.Fatalf("taken %d, want 2", taken)
		}
	})
}

// TestSESRefusals: a certificate off the SNS hosts (never fetched), a
// tampered message, an unknown signature version, a topic not on the list,
// a notification without content and an unparseable message are refused,
// and nothing is stored.
func TestSESRefusals(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db, 0)
		f := newFakeSNS(t)
		h := NewSES(SES{Webhook: r.hook, Topics: []string{testTopic}, Verifier: f.verifier})
		strict := NewSES(SES{Webhook: r.hook, Topics: []string{testTopic}}) // SNS hosts only
		raw := readSample(t)

		offHost := f.notification(t, testTopic, raw, "UTF8")
		offHost["SigningCertURL"] = "https://sns.us-east-1.amazonaws.com.evil.test/SimpleNotificationService-test.pem"
		plainHTTP := f.notification(t, testTopic, raw, "UTF8")
		plainHTTP["SigningCertURL"] = strings.Replace(f.certURL, "https://", "http://", 1)

		tampered := f.sign(t, f.notification(t, testTopic, raw, "UTF8"), "2")
		tampered = []byte(strings.Replace(string(tampered), "Multipart Mixed", "Multipart Mixes", 1))

		missingCert := f.notification(t, testTopic, raw, "UTF8")
		missingCert["SigningCertURL"] = f.srv.URL + "/missing.pem"

		noContent := f.notification(t, testTopic, raw, "UTF8")
		var ses map[string]any
		json.Unmarshal([]byte(noContent["Message"]), &ses)
		delete(ses, "content")
		msg, _ := json.Marshal(ses)
		noContent["Message"] = string(msg)

		cases := []struct {
			name   string
			h      http.Handler
			body   []byte
			status int
			code   string
		}{
			{"certificate off the SNS hosts", h, f.sign(t, offHost, "2"), http.StatusUnauthorized, "UNAUTHENTICATED"},
			{"certificate on the test host, SNS hosts only", strict, f.sign(t, f.notification(t, testTopic, raw, "UTF8"), "2"), http.StatusUnauthorized, "UNAUTHENTICATED"},
			{"certificate over http", h, f.sign(t, plainHTTP, "2"), http.StatusUnauthorized, "UNAUTHENTICATED"},
			{"tampered", h, tampered, http.StatusUnauthorized, "UNAUTHENTICATED"},
			{"unknown signature version", h, f.sign(t, f.notification(t, testTopic, raw, "UTF8"), "3"), http.StatusUnauthorized, "UNAUTHENTICATED"},
			{"topic not on the list", h, f.sign(t, f.notification(t, otherTopic, raw, "UTF8"), "2"), http.StatusForbidden, "FORBIDDEN"},
			{"no content", h, f.sign(t, noContent, "2"), http.StatusBadRequest, "BAD_USER_INPUT"},
			{"unparseable message", h, f.sign(t, f.notification(t, testTopic, []byte(unparseable), "BASE64"), "1"), http.StatusBadRequest, "BAD_USER_INPUT"},
			{"not JSON", h, []byte("Message=hello"), http.StatusBadRequest, "BAD_USER_INPUT"},
			{"certificate cannot be fetched (SNS retries)", h, f.sign(t, missingCert, "2"), http.StatusInternalServerError, "INTERNAL"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				rec := serve(c.h, sesRequest(c.body, SNSNotification))
				if rec.Code != c.status || errorCode(t, rec) != c.code {
					t.Fatalf("%d %s, want %d %s", rec.Code, rec.Body, c.status, c.code)
				}
			})
		}
		if n := r.count(t, "ticket_messages"); n != 0 {
			t.Fatalf("%d messages stored, want 0", n)
		}
		// Only the certificate on the allowed test host was ever fetched.
		if n := f.fetches.Load(); n != 1 {
			t.Fatalf("certificate fetched %d times, want 1", n)
		}
		if _, refused := r.source(t, ProviderSES); refused != 2 {
			t.Fatalf("refused %d, want 2 (no content, unparseable)", refused)
		}
	})
}

// TestSESSubscriptionConfirmation: a signed SubscriptionConfirmation is
// confirmed at once by a GET of its SubscribeURL; one whose SubscribeURL
// is off the SNS hosts, or whose topic is not on the list, is refused and
// nothing is visited.
func TestSESSubscriptionConfirmation(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db, 0)
		f := newFakeSNS(t)
		h := NewSES(SES{Webhook: r.hook, Topics: []string{testTopic}, Verifier: f.verifier})
		confirmation := func(topic, subscribeURL string) []byte {
			return f.sign(t, map[string]string{
				"Type": SNSSubscriptionConfirmation, "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
				"Token":        "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
				"TopicArn":     topic,
				"Message":      "You have chosen to subscribe to the topic " + topic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
				"SubscribeURL": subscribeURL, "Timestamp": "2026-12-02T12:00:00.000Z",
			}, "1")
		}
		good := f.srv.URL + "/confirm?Action=ConfirmSubscription&TopicArn=" + testTopic + "&Token=2336412f"
		rec := serve(h, sesRequest(confirmation(testTopic, good), SNSSubscriptionConfirmation))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"confirmed":true`) || f.confirms.Load() != 1 {
			t.Fatalf("confirmation: %d %s, %d visits", rec.Code, rec.Body, f.confirms.Load())
		}
		for _, c := range []struct {
			name, topic, url string
			status           int
		}{
			{"subscribe URL off the SNS hosts", testTopic, "https://attacker.test/confirm?Action=ConfirmSubscription&Token=x", http.StatusUnauthorized},
			{"topic not on the list", otherTopic, good, http.StatusForbidden},
		} {
			t.Run(c.name, func(t *testing.T) {
				rec := serve(h, sesRequest(confirmation(c.topic, c.url), SNSSubscriptionConfirmation))
				if rec.Code != c.status || f.confirms.Load() != 1 {
					t.Fatalf("%d %s, %d visits", rec.Code, rec.Body, f.confirms.Load())
				}
			})
		}
		if got := r.seen.outcomes(); len(got) != 3 || got[0] != OutcomeConfirmed {
			t.Fatalf("outcomes %v", got)
		}
	})
}

// TestSNSCertCacheIsBounded: certificates from many URLs (SNS rotates them)
// are cached up to a bound, the ones leaving first dropped.
func TestSNSCertCacheIsBounded(t *testing.T) {
	f := newFakeSNS(t)
	f.verifyRotated(t, DefaultSNSCertCacheSize+5)
	f.verifier.mu.Lock()
	defer f.verifier.mu.Unlock()
	if n := len(f.verifier.certs); n != DefaultSNSCertCacheSize {
		t.Fatalf("%d certificates cached, want %d", n, DefaultSNSCertCacheSize)
	}
}

// TestSNSCertCacheSizeIsSet: a configured bound replaces the default.
func TestSNSCertCacheSizeIsSet(t *testing.T) {
	f := newFakeSNS(t)
	f.verifier.CacheSize = 3
	f.verifyRotated(t, 6)
	f.verifier.mu.Lock()
	defer f.verifier.mu.Unlock()
	if n := len(f.verifier.certs); n != 3 {
		t.Fatalf("%d certificates cached, want the configured 3", n)
	}
}

// TestSNSFetchTimeoutIsSet: a certificate host slower than the configured
// timeout fails the check instead of holding the request (the certificate
// it sends two seconds late is genuine, so without the timeout it passes).
func TestSNSFetchTimeoutIsSet(t *testing.T) {
	f := newFakeSNS(t)
	genuine := f.srv.Client()
	slow := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(2 * time.Second):
		}
		res, err := genuine.Get(f.certURL)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		io.Copy(w, res.Body)
	}))
	t.Cleanup(slow.Close)
	slowHost := strings.TrimPrefix(slow.URL, "https://")
	f.verifier.FetchTimeout = 200 * time.Millisecond
	f.verifier.Client = slow.Client()
	f.verifier.AllowURL = func(u *url.URL) bool { return u.Host == slowHost }
	m := f.notification(t, testTopic, []byte("x"), "UTF8")
	m["SigningCertURL"] = slow.URL + "/SimpleNotificationService-slow.pem"
	var msg SNSMessage
	if err := json.Unmarshal(f.sign(t, m, "2"), &msg); err != nil {
		t.Fatal(err)
	}
	if err := f.verifier.Verify(t.Context(), &msg); err == nil {
		t.Fatal("a certificate that never arrived was accepted")
	}
}

// verifyRotated verifies n notifications, each signed under a certificate
// at a URL of its own, as if SNS had rotated its certificate n times.
func (f *fakeSNS) verifyRotated(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		m := f.notification(t, testTopic, []byte("x"), "UTF8")
		m["SigningCertURL"] = f.srv.URL + "/rotated/SimpleNotificationService-" + strconv.Itoa(i) + ".pem"
		var msg SNSMessage
		if err := json.Unmarshal(f.sign(t, m, "2"), &msg); err != nil {
			t.Fatal(err)
		}
		if err := f.verifier.Verify(t.Context(), &msg); err != nil {
			t.Fatalf("certificate %d: %v", i, err)
		}
	}
}
