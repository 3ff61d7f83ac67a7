package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/testdb"
)

// The two GraphQL websocket subprotocols the server speaks.
var wsSubprotocols = []string{"graphql-transport-ws", "graphql-ws"}

// tokenExpiringAt signs a token with the given roles whose exp is at,
// bypassing the Signer (which cannot mint expired tokens).
func tokenExpiringAt(t testing.TB, at time.Time, roles ...auth.Role) string {
	t.Helper()
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	iat := time.Now()
	if at.Before(iat) {
		iat = at
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "ws-user", "roles": names, "iss": testIssuer, "aud": testAudience,
		"iat": iat.Add(-time.Hour).Unix(), "exp": at.Unix(),
	}).SignedString([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// socket is a raw GraphQL websocket client: it records the messages the
// server sends and the status the server closes with.
type socket struct {
	c        *websocket.Conn
	protocol string
}

// openSocket dials /graphql with the subprotocol and, when origin is not
// empty, that Origin header.
func openSocket(ctx context.Context, url, protocol, origin string) (*socket, error) {
	opts := &websocket.DialOptions{Subprotocols: []string{protocol}}
	if origin != "" {
		opts.HTTPHeader = map[string][]string{"Origin": {origin}}
	}
	c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/graphql", opts)
	if res != nil && res.Body != nil {
		res.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	return &socket{c: c, protocol: protocol}, nil
}

func (s *socket) send(ctx context.Context, v any) error {
	b, _ := json.Marshal(v)
	return s.c.Write(ctx, websocket.MessageText, b)
}

// init sends connection_init, with an Authorization entry when auth is not
// empty.
func (s *socket) init(ctx context.Context, authorization string) error {
	payload := map[string]any{}
	if authorization != "" {
		payload["Authorization"] = authorization
	}
	return s.send(ctx, map[string]any{"type": "connection_init", "payload": payload})
}

// subscribe starts an operation in the socket's protocol.
func (s *socket) subscribe(ctx context.Context, id, query string) error {
	typ := "subscribe"
	if s.protocol == "graphql-ws" {
		typ = "start"
	}
	return s.send(ctx, map[string]any{"id": id, "type": typ, "payload": map[string]any{"query": query}})
}

// untilClosed reads until the socket ends and returns the close status
// (-1 when it ended without one, for instance at ctx's deadline) and the
// messages read before, keep-alives left out.
func (s *socket) untilClosed(ctx context.Context) (websocket.StatusCode, []string) {
	var msgs []string
	for {
		_, b, err := s.c.Read(ctx)
		if err != nil {
			return websocket.CloseStatus(err), msgs
		}
		var m struct{ Type string }
		_ = json.Unmarshal(b, &m)
		if m.Type != "ka" && m.Type != "ping" && m.Type != "pong" {
			msgs = append(msgs, string(b))
		}
	}
}

// readType reads messages until one of type typ (keep-alives skipped) and
// fails the test on anything else.
func (s *socket) readType(t *testing.T, ctx context.Context, typ string) {
	t.Helper()
	for {
		_, b, err := s.c.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		var m struct{ Type string }
		_ = json.Unmarshal(b, &m)
		switch m.Type {
		case typ:
			return
		case "ka", "ping", "pong":
		default:
			t.Fatalf("waiting for %s, got %s", typ, b)
		}
	}
}

// TestWebsocketRefusesBadTokens checks that a connection_init without a
// usable token is answered at once with close code 4401 (4403 for a valid
// token that may not subscribe), never acknowledged, in both subprotocols,
// and leaves one INFO line in the log and no panic.
func TestWebsocketRefusesBadTokens(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	cases := []struct {
		name          string
		authorization func() string
		code          websocket.StatusCode
	}{
		{"no token", func() string { return "" }, 4401},
		{"not bearer", func() string { return "Basic dXNlcjpwYXNz" }, 4401},
		{"garbage token", func() string { return "Bearer not.a.jwt" }, 4401},
		{"wrong key", func() string {
			tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte(strings.Repeat("k", 40)))
			return "Bearer " + tok
		}, 4401},
		{"expired token", func() string { return "Bearer " + tokenExpiringAt(t, time.Now().Add(-time.Hour), auth.RoleSupport) }, 4401},
		{"expired within the leeway", func() string { return "Bearer " + tokenExpiringAt(t, time.Now().Add(-5*time.Second), auth.RoleSupport) }, 4401},
		{"no role that may subscribe", func() string { return "Bearer " + tokenExpiringAt(t, time.Now().Add(time.Hour)) }, 4403},
	}
	for _, protocol := range wsSubprotocols {
		t.Run(protocol, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					before := strings.Count(s.Logs.String(), `"msg":"websocket refused"`)
					ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
					defer cancel()
					ws, err := openSocket(ctx, s.URL, protocol, "")
					if err != nil {
						t.Fatalf("dial: %v", err)
					}
					defer ws.c.CloseNow()
					start := time.Now()
					if err := ws.init(ctx, c.authorization()); err != nil {
						t.Fatal(err)
					}
					code, msgs := ws.untilClosed(ctx)
					if code != c.code {
						t.Fatalf("closed with %d after %v (messages %v), want %d", code, time.Since(start), msgs, c.code)
					}
					for _, m := range msgs {
						if strings.Contains(m, `"connection_ack"`) {
							t.Fatalf("the connection was acknowledged before it was closed: %v", msgs)
						}
					}
					if d := time.Since(start); d > 5*time.Second {
						t.Errorf("refusal took %v", d)
					}
					logs := s.Logs.String()
					if n := strings.Count(logs, `"msg":"websocket refused"`) - before; n != 1 {
						t.Errorf("%d refusal lines, want 1:\n%s", n, logs)
					}
					if strings.Contains(logs, "panic") || strings.Contains(logs, `"level":"ERROR"`) {
						t.Fatalf("the refusal logged a panic or an error:\n%s", logs)
					}
				})
			}
		})
	}
	if logs := s.Logs.String(); strings.Contains(logs, "not.a.jwt") {
		t.Errorf("a token reached the log:\n%s", logs)
	}
}

