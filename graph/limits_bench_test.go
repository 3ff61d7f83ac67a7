package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// dashboardQuery is the dashboard's heaviest page: customers with their
// licenses, balance, settlements, subscriptions, history and SLA months,
// and a page of tickets with their SLA state.
const dashboardQuery = `query Dashboard($n: Int) {
  viewer { subject roles customer { id name } }
  customers(first: $n) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name createdAt
    licenses { id key paid validFrom validUntil valid }
    creditBalance { cents currency } settlements { id kind status amount { cents currency } createdAt }
    supportSubscriptions { id status domains earlyAccess monthlyFee { cents currency } annualFee { cents currency }
      currentPeriodStart currentPeriodEnd statusHistory { from to at reason } customer { id name }
      slaHistory(months: 3) { month final met status ticketsReceived firstResponses firstResponsesMet followUps averageFollowUpResponseSeconds credit { id amount { cents } } } } } } }
  tickets(first: 50) { totalCount edges { node { id subject priority status requesterEmail createdAt lastMessageAt
    customer { id name } subscription { id status }
    sla { firstResponseDueAt firstRespondedAt firstResponseBusinessSeconds breached currentDueAt businessSecondsLeft } } } }
}`

// BenchmarkCheckDocument is the limits' cost on a query seen for the first
// time (parse and shape walk); a query seen before skips it.
func BenchmarkCheckDocument(b *testing.B) {
	l := DefaultLimits()
	b.ReportAllocs()
	for b.Loop() {
		if err := (limitsExtension{limits: l, passed: noCache{}}).MutateOperationParameters(context.Background(), &graphql.RawParams{Query: dashboardQuery}); err != nil {
			b.Fatal(err)
		}
	}
}

// noCache is a query cache that holds nothing.
type noCache struct{}

func (noCache) Get(context.Context, string) (*ast.QueryDocument, bool) { return nil, false }
func (noCache) Add(context.Context, string, *ast.QueryDocument)        {}

// BenchmarkInterceptField is the byte budget's cost per resolved field.
func BenchmarkInterceptField(b *testing.B) {
	e := limitsExtension{limits: DefaultLimits()}
	bud := &budget{}
	bud.left.Store(1 << 62)
	ctx := graphql.WithFieldContext(context.WithValue(context.Background(), budgetKey{}, bud),
		&graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "subject"}}})
	next := func(context.Context) (any, error) { return "Printer on fire", nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.InterceptField(ctx, next); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequests sends whole requests through the handler (no database:
// nothing here reaches one; without a token the resolvers answer
// UNAUTHENTICATED) and reports the time per request, which on an idle core
// is its CPU cost: the hostile documents, each refused, and the most
// expensive documents the default limits let through to validation.
func BenchmarkRequests(b *testing.B) {
	srv := NewHandler(&Resolver{}, HandlerOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var aliases strings.Builder
	for i := range 400 {
		aliases.WriteString(" a" + itoa(i) + `: customer(id:"` + itoa(i) + `"){id}`)
	}
	// The largest document validation must walk within the defaults: 30
	// aliases of a page, each 16 selections deep and wide (480 in all).
	var aliasedPages strings.Builder
	for i := range 30 {
		aliasedPages.WriteString(" p" + itoa(i) + `: customers(first: 1) { totalCount edges { cursor node { id name createdAt licenses { id key paid valid } supportSubscriptions { id status domains } } } }`)
	}
	cases := []struct{ name, query string }{
		{"refused/fragment-bomb-24", chain(24)},
		{"refused/fragment-bomb-200", chain(200)},
		{"refused/400-aliases", "{" + aliases.String() + "}"},
		{"refused/4000-fields", "{" + strings.Repeat("viewer{subject} ", 4000) + "}"},
		{"refused/30000-directives", "{viewer{subject " + strings.Repeat("@x ", 30000) + "}}"},
		{"refused/256KiB-string", `{ customer(id: "` + strings.Repeat("x", 256<<10-64) + `") { id } }`},
		{"validated/256KiB-comment", "{ __typename } #" + strings.Repeat("x", 256<<10-64)},
		{"refused/500-same-fields", "{" + strings.Repeat("__typename ", 500) + "}"},
		{"refused/250-same-objects", "{" + strings.Repeat("viewer{subject} ", 250) + "}"},
		{"validated/63-same-fields", "{" + strings.Repeat("__typename ", 63) + "}"},
		{"validated/fragments-at-limit", chain(6)},
		{"validated/30-aliased-pages", "{" + aliasedPages.String() + "}"},
		{"validated/dashboard", dashboardQuery},
	}
	for _, c := range cases {
		body, _ := json.Marshal(map[string]any{"query": c.query})
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				// A new document each time: the query cache would
				// otherwise answer every request after the first.
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(append(bytes.Clone(body[:len(body)-2]), []byte(" #"+itoa(i)+`"}`)...)))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code >= 500 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
