package inbound

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingReader counts the bytes the handler reads of a body.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func errorCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Errors []struct {
			Extensions struct{ Code string } `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) == 0 {
		t.Fatalf("not an error body: %s", rec.Body)
	}
	return body.Errors[0].Extensions.Code
}

// TestRefusedBeforeTheBodyIsRead: a request that cannot be genuine (no or a
// malformed signature) or declares a body over the cap is answered without
// reading a byte of its body.
func TestRefusedBeforeTheBodyIsRead(t *testing.T) {
	h := NewHandler(Handler{Secret: []byte("0123456789abcdef"), MaxBytes: 1 << 20}, 0)
	cases := []struct {
		name, signature string
		length          int64
		status          int
	}{
		{"no signature", "", 1 << 19, http.StatusUnauthorized},
		{"not sha256", "md5=" + strings.Repeat("0", 32), 1 << 19, http.StatusUnauthorized},
		{"short", "sha256=abcd", 1 << 19, http.StatusUnauthorized},
		{"not hex", "sha256=" + strings.Repeat("z", 64), 1 << 19, http.StatusUnauthorized},
		{"over the cap", "sha256=" + strings.Repeat("0", 64), 2 << 20, http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := &countingReader{r: strings.NewReader(strings.Repeat("x", int(c.length)))}
			req := httptest.NewRequest(http.MethodPost, "/inbound/email", body)
			req.ContentLength = c.length
			if c.signature != "" {
				req.Header.Set(SignatureHeader, c.signature)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status || body.n.Load() != 0 {
				t.Fatalf("status %d (want %d), %d bytes read: %s", rec.Code, c.status, body.n.Load(), rec.Body)
			}
		})
	}
}

// TestBodiesInFlightAreBounded: while one body holds all the room, another
// request waits, then is answered 503 BUSY without being read; once the
// first is done, the room is back.
func TestBodiesInFlightAreBounded(t *testing.T) {
	secret := []byte("0123456789abcdef")
	h := NewHandler(Handler{Secret: secret, MaxBytes: 4096, InflightWait: 50 * time.Millisecond}, 4096)
	wrong := "sha256=" + hex.EncodeToString(make([]byte, 32))

	slow, feed := io.Pipe()
	first := httptest.NewRequest(http.MethodPost, "/inbound/email", slow)
	first.ContentLength = -1 // unknown length: it weighs the whole cap
	first.Header.Set(SignatureHeader, wrong)
	firstRec := httptest.NewRecorder()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); h.ServeHTTP(firstRec, first) }()
	feed.Write([]byte("Subject: x\r\n")) // the handler is now reading it

	body := &countingReader{r: strings.NewReader("Subject: y\r\n\r\nhi\r\n")}
	second := httptest.NewRequest(http.MethodPost, "/inbound/email", body)
	second.Header.Set(SignatureHeader, wrong)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, second)
	if rec.Code != http.StatusServiceUnavailable || errorCode(t, rec) != CodeBusy || rec.Header().Get("Retry-After") == "" || body.n.Load() != 0 {
		t.Fatalf("while full: %d %s, %d bytes read", rec.Code, rec.Body, body.n.Load())
	}

	feed.Close()
	wg.Wait()
	if firstRec.Code != http.StatusUnauthorized {
		t.Fatalf("first: %d %s", firstRec.Code, firstRec.Body)
	}
	third := httptest.NewRequest(http.MethodPost, "/inbound/email", strings.NewReader("Subject: z\r\n\r\nhi\r\n"))
	third.Header.Set(SignatureHeader, wrong)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, third)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("after the first: %d %s", rec.Code, rec.Body)
	}
}
