package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// fragmentChain is the fragment bomb: F0 selects __typename and each Fi
// spreads F(i-1) twice, so F(n) expands to 2^n fields in about 40 bytes a
// level.
func fragmentChain(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "query{...F%d} fragment F0 on Query{__typename}", n)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, " fragment F%d on Query{...F%d ...F%d}", i, i-1, i-1)
	}
	return b.String()
}

// repeat joins n copies of format (given the index) with spaces.
func repeat(n int, format string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strings.ReplaceAll(format, "%i", fmt.Sprint(i))
	}
	return strings.Join(parts, " ")
}

// wantGQLRefused fails unless res is an error answer with code and no data,
// small enough to be cheap to send.
func wantGQLRefused(t *testing.T, res gqlResponse, code, mention string) {
	t.Helper()
	if res.code() != code {
		t.Fatalf("code %q, want %q: %.500s", res.code(), code, res.Raw)
	}
	if mention != "" && !strings.Contains(res.Errors[0].Message, mention) {
		t.Fatalf("message %q does not mention %q", res.Errors[0].Message, mention)
	}
	if d := strings.TrimSpace(string(res.Data)); d != "" && d != "null" {
		t.Fatalf("refused request answered data: %.200s", d)
	}
	if len(res.Raw) > 16<<10 {
		t.Fatalf("refusal is %d bytes", len(res.Raw))
	}
}

// TestHostileDocumentsAreRefusedBeforeWork sends, without a token, the
// documents whose parsing, validation or complexity walk used to cost
// seconds or gigabytes, and expects each refused with a code and a small
// body; the server then still answers.
func TestHostileDocumentsAreRefusedBeforeWork(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	cases := []struct {
		name, query, code, mention string
	}{
		{"fragment bomb, 24 levels", fragmentChain(24), "GRAPHQL_VALIDATION_FAILED", "fields and fragments"},
		{"fragment bomb, 200 levels", fragmentChain(200), "GRAPHQL_VALIDATION_FAILED", "fields and fragments"},
		{"unused fragment bomb", strings.Replace(fragmentChain(40), "query{...F40}", "query{__typename} fragment X on Query{...F40}", 1), "GRAPHQL_VALIDATION_FAILED", "fields and fragments"},
		{"fragment cycle", `query{...A} fragment A on Query{...B ...B} fragment B on Query{...A ...A}`, "GRAPHQL_VALIDATION_FAILED", ""},
		{"400 aliases", "{" + repeat(400, `a%i: customer(id:"%i"){id}`) + "}", "GRAPHQL_VALIDATION_FAILED", "aliased"},
		{"4,000 repeated fields", "{" + repeat(4000, `viewer{subject}`) + "}", "GRAPHQL_PARSE_FAILED", "token limit"},
		{"250 repeated objects", "{" + repeat(250, `viewer{subject}`) + "}", "GRAPHQL_VALIDATION_FAILED", "repeats fields"},
		{"repeats through fragments", "query{...A ...A2} fragment A on Query{" + repeat(40, "viewer{subject}") + "} fragment A2 on Query{...A}", "GRAPHQL_VALIDATION_FAILED", "repeats fields"},
		{"501 repeated fields", "{" + repeat(501, `__typename`) + "}", "GRAPHQL_VALIDATION_FAILED", "fields and fragments"},
		{"30,000 unknown directives", "{viewer{subject " + repeat(30000, "@x") + "}}", "GRAPHQL_PARSE_FAILED", "token limit"},
		{"60 directives", "{viewer{subject " + repeat(60, "@include(if:true)") + "}}", "GRAPHQL_VALIDATION_FAILED", "directives"},
		{"deep nesting", "{" + strings.Repeat("viewer{customer{supportSubscriptions{customer{", 4) + "id" + strings.Repeat("}}}}", 4) + "}", "GRAPHQL_VALIDATION_FAILED", "deep"},
		{"deep parse", strings.Repeat("{", 3000) + strings.Repeat("}", 3000), "GRAPHQL_PARSE_FAILED", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := s.gql("", c.query, nil)
			wantGQLRefused(t, res, c.code, c.mention)
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.Status)
			}
		})
	}
	if strings.Contains(s.Logs.String(), "panic") || strings.Contains(s.Logs.String(), `"level":"ERROR"`) {
		t.Fatalf("refusals logged errors:\n%s", s.Logs.String())
	}
	if res := s.gql(s.sales(), `{ viewer { subject } }`, nil); res.code() != "" {
		t.Fatalf("the server does not answer after the refusals: %s", res.Raw)
	}
}

// TestErrorListIsCapped: a document with many independent mistakes gets the
// first 50 errors and one that counts the rest.
func TestErrorListIsCapped(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	res := s.gql("", "{"+repeat(300, "nope%i")+"}", nil)
	if len(res.Errors) != 51 {
		t.Fatalf("%d errors, want 50 and a summary", len(res.Errors))
	}
	last := res.Errors[50]
	if last.Extensions["code"] != "TOO_MANY_ERRORS" || !strings.Contains(last.Message, "250 more") {
		t.Fatalf("last error: %+v", last)
	}
	if res.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("first error code %q", res.code())
	}
}

