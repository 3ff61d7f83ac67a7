package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/prioritysupport/backend/inbound"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/jobs"
	"github.com/prioritysupport/backend/telemetry"
)

// recordTraces installs a tracer provider that keeps every span in memory,
// for the rest of the test; afterwards tracing is off again.
func recordTraces(t *testing.T) (*tracetest.SpanRecorder, trace.Tracer) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	telemetry.Install(tp)
	t.Cleanup(func() {
		telemetry.Install(noop.NewTracerProvider())
		tp.Shutdown(context.Background())
	})
	return rec, tp.Tracer("telemetry_test")
}

// traceparent returns a W3C traceparent header of a new sampled trace and
// its trace and parent span ids, as a caller's own tracing would send.
func traceparent(t *testing.T) (header string, tid trace.TraceID, parent trace.SpanID) {
	t.Helper()
	rand.Read(tid[:])
	rand.Read(parent[:])
	return "00-" + tid.String() + "-" + parent.String() + "-01", tid, parent
}

// ended returns the ended spans of trace tid, waiting until one named
// want has ended too (a server span ends just after its response is
// sent), or failing the test after ten seconds.
func ended(t *testing.T, rec *tracetest.SpanRecorder, tid trace.TraceID, want string) []sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var spans []sdktrace.ReadOnlySpan
		found := false
		for _, s := range rec.Ended() {
			if s.SpanContext().TraceID() == tid {
				spans = append(spans, s)
				found = found || s.Name() == want
			}
		}
		if found {
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("no span %q in trace %s; spans of the trace:\n%s", want, tid, spanList(spans))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// spanList describes spans for a failure message.
func spanList(spans []sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "\t%s (%s, parent %s)\n", s.Name(), s.SpanContext().SpanID(), s.Parent().SpanID())
	}
	return b.String()
}

// onlySpan returns the one span named name, failing the test unless there
// is exactly one.
func onlySpan(t *testing.T, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans named %q, want 1; spans:\n%s", len(found), name, spanList(spans))
	}
	return found[0]
}

// childrenOf returns the spans whose parent is s.
func childrenOf(spans []sdktrace.ReadOnlySpan, s sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, c := range spans {
		if c.Parent().SpanID() == s.SpanContext().SpanID() {
			out = append(out, c)
		}
	}
	return out
}

// sqlSpans returns the spans of SQL statements among spans.
func sqlSpans(spans []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if _, ok := attr(s, "db.statement"); ok && s.SpanKind() == trace.SpanKindClient {
			out = append(out, s)
		}
	}
	return out
}

// attr returns the value of span s's attribute key.
func attr(s sdktrace.ReadOnlySpan, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// wantAttr fails the test unless span s has attribute key with value want.
func wantAttr(t *testing.T, s sdktrace.ReadOnlySpan, key attribute.Key, want string) {
	t.Helper()
	if v, ok := attr(s, key); !ok || v.Emit() != want {
		t.Errorf("span %q: %s = %q (set: %v), want %q", s.Name(), key, v.Emit(), ok, want)
	}
}

// noneContains fails the test if an attribute of any of spans holds
// secret.
func noneContains(t *testing.T, spans []sdktrace.ReadOnlySpan, secret string) {
	t.Helper()
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.Emit(), secret) {
				t.Errorf("span %q attribute %s holds %q: %s", s.Name(), kv.Key, secret, kv.Value.Emit())
			}
		}
	}
}

