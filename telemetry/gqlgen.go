package telemetry

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/prioritysupport/backend/models"
)

// The span attributes of GraphQL operations and resolvers.
const (
	attrOperationName = "graphql.operation.name"
	attrOperationType = "graphql.operation.type"
	attrFieldName     = "graphql.field.name"
	attrFieldPath     = "graphql.field.path"
	attrErrorCodes    = "graphql.error.codes"
)

// GraphQL is the gqlgen extension that traces each query and mutation: a
// span per operation, named "<type> <name>" ("query Balance"), with the
// operation's type and name as attributes and the codes of its errors,
// and a span per resolver ("Query.creditBalance") under it, for fields
// that run a resolver only, not for fields read off a loaded object. The
// variables, the arguments and the document are never recorded: they may
// hold personal data. Subscriptions are not traced (a span would last as
// long as the stream). With tracing off it does nothing.
type GraphQL struct{}

var (
	_ graphql.HandlerExtension     = GraphQL{}
	_ graphql.OperationInterceptor = GraphQL{}
	_ graphql.FieldInterceptor     = GraphQL{}
)

// UseGraphQL adds the GraphQL extension to srv when tracing is on. With
// tracing off (before Setup, too) it adds nothing: gqlgen would call the
// extension around every field.
func UseGraphQL(srv extensible) {
	if On() {
		srv.Use(GraphQL{})
	}
}

// extensible is gqlgen's handler.Server, as UseGraphQL uses it.
type extensible interface {
	Use(graphql.HandlerExtension)
}

// ExtensionName names the extension in gqlgen's stats.
func (GraphQL) ExtensionName() string { return "OpenTelemetry" }

// Validate accepts every schema.
func (GraphQL) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation starts the operation's span; it ends when the
// operation's response has been produced, after its resolvers ran.
func (GraphQL) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if !On() || !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation == ast.Subscription {
		return next(ctx)
	}
	typ := string(oc.Operation.Operation)
	name := oc.Operation.Name
	spanName := typ
	if name != "" {
		spanName += " " + name
	}
	ctx, span := tracer().Start(ctx, spanName, trace.WithAttributes(
		attribute.String(attrOperationType, typ),
		attribute.String(attrOperationName, name),
	))
	responses := next(ctx)
	ended := false
	return func(ctx context.Context) *graphql.Response {
		resp := responses(ctx)
		if !ended {
			ended = true
			endOperation(span, resp)
		}
		return resp
	}
}

// endOperation records the codes of resp's errors on span and ends it.
func endOperation(span trace.Span, resp *graphql.Response) {
	defer span.End()
	if resp == nil || len(resp.Errors) == 0 {
		return
	}
	var list []string
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		if code == "" {
			code = models.CodeInternal
		}
		if !slices.Contains(list, code) {
			list = append(list, code)
		}
	}
	span.SetAttributes(attribute.StringSlice(attrErrorCodes, list))
	span.SetStatus(codes.Error, strconv.Itoa(len(resp.Errors))+" errors")
}

// InterceptField runs a resolver inside its own span, when the operation
// is traced and the field has a resolver.
func (GraphQL) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	if !On() {
		return next(ctx)
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver || !trace.SpanFromContext(ctx).IsRecording() {
		return next(ctx)
	}
	ctx, span := tracer().Start(ctx, fc.Object+"."+fc.Field.Name, trace.WithAttributes(
		attribute.String(attrFieldName, fc.Field.Name),
		attribute.String(attrFieldPath, fc.Path().String()),
	))
	defer span.End()
	res, err := next(ctx)
	if err != nil {
		// The code only: an error's text may name what the caller asked
		// for.
		code := models.CodeInternal
		var appErr *models.Error
		if errors.As(err, &appErr) {
			code = appErr.Code
		}
		span.SetAttributes(attribute.StringSlice(attrErrorCodes, []string{code}))
		span.SetStatus(codes.Error, code)
	}
	return res, err
}
