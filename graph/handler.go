package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

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
	"github.com/prioritysupport/backend/httperr"
	"github.com/prioritysupport/backend/logging"
	"github.com/prioritysupport/backend/metrics"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
	"github.com/prioritysupport/backend/telemetry"
)

// DefaultComplexityLimit bounds how much one query may ask for; each field
// counts one, a paged list its page size times its children, and a nested
// list an expected length (3, or 5 for status history) times its children.
const DefaultComplexityLimit = 5000

// HandlerOptions configure the GraphQL handler.
type HandlerOptions struct {
	Introspection bool
	// Suggestions lets validation errors say "Did you mean …?", which
	// tells a stranger the schema's names: development only.
	Suggestions bool
	// Limits bound each request; a zero field takes DefaultLimits' value.
	Limits  Limits
	Logger  *slog.Logger
	Metrics *metrics.Metrics
	// Verify checks the token a websocket client sends in its
	// connection_init payload ("Authorization": "Bearer …"); nil refuses
	// websocket connections.
	Verify func(token string) (auth.Caller, error)
	// Origins are the browser origins (CORS) allowed to open a websocket;
	// "*" allows any.
	Origins []string
	// Persisted configures persisted operations (graph/persisted.go).
	Persisted PersistedOptions
}

// NewHandler returns the GraphQL HTTP handler (POST, GET and websocket)
// over the resolver, with the role directive, the request limits, the
// error presenter and panic recovery.
func NewHandler(r *Resolver, opts HandlerOptions) http.Handler {
	limits := opts.Limits.withDefaults()
	cfg := generated.Config{Resolvers: r}
	cfg.Schema = withoutIncrementalDelivery(generated.NewExecutableSchema(cfg).Schema())
	cfg.Directives.HasRole = hasRole
	cfg.Complexity.Query.Customers = func(child int, _ *string, first *int, _ *string, last *int, _ *string) int {
		return listCost(spanSize(first, last), child)
	}
	cfg.Complexity.Customer.SupportSubscriptions = func(child int) int { return listCost(3, child) }
	cfg.Complexity.Customer.Licenses = func(child int) int { return listCost(3, child) }
	cfg.Complexity.SupportSubscription.StatusHistory = func(child int) int { return listCost(5, child) }
	cfg.Complexity.SupportSubscription.SLAHistory = func(child int, months *int) int {
		n := 12 // the schema's default
		if months != nil {
			n = min(max(*months, 1), store.MaxHistoryMonths)
		}
		return listCost(n, child)
	}
	cfg.Complexity.Query.Tickets = func(child int, _ *model.TicketFilter, first *int, _ *string, last *int, _ *string, _ *model.TicketOrder) int {
		return listCost(spanSize(first, last), child)
	}
	cfg.Complexity.Query.PriorityQueue = func(child int, first *int) int { return listCost(pageSize(first), child) }
	cfg.Complexity.Query.CreditLedger = func(child int, _ *string, first *int, _ *string, last *int, _ *string) int {
		return listCost(spanSize(first, last), child)
	}
	connectionComplexity(&cfg)
	cfg.Complexity.Customer.Settlements = func(child int) int { return listCost(5, child) }
	cfg.Complexity.Ticket.Messages = func(child int) int { return listCost(5, child) }
	cfg.Complexity.Ticket.Clocks = func(child int) int { return listCost(5, child) }

	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	cache := boundedCache{lru.New[*ast.QueryDocument](1000)}
	srv := handler.New(generated.NewExecutableSchema(cfg))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(websocketTransport(opts))
	srv.AddTransport(unsupportedTransport{})
	srv.SetQueryCache(cache)
	srv.SetParserTokenLimit(limits.Tokens)
	srv.SetDisableSuggestion(!opts.Suggestions)
	// Before the limits, which check a persisted document like any other.
	persisted, readDocumentID := persistedOperations(opts.Persisted)
	srv.Use(persisted)
	// First of the checks, so a refused document is never validated, and
	// its errors are cut before anything else sees them.
	srv.Use(limitsExtension{limits: limits, introspection: opts.Introspection, passed: cache, log: log})
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.FixedComplexityLimit(limits.Complexity))
	if opts.Metrics != nil {
		srv.Use(opts.Metrics.GraphQL())
	}
	telemetry.UseGraphQL(srv)
	srv.SetErrorPresenter(presentError(log, opts.Metrics, opts.Suggestions))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		logging.For(ctx, log).Error("panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errors.New("panic in resolver")
	})
	var h http.Handler = srv
	if readDocumentID != nil {
		h = readDocumentID(h)
	}
	return withRequestBounds(limits.Timeout, h)
}

