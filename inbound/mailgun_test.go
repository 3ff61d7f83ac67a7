package inbound

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

const mailgunKey = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"

// mailgunPost is one POST of a Mailgun route forwarding to a URL ending in
// "mime": multipart/form-data with the envelope fields, the signature
// fields and body-mime (Mailgun also sends a urlencoded form when there
// are no attachments; urlencoded picks that one).
type mailgunPost struct {
	timestamp, token, signature string
	raw                         []byte
	urlencoded                  bool
}

// signedMailgun returns a post signed as Mailgun signs it: the hex
// HMAC-SHA256 of timestamp+token under the signing key.
func signedMailgun(raw []byte, at time.Time, token string) mailgunPost {
	ts := strconv.FormatInt(at.Unix(), 10)
	return mailgunPost{timestamp: ts, token: token, signature: SignMailgun([]byte(mailgunKey), ts, token), raw: raw}
}

func (p mailgunPost) request(t testing.TB) *http.Request {
	t.Helper()
	fields := [][2]string{
		{"recipient", "support@vendor.test"}, {"sender", "jamehi03@jamehi03lx.noa.com"},
		{"from", "James Hillyerd <jamehi03@jamehi03lx.noa.com>"}, {"subject", "Multipart Mixed"},
		{"timestamp", p.timestamp}, {"token", p.token}, {"signature", p.signature},
		{"body-mime", string(p.raw)},
	}
	if p.urlencoded {
		v := url.Values{}
		for _, f := range fields {
			v.Set(f[0], f[1])
		}
		req := httptest.NewRequest(http.MethodPost, "/inbound/mailgun", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/inbound/mailgun", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

func newMailgun(r *rig, now func() time.Time) *Mailgun {
	hook := r.hook
	hook.Now = now
	return NewMailgun(Mailgun{Webhook: hook, SigningKey: []byte(mailgunKey)})
}

// TestMailgunSignature is Mailgun's documented scheme: the hex
// HMAC-SHA256 of timestamp followed by token.
func TestMailgunSignature(t *testing.T) {
	// HMAC-SHA256 of "1234567890abc" under "key", computed elsewhere.
	const want = "7a1a8143bf315ec22f64695547db5a0189d29ba207186969d73fd7c17385eae9"
	if got := SignMailgun([]byte("key"), "1234567890", "abc"); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

// TestMailgunIngestsOnceAndRefusesReplays: a signed post is stored; the
// same message posted again with a fresh token is a duplicate of the same
// ticket; a post whose token was used is refused 401 REPLAYED, as are
// stale and future timestamps and bad signatures, none of them storing
// anything; an unparseable message is 406 (Mailgun does not retry it).
func TestMailgunIngestsOnceAndRefusesReplays(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db, 0)
		now := time.Now()
		mg := newMailgun(r, func() time.Time { return now })
		raw := readSample(t)

		first := serve(mg, signedMailgun(raw, now, strings.Repeat("a", 50)).request(t))
		var res Response
		if first.Code != http.StatusOK || json.Unmarshal(first.Body.Bytes(), &res) != nil || res.TicketID == "" || res.Duplicate {
			t.Fatalf("first delivery: %d %s", first.Code, first.Body)
		}
		again := signedMailgun(raw, now, strings.Repeat("b", 50))
		again.urlencoded = true
		second := serve(mg, again.request(t))
		var dup Response
		if second.Code != http.StatusOK || json.Unmarshal(second.Body.Bytes(), &dup) != nil || !dup.Duplicate || dup.TicketID != res.TicketID {
			t.Fatalf("second delivery: %d %s", second.Code, second.Body)
		}
		if n := r.count(t, "tickets"); n != 1 {
			t.Fatalf("%d tickets, want 1", n)
		}

		refusals := []struct {
			name   string
			post   mailgunPost
			status int
			code   string
		}{
			{"replayed token", signedMailgun(raw, now, strings.Repeat("a", 50)), http.StatusUnauthorized, CodeReplayed},
			{"stale timestamp", signedMailgun(raw, now.Add(-DefaultMailgunMaxAge-time.Second), strings.Repeat("c", 50)), http.StatusUnauthorized, CodeStaleSignature},
			{"timestamp ahead", signedMailgun(raw, now.Add(MailgunMaxAhead+time.Second), strings.Repeat("d", 50)), http.StatusUnauthorized, CodeStaleSignature},
			{"wrong key", mailgunPost{timestamp: strconv.FormatInt(now.Unix(), 10), token: strings.Repeat("e", 50),
				signature: SignMailgun([]byte("another-key"), strconv.FormatInt(now.Unix(), 10), strings.Repeat("e", 50)), raw: raw}, http.StatusUnauthorized, "UNAUTHENTICATED"},
			{"no signature", mailgunPost{timestamp: strconv.FormatInt(now.Unix(), 10), token: strings.Repeat("f", 50), raw: raw}, http.StatusUnauthorized, "UNAUTHENTICATED"},
			{"unparseable message", signedMailgun([]byte(unparseable), now, strings.Repeat("g", 50)), http.StatusNotAcceptable, "BAD_USER_INPUT"},
		}
		for _, c := range refusals {
			t.Run(c.name, func(t *testing.T) {
				rec := serve(mg, c.post.request(t))
				if rec.Code != c.status || errorCode(t, rec) != c.code {
					t.Fatalf("%d %s, want %d %s", rec.Code, rec.Body, c.status, c.code)
				}
			})
		}
		if n := r.count(t, "ticket_messages"); n != 1 {
			t.Fatalf("%d messages stored, want 1", n)
		}
		// The unparseable message did not use its token up: fixed, it
		// could be retried under it.
		if n := r.count(t, "webhook_tokens"); n != 2 {
			t.Fatalf("%d tokens remembered, want 2", n)
		}
		if taken, refused := r.source(t, ProviderMailgun); taken != 2 || refused != 1 {
			t.Fatalf("source stats: taken %d, refused %d; want 2 and 1", taken, refused)
		}
		want := []string{OutcomeStored, OutcomeDuplicate, OutcomeReplayed, OutcomeStale, OutcomeStale, OutcomeBadAuth, OutcomeBadAuth, OutcomeUnparseable}
		if got := r.seen.outcomes(); !slices.Equal(got, want) {
			t.Fatalf("outcomes %v, want %v", got, want)
		}
	})
}

// TestMailgunCaps: a request over the size cap is refused with 406 before
// it is read when it declares its length, and a form without body-mime
// (a route that does not forward to a "mime" URL) is 406 too.
func TestMailgunCaps(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db, 4096)
		now := time.Now()
		mg := newMailgun(r, func() time.Time { return now })

		big := signedMailgun(bytes.Repeat([]byte("x"), 8192), now, strings.Repeat("a", 50)).request(t)
		if rec := serve(mg, big); rec.Code != http.StatusNotAcceptable {
			t.Fatalf("over the cap: %d %s", rec.Code, rec.Body)
		}
		post := signedMailgun(nil, now, strings.Repeat("b", 50))
		if rec := serve(mg, post.request(t)); rec.Code != http.StatusNotAcceptable || !strings.Contains(rec.Body.String(), "mime") {
			t.Fatalf("no body-mime: %d %s", rec.Code, rec.Body)
		}
		req := httptest.NewRequest(http.MethodGet, "/inbound/mailgun", nil)
		if rec := serve(mg, req); rec.Code != http.StatusMethodNotAllowed {
			t.Fatalf("GET: %d", rec.Code)
		}
		if n := r.count(t, "ticket_messages"); n != 0 {
			t.Fatalf("%d messages stored", n)
		}
	})
}

