package telemetry

import (
	"net/http"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// on is whether a recording tracer provider is installed (Install); while
// it is not, the HTTP middleware and transport pass requests straight
// through.
var on atomic.Bool

// On reports whether tracing is on: a tracer provider other than the no-op
// one has been installed.
func On() bool { return on.Load() }

// setOn records whether tp records spans.
func setOn(tp trace.TracerProvider) {
	_, isNoop := tp.(noop.TracerProvider)
	on.Store(tp != nil && !isNoop)
}

// Middleware returns next traced by otelhttp: the W3C traceparent of the
// request (if any) is continued, and each request gets a server span named
// after its method and route ("POST /graphql", once Routes has routed it)
// with the standard HTTP attributes (never the query string's values or
// any header). Health, readiness and metrics probes and websocket upgrades
// (a span as long as the connection says nothing) are not traced; with
// tracing off nothing is.
//
// With tracing off when the handler is built (Setup runs first), next is
// returned as it is, so requests pay nothing for it.
func Middleware(next http.Handler) http.Handler {
	if !On() {
		return next
	}
	return otelhttp.NewHandler(next, "http.server", otelhttp.WithFilter(traced))
}

// traced reports whether r gets a server span.
func traced(r *http.Request) bool {
	if !On() {
		return false
	}
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return false
	}
	return !strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Routes returns mux naming the server span of each request after the
// method and the pattern that routed it ("POST /graphql") and setting its
// http.route, which the middleware cannot see: the mux is behind the other
// middleware, each with its own copy of the request.
func Routes(mux *http.ServeMux) http.Handler {
	if !On() {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if r.Pattern == "" {
			return
		}
		span := trace.SpanFromContext(r.Context())
		if !span.IsRecording() {
			return
		}
		route := r.Pattern
		if _, path, ok := strings.Cut(route, " "); ok {
			route = path
		}
		span.SetName(r.Method + " " + route)
		span.SetAttributes(attribute.String("http.route", route))
	})
}

// Transport returns base (http.DefaultTransport when nil) with a client
// span per request, named "<service> <METHOD>", child of the span of the
// request's context. No trace context is sent along: the far end is
// another company's API. With tracing off requests pass straight through.
func Transport(service string, base http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(base,
		otelhttp.WithFilter(func(*http.Request) bool { return On() }),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return service + " " + r.Method }),
	)
}
