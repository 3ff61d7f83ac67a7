package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// clearEnv unsets every OTEL_* variable that decides whether and how
// traces are exported, for the test.
func clearEnv(t *testing.T) {
	for _, k := range []string{EnvEndpoint, EnvTracesEndpoint, EnvProtocol, EnvTracesProtocol, EnvTracesExporter, EnvSDKDisabled,
		"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"} {
		t.Setenv(k, "")
	}
}

// TestSetupWithoutEndpointIsNoop: with no OTLP endpoint, Setup installs
// nothing: the global provider stays the no-op one (its spans record
// nothing and have no ids), tracing is off, and shutdown does nothing.
func TestSetupWithoutEndpointIsNoop(t *testing.T) {
	clearEnv(t)
	shutdown, err := Setup(t.Context(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if On() {
		t.Error("tracing is on without an endpoint")
	}
	if _, isSDK := otel.GetTracerProvider().(*sdktrace.TracerProvider); isSDK {
		t.Error("the global tracer provider is the SDK's")
	}
	_, span := otel.Tracer("test").Start(t.Context(), "span")
	if span.IsRecording() || span.SpanContext().IsValid() {
		t.Errorf("a span of the global provider records (%v) or has ids (%v)", span.IsRecording(), span.SpanContext().IsValid())
	}
	span.End()
	if traced(httptest.NewRequest(http.MethodPost, "/graphql", nil)) {
		t.Error("the HTTP middleware traces requests with tracing off")
	}
	if err := shutdown(t.Context()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// TestEnabled: an endpoint turns tracing on unless the SDK is disabled or
// the exporter is "none".
func TestEnabled(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing", nil, false},
		{"endpoint", map[string]string{EnvEndpoint: "http://127.0.0.1:4318"}, true},
		{"traces endpoint", map[string]string{EnvTracesEndpoint: "http://127.0.0.1:4318/v1/traces"}, true},
		{"blank endpoint", map[string]string{EnvEndpoint: "  "}, false},
		{"sdk disabled", map[string]string{EnvEndpoint: "http://127.0.0.1:4318", EnvSDKDisabled: "true"}, false},
		{"exporter none", map[string]string{EnvEndpoint: "http://127.0.0.1:4318", EnvTracesExporter: "none"}, false},
		{"exporter otlp", map[string]string{EnvEndpoint: "http://127.0.0.1:4318", EnvTracesExporter: "otlp"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Enabled(func(k string) string { return tc.env[k] }); got != tc.want {
				t.Errorf("Enabled = %v, want %v", got, tc.want)
			}
		})
	}
}

// collector is a fake OTLP/HTTP collector keeping the trace export
// requests it receives.
type collector struct {
	mu   sync.Mutex
	reqs []*collectortrace.ExportTraceServiceRequest
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.reqs = append(c.reqs, &req)
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Write(out)
}

// spans returns the names of the spans received, by the service.name and
// deployment.environment of their resource.
func (c *collector) spans() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]string{}
	for _, req := range c.reqs {
		for _, rs := range req.ResourceSpans {
			var service, env string
			for _, kv := range rs.GetResource().GetAttributes() {
				switch kv.Key {
				case "service.name":
					service = kv.GetValue().GetStringValue()
				case "deployment.environment":
					env = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					out[service+"/"+env] = append(out[service+"/"+env], s.Name)
				}
			}
		}
	}
	return out
}

// TestNewProviderExportsOTLP: with OTEL_EXPORTER_OTLP_ENDPOINT set the
// provider sends its spans over OTLP/HTTP when shut down, under the
// service name and resource attributes of the environment (the default
// name without them), and honours OTEL_TRACES_SAMPLER.
func TestNewProviderExportsOTLP(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string // service/environment
		sampled bool
	}{
		{"default name", nil, DefaultServiceName + "/", true},
		{"named", map[string]string{"OTEL_SERVICE_NAME": "ps-test", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=staging"}, "ps-test/staging", true},
		{"traces endpoint", map[string]string{EnvTracesEndpoint: "/v1/traces"}, DefaultServiceName + "/", true},
		{"sampler off", map[string]string{"OTEL_TRACES_SAMPLER": "always_off"}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			c := &collector{}
			srv := httptest.NewServer(c)
			defer srv.Close()
			t.Setenv(EnvEndpoint, srv.URL)
			for k, v := range tc.env {
				if k == EnvTracesEndpoint {
					v = srv.URL + v
				}
				t.Setenv(k, v)
			}
			tp, err := NewProvider(t.Context(), os.Getenv)
			if err != nil || tp == nil {
				t.Fatalf("NewProvider = %v, %v", tp, err)
			}
			_, span := tp.Tracer("test").Start(t.Context(), "checkout")
			span.End()
			if err := tp.Shutdown(t.Context()); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			got := c.spans()
			if !tc.sampled {
				if len(got) != 0 {
					t.Errorf("spans exported with the sampler off: %v", got)
				}
				return
			}
			if names := got[tc.want]; len(names) != 1 || names[0] != "checkout" {
				t.Errorf("exported %v, want [checkout] under %q", got, tc.want)
			}
		})
	}
}

// TestSetupInstallsAndFlushes: with an endpoint Setup turns tracing on,
// installs the provider and the W3C propagator, and its shutdown sends
// the spans not yet exported.
func TestSetupInstallsAndFlushes(t *testing.T) {
	clearEnv(t)
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	t.Setenv(EnvEndpoint, srv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "ps-setup")
	shutdown, err := Setup(t.Context(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer Install(noop.NewTracerProvider())
	if !On() {
		t.Fatal("tracing is off with an endpoint")
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	ctx := otel.GetTextMapPropagator().Extract(t.Context(), propagation.HeaderCarrier(req.Header))
	_, span := otel.Tracer("test").Start(ctx, "request")
	if got := span.SpanContext().TraceID().String(); got != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("trace id %s, want the traceparent's", got)
	}
	span.End()
	if err := shutdown(t.Context()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if names := c.spans()["ps-setup/"]; len(names) != 1 || names[0] != "request" {
		t.Errorf("exported %v, want [request] under ps-setup", c.spans())
	}
}

// TestNewProviderProtocols: grpc builds an exporter too; other protocols
// and exporters are refused, saying what is supported.
func TestNewProviderProtocols(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		wantErr string
	}{
		{map[string]string{EnvProtocol: "grpc"}, ""},
		{map[string]string{EnvTracesProtocol: "grpc", EnvProtocol: "http/json"}, ""},
		{map[string]string{EnvProtocol: "http/json"}, "use http/protobuf or grpc"},
		{map[string]string{EnvTracesExporter: "zipkin"}, "use otlp or none"},
	} {
		env := map[string]string{EnvEndpoint: "http://127.0.0.1:4317"}
		for k, v := range tc.env {
			env[k] = v
		}
		tp, err := NewProvider(t.Context(), func(k string) string { return env[k] })
		switch {
		case tc.wantErr == "" && (err != nil || tp == nil):
			t.Errorf("%v: NewProvider = %v, %v; want a provider", tc.env, tp, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%v: error %v, want one saying %q", tc.env, err, tc.wantErr)
		}
		if tp != nil {
			// Nothing to send: shutting down does not dial.
			tp.Shutdown(t.Context())
		}
	}
}

// TestLogHandler: a record written with the context of a span carries its
// trace_id and span_id, through loggers made With attributes and groups;
// one without a span carries neither. With tracing off Logger leaves a
// logger as it is; a wrapped one is never wrapped twice.
func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	plain := slog.New(slog.NewJSONHandler(&buf, nil))
	if On() || Logger(plain) != plain {
		t.Error("Logger wraps a logger with tracing off")
	}
	log := slog.New(LogHandler(plain.Handler()))
	if Logger(log) != log || LogHandler(log.Handler()) != log.Handler() {
		t.Error("a logger wrapped twice")
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	defer span.End()

	log.With("request_id", "r1").WithGroup("g").InfoContext(ctx, "traced", "k", "v")
	log.InfoContext(context.Background(), "untraced")
	log.Info("no context")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	var traced map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &traced); err != nil {
		t.Fatal(err)
	}
	g, _ := traced["g"].(map[string]any)
	if g[LogTraceID] != span.SpanContext().TraceID().String() || g[LogSpanID] != span.SpanContext().SpanID().String() ||
		traced["request_id"] != "r1" || g["k"] != "v" {
		t.Errorf("traced line %s, want trace %s span %s", lines[0], span.SpanContext().TraceID(), span.SpanContext().SpanID())
	}
	for _, l := range lines[1:] {
		if strings.Contains(l, LogTraceID) || strings.Contains(l, LogSpanID) {
			t.Errorf("untraced line with ids: %s", l)
		}
	}
}

// TestRedactSQL: string literals become ?, whatever they hold; the rest
// of the statement stays.
func TestRedactSQL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT "c"."id" FROM "customers" AS "c" WHERE ("c"."id" = 'abc') LIMIT 1`, `SELECT "c"."id" FROM "customers" AS "c" WHERE ("c"."id" = ?) LIMIT 1`},
		{`INSERT INTO "m" ("from", "body") VALUES ('dee@x.example', 'it''s broken; -- really'), ('a', '')`, `INSERT INTO "m" ("from", "body") VALUES (?, ?), (?, ?)`},
		{`SELECT pg_notify('ps', E'{"a":"b\'c\\"}')`, `SELECT pg_notify(?, ?)`},
		{`UPDATE t SET data = X'00ff', note = e'x', n = 42 WHERE type = 'a'`, `UPDATE t SET data = ?, note = ?, n = 42 WHERE type = ?`},
		{`SELECT 'unterminated`, `SELECT ?`},
		{`BEGIN`, `BEGIN`},
	} {
		if got := RedactSQL(tc.in); got != tc.want {
			t.Errorf("RedactSQL(%s)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}
