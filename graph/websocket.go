package graph

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/httperr"
	"github.com/prioritysupport/backend/logging"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// The close codes of a subscription websocket the server ends on purpose,
// as graphql-transport-ws names them.
const (
	// CloseUnauthenticated ends a connection whose connection_init has no
	// valid, unexpired token, and one whose token expires while it is open.
	CloseUnauthenticated = 4401
	// CloseForbidden ends a connection whose token is valid but names a
	// caller with no role that may read anything, so nothing to subscribe to.
	CloseForbidden = 4403
	// CloseBadInit ends a connection whose connection_init payload is not
	// a JSON object.
	CloseBadInit = 4400
)

// errTokenExpired is the cause with which a connection's context ends at
// its token's exp.
var errTokenExpired = errors.New("token expired")

// OriginAllowed reports whether a browser page at origin may call the API
// from another origin. origins are the allowed origins as configured
// (scheme://host[:port], compared without regard to case), or "*" for any;
// an empty list allows none. It is the one rule of both HTTP CORS and
// websockets.
func OriginAllowed(origins []string, origin string) bool {
	for _, o := range origins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// sameOrigin reports whether origin names the host the request was sent
// to: a page served by this API, which CORS does not concern.
func sameOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// subscriptionTransport serves GraphQL subscriptions over websocket
// (graphql-transport-ws, and the older graphql-ws). It wraps gqlgen's
// transport.Websocket to settle what gqlgen leaves open:
//
//   - The Origin is checked with OriginAllowed, like HTTP CORS, before the
//     upgrade; a foreign origin gets 403 FORBIDDEN as JSON.
//   - The token comes in the connection_init payload, as browsers cannot
//     set headers on a websocket. Without a valid, unexpired one the
//     socket is closed at once with CloseUnauthenticated (CloseForbidden
//     for a caller that may not read anything); the init func hands gqlgen
//     a context carrying that code, which gqlgen's refusal path uses.
//   - The socket ends at the token's exp with CloseUnauthenticated.
//     gqlgen closes a connection whose context is done, but always with
//     1000, and its connection is not reachable from outside. So Do gives
//     each connection its own copy of the transport whose Implementation
//     wraps the accepted socket (socketConn) and whose InitFunc tells
//     that wrapper the connection's context; when gqlgen then closes with
//     1000 because the context reached the token's exp, the wrapper writes
//     4401 instead. gqlgen thus still owns the whole teardown (operations
//     cancelled, socket closed once); only the code changes.
//   - gqlgen returns without closing the socket when the connection_init
//     payload is not a JSON object; Do closes it then, with CloseBadInit.
type subscriptionTransport struct {
	ws      transport.Websocket
	origins []string
	verify  func(token string) (auth.Caller, error)
	log     *slog.Logger
}

// websocketTransport returns the websocket transport of opts.
func websocketTransport(opts HandlerOptions) graphql.Transport {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return subscriptionTransport{
		ws: transport.Websocket{
			// Do has checked the origin with OriginAllowed, the rule HTTP
			// CORS follows too; coder/websocket's own check (host patterns,
			// ignoring the scheme) would be a second, different rule.
			Implementation:        transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{InsecureSkipVerify: true}},
			KeepAlivePingInterval: 20 * time.Second,
			InitTimeout:           10 * time.Second,
		},
		origins: opts.Origins,
		verify:  opts.Verify,
		log:     log,
	}
}

// Supports reports whether r asks for a websocket upgrade.
func (t subscriptionTransport) Supports(r *http.Request) bool { return t.ws.Supports(r) }

// Do refuses a foreign origin with 403, then serves the connection until
// it ends, closing it if gqlgen gave it up without doing so.
func (t subscriptionTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(r, origin) && !OriginAllowed(t.origins, origin) {
		logging.For(r.Context(), t.log).Info("websocket refused", "reason", "origin not allowed", "origin", truncate(origin, 100))
		httperr.Write(w, http.StatusForbidden, models.CodeForbidden, "origin not allowed")
		return
	}
	conn := &socketConn{log: t.log}
	ws := t.ws
	ws.Implementation = acceptInto{inner: t.ws.Implementation, conn: conn}
	ws.InitFunc = func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		conn.initialised()
		return t.init(ctx, p, conn)
	}
	ws.Do(w, r, exec)
	if conn.abandoned() {
		logging.For(r.Context(), t.log).Info("websocket refused", "code", CloseBadInit, "reason", "connection_init payload is not an object")
		_ = conn.WriteClose(CloseBadInit, "connection_init payload is not an object")
		_ = conn.Close()
	}
}

