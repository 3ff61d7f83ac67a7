package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/prioritysupport/backend/logging"
)

// Limits bound what one GraphQL request may cost. Every limit is checked
// before the work it bounds: the document's shape right after parsing and
// before validation (whose cost grows with the shape), the complexity before
// any resolver runs, the response's size while it is resolved. A request
// over a limit is refused with a clear message and changes nothing.
type Limits struct {
	// Tokens caps the lexical tokens of a document; parsing stops there.
	Tokens int
	// Depth caps how deep selections nest, fragments expanded.
	Depth int
	// Selections caps the fields, fragment spreads and inline fragments of
	// a document, each fragment counted every time it is spread: a fragment
	// spread twice per level counts twice, and is walked once.
	Selections int
	// Aliases caps the aliased fields of a document, counted like Selections.
	Aliases int
	// Overlaps caps the pairs of fields that answer the same place of the
	// response (the same path of response keys, fragments expanded), which
	// validation must compare with each other one pair at a time: a field
	// repeated k times costs k(k-1)/2.
	Overlaps int
	// Directives caps the directives written in a document.
	Directives int
	// Complexity caps the cost of an operation: each field one, a list its
	// page size (clamped to the schema's maximum first) times its children.
	Complexity int
	// Errors caps the errors of one response; the rest are summed up in a
	// last error.
	Errors int
	// ResponseBytes caps the size of one response's data, strings counted
	// by their length, so a large text asked for many times is refused.
	ResponseBytes int64
	// Timeout ends an HTTP request's work when it runs longer; a client
	// that goes away ends it too. Websocket operations are not timed.
	Timeout time.Duration
}

// DefaultLimits are the limits of a server that sets none: far above what
// the dashboard asks (its heaviest page is 94 selections, 8 deep) and far
// below what costs the server more than a few milliseconds.
func DefaultLimits() Limits {
	return Limits{
		Tokens:        5000,
		Depth:         15,
		Selections:    500,
		Aliases:       30,
		Overlaps:      2000,
		Directives:    50,
		Complexity:    DefaultComplexityLimit,
		Errors:        50,
		ResponseBytes: 8 << 20,
		Timeout:       30 * time.Second,
	}
}

// withDefaults returns l with each zero limit set to DefaultLimits'.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	pick := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	l.Tokens = pick(l.Tokens, d.Tokens)
	l.Depth = pick(l.Depth, d.Depth)
	l.Selections = pick(l.Selections, d.Selections)
	l.Aliases = pick(l.Aliases, d.Aliases)
	l.Overlaps = pick(l.Overlaps, d.Overlaps)
	l.Directives = pick(l.Directives, d.Directives)
	l.Complexity = pick(l.Complexity, d.Complexity)
	l.Errors = pick(l.Errors, d.Errors)
	if l.ResponseBytes <= 0 {
		l.ResponseBytes = d.ResponseBytes
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}

// Error codes of refused requests, beside those of models.Error and
// gqlgen's GRAPHQL_PARSE_FAILED and GRAPHQL_VALIDATION_FAILED.
const (
	// CodeResponseTooLarge: the data asked for is over Limits.ResponseBytes.
	CodeResponseTooLarge = "RESPONSE_TOO_LARGE"
	// CodeTooManyErrors: the last error of a response whose other errors
	// were cut at Limits.Errors.
	CodeTooManyErrors = "TOO_MANY_ERRORS"
	// CodeComplexityLimit is gqlgen's code for an operation over
	// Limits.Complexity.
	CodeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"
	// CodeTimeout: the request ran past Limits.Timeout and was stopped.
	CodeTimeout = "TIMEOUT"
	// CodeCanceled: the client went away before the answer.
	CodeCanceled = "CANCELED"
	// CodeBadRequest: the HTTP request itself is unusable (a method or
	// transport the endpoint does not serve, a mutation over GET).
	CodeBadRequest = "BAD_REQUEST"
)