// TestResponseByteBudget: a customer that mailed itself a large message and
// asks for its body many times over is refused instead of answered with
// tens of megabytes; asking once still works.
func TestResponseByteBudget(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		start := time.Now().UTC().AddDate(0, -1, 0).Truncate(time.Second)
		s := newTestServer(t, databaseURL, nil)
		f := s.mustPriorityCustomer("Amplify Ltd", start, "amplify.example")
		body := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
		in := s.mustIngest(email{From: "dev@amplify.example", Subject: "big", MessageID: "big@amplify.example", Received: time.Now().UTC().Add(-time.Minute), Body: body})
		token := s.customerToken(f)

		one := s.gql(token, `query($id: ID!) { ticket(id: $id) { messages { body } } }`, map[string]any{"id": in.TicketID})
		var got struct {
			Ticket struct{ Messages []struct{ Body string } }
		}
		one.decode(t, &got)
		if len(got.Ticket.Messages) != 1 || len(got.Ticket.Messages[0].Body) < 1<<20 {
			t.Fatalf("one body: %d messages", len(got.Ticket.Messages))
		}

		many := s.gql(token, `query($id: ID!) { ticket(id: $id) { `+repeat(20, "m%i: messages { body }")+` } }`, map[string]any{"id": in.TicketID})
		wantGQLRefused(t, many, "RESPONSE_TOO_LARGE", "larger than")
		if len(many.Errors) != 1 {
			t.Fatalf("%d errors, want one", len(many.Errors))
		}
	})
}

// TestComplexitySaturates: list arguments are clamped to the schema's limits
// before they enter the cost, so a huge one cannot wrap the total around
// to a small number.
func TestComplexitySaturates(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	s.mustCustomer("Saturn Inc", "saturn.example")
	query := `query($m: Int) { customers(first: 100) { edges { node { supportSubscriptions { slaHistory(months: $m) { month } } } } } }`
	for _, m := range []any{6148914691236497202, 4294967299, -2147483649} {
		wantGQLRefused(t, s.gql(s.sales(), query, map[string]any{"m": m}), "GRAPHQL_VALIDATION_FAILED", "32 bits")
	}
	// In range but far over the history's maximum: clamped, and still
	// too costly for a page of 100 customers.
	wantGQLRefused(t, s.gql(s.sales(), query, map[string]any{"m": 2147483647}), "COMPLEXITY_LIMIT_EXCEEDED", "complexity")
	wantGQLRefused(t, s.gql(s.sales(), `{ customers(first: 100) { edges { node { supportSubscriptions { slaHistory(months: 2147483647) { month } } } } } }`, nil), "COMPLEXITY_LIMIT_EXCEEDED", "complexity")
	// What a dashboard asks still runs.
	var ok struct{ Customers struct{ Edges []any } }
	s.gql(s.sales(), query, map[string]any{"m": 3}).decode(t, &ok)
	if len(ok.Customers.Edges) != 1 {
		t.Fatalf("%d customers", len(ok.Customers.Edges))
	}
}

// TestDeferIsNotAdvertised: @defer is not in the schema, so a client that
// uses it is told so instead of waiting for a part that never comes.
func TestDeferIsNotAdvertised(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	res := s.gql(s.sales(), `{ viewer { subject ... @defer { customer { name } } } }`, nil)
	wantGQLRefused(t, res, "GRAPHQL_VALIDATION_FAILED", "defer")
	var schema struct {
		Schema struct{ Directives []struct{ Name string } } `json:"__schema"`
	}
	s.gql(s.sales(), `{ __schema { directives { name } } }`, nil).decode(t, &schema)
	for _, d := range schema.Schema.Directives {
		if d.Name == "defer" || d.Name == "stream" {
			t.Fatalf("introspection lists @%s", d.Name)
		}
	}
	if len(schema.Schema.Directives) == 0 {
		t.Fatal("introspection lists no directives")
	}
}

