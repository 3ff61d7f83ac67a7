package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func TestListCostSaturates(t *testing.T) {
	cases := []struct{ n, child, want int }{
		{20, 3, 61},
		{1, 0, 2},
		{100, math.MaxInt / 2, 1 << 31},
		{math.MaxInt, math.MaxInt, 1 << 31},
		{100, 1 << 30, 1 << 31},
	}
	for _, c := range cases {
		if got := listCost(c.n, c.child); got != c.want {
			t.Errorf("listCost(%d, %d) = %d, want %d", c.n, c.child, got, c.want)
		}
	}
}

func TestPageSizeIsClamped(t *testing.T) {
	for _, c := range []struct{ first, want int }{{0, 20}, {-5, 20}, {7, 7}, {100, 100}, {math.MaxInt32, 100}} {
		first := c.first
		if got := pageSize(&first); got != c.want {
			t.Errorf("pageSize(%d) = %d, want %d", c.first, got, c.want)
		}
	}
}

// TestFragmentExpansionCountsEachSpread: a chain whose every fragment spreads
// the previous one twice counts 2^n, saturating, without walking it 2^n
// times.
func TestFragmentExpansionCountsEachSpread(t *testing.T) {
	err := checkDocument(mustParse(t, chain(60)), DefaultLimits(), true)
	if err == nil || !strings.Contains(err.Message, "more than") {
		t.Fatalf("got %v", err)
	}
	// Ten levels: 2^10 fields and 2^11-2 spreads in F10, 3071 with the spread of the operation.
	small := mustParse(t, chain(10))
	if err := checkDocument(small, Limits{Depth: 15, Selections: 3071, Aliases: 1, Directives: 1, Overlaps: 1 << 30}, true); err != nil {
		t.Fatalf("3071 within 3071 refused: %v", err)
	}
	if err := checkDocument(small, Limits{Depth: 15, Selections: 3070, Aliases: 1, Directives: 1, Overlaps: 1 << 30}, true); err == nil || !strings.Contains(err.Message, "3071") {
		t.Fatalf("3071 selections within 3070: %v", err)
	}
	// The same fragments, unused, still count: validation walks them.
	unused := mustParse(t, strings.Replace(chain(10), "query{...F10}", "query{__typename}", 1))
	if err := checkDocument(unused, Limits{Depth: 15, Selections: 3000, Aliases: 1, Directives: 1, Overlaps: 1 << 30}, true); err == nil {
		t.Fatal("unused fragments not counted")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// chain is the fragment bomb: an operation spreading Fn, where F0 selects
// __typename and each Fi spreads F(i-1) twice.
func chain(n int) string {
	var b strings.Builder
	b.WriteString("query{...F" + itoa(n) + "} fragment F0 on Query{__typename}")
	for i := 1; i <= n; i++ {
		b.WriteString(" fragment F" + itoa(i) + " on Query{...F" + itoa(i-1) + " ...F" + itoa(i-1) + "}")
	}
	return b.String()
}

func mustParse(t *testing.T, query string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestRequestBoundsSetDeadlineAndMethod(t *testing.T) {
	var deadline time.Time
	var ok bool
	var method string
	h := withRequestBounds(5*time.Second, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline, ok = r.Context().Deadline()
		method, _ = r.Context().Value(methodKey{}).(string)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/graphql", nil))
	if !ok || time.Until(deadline) > 5*time.Second || time.Until(deadline) < 4*time.Second || method != http.MethodGet {
		t.Fatalf("deadline %v (%v), method %q", deadline, ok, method)
	}
	ws := httptest.NewRequest(http.MethodGet, "/graphql", nil)
	ws.Header.Set("Upgrade", "websocket")
	h.ServeHTTP(httptest.NewRecorder(), ws)
	if ok {
		t.Fatal("a websocket got a deadline")
	}
}

// FuzzGraphQLRequest drives any document and variables through the real
// handler (transport, limits, parse, validation, complexity, execution
// without a caller) and checks what every answer promises: JSON, every
// error with a code, never more errors than the cap, never a 500, and
// never data larger than the byte budget.
func FuzzGraphQLRequest(f *testing.F) {
	for _, seed := range []string{
		`{ viewer { subject roles } }`,
		`query{...F3} fragment F0 on Query{__typename} fragment F1 on Query{...F0 ...F0} fragment F2 on Query{...F1 ...F1} fragment F3 on Query{...F2 ...F2}`,
		`query{...A} fragment A on Query{...B} fragment B on Query{...A}`,
		`{ a: viewer { subject } b: viewer { subject } }`,
		`{ __schema { types { name fields { name } } } }`,
		`{ viewer { subject ... @defer { customer { name } } } }`,
		`query($m: Int) { supportSubscription(id: "x") { slaHistory(months: $m) { month } } }`,
		`mutation { createCustomer(input: {name: "x"}) { id } }`,
		`subscription { slaAlerts { level } }`,
		`{ customers(first: 100000) { edges { node { id } } } }`,
		`{ viewer { subject @include(if: true) @skip(if: false) } }`,
	} {
		f.Add(seed, `{"m": 3}`)
	}
	srv := NewHandler(&Resolver{}, HandlerOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	limits := DefaultLimits()
	f.Fuzz(func(t *testing.T, query, variables string) {
		var vars map[string]any
		if json.Unmarshal([]byte(variables), &vars) != nil {
			vars = nil
		}
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var resp struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("answer is not JSON: %v: %.300s", err, rec.Body)
		}
		if len(resp.Errors) > limits.Errors+1 {
			t.Fatalf("%d errors", len(resp.Errors))
		}
		for _, e := range resp.Errors {
			if code, _ := e.Extensions["code"].(string); code == "" {
				t.Fatalf("error without a code: %q", e.Message)
			}
		}
		if int64(len(resp.Data)) > 2*limits.ResponseBytes {
			t.Fatalf("data of %d bytes", len(resp.Data))
		}
	})
}

// TestQueryCacheKeepsNoLongDocument: a document padded past 32 KiB (with a
// comment, which costs no token) is not kept, so distinct padded documents
// cannot fill the cache with megabytes each.
func TestQueryCacheKeepsNoLongDocument(t *testing.T) {
	c := boundedCache{lru.New[*ast.QueryDocument](10)}
	ctx := context.Background()
	short := "{ viewer { subject } }"
	long := short + " #" + strings.Repeat("x", maxCachedQueryBytes)
	doc := mustParse(t, long)
	c.Add(ctx, short, doc)
	c.Add(ctx, long, doc)
	if _, ok := c.Get(ctx, short); !ok {
		t.Fatal("short document not kept")
	}
	if _, ok := c.Get(ctx, long); ok {
		t.Fatal("long document kept")
	}
}
