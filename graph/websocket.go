package graph

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/models"
)

// websocketTransport serves GraphQL subscriptions over websocket
// (graphql-transport-ws, and the older graphql-ws). The token comes in the
// connection_init payload, as browsers cannot set headers on a websocket;
// a connection without a valid one is closed before any operation runs.
func websocketTransport(opts HandlerOptions) transport.Websocket {
	var patterns []string
	for _, o := range opts.Origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			patterns = append(patterns, u.Host)
		} else if o == "*" {
			patterns = append(patterns, "*")
		}
	}
	return transport.Websocket{
		Implementation:        transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{OriginPatterns: patterns}},
		KeepAlivePingInterval: 20 * time.Second,
		InitTimeout:           10 * time.Second,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			if opts.Verify == nil {
				return nil, nil, errors.New("subscriptions are not enabled")
			}
			token, ok := strings.CutPrefix(strings.TrimSpace(p.Authorization()), "Bearer ")
			if !ok || token == "" {
				return nil, nil, errors.New(`connection_init needs {"Authorization": "Bearer <token>"}`)
			}
			caller, err := opts.Verify(strings.TrimSpace(token))
			if err != nil {
				return nil, nil, errors.New(models.ErrorMessage(err))
			}
			ctx = auth.WithCaller(ctx, caller)
			if !caller.ExpiresAt.IsZero() {
				// The connection ends with the token: gqlgen closes it
				// when its context is done, with this reason.
				ctx = transport.AppendCloseReason(ctx, "token expired")
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, caller.ExpiresAt)
				context.AfterFunc(ctx, cancel) // releases the timer when the connection ends first
			}
			return ctx, nil, nil
		},
	}
}