// init authenticates a connection_init. A refusal returns, with the error,
// a context carrying the close code and reason, and logs one INFO line; an
// accepted connection gets the caller in its context and a deadline at the
// token's exp.
func (t subscriptionTransport) init(ctx context.Context, p transport.InitPayload, conn *socketConn) (context.Context, *transport.InitPayload, error) {
	caller, code, reason := t.authenticate(ctx, p)
	if code != 0 {
		reason = truncate(reason, 123) // the most a close frame holds
		logging.For(ctx, t.log).Info("websocket refused", "code", code, "reason", reason)
		ctx = transport.WithWebsocketCloseCode(ctx, code)
		ctx = transport.AppendCloseReason(ctx, reason)
		return ctx, nil, errors.New(reason)
	}
	ctx = auth.WithCaller(ctx, caller)
	if !caller.ExpiresAt.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(ctx, caller.ExpiresAt, errTokenExpired)
		conn.endsWith(ctx, cancel)
	}
	return ctx, nil, nil
}

// authenticate returns the caller of a connection_init payload, or the
// close code and reason to refuse it with. The reason never holds the
// token.
func (t subscriptionTransport) authenticate(ctx context.Context, p transport.InitPayload) (auth.Caller, int, string) {
	if t.verify == nil {
		return auth.Caller{}, CloseForbidden, "subscriptions are not enabled"
	}
	token, ok := strings.CutPrefix(strings.TrimSpace(p.Authorization()), "Bearer ")
	if token = strings.TrimSpace(token); !ok || token == "" {
		return auth.Caller{}, CloseUnauthenticated, `connection_init needs {"Authorization": "Bearer <token>"}`
	}
	caller, err := t.verify(token)
	if err != nil {
		return auth.Caller{}, CloseUnauthenticated, models.ErrorMessage(err)
	}
	// The verifier allows some clock skew on exp; a connection that would
	// be closed as soon as it opened is refused instead.
	if !caller.ExpiresAt.IsZero() && !time.Now().Before(caller.ExpiresAt) {
		return auth.Caller{}, CloseUnauthenticated, "token expired"
	}
	if _, err := store.ReadScope(auth.WithCaller(ctx, caller)); err != nil {
		return auth.Caller{}, CloseForbidden, models.ErrorMessage(err)
	}
	return caller, 0, ""
}

// acceptInto is a WebsocketImplementation that wraps the socket inner
// accepts into conn.
type acceptInto struct {
	inner transport.WebsocketImplementation
	conn  *socketConn
}

// Accept accepts the websocket with inner and returns conn around it.
func (a acceptInto) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := a.inner.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	a.conn.WebsocketConn = c
	return a.conn, nil
}

// socketConn is an accepted websocket whose normal closure becomes
// CloseUnauthenticated once the connection's context has ended at the
// token's exp, and which knows whether gqlgen got as far as the init func
// or a close. It passes the read limit and read deadline on to the socket
// it wraps.
type socketConn struct {
	transport.WebsocketConn
	log *slog.Logger

	mu      sync.Mutex
	ctx     context.Context // the connection's context, once authenticated
	cancel  context.CancelFunc
	inited  bool // the init func ran
	closing bool // WriteClose or Close was called
}

// initialised records that the init func ran.
func (c *socketConn) initialised() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inited = true
}

// abandoned reports whether a socket was accepted but neither reached the
// init func nor was closed.
func (c *socketConn) abandoned() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.WebsocketConn != nil && !c.inited && !c.closing
}

// endsWith records the connection's context and the func that releases
// its timer.
func (c *socketConn) endsWith(ctx context.Context, cancel context.CancelFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ctx, c.cancel = ctx, cancel
}

// WriteClose starts the close handshake with code and reason, or with
// CloseUnauthenticated when the token has expired.
func (c *socketConn) WriteClose(code int, reason string) error {
	c.mu.Lock()
	ctx := c.ctx
	c.closing = true
	c.mu.Unlock()
	if code == transport.WebsocketCloseNormalClosure && ctx != nil && errors.Is(context.Cause(ctx), errTokenExpired) {
		code, reason = CloseUnauthenticated, errTokenExpired.Error()
		logging.For(ctx, c.log).Info("websocket closed", "code", code, "reason", reason)
	}
	return c.WebsocketConn.WriteClose(code, reason)
}

// Close closes the socket and releases the expiry timer.
func (c *socketConn) Close() error {
	c.mu.Lock()
	cancel := c.cancel
	c.closing = true
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return c.WebsocketConn.Close()
}

// SetReadLimit passes the limit on to the socket, when it takes one.
func (c *socketConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

// SetReadDeadline passes the deadline on to the socket, when it takes one.
func (c *socketConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// truncate returns s cut to at most n bytes.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
