package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// BenchmarkHostileRequests sends each request of the hardening findings to
// the real server on SQLite (the amplification one with a 1 MiB message
// stored) and reports the time of one refusal, which bounds its CPU cost,
// and the process's peak resident memory (server and client together)
// after all of them.
//
//	go test -run '^$' -bench HostileRequests -benchtime 20x .
func BenchmarkHostileRequests(b *testing.B) {
	s := newTestServer(b, testdb.SQLite(b), nil)
	start := time.Now().UTC().AddDate(0, -1, 0).Truncate(time.Second)
	f := s.mustPriorityCustomer("Hostile Ltd", start, "hostile.example")
	in := s.mustIngest(email{From: "dev@hostile.example", Subject: "big", MessageID: "big@hostile.example",
		Received: time.Now().UTC().Add(-time.Minute), Body: strings.Repeat("0123456789abcdef", 1<<16)})
	customer, admin := s.customerToken(f), s.token("", "admin")

	var aliases = func(n int) string {
		var q strings.Builder
		q.WriteString("{")
		for i := range n {
			fmt.Fprintf(&q, ` a%d: customer(id:"%d"){id}`, i, i)
		}
		return q.String() + "}"
	}
	cases := []struct {
		name, token, query string
		vars               map[string]any
		code               string
	}{
		{"1-fragment-bomb-30", "", fragmentChain(30), nil, "GRAPHQL_VALIDATION_FAILED"},
		{"2-aliases-6000", "", aliases(6000), nil, "GRAPHQL_PARSE_FAILED"},
		{"2-aliases-400", "", aliases(400), nil, "GRAPHQL_VALIDATION_FAILED"},
		{"2-viewer-4000", "", "{" + repeat(4000, "viewer{subject}") + "}", nil, "GRAPHQL_PARSE_FAILED"},
		{"2-directives-30000", "", "{viewer{subject " + repeat(30000, "@x") + "}}", nil, "GRAPHQL_PARSE_FAILED"},
		{"4-bodies-30x1MiB", customer, `query($id: ID!) { ticket(id: $id) { ` + repeat(30, "m%i: messages { body }") + ` } }`, map[string]any{"id": in.TicketID}, "RESPONSE_TOO_LARGE"},
		{"5-months-overflow", admin, `query($m: Int) { customers(first: 100) { edges { node { supportSubscriptions { slaHistory(months: $m) { month } } } } } }`, map[string]any{"m": 6148914691236497202}, "GRAPHQL_VALIDATION_FAILED"},
		{"7-defer", admin, `{ viewer { subject ... @defer { customer { name } } } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"9-year-9999", admin, `mutation($c: ID!) { createSupportSubscription(input: {customerId: $c, domains: ["y9999.example"], startsAt: "9999-12-31T00:00:00Z"}) { id } }`, map[string]any{"c": f.CustomerID}, "BAD_USER_INPUT"},
		{"9-credit-overflow", admin, `mutation($c: ID!) { adjustCredit(customerId: $c, amountCents: 4611686018427387904, reason: "x") { id } }`, map[string]any{"c": f.CustomerID}, "BAD_USER_INPUT"},
		{"9-nul-id", admin, `query($id: ID!) { ticket(id: $id) { id } }`, map[string]any{"id": "a\x00b"}, "BAD_USER_INPUT"},
	}
	fdsBefore := openFiles(b)
	for _, c := range cases {
		body, _ := json.Marshal(map[string]any{"query": c.query, "variables": c.vars})
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if c.token != "" {
					req.Header.Set("Authorization", "Bearer "+c.token)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if !strings.Contains(string(raw), `"code":"`+c.code+`"`) || len(raw) > 16<<10 {
					b.Fatalf("%d bytes, want %s: %.300s", len(raw), c.code, raw)
				}
			}
		})
	}
	b.Run("after-all", func(b *testing.B) {
		for b.Loop() {
		}
		http.DefaultClient.CloseIdleConnections()
		b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(openFiles(b)-fdsBefore), "fds-left")
	})
}

// peakRSS is the process's peak resident memory in bytes (VmHWM).
func peakRSS(tb testing.TB) int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// openFiles counts the process's open file descriptors.
func openFiles(tb testing.TB) int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Skip("no /proc/self/fd")
	}
	return len(fds)
}