// TestWebsocketRefusesMalformedInit checks that a connection_init whose
// payload is not a JSON object (which gqlgen gives up on without closing)
// is closed at once with 4400.
func TestWebsocketRefusesMalformedInit(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	for _, protocol := range wsSubprotocols {
		for _, payload := range []any{"Bearer x", []int{1}, 42} {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			ws, err := openSocket(ctx, s.URL, protocol, "")
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer ws.c.CloseNow()
			if err := ws.send(ctx, map[string]any{"type": "connection_init", "payload": payload}); err != nil {
				t.Fatal(err)
			}
			if code, msgs := ws.untilClosed(ctx); code != 4400 {
				t.Errorf("%s, payload %v: closed with %d (messages %v), want 4400", protocol, payload, code, msgs)
			}
		}
	}
	if logs := s.Logs.String(); strings.Count(logs, `"msg":"websocket refused"`) != 6 || strings.Contains(logs, "panic") {
		t.Errorf("want one refusal line per connection and no panic:\n%s", logs)
	}
}

// TestWebsocketEndsWhenItsTokenExpires checks that an acknowledged
// connection, with a subscription running, is closed with 4401 at its
// token's exp, in both subprotocols.
func TestWebsocketEndsWhenItsTokenExpires(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	for _, protocol := range wsSubprotocols {
		t.Run(protocol, func(t *testing.T) {
			// exp has whole seconds: between one and two seconds from now.
			exp := time.Now().Truncate(time.Second).Add(2 * time.Second)
			ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			ws, err := openSocket(ctx, s.URL, protocol, "")
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer ws.c.CloseNow()
			if err := ws.init(ctx, "Bearer "+tokenExpiringAt(t, exp, auth.RoleSupport)); err != nil {
				t.Fatal(err)
			}
			ws.readType(t, ctx, "connection_ack")
			if err := ws.subscribe(ctx, "alerts", `subscription { slaAlerts { level } }`); err != nil {
				t.Fatal(err)
			}
			code, msgs := ws.untilClosed(ctx)
			closedAt := time.Now()
			if code != 4401 {
				t.Fatalf("closed with %d at %v (exp %v, messages %v), want 4401", code, closedAt, exp, msgs)
			}
			if closedAt.Before(exp) {
				t.Fatalf("closed %v before the token expired", exp.Sub(closedAt))
			}
			if late := closedAt.Sub(exp); late > 3*time.Second {
				t.Errorf("closed %v after the token expired", late)
			}
		})
	}
	if logs := s.Logs.String(); strings.Contains(logs, "panic") || strings.Contains(logs, `"level":"ERROR"`) {
		t.Fatalf("logged a panic or an error:\n%s", logs)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(entries)
}

// TestWebsocketRefusalsLeaveNothingBehind opens many connections with a bad
// token or a malformed connection_init and checks that the goroutines and descriptors of the process come
// back to where they were, and that nothing panicked.
func TestWebsocketRefusalsLeaveNothingBehind(t *testing.T) {
	const n = 50
	s := newTestServer(t, testdb.SQLite(t), nil)
	// Even connections send a garbage token, odd ones a payload that is
	// not an object.
	refuse := func(i int) error {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		ws, err := openSocket(ctx, s.URL, wsSubprotocols[i/2%2], "")
		if err != nil {
			return err
		}
		defer ws.c.CloseNow()
		want := websocket.StatusCode(4401)
		if i%2 == 0 {
			err = ws.init(ctx, "Bearer garbage")
		} else {
			want = 4400
			err = ws.send(ctx, map[string]any{"type": "connection_init", "payload": "garbage"})
		}
		if err != nil {
			return err
		}
		if code, msgs := ws.untilClosed(ctx); code != want {
			return errors.New("closed with " + code.String() + " after " + strings.Join(msgs, ","))
		}
		return nil
	}
	// One of each first, so that whatever starts once per process is
	// running before the baseline is taken.
	for i := range 4 {
		if err := refuse(i); err != nil {
			t.Fatal(err)
		}
	}
	settle := func() (goroutines, fds int) {
		runtime.GC()
		return runtime.NumGoroutine(), openFDs(t)
	}
	time.Sleep(100 * time.Millisecond)
	baseG, baseFD := settle()

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- refuse(i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	g, fd := settle()
	for g > baseG || fd > baseFD {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("after %d refusals: %d goroutines (baseline %d), %d descriptors (baseline %d)\n%s", n, g, baseG, fd, baseFD, buf)
		}
		time.Sleep(50 * time.Millisecond)
		g, fd = settle()
	}
	t.Logf("%d refused connections: goroutines %d before, %d after; descriptors %d before, %d after", n, baseG, g, baseFD, fd)
	logs := s.Logs.String()
	if strings.Contains(logs, "panic") {
		t.Fatalf("the log has a panic:\n%s", logs)
	}
	if got := strings.Count(logs, `"msg":"websocket refused"`); got != n+4 {
		t.Errorf("%d refusal lines for %d refusals", got, n+4)
	}
}
