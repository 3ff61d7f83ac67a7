package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/graph/generated"
	"github.com/prioritysupport/backend/graph/model"
	"github.com/prioritysupport/backend/logging"
	"github.com/prioritysupport/backend/metrics"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// DefaultComplexityLimit bounds how much one query may ask for; each field
// counts one, a paged list its page size times its children, and a nested
// list an expected length (3, or 5 for status history) times its children.
const DefaultComplexityLimit = 5000

// HandlerOptions configure the GraphQL handler.
type HandlerOptions struct {
	Introspection   bool
	ComplexityLimit int // 0 means DefaultComplexityLimit
	Logger          *slog.Logger
	Metrics         *metrics.Metrics
	// Verify checks the token a websocket client sends in its
	// connection_init payload ("Authorization": "Bearer …"); nil refuses
	// websocket connections.
	Verify func(token string) (auth.Caller, error)
	// Origins are the browser origins (CORS) allowed to open a websocket;
	// "*" allows any.
	Origins []string
}

// NewHandler returns the GraphQL HTTP handler (POST and GET) over the
// resolver, with the role directive, the complexity limit, the error
// presenter and panic recovery.
func NewHandler(r *Resolver, opts HandlerOptions) *handler.Server {
	cfg := generated.Config{Resolvers: r}
	cfg.Directives.HasRole = hasRole
	cfg.Complexity.Query.Customers = func(child int, _ *string, first *int, _ *string) int {
		return 1 + pageSize(first)*child
	}
	cfg.Complexity.Customer.SupportSubscriptions = func(child int) int { return 1 + 3*child }
	cfg.Complexity.Customer.Licenses = func(child int) int { return 1 + 3*child }
	cfg.Complexity.SupportSubscription.StatusHistory = func(child int) int { return 1 + 5*child }
	cfg.Complexity.SupportSubscription.SLAHistory = func(child int, months *int) int {
		n := 12 // the schema's default
		if months != nil {
			n = *months
		}
		return 1 + max(n, 1)*child
	}
	cfg.Complexity.Query.Tickets = func(child int, _ *model.TicketFilter, first *int, _ *string) int {
		return 1 + pageSize(first)*child
	}
	cfg.Complexity.Query.PriorityQueue = func(child int, first *int) int { return 1 + pageSize(first)*child }
	cfg.Complexity.Query.CreditLedger = func(child int, _ *string, first *int, _ *string) int {
		return 1 + pageSize(first)*child
	}
	cfg.Complexity.Customer.Settlements = func(child int) int { return 1 + 5*child }
	cfg.Complexity.Ticket.Messages = func(child int) int { return 1 + 5*child }
	cfg.Complexity.Ticket.Clocks = func(child int) int { return 1 + 5*child }

	srv := handler.New(generated.NewExecutableSchema(cfg))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(websocketTransport(opts))
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	limit := opts.ComplexityLimit
	if limit == 0 {
		limit = DefaultComplexityLimit
	}
	srv.Use(extension.FixedComplexityLimit(limit))
	if opts.Metrics != nil {
		srv.Use(opts.Metrics.GraphQL())
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	srv.SetErrorPresenter(presentError(log, opts.Metrics))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		logging.For(ctx, log).Error("panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errors.New("panic in resolver")
	})
	return srv
}

// pageSize is the page size a list argument asks for, as the store reads it.
func pageSize(first *int) int {
	if first == nil || *first <= 0 {
		return store.DefaultPageSize
	}
	return *first
}

// hasRole is the coarse first gate of @hasRole: the services check again.
func hasRole(ctx context.Context, _ any, next graphql.Resolver, roles []auth.Role) (any, error) {
	if _, err := auth.Require(ctx, roles...); err != nil {
		return nil, err
	}
	return next(ctx)
}

// presentError is the one place errors become what clients see: an
// application error keeps its message and gets its code in
// extensions.code; an error gqlgen raised about the request itself (parse,
// validation, complexity) is BAD_USER_INPUT; anything else is logged with
// the request id and shown only as INTERNAL.
func presentError(log *slog.Logger, m *metrics.Metrics) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		var appErr *models.Error
		var code string
		switch {
		case errors.As(err, &appErr):
			code = appErr.Code
			gqlErr.Message = appErr.Message
			if code == models.CodeInternal {
				gqlErr.Message = "internal error"
			}
		case isRequestError(err):
			code = models.CodeBadUserInput
		default:
			code = models.CodeInternal
			logging.For(ctx, log).Error("graphql internal error", "error", err.Error(), "path", gqlErr.Path.String())
			gqlErr.Message = "internal error"
		}
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		gqlErr.Extensions["code"] = code
		if m != nil {
			m.CountError(code)
		}
		return gqlErr
	}
}

// isRequestError reports whether gqlgen raised err about the request
// itself: a *gqlerror.Error that wraps no other error.
func isRequestError(err error) bool {
	var gqlErr *gqlerror.Error
	return errors.As(err, &gqlErr) && gqlErr.Err == nil
}
