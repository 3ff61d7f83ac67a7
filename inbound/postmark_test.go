package inbound

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

const (
	postmarkUser     = "postmark"
	postmarkPassword = "s3cret-password-for-tests"
)

// postmarkJSON returns an inbound webhook body as Postmark posts it with
// "Include raw email content in JSON payload" on (raw nil: off).
func postmarkJSON(t testing.TB, raw *string) string {
	t.Helper()
	in := map[string]any{
		"FromName": "James Hillyerd", "MessageStream": "inbound", "From": "jamehi03@jamehi03lx.noa.com",
		"FromFull": map[string]string{"Email": "jamehi03@jamehi03lx.noa.com", "Name": "James Hillyerd", "MailboxHash": ""},
		"To":       "support@vendor.test", "ToFull": []map[string]string{{"Email": "support@vendor.test", "Name": "", "MailboxHash": ""}},
		"Cc": "", "CcFull": []any{}, "Bcc": "", "BccFull": []any{}, "OriginalRecipient": "support@vendor.test",
		"Subject": "Multipart Mixed", "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
		"ReplyTo": "", "MailboxHash": "", "Date": "Fri, 19 Oct 2012 12:22:49 -0700",
		"TextBody": "Section one\n", "HtmlBody": "", "StrippedTextReply": "", "Tag": "",
		"Headers": []map[string]string{{"Name": "X-Spam-Status", "Value": "No"}}, "Attachments": []any{},
	}
	if raw != nil {
		in["RawEmail"] = *raw
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func postmarkRequest(body string, user, password string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/inbound/postmark", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	return req
}

// TestPostmarkIngestsRawEmail: the RawEmail of Postmark's inbound JSON is
// ingested once (a redelivery is a duplicate of the same ticket); without
// RawEmail, or with a message that cannot be parsed, it answers 403 so
// Postmark stops retrying, and stores nothing.
func TestPostmarkIngestsRawEmail(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db, 0)
		h := NewPostmark(Postmark{Webhook: r.hook, Auth: NewBasicAuth(postmarkUser, postmarkPassword)})
		raw := string(readSample(t))
		var first Response
		for i := range 2 {
			rec := serve(h, postmarkRequest(postmarkJSON(t, &raw), postmarkUser, postmarkPassword))
			var res Response
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &res) != nil || res.TicketID == "" || res.Duplicate != (i == 1) {
				t.Fatalf("delivery %d: %d %s", i, rec.Code, rec.Body)
			}
			if i == 0 {
				first = res
			} else if res.TicketID != first.TicketID {
				t.Fatalf("redelivery on ticket %s, want %s", res.TicketID, first.TicketID)
			}
		}
		bad := unparseable
		for name, body := range map[string]string{
			"no RawEmail":  postmarkJSON(t, nil),
			"unparseable":  postmarkJSON(t, &bad),
			"not JSON":     "RawEmail=x",
			"empty object": "{}",
		} {
			t.Run(name, func(t *testing.T) {
				rec := serve(h, postmarkRequest(body, postmarkUser, postmarkPassword))
				if rec.Code != http.StatusForbidden || errorCode(t, rec) != "BAD_USER_INPUT" {
					t.Fatalf("%d %s, want 403 BAD_USER_INPUT", rec.Code, rec.Body)
				}
			})
		}
		if n := r.count(t, "ticket_messages"); n != 1 {
			t.Fatalf("%d messages, want 1", n)
		}
		if taken, refused := r.source(t, ProviderPostmark); taken != 2 || refused != 4 {
			t.Fatalf("source stats: taken %d, refused %d; want 2 and 4", taken, refused)
		}
	})
}