// TestProductionErrorHygiene: in production, errors say what is wrong with
// a code and without hints about the schema, and introspection is a client
// error logged at INFO.
func TestProductionErrorHygiene(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), map[string]string{"PS_ENV": "production", "PS_METRICS_TOKEN": "metrics-token-0123456789abcdef-0123456789"})
	t.Run("introspection", func(t *testing.T) {
		res := s.gql("", `{ __schema { types { name } } }`, nil)
		wantGQLRefused(t, res, "GRAPHQL_VALIDATION_FAILED", "introspection")
		res = s.gql("", `query { ...I } fragment I on Query { __type(name: "Ticket") { name } }`, nil)
		wantGQLRefused(t, res, "GRAPHQL_VALIDATION_FAILED", "introspection")
		logs := s.Logs.String()
		if strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, `"level":"INFO","msg":"graphql request refused"`) {
			t.Fatalf("logs:\n%s", logs)
		}
	})
	t.Run("no suggestions", func(t *testing.T) {
		for _, q := range []string{`{ viewr { subject } }`, `{ viewer { subjct } }`, `{ customers(frist: 1) { totalCount } }`, `{ viewer }`} {
			res := s.gql(s.sales(), q, nil)
			if res.code() != "GRAPHQL_VALIDATION_FAILED" || strings.Contains(res.Raw, "Did you mean") {
				t.Errorf("%s: %s", q, res.Raw)
			}
		}
	})
	t.Run("parse failure", func(t *testing.T) {
		wantGQLRefused(t, s.gql("", `{ viewer { `, nil), "GRAPHQL_PARSE_FAILED", "")
	})
	t.Run("transport errors have codes", func(t *testing.T) {
		put, _ := http.NewRequest(http.MethodPut, s.URL+"/graphql", strings.NewReader(`{"query":"{viewer{subject}}"}`))
		if res := s.do(put); res.Status != http.StatusMethodNotAllowed || res.code() != "BAD_REQUEST" {
			t.Errorf("PUT: %d %s", res.Status, res.Raw)
		}
		text, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{viewer{subject}}`))
		text.Header.Set("Content-Type", "text/plain")
		if res := s.do(text); res.Status != http.StatusUnsupportedMediaType || res.code() != "BAD_REQUEST" {
			t.Errorf("text/plain POST: %d %s", res.Status, res.Raw)
		}
		get, _ := http.NewRequest(http.MethodGet, s.URL+"/graphql?query="+url.QueryEscape(`mutation { createCustomer(input: {name: "x"}) { id } }`), nil)
		get.Header.Set("Authorization", "Bearer "+s.sales())
		if res := s.do(get); res.code() != "BAD_REQUEST" || !strings.Contains(res.Raw, "POST") {
			t.Errorf("GET mutation: %d %s", res.Status, res.Raw)
		}
		var n struct{ Customers struct{ TotalCount int } }
		s.gql(s.sales(), `{ customers { totalCount } }`, nil).decode(t, &n)
		if n.Customers.TotalCount != 0 {
			t.Errorf("the GET mutation created a customer")
		}
	})
}

// TestEachLimitHasAnOverride: every limit is read from its environment
// variable, and a request just over it is refused while one at it passes.
func TestEachLimitHasAnOverride(t *testing.T) {
	cases := []struct {
		env, value, over, at, code string
	}{
		{"PS_GRAPHQL_MAX_TOKENS", "100", "{" + repeat(50, "a%i:__typename") + "}", "{" + repeat(30, "a%i:__typename") + "}", "GRAPHQL_PARSE_FAILED"},
		{"PS_GRAPHQL_MAX_DEPTH", "3", "{viewer{customer{licenses{key}}}}", "{viewer{customer{name}}}", "GRAPHQL_VALIDATION_FAILED"},
		{"PS_GRAPHQL_MAX_SELECTIONS", "10", "{" + repeat(11, "__typename") + "}", "{" + repeat(10, "__typename") + "}", "GRAPHQL_VALIDATION_FAILED"},
		{"PS_GRAPHQL_MAX_ALIASES", "2", "{a:__typename b:__typename c:__typename}", "{a:__typename b:__typename}", "GRAPHQL_VALIDATION_FAILED"},
		{"PS_GRAPHQL_MAX_OVERLAPS", "3", "{__typename __typename __typename __typename}", "{__typename __typename __typename}", "GRAPHQL_VALIDATION_FAILED"},
		{"PS_GRAPHQL_MAX_DIRECTIVES", "2", "{viewer{subject @include(if:true) @skip(if:false) roles @skip(if:false)}}", "{viewer{subject @include(if:true) roles @skip(if:false)}}", "GRAPHQL_VALIDATION_FAILED"},
		{"PS_GRAPHQL_COMPLEXITY_LIMIT", "10", "{customers(first:10){totalCount}}", "{customers(first:1){totalCount}}", "COMPLEXITY_LIMIT_EXCEEDED"},
		{"PS_GRAPHQL_MAX_ERRORS", "2", "{x y z}", "{x y}", "TOO_MANY_ERRORS"},
		{"PS_GRAPHQL_MAX_RESPONSE_BYTES", "1024", "{" + repeat(60, "a%i:viewer{subject}") + "}", "{viewer{subject}}", "RESPONSE_TOO_LARGE"},
	}
	db := testdb.SQLite(t)
	for _, c := range cases {
		t.Run(c.env, func(t *testing.T) {
			s := newTestServer(t, db, map[string]string{c.env: c.value, "PS_GRAPHQL_MAX_ALIASES": map[bool]string{true: c.value, false: "100"}[c.env == "PS_GRAPHQL_MAX_ALIASES"]})
			token := s.token("", "admin")
			over := s.gql(token, c.over, nil)
			codes := make([]string, 0, len(over.Errors))
			for _, e := range over.Errors {
				codes = append(codes, fmt.Sprint(e.Extensions["code"]))
			}
			if !strings.Contains(strings.Join(codes, " "), c.code) {
				t.Fatalf("over the limit: codes %v, want %s: %.300s", codes, c.code, over.Raw)
			}
			at := s.gql(token, c.at, nil)
			for _, e := range at.Errors {
				if e.Extensions["code"] == c.code {
					t.Fatalf("at the limit: %.300s", at.Raw)
				}
			}
		})
	}
}