func init() {
	errcode.RegisterErrorType(CodeResponseTooLarge, errcode.KindProtocol)
	errcode.RegisterErrorType(CodeBadRequest, errcode.KindProtocol)
	errcode.RegisterErrorType(CodeComplexityLimit, errcode.KindProtocol)
}

// limitsExtension enforces Limits inside gqlgen's pipeline.
type limitsExtension struct {
	limits        Limits
	introspection bool
	// passed holds the documents that were parsed, checked and validated
	// before (gqlgen's query cache): they are not checked again.
	passed graphql.Cache[*ast.QueryDocument]
	log    *slog.Logger
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
	graphql.FieldInterceptor
} = limitsExtension{}

func (limitsExtension) ExtensionName() string                   { return "Limits" }
func (limitsExtension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters checks the document before gqlgen parses and
// validates it: it parses with the token limit and walks the result once,
// each fragment once, so no shape costs more than its size.
func (e limitsExtension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if _, ok := e.passed.Get(ctx, p.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, e.limits.Tokens)
	if err != nil {
		gqlErr, ok := err.(*gqlerror.Error)
		if !ok {
			gqlErr = gqlerror.Errorf("%s", err.Error())
		}
		errcode.Set(gqlErr, errcode.ParseFailed)
		return gqlErr
	}
	if gqlErr := checkDocument(doc, e.limits, e.introspection); gqlErr != nil {
		errcode.Set(gqlErr, errcode.ValidationFailed)
		logging.For(ctx, e.log).Info("graphql request refused", "reason", gqlErr.Message)
		return gqlErr
	}
	return nil
}

// MutateOperationContext refuses a mutation or subscription sent over GET,
// which a link or a crawler could otherwise trigger, and an Int variable
// outside 32 bits (gqlgen checks the range of literals only), before the
// complexity reads them.
func (limitsExtension) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if method, _ := ctx.Value(methodKey{}).(string); method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		err := gqlerror.Errorf("a %s must be sent with POST; GET carries queries only", opCtx.Operation.Operation)
		errcode.Set(err, CodeBadRequest)
		return err
	}
	for _, v := range opCtx.Operation.VariableDefinitions {
		if v.Type.Name() == "Int" && !fitsInt32(opCtx.Variables[v.Variable]) {
			err := gqlerror.Errorf("variable $%s: Int cannot represent a value outside 32 bits", v.Variable)
			errcode.Set(err, errcode.ValidationFailed)
			return err
		}
	}
	return nil
}

// fitsInt32 reports whether v, a coerced Int variable or a list of them,
// lies within a 32-bit signed integer.
func fitsInt32(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case []any:
		for _, e := range v {
			if !fitsInt32(e) {
				return false
			}
		}
		return true
	case json.Number:
		_, err := strconv.ParseInt(string(v), 10, 32)
		return err == nil
	case int64:
		return v >= math.MinInt32 && v <= math.MaxInt32
	case int:
		return v >= math.MinInt32 && v <= math.MaxInt32
	case float64:
		return v >= math.MinInt32 && v <= math.MaxInt32
	}
	return true
}

// budget is what is left of one response's byte allowance.
type budget struct {
	left     atomic.Int64
	exceeded atomic.Bool
}

type budgetKey struct{}

// InterceptResponse gives each response (each event of a subscription) its
// own byte budget, replaces the data of one that ran over it by a single
// error, and cuts the error list at Limits.Errors.
func (e limitsExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	b := &budget{}
	b.left.Store(e.limits.ResponseBytes)
	resp := next(context.WithValue(ctx, budgetKey{}, b))
	if resp == nil {
		return nil
	}
	if b.exceeded.Load() {
		err := gqlerror.Errorf("the response would be larger than %d bytes: ask for fewer fields or smaller pages", e.limits.ResponseBytes)
		errcode.Set(err, CodeResponseTooLarge)
		resp.Data = nil
		resp.Errors = gqlerror.List{err}
		return resp
	}
	if n := len(resp.Errors); n > e.limits.Errors {
		more := gqlerror.Errorf("%d more errors not shown", n-e.limits.Errors)
		errcode.Set(more, CodeTooManyErrors)
		resp.Errors = append(resp.Errors[:e.limits.Errors:e.limits.Errors], more)
	}
	return resp
}

