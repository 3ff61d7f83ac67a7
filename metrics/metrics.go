// Package metrics owns the Prometheus metrics the server exposes at
// /metrics: HTTP requests by route, GraphQL operations by name with their
// latency, and GraphQL errors by code.
package metrics

import (
	"context"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxOperationNames bounds the operation label: names past this many
// distinct ones are counted as "other", so clients cannot grow the series
// without limit.
const maxOperationNames = 200

// Metrics is the process's metric registry and the collectors in it.
type Metrics struct {
	registry     *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	operations   *prometheus.CounterVec
	opDuration   *prometheus.HistogramVec
	errors       *prometheus.CounterVec

	mu    sync.Mutex
	names map[string]bool
}

// New returns a registry with the Go runtime and process collectors and the
// server's own metrics.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ps_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ps_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ps_graphql_operations_total", Help: "GraphQL operations by operation name and type.",
		}, []string{"operation", "type"}),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ps_graphql_operation_duration_seconds", Help: "GraphQL operation latency by operation name.", Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ps_graphql_errors_total", Help: "GraphQL errors by extensions.code.",
		}, []string{"code"}),
		names: map[string]bool{},
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.operations, m.opDuration, m.errors,
	)
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Registry returns the registry, for collectors added by other packages.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Instrument counts and times the requests of one route.
func (m *Metrics) Instrument(route string, h http.Handler) http.Handler {
	labels := prometheus.Labels{"route": route}
	return promhttp.InstrumentHandlerCounter(m.httpRequests.MustCurryWith(labels),
		promhttp.InstrumentHandlerDuration(m.httpDuration.MustCurryWith(labels), h))
}

// CountError counts one GraphQL error by its extensions.code.
func (m *Metrics) CountError(code string) {
	m.errors.WithLabelValues(code).Inc()
}

// validName is what a GraphQL operation name may be.
var validName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// operationLabel returns the label for an operation name: "anonymous" for
// none, "other" past the bound on distinct names.
func (m *Metrics) operationLabel(name string) string {
	if name == "" {
		return "anonymous"
	}
	if !validName.MatchString(name) {
		return "other"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.names[name] {
		if len(m.names) >= maxOperationNames {
			return "other"
		}
		m.names[name] = true
	}
	return name
}

// GraphQL returns the gqlgen extension that counts and times operations.
func (m *Metrics) GraphQL() graphql.HandlerExtension { return graphqlExtension{m} }

type graphqlExtension struct{ m *Metrics }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = graphqlExtension{}

func (graphqlExtension) ExtensionName() string                   { return "Metrics" }
func (graphqlExtension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse counts an operation once its (first) response is
// ready. Operations that failed to parse or validate are not counted here;
// their errors are, by code.
func (e graphqlExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	start := time.Now()
	resp := next(ctx)
	if oc.Operation != nil {
		name := e.m.operationLabel(oc.Operation.Name)
		e.m.operations.WithLabelValues(name, string(oc.Operation.Operation)).Inc()
		e.m.opDuration.WithLabelValues(name).Observe(time.Since(start).Seconds())
	}
	return resp
}
