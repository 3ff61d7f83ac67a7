package telemetry

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun/dialect"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// StartStatement starts the client span of one statement run outside Bun
// (a prepared one, whose values are bound, never in its text), named name,
// child of ctx's span; end ends it with the statement's error. With
// tracing off, or outside a recorded operation, it does nothing.
func StartStatement(ctx context.Context, name string, system dialect.Name, query string) (context.Context, func(error)) {
	if !On() || !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, func(error) {}
	}
	ctx, span := tracer().Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.system", dbSystem(system)),
		attribute.String("db.statement", query),
	))
	return ctx, func(err error) {
		// The error's text may quote a value: only its status is kept.
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			span.SetStatus(codes.Error, "statement failed")
		}
		span.End()
	}
}

// dbSystem is the OpenTelemetry db.system of a Bun dialect.
func dbSystem(name dialect.Name) string {
	switch name {
	case dialect.PG:
		return "postgresql"
	case dialect.SQLite:
		return "sqlite"
	}
	return name.String()
}