// InterceptField charges each resolved field to the response's budget: its
// name, and its value's size (a string its length). Once the budget is
// spent, fields resolve to an error without running.
func (limitsExtension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil {
		return next(ctx)
	}
	if b.exceeded.Load() {
		return nil, responseTooLarge()
	}
	res, err := next(ctx)
	cost := int64(len(graphql.GetFieldContext(ctx).Field.Alias)) + valueSize(res)
	if b.left.Add(-cost) < 0 {
		b.exceeded.Store(true)
		return nil, responseTooLarge()
	}
	return res, err
}

// responseTooLarge is the error of a field not resolved once the budget is
// spent (a new one each time: gqlgen adds the field's path to it); the
// response then carries one error saying why instead.
func responseTooLarge() error {
	return &gqlerror.Error{Message: "response too large", Extensions: map[string]any{"code": CodeResponseTooLarge}}
}

// valueSize estimates the bytes a resolved value adds to the response: a
// string its length, a list of strings their lengths, anything else a few
// bytes of punctuation and number (an object's fields are charged as they
// resolve).
func valueSize(v any) int64 {
	const overhead = 8
	switch v := v.(type) {
	case string:
		return overhead + int64(len(v))
	case *string:
		if v != nil {
			return overhead + int64(len(*v))
		}
	case []string:
		n := int64(overhead)
		for _, s := range v {
			n += overhead + int64(len(s))
		}
		return n
	}
	return overhead
}

type methodKey struct{}

// withRequestBounds gives an HTTP request's operation a deadline and
// records its method for MutateOperationContext; a client that goes away
// cancels the request's context, and with it the work.
func withRequestBounds(timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r) // a websocket lives as long as its token
			return
		}
		ctx := context.WithValue(r.Context(), methodKey{}, r.Method)
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// shape is what a selection set holds with its fragments expanded.
type shape struct {
	selections, aliases, depth int
}

// checkDocument returns an error when doc is over the limits, or selects
// the schema's introspection fields while introspection is off. It visits
// every fragment once (memoised), so a chain of fragments each spreading
// the previous twice costs its length, not two to its length.
func checkDocument(doc *ast.QueryDocument, l Limits, introspection bool) *gqlerror.Error {
	c := &shapeChecker{
		fragments:     make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		memo:          make(map[string]shape, len(doc.Fragments)),
		visiting:      make(map[string]bool),
		introspection: introspection,
	}
	for _, f := range doc.Fragments {
		if _, dup := c.fragments[f.Name]; !dup {
			c.fragments[f.Name] = f
		}
	}
	var total shape
	for _, op := range doc.Operations {
		c.directives += len(op.Directives)
		for _, v := range op.VariableDefinitions {
			c.directives += len(v.Directives)
		}
		total = total.plus(c.selectionSet(op.SelectionSet))
	}
	// A fragment no operation spreads is still validated, so it counts.
	for _, f := range doc.Fragments {
		if _, reached := c.memo[f.Name]; !reached && c.fragments[f.Name] == f {
			total = total.plus(c.fragment(f.Name))
		}
	}
	switch {
	case c.err != nil:
		return c.err
	case total.depth > l.Depth:
		return gqlerror.Errorf("selections nest %d deep; the limit is %d", total.depth, l.Depth)
	case total.aliases > l.Aliases:
		return gqlerror.Errorf("the document has %s aliased fields (each spread counted); the limit is %d", countText(total.aliases), l.Aliases)
	case total.selections > l.Selections:
		return gqlerror.Errorf("the document selects %s fields and fragments (each spread counted); the limit is %d", countText(total.selections), l.Selections)
	case c.directives > l.Directives:
		return gqlerror.Errorf("the document has %d directives; the limit is %d", c.directives, l.Directives)
	}
	// Within the limits above, expanding every fragment visits at most
	// l.Selections selections.
	keys := make(map[string]int)
	for _, op := range doc.Operations {
		c.responseKeys(op.SelectionSet, "", keys)
	}
	for _, f := range doc.Fragments {
		c.responseKeys(f.SelectionSet, "fragment "+f.Name, keys)
	}
	overlaps := 0
	for _, n := range keys {
		overlaps += n * (n - 1) / 2
	}
	if overlaps > l.Overlaps {
		return gqlerror.Errorf("the document repeats fields at the same place of the response %d times over (pairs to compare); the limit is %d", overlaps, l.Overlaps)
	}
	return nil
}