// TestMailgunTokensArePruned: tokens past their expiry are deleted, at
// most once a minute, and an expired token no longer counts as seen.
func TestMailgunTokensArePruned(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		tok := &tokens{db: db, provider: ProviderMailgun}
		now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
		if err := tok.remember(ctx, db, "old", now.Add(-time.Hour), now.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := tok.remember(ctx, db, "live", now, now.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := tok.remember(ctx, db, "live", now, now.Add(5*time.Minute)); err != errReplayed {
			t.Fatalf("a live token again: %v, want errReplayed", err)
		}
		if seen, err := tok.seen(ctx, "old", now); err != nil || seen {
			t.Fatalf("expired token seen: %v %v", seen, err)
		}
		if ran, err := tok.prune(ctx, now); !ran || err != nil {
			t.Fatalf("prune: %v %v", ran, err)
		}
		if ran, _ := tok.prune(ctx, now.Add(time.Second)); ran {
			t.Fatal("pruned twice within a minute")
		}
		var left []string
		if err := db.NewSelect().TableExpr("webhook_tokens").Column("token").Scan(ctx, &left); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(left, []string{"live"}) {
			t.Fatalf("tokens left %v, want [live]", left)
		}
		// An expired row not yet pruned is taken over by a new use.
		if err := tok.remember(ctx, db, "live", now.Add(10*time.Minute), now.Add(15*time.Minute)); err != nil {
			t.Fatalf("reuse after expiry: %v", err)
		}
	})
}

// TestMailgunConcurrentReplays: the same signed post delivered many times
// at once is taken once; every other copy is refused 401 REPLAYED, also
// those that passed the early check together (the token is remembered in
// the ingestion's transaction, where the database decides).
func TestMailgunConcurrentReplays(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		r := newRig(t, db, 0)
		now := time.Now()
		mg := newMailgun(r, func() time.Time { return now })
		post := signedMailgun(readSample(t), now, strings.Repeat("z", 50))
		const n = 6
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			req := post.request(t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec := serve(mg, req)
				codes[i] = rec.Code
				if rec.Code != http.StatusOK && (rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), CodeReplayed)) {
					t.Errorf("copy %d: %d %s", i, rec.Code, rec.Body)
				}
			}()
		}
		wg.Wait()
		if ok := slices.Index(codes, http.StatusOK); ok < 0 || slices.Index(codes[ok+1:], http.StatusOK) >= 0 {
			t.Fatalf("statuses %v: want exactly one 200", codes)
		}
		if taken, _ := r.source(t, ProviderMailgun); taken != 1 {
			t.Fatalf("taken %d, want 1", taken)
		}
	})
}