// TestTracing sends requests with a W3C traceparent through the real
// server and checks the spans each leaves in the caller's trace, on both
// databases: HTTP → GraphQL operation → resolver → SQL; HTTP → inbound
// mail → SQL; a River job linked to the operation that enqueued it; a
// Stripe call; and the trace ids on the request's log lines.
func TestTracing(t *testing.T) {
	rec, tracer := recordTraces(t)
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		f := s.mustPriorityCustomer("Traced Ltd", time.Now().AddDate(0, -2, 0), "traced.example")

		t.Run("graphql", func(t *testing.T) {
			header, tid, parent := traceparent(t)
			body, _ := json.Marshal(map[string]any{
				"query":     `query Balance($c: ID) { creditBalance(customerId: $c) { cents currency } }`,
				"variables": map[string]any{"c": f.CustomerID},
			})
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+s.customerToken(f))
			req.Header.Set("Traceparent", header)
			if r := s.do(req); r.Status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("creditBalance: %d %s", r.Status, r.Raw)
			}
			spans := ended(t, rec, tid, "POST /graphql")

			server := onlySpan(t, spans, "POST /graphql")
			if server.Parent().SpanID() != parent || !server.Parent().IsRemote() || server.SpanKind() != trace.SpanKindServer {
				t.Errorf("server span: parent %s (remote %v), kind %v; want the caller's %s, remote, server",
					server.Parent().SpanID(), server.Parent().IsRemote(), server.SpanKind(), parent)
			}
			wantAttr(t, server, "http.route", "/graphql")
			op := onlySpan(t, spans, "query Balance")
			if op.Parent().SpanID() != server.SpanContext().SpanID() {
				t.Errorf("operation span's parent is %s, want the server span %s", op.Parent().SpanID(), server.SpanContext().SpanID())
			}
			wantAttr(t, op, "graphql.operation.name", "Balance")
			wantAttr(t, op, "graphql.operation.type", "query")
			resolver := onlySpan(t, spans, "Query.creditBalance")
			if resolver.Parent().SpanID() != op.SpanContext().SpanID() {
				t.Errorf("resolver span's parent is %s, want the operation span %s", resolver.Parent().SpanID(), op.SpanContext().SpanID())
			}
			// Fields read off the loaded object run no resolver: no span.
			for _, sp := range spans {
				if strings.HasPrefix(sp.Name(), "Money.") {
					t.Errorf("span %q for a field without a resolver", sp.Name())
				}
			}
			queries := sqlSpans(childrenOf(spans, resolver))
			if len(queries) == 0 {
				t.Fatalf("no SQL span under the resolver; spans:\n%s", spanList(spans))
			}
			for _, q := range queries {
				wantAttr(t, q, "db.system", map[bool]string{true: "postgresql", false: "sqlite"}[strings.HasPrefix(databaseURL, "postgres")])
			}
			// Neither the variables nor the statements' arguments.
			noneContains(t, spans, f.CustomerID)

			// The access log line of the request carries its trace.
			var logged bool
			sc := bufio.NewScanner(strings.NewReader(s.Logs.String()))
			for sc.Scan() {
				var line map[string]any
				if json.Unmarshal(sc.Bytes(), &line) != nil || line["trace_id"] != tid.String() || line["msg"] != "request" {
					continue
				}
				if line["span_id"] != server.SpanContext().SpanID().String() {
					t.Errorf("access log line with span_id %v, want the server span's %s: %s", line["span_id"], server.SpanContext().SpanID(), sc.Text())
				}
				logged = true
			}
			if !logged {
				t.Errorf("no access log line with trace_id %s:\n%s", tid, s.Logs)
			}
		})

		t.Run("inbound mail", func(t *testing.T) {
			header, tid, parent := traceparent(t)
			msgID := "traced-" + hex.EncodeToString(parent[:]) + "@traced.example"
			raw := email{From: "dee@traced.example", Subject: "Export fails", MessageID: msgID, Received: time.Now(), Body: "my secret body"}.raw()
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/inbound/email", bytes.NewReader(raw))
			req.Header.Set("Content-Type", "message/rfc822")
			req.Header.Set(inbound.SignatureHeader, "sha256="+hex.EncodeToString(inbound.Sign([]byte(testInboundSecret), raw)))
			req.Header.Set("Traceparent", header)
			if r := s.do(req); r.Status != http.StatusOK {
				t.Fatalf("inbound: %d %s", r.Status, r.Raw)
			}
			spans := ended(t, rec, tid, "POST /inbound/email")
			server := onlySpan(t, spans, "POST /inbound/email")
			if server.Parent().SpanID() != parent {
				t.Errorf("server span's parent is %s, want the caller's %s", server.Parent().SpanID(), parent)
			}
			receive := onlySpan(t, spans, "inbound.Receive")
			if receive.Parent().SpanID() != server.SpanContext().SpanID() {
				t.Errorf("inbound.Receive's parent is %s, want the server span %s", receive.Parent().SpanID(), server.SpanContext().SpanID())
			}
			wantAttr(t, receive, "messaging.message.id", msgID)
			wantAttr(t, receive, "inbound.duplicate", "false")
			if len(sqlSpans(childrenOf(spans, receive))) == 0 {
				t.Errorf("no SQL span under inbound.Receive; spans:\n%s", spanList(spans))
			}
			noneContains(t, spans, "dee@traced.example")
			noneContains(t, spans, "Export fails")
			noneContains(t, spans, "my secret body")
		})

		t.Run("river job", func(t *testing.T) {
			r := startRunner(t, s, databaseURL, jobs.Options{Every: time.Hour})
			ctx, enqueue := tracer.Start(t.Context(), "enqueue")
			month := time.Now().AddDate(0, -1, 0).Format("2006-01")
			if err := r.EnqueueEvaluateMonth(ctx, f.SubscriptionID, month); err != nil {
				t.Fatal(err)
			}
			enqueue.End()

			insert := onlySpan(t, ended(t, rec, enqueue.SpanContext().TraceID(), "river.insert_many"), "river.insert_many")
			if insert.Parent().SpanID() != enqueue.SpanContext().SpanID() || insert.SpanKind() != trace.SpanKindProducer {
				t.Errorf("river.insert_many: parent %s, kind %v; want the enqueuing span %s, producer", insert.Parent().SpanID(), insert.SpanKind(), enqueue.SpanContext().SpanID())
			}
			// The job runs in a trace of its own, linked to the enqueuing one.
			var work sdktrace.ReadOnlySpan
			deadline := time.Now().Add(30 * time.Second)
			for work == nil {
				for _, sp := range rec.Ended() {
					for _, l := range sp.Links() {
						if sp.Name() == "river.work/evaluate_month" && l.SpanContext.SpanID() == insert.SpanContext().SpanID() {
							work = sp
						}
					}
				}
				if work == nil && time.Now().After(deadline) {
					t.Fatal("no river.work/evaluate_month span linked to the insert within 30 s")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if work.SpanKind() != trace.SpanKindConsumer {
				t.Errorf("work span kind %v, want consumer", work.SpanKind())
			}
			wantAttr(t, work, "kind", "evaluate_month")
			var jobSpans []sdktrace.ReadOnlySpan
			for _, sp := range rec.Ended() {
				if sp.SpanContext().TraceID() == work.SpanContext().TraceID() {
					jobSpans = append(jobSpans, sp)
				}
			}
			if len(sqlSpans(childrenOf(jobSpans, work))) == 0 {
				t.Errorf("no SQL span under the job's span; spans:\n%s", spanList(jobSpans))
			}
		})

		t.Run("stripe", func(t *testing.T) {
			s := newTestServer(t, databaseURL, stripeEnv(t))
			ctx, settle := tracer.Start(t.Context(), "settle")
			if _, err := s.App.Billing.Stripe.EnsureCustomer(ctx, "traced-customer", "Traced Ltd", ""); err != nil {
				t.Fatal(err)
			}
			settle.End()
			call := onlySpan(t, ended(t, rec, settle.SpanContext().TraceID(), "Stripe POST"), "Stripe POST")
			if call.Parent().SpanID() != settle.SpanContext().SpanID() || call.SpanKind() != trace.SpanKindClient {
				t.Errorf("Stripe call: parent %s, kind %v; want the calling span %s, client", call.Parent().SpanID(), call.SpanKind(), settle.SpanContext().SpanID())
			}
			wantAttr(t, call, "http.response.status_code", "200")
		})
	})
}