// maxCachedQueryBytes is the longest document the query cache keeps, so
// that a thousand distinct documents padded with comments cannot make it
// hold a gigabyte: the cache holds at most 1000 of these (32 MiB).
const maxCachedQueryBytes = 32 << 10

// boundedCache is gqlgen's query cache that keeps no long document; a long
// one is parsed and validated again each time, within the limits.
type boundedCache struct {
	graphql.Cache[*ast.QueryDocument]
}

func (c boundedCache) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	if len(query) <= maxCachedQueryBytes {
		c.Cache.Add(ctx, query, doc)
	}
}

// withoutIncrementalDelivery returns schema without @defer, which gqlgen's
// prelude declares but only its multipart transport delivers: over POST,
// GET and websocket a deferred fragment would be announced and never sent.
// A document that uses it is refused by validation as an unknown directive.
func withoutIncrementalDelivery(schema *ast.Schema) *ast.Schema {
	s := *schema
	s.Directives = make(map[string]*ast.DirectiveDefinition, len(schema.Directives))
	for name, d := range schema.Directives {
		if name != "defer" {
			s.Directives[name] = d
		}
	}
	return &s
}

// listCost is the complexity of a list field of n items whose selections
// cost child each: one for the field and n times child, saturating instead
// of overflowing (n is already clamped to the schema's limits).
func listCost(n, child int) int {
	const ceiling = 1 << 31
	if child <= 0 {
		return 1 + n
	}
	if n > ceiling/child {
		return ceiling
	}
	return min(1+n*child, ceiling)
}

// unsupportedTransport answers what no other transport takes (another
// method, another content type, a broken upgrade) with an error that has a
// code, like every other error.
type unsupportedTransport struct{}

func (unsupportedTransport) Supports(*http.Request) bool { return true }

func (unsupportedTransport) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	switch r.Method {
	case http.MethodGet, http.MethodPost:
		httperr.Write(w, http.StatusUnsupportedMediaType, CodeBadRequest,
			"send a POST with Content-Type: application/json, a GET with ?query=, or a graphql-transport-ws websocket")
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		httperr.Write(w, http.StatusMethodNotAllowed, CodeBadRequest, r.Method+" is not served here: use POST or GET")
	}
}

// pageSize is the page size a list argument asks for, as the store reads
// it, clamped to the store's maximum (the store refuses more).
func pageSize(first *int) int {
	if first == nil || *first <= 0 {
		return store.DefaultPageSize
	}
	return min(*first, store.MaxPageSize)
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
// extensions.code; an error that already has a code (parse and validation
// failures, the limits) keeps it; any other error gqlgen raised about the
// request itself is BAD_USER_INPUT; a request whose time ran out or whose
// client left is TIMEOUT or CANCELED; anything else is logged with the
// request id and shown only as INTERNAL. Without suggestions, "Did you
// mean …?" is cut from every message.
func presentError(log *slog.Logger, m *metrics.Metrics, suggestions bool) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		var appErr *models.Error
		code, _ := gqlErr.Extensions["code"].(string)
		switch {
		case errors.As(err, &appErr):
			code = appErr.Code
			gqlErr.Message = appErr.Message
			if code == models.CodeInternal {
				gqlErr.Message = "internal error"
			}
		case code != "":
		case isRequestError(err):
			code = models.CodeBadUserInput
		case errors.Is(err, context.DeadlineExceeded):
			code = CodeTimeout
			gqlErr.Message = "the request took too long and was stopped"
		case errors.Is(err, context.Canceled):
			code = CodeCanceled
			gqlErr.Message = "the request was canceled"
		default:
			code = models.CodeInternal
			logging.For(ctx, log).Error("graphql internal error", "error", err.Error(), "path", gqlErr.Path.String())
			gqlErr.Message = "internal error"
		}
		if !suggestions {
			if i := strings.Index(gqlErr.Message, " Did you mean"); i >= 0 {
				gqlErr.Message = gqlErr.Message[:i]
			}
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