// responseKeys counts, for each path of response keys below prefix, the
// fields that answer it, fragments expanded.
func (c *shapeChecker) responseKeys(set ast.SelectionSet, prefix string, keys map[string]int) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			path := prefix + "." + sel.Alias
			keys[path]++
			c.responseKeys(sel.SelectionSet, path, keys)
		case *ast.FragmentSpread:
			if f := c.fragments[sel.Name]; f != nil && !c.visiting[sel.Name] {
				c.visiting[sel.Name] = true
				c.responseKeys(f.SelectionSet, prefix, keys)
				delete(c.visiting, sel.Name)
			}
		case *ast.InlineFragment:
			c.responseKeys(sel.SelectionSet, prefix, keys)
		}
	}
}

// countText writes a saturated count as "more than" the largest int.
func countText(n int) string {
	if n == maxCount {
		return fmt.Sprintf("more than %d", maxCount-1)
	}
	return fmt.Sprint(n)
}

type shapeChecker struct {
	fragments     map[string]*ast.FragmentDefinition
	memo          map[string]shape
	visiting      map[string]bool
	directives    int
	introspection bool
	err           *gqlerror.Error
}

// maxCount is where counts saturate: far above every limit, far below
// overflow when added.
const maxCount = 1 << 40

func (s shape) plus(o shape) shape {
	return shape{
		selections: min(s.selections+o.selections, maxCount),
		aliases:    min(s.aliases+o.aliases, maxCount),
		depth:      max(s.depth, o.depth),
	}
}

func (c *shapeChecker) selectionSet(set ast.SelectionSet) shape {
	var out shape
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			c.directives += len(sel.Directives)
			if !c.introspection && (sel.Name == "__schema" || sel.Name == "__type") && c.err == nil {
				c.err = gqlerror.Errorf("introspection is disabled on this server")
			}
			child := c.selectionSet(sel.SelectionSet)
			f := shape{selections: 1, depth: 1}
			if sel.Alias != sel.Name {
				f.aliases = 1
			}
			f = f.plus(child)
			f.depth = child.depth + 1
			out = out.plus(f)
		case *ast.FragmentSpread:
			c.directives += len(sel.Directives)
			out = out.plus(shape{selections: 1}).plus(c.fragment(sel.Name))
		case *ast.InlineFragment:
			c.directives += len(sel.Directives)
			out = out.plus(shape{selections: 1}).plus(c.selectionSet(sel.SelectionSet))
		}
	}
	return out
}

// fragment returns the expanded shape of the named fragment, computed once.
// An unknown fragment or a cycle counts nothing here: validation refuses
// both.
func (c *shapeChecker) fragment(name string) shape {
	if s, ok := c.memo[name]; ok {
		return s
	}
	f := c.fragments[name]
	if f == nil || c.visiting[name] {
		return shape{}
	}
	c.visiting[name] = true
	c.directives += len(f.Directives)
	s := c.selectionSet(f.SelectionSet)
	delete(c.visiting, name)
	c.memo[name] = s
	return s
}
