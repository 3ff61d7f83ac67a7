package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/prioritysupport/backend/internal/testdb"
)

const foreignOrigin = "https://evil.example"

// corsProbe sends the three requests a browser page on origin would: a
// preflight (asking for the headers in requestHeaders), the actual POST,
// and a GraphQL websocket.
type corsProbe struct {
	t *testing.T
	s *testServer
}

// preflight returns the preflight's response headers.
func (p corsProbe) preflight(origin, requestHeaders string) http.Header {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, p.s.URL+"/graphql", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", requestHeaders)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	res.Body.Close()
	return res.Header
}

// post returns the actual request's response headers.
func (p corsProbe) post(origin string) http.Header {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.s.URL+"/graphql", strings.NewReader(`{"query":"{ viewer { subject } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	req.Header.Set("Authorization", "Bearer "+p.s.sales())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		p.t.Fatalf("POST from %s: status %d", origin, res.StatusCode)
	}
	return res.Header
}

// websocket opens a GraphQL websocket from origin and returns the dial
// error, or the HTTP status of the refusal.
func (p corsProbe) websocket(origin string) (int, error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.t.Context(), 5*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(p.s.URL, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
		HTTPHeader:   http.Header{"Origin": {origin}},
	})
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
			res.Body.Close()
		}
		return status, err
	}
	c.Close(websocket.StatusNormalClosure, "")
	return http.StatusSwitchingProtocols, nil
}

// allows fails the test unless origin may do all three.
func (p corsProbe) allows(origin string) {
	p.t.Helper()
	if h := p.preflight(origin, "authorization,content-type"); h.Get("Access-Control-Allow-Origin") == "" ||
		!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") {
		p.t.Errorf("preflight from %s refused: %v", origin, h)
	}
	if h := p.post(origin); h.Get("Access-Control-Allow-Origin") == "" {
		p.t.Errorf("POST from %s has no Access-Control-Allow-Origin: %v", origin, h)
	}
	if status, err := p.websocket(origin); err != nil {
		p.t.Errorf("websocket from %s refused (%d): %v", origin, status, err)
	}
}

// refuses fails the test unless origin may do none of the three.
func (p corsProbe) refuses(origin string) {
	p.t.Helper()
	for name, h := range map[string]http.Header{"preflight": p.preflight(origin, "authorization,content-type"), "POST": p.post(origin)} {
		for k := range h {
			if strings.HasPrefix(k, "Access-Control-Allow") {
				p.t.Errorf("%s from %s answered %s: %v", name, origin, k, h)
			}
		}
	}
	if status, err := p.websocket(origin); err == nil || status != http.StatusForbidden {
		p.t.Errorf("websocket from %s: status %d, error %v; want 403", origin, status, err)
	}
}

// TestCORSDeniesByDefault checks that without PS_CORS_ORIGINS no other
// origin may call the API, over HTTP or websocket, while a page served by
// the API itself (same origin) may still open a websocket.
func TestCORSDeniesByDefault(t *testing.T) {
	for _, env := range []string{"development", "production"} {
		t.Run(env, func(t *testing.T) {
			s := newTestServer(t, testdb.SQLite(t), map[string]string{"PS_CORS_ORIGINS": "", "PS_ENV": env})
			p := corsProbe{t, s}
			p.refuses(foreignOrigin)
			p.refuses(testOrigin)
			if status, err := p.websocket(s.URL); err != nil {
				t.Errorf("same-origin websocket refused (%d): %v", status, err)
			}
			if logs := s.Logs.String(); !strings.Contains(logs, `"reason":"origin not allowed"`) || strings.Contains(logs, `"level":"ERROR"`) {
				t.Errorf("refused origins are not logged as such, or logged as errors:\n%s", logs)
			}
		})
	}
}

// TestCORSOneOriginList checks that PS_CORS_ORIGINS is the one list HTTP
// and websocket follow: its origin may do all three, another none, and
// the development wildcard allows any.
func TestCORSOneOriginList(t *testing.T) {
	t.Run("listed", func(t *testing.T) {
		p := corsProbe{t, newTestServer(t, testdb.SQLite(t), map[string]string{"PS_CORS_ORIGINS": testOrigin})}
		p.allows(testOrigin)
		p.refuses(foreignOrigin)
		p.refuses("http://dashboard.vendor.test") // the same host on another scheme
	})
	t.Run("wildcard in development", func(t *testing.T) {
		p := corsProbe{t, newTestServer(t, testdb.SQLite(t), map[string]string{"PS_CORS_ORIGINS": "*"})}
		p.allows(testOrigin)
		p.allows(foreignOrigin)
	})
}

// TestCORSAllowsTraceHeaders checks that a preflight asking for the W3C
// trace context and baggage headers is allowed. Browsers list the headers
// lower case, sorted and comma-separated.
func TestCORSAllowsTraceHeaders(t *testing.T) {
	p := corsProbe{t, newTestServer(t, testdb.SQLite(t), nil)}
	for _, asked := range []string{
		"traceparent, tracestate",
		"authorization,baggage,content-type,traceparent,tracestate,x-request-id",
	} {
		h := p.preflight(testOrigin, asked)
		if h.Get("Access-Control-Allow-Origin") != testOrigin {
			t.Fatalf("preflight for %q refused: %v", asked, h)
		}
		allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
		for _, want := range strings.Split(asked, ",") {
			if !strings.Contains(allowed, strings.TrimSpace(want)) {
				t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, want)
			}
		}
	}
}
