// Package telemetry owns the OpenTelemetry traces: the tracer provider built
// from the standard OTEL_* environment (Setup), and the instrumentation the
// other packages plug in, each the ecosystem's own where one exists: HTTP
// server and client spans (otelhttp), a span per GraphQL operation and per
// resolver (GraphQL), one per SQL query (bunotel, QueryHook), one per River
// job (otelriver, RiverMiddleware), and trace and span ids on the log lines
// of a traced request (LogHandler).
//
// Tracing is on only when an OTLP endpoint is configured
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); off,
// the global tracer provider stays OpenTelemetry's no-op one and every
// instrumentation here skips its work when there is no recording span.
// Spans never carry GraphQL variables, message bodies, mail addresses or
// SQL arguments.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// DefaultServiceName is the service.name of the spans unless
// OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES names another.
const DefaultServiceName = "priority-support"

// instrumentationName names the tracer of the spans this package starts
// itself (GraphQL operations and resolvers, inbound mail).
const instrumentationName = "github.com/prioritysupport/backend/telemetry"

// The environment variables that decide whether traces are exported and
// how; the OpenTelemetry SDK and exporters read the others themselves
// (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER,
// OTEL_TRACES_SAMPLER_ARG, OTEL_EXPORTER_OTLP_HEADERS,
// OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_BSP_*, …).
const (
	EnvEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	EnvProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	EnvTracesExporter = "OTEL_TRACES_EXPORTER"
	EnvSDKDisabled    = "OTEL_SDK_DISABLED"
)

// The OTLP protocols NewProvider speaks.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// Setup builds the tracer provider of the environment (see NewProvider)
// and, when tracing is on, installs it as the global provider with the W3C
// trace-context and baggage propagators. The returned shutdown flushes the
// spans not yet exported and stops the exporter; call it once, after the
// server has stopped. With tracing off nothing is installed and shutdown
// does nothing. It returns an error when the environment asks for an
// exporter or protocol that is not supported, or the exporter cannot be
// built.
func Setup(ctx context.Context, log *slog.Logger) (shutdown func(context.Context) error, err error) {
	if log == nil {
		log = slog.Default()
	}
	tp, err := NewProvider(ctx, os.Getenv)
	if err != nil {
		return nil, err
	}
	if tp == nil {
		return func(context.Context) error { return nil }, nil
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("opentelemetry", "error", err.Error())
	}))
	Install(tp)
	log.Info("tracing on", "protocol", protocol(os.Getenv))
	return func(ctx context.Context) error {
		if err := tp.Shutdown(ctx); err != nil {
			return fmt.Errorf("flush traces: %w", err)
		}
		return nil
	}, nil
}

// Install makes tp the global tracer provider and W3C trace context and
// baggage the global propagators, which every instrumentation here uses;
// tracing is on (On) unless tp is the no-op provider.
func Install(tp trace.TracerProvider) {
	setOn(tp)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
}

// Enabled reports whether getenv configures tracing: an OTLP endpoint
// (general or for traces) is set, the SDK is not disabled
// (OTEL_SDK_DISABLED=true) and the traces exporter is not "none".
func Enabled(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv(EnvSDKDisabled)), "true") {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(getenv(EnvTracesExporter)), "none") {
		return false
	}
	return strings.TrimSpace(getenv(EnvEndpoint)) != "" || strings.TrimSpace(getenv(EnvTracesEndpoint)) != ""
}

// protocol returns the OTLP protocol getenv asks for, the traces-specific
// variable first; ProtocolHTTP when neither is set.
func protocol(getenv func(string) string) string {
	for _, k := range []string{EnvTracesProtocol, EnvProtocol} {
		if p := strings.TrimSpace(getenv(k)); p != "" {
			return p
		}
	}
	return ProtocolHTTP
}

// NewProvider returns the SDK tracer provider getenv configures, or nil
// when tracing is off (see Enabled). Spans go through a batch processor to
// an OTLP exporter (ProtocolHTTP by default, ProtocolGRPC when
// OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL says so), which reads its endpoint,
// headers, timeout and TLS settings from the process environment; the
// sampler comes from OTEL_TRACES_SAMPLER (parent-based, always on, by
// default); the resource is service.name DefaultServiceName overridden by
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. It returns an error for
// an exporter other than "otlp" or "none", a protocol other than the two,
// or an exporter or resource that cannot be built.
func NewProvider(ctx context.Context, getenv func(string) string) (*sdktrace.TracerProvider, error) {
	if !Enabled(getenv) {
		return nil, nil
	}
	if e := strings.TrimSpace(getenv(EnvTracesExporter)); e != "" && !strings.EqualFold(e, "otlp") {
		return nil, fmt.Errorf("tracing: %s=%q is not supported: use otlp or none", EnvTracesExporter, e)
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch p := protocol(getenv); p {
	case ProtocolHTTP:
		exp, err = otlptracehttp.New(ctx)
	case ProtocolGRPC:
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("tracing: OTLP protocol %q is not supported: use %s or %s", p, ProtocolHTTP, ProtocolGRPC)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", DefaultServiceName)),
		resource.WithTelemetrySDK(),
		resource.WithProcessRuntimeName(),
		resource.WithProcessRuntimeVersion(),
		resource.WithFromEnv(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		exp.Shutdown(ctx)
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// tracer returns the tracer of the spans this package starts, from the
// global provider.
func tracer() trace.Tracer {
	return otel.Tracer(instrumentationName)
}