// TestPostmarkCredentials: missing or wrong basic-auth credentials are
// refused 401 before a byte of the body is read, and nothing is counted
// in the source stats (strangers send those).
func TestPostmarkCredentials(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db, 0)
		h := NewPostmark(Postmark{Webhook: r.hook, Auth: NewBasicAuth(postmarkUser, postmarkPassword)})
		raw := string(readSample(t))
		for _, c := range []struct{ name, user, password string }{
			{"none", "", ""},
			{"wrong password", postmarkUser, postmarkPassword + "x"},
			{"wrong user", "admin", postmarkPassword},
			{"swapped", postmarkPassword, postmarkUser},
		} {
			t.Run(c.name, func(t *testing.T) {
				body := &countingReader{r: strings.NewReader(postmarkJSON(t, &raw))}
				req := httptest.NewRequest(http.MethodPost, "/inbound/postmark", body)
				if c.user != "" {
					req.SetBasicAuth(c.user, c.password)
				}
				rec := serve(h, req)
				if rec.Code != http.StatusUnauthorized || errorCode(t, rec) != "UNAUTHENTICATED" || body.n.Load() != 0 {
					t.Fatalf("%d %s, %d bytes read", rec.Code, rec.Body, body.n.Load())
				}
				if strings.Contains(rec.Body.String(), postmarkPassword) {
					t.Fatal("the answer quotes the password")
				}
			})
		}
		if n := r.count(t, "ticket_messages"); n != 0 {
			t.Fatalf("%d messages stored", n)
		}
		if taken, refused := r.source(t, ProviderPostmark); taken != 0 || refused != 0 {
			t.Fatalf("source stats: taken %d, refused %d", taken, refused)
		}
	})
}

// TestProviderBodiesInFlightAreBounded: the provider endpoints share the
// inbound handler's room for bodies in flight; with none left a delivery
// is answered 503 BUSY (every provider retries it) without being read.
func TestProviderBodiesInFlightAreBounded(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db, 4096)
		r.hook.Inbound.InflightWait = 50 * time.Millisecond
		h := NewPostmark(Postmark{Webhook: r.hook, Auth: NewBasicAuth(postmarkUser, postmarkPassword)})
		if !r.hook.Inbound.inflight.TryAcquire(DefaultMaxInflightBytes) {
			t.Fatal("the room is taken already")
		}
		body := &countingReader{r: strings.NewReader("{}")}
		req := httptest.NewRequest(http.MethodPost, "/inbound/postmark", body)
		req.SetBasicAuth(postmarkUser, postmarkPassword)
		rec := serve(h, req)
		if rec.Code != http.StatusServiceUnavailable || errorCode(t, rec) != CodeBusy || rec.Header().Get("Retry-After") == "" || body.n.Load() != 0 {
			t.Fatalf("while full: %d %s, %d bytes read", rec.Code, rec.Body, body.n.Load())
		}
		r.hook.Inbound.inflight.Release(DefaultMaxInflightBytes)
		raw := string(readSample(t))
		if rec := serve(h, postmarkRequest(postmarkJSON(t, &raw), postmarkUser, postmarkPassword)); rec.Code != http.StatusOK {
			t.Fatalf("after: %d %s", rec.Code, rec.Body)
		}
	})
}

// TestProviderSourceKeepsReceivedTime: a provider's source records the
// message's received time (its topmost Received: header) as its last
// message time, and the lag from it, not the time of ingestion.
func TestProviderSourceKeepsReceivedTime(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db, 0)
		h := NewPostmark(Postmark{Webhook: r.hook, Auth: NewBasicAuth(postmarkUser, postmarkPassword)})
		received := time.Now().Add(-10 * time.Minute).UTC().Truncate(time.Second)
		raw := "Received: by mx.vendor.test; " + received.Format(time.RFC1123Z) + "\r\n" + string(readSample(t))
		if rec := serve(h, postmarkRequest(postmarkJSON(t, &raw), postmarkUser, postmarkPassword)); rec.Code != http.StatusOK {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		var got struct {
			LastMessageAt time.Time `bun:"last_message_at"`
			LagSeconds    int64     `bun:"lag_seconds"`
		}
		if err := db.NewSelect().Table("mail_sources").Column("last_message_at", "lag_seconds").
			Where("source = ?", SourceName(ProviderPostmark)).Scan(t.Context(), &got); err != nil {
			t.Fatal(err)
		}
		if !got.LastMessageAt.Equal(received) || got.LagSeconds < 600 {
			t.Fatalf("last message at %v, lag %ds; want %v and at least 600s", got.LastMessageAt, got.LagSeconds, received)
		}
	})
}
