package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/testdb"
)

func TestRoleGates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		own := s.mustCustomer("Gatekeepers", "gatekeepers.example")
		ops := []struct {
			name  string
			query string
			vars  map[string]any
			write bool
		}{
			{"createCustomer", `mutation { createCustomer(input: {name: "New Co"}) { id } }`, nil, true},
			{"recordLicense", `mutation($c: ID!) { recordLicense(input: {customerId: $c, key: "K-NEW", paid: true, validFrom: "2026-01-01T00:00:00Z", validUntil: "2027-12-31T00:00:00Z"}) { id } }`, map[string]any{"c": own.CustomerID}, true},
			{"setSubscriptionDomains", `mutation($id: ID!) { setSubscriptionDomains(id: $id, domains: ["gatekeepers.example"]) { id } }`, map[string]any{"id": own.SubscriptionID}, true},
			{"customers", `{ customers { totalCount } }`, nil, false},
			{"customer", `query($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": own.CustomerID}, false},
			{"supportSubscription", `query($id: ID!) { supportSubscription(id: $id) { id } }`, map[string]any{"id": own.SubscriptionID}, false},
			{"viewer", `{ viewer { subject } }`, nil, false},
		}
		callers := []struct {
			name      string
			token     string
			readCode  string
			writeCode string
		}{
			{"anonymous", "", "UNAUTHENTICATED", "UNAUTHENTICATED"},
			{"customer", s.token(own.CustomerID, auth.RoleCustomer), "", "FORBIDDEN"},
			{"support", s.token("", auth.RoleSupport), "", "FORBIDDEN"},
			{"sales", s.token("", auth.RoleSales), "", ""},
			{"admin", s.token("", auth.RoleAdmin), "", ""},
			{"no roles", signWith(t, jwt.SigningMethodHS256, []byte(testSecret), jwt.MapClaims{
				"sub": "auditor-1", "roles": []string{"auditor"}, "iss": testIssuer, "aud": testAudience, "exp": time.Now().Add(time.Hour).Unix(),
			}), "FORBIDDEN", "FORBIDDEN"},
		}
		for _, c := range callers {
			for _, op := range ops {
				want := c.readCode
				if op.write {
					want = c.writeCode
				}
				if op.name == "viewer" && c.name == "no roles" {
					want = "" // any verified caller may ask who it is
				}
				t.Run(c.name+"/"+op.name, func(t *testing.T) {
					res := s.gql(c.token, op.query, op.vars)
					if got := res.code(); got != want {
						t.Fatalf("code = %q, want %q: %s", got, want, res.Raw)
					}
				})
			}
		}
		// The cancel mutation ends the subscription, so it runs last, once
		// per caller that may not use it and then once for sales.
		cancel := `mutation($id: ID!) { cancelSupportSubscription(id: $id, reason: "test") { status } }`
		for _, tok := range []string{"", s.token(own.CustomerID, auth.RoleCustomer), s.token("", auth.RoleSupport)} {
			if res := s.gql(tok, cancel, map[string]any{"id": own.SubscriptionID}); res.code() != "UNAUTHENTICATED" && res.code() != "FORBIDDEN" {
				t.Fatalf("cancel by a non-sales caller: %s", res.Raw)
			}
		}
		var out struct{ CancelSupportSubscription struct{ Status string } }
		s.gql(s.sales(), cancel, map[string]any{"id": own.SubscriptionID}).decode(t, &out)
		if out.CancelSupportSubscription.Status != "CANCELED" {
			t.Fatalf("status = %q", out.CancelSupportSubscription.Status)
		}
	})
}

func TestCustomerSeesOnlyItsOwnCustomer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		a := s.mustCustomer("Alpha Ltd", "alpha.example")
		b := s.mustCustomer("Beta GmbH", "beta.example")
		tokA := s.token(a.CustomerID, auth.RoleCustomer)

		t.Run("customer by id", func(t *testing.T) {
			res := s.gql(tokA, `query($id: ID!) { customer(id: $id) { id name } }`, map[string]any{"id": b.CustomerID})
			if res.code() != "NOT_FOUND" || strings.Contains(res.Raw, "Beta") || string(res.Data) != `{"customer":null}` {
				t.Fatalf("another customer's customer leaked or wrong code: %s", res.Raw)
			}
		})
		t.Run("subscription by id", func(t *testing.T) {
			res := s.gql(tokA, `query($id: ID!) { supportSubscription(id: $id) { id domains } }`, map[string]any{"id": b.SubscriptionID})
			if res.code() != "NOT_FOUND" || strings.Contains(res.Raw, "beta.example") {
				t.Fatalf("another customer's subscription leaked or wrong code: %s", res.Raw)
			}
		})
		t.Run("customers list and search", func(t *testing.T) {
			for _, search := range []string{"", "Beta", "beta.example"} {
				var out struct {
					Customers struct {
						TotalCount int
						Edges      []struct{ Node struct{ ID, Name string } }
					}
				}
				s.gql(tokA, `query($s: String) { customers(search: $s) { totalCount edges { node { id name } } } }`, map[string]any{"s": search}).decode(t, &out)
				for _, e := range out.Customers.Edges {
					if e.Node.ID != a.CustomerID {
						t.Fatalf("search %q listed %s", search, e.Node.Name)
					}
				}
				want := 1
				if search != "" {
					want = 0
				}
				if out.Customers.TotalCount != want || len(out.Customers.Edges) != want {
					t.Fatalf("search %q: totalCount %d, %d edges; want %d", search, out.Customers.TotalCount, len(out.Customers.Edges), want)
				}
			}
		})
		t.Run("nested", func(t *testing.T) {
			var out struct {
				Viewer struct {
					Customer struct {
						ID                   string
						StripeCustomerID     *string
						SupportSubscriptions []struct {
							ID       string
							Domains  []string
							Customer struct{ ID string }
						}
					}
				}
			}
			s.gql(tokA, `{ viewer { customer { id stripeCustomerId supportSubscriptions { id domains customer { id } } } } }`, nil).decode(t, &out)
			c := out.Viewer.Customer
			if c.ID != a.CustomerID || len(c.SupportSubscriptions) != 1 || c.SupportSubscriptions[0].ID != a.SubscriptionID ||
				c.SupportSubscriptions[0].Customer.ID != a.CustomerID || strings.Join(c.SupportSubscriptions[0].Domains, ",") != "alpha.example" {
				t.Fatalf("viewer.customer = %+v", c)
			}
		})
		t.Run("staff see both", func(t *testing.T) {
			var out struct{ Customers struct{ TotalCount int } }
			s.gql(s.token("", auth.RoleSupport), `{ customers { totalCount } }`, nil).decode(t, &out)
			if out.Customers.TotalCount != 2 {
				t.Fatalf("support sees %d customers, want 2", out.Customers.TotalCount)
			}
		})
	})
}

// signWith signs claims with any method and key, for forged tokens.
func signWith(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestBadTokensAreRefused(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	now := time.Now()
	good := jwt.MapClaims{"sub": "u1", "roles": []string{"admin"}, "iss": testIssuer, "aud": testAudience, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for key, val := range good {
			c[key] = val
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	valid := signWith(t, jwt.SigningMethodHS256, []byte(testSecret), good)
	parts := strings.Split(valid, ".")
	adminPayload := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"u1","roles":["admin","sales"],"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":9999999999}`))
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."

	cases := map[string]string{
		"alg none":            none,
		"wrong secret":        signWith(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-another"), good),
		"HS512 same secret":   signWith(t, jwt.SigningMethodHS512, []byte(testSecret), good),
		"RS256":               signWith(t, jwt.SigningMethodRS256, rsaKey, good),
		"ES256":               signWith(t, jwt.SigningMethodES256, ecKey, good),
		"expired":             signWith(t, jwt.SigningMethodHS256, []byte(testSecret), with("exp", now.Add(-time.Hour).Unix())),
		"no exp":              signWith(t, jwt.SigningMethodHS256, []byte(testSecret), with("exp", nil)),
		"wrong issuer":        signWith(t, jwt.SigningMethodHS256, []byte(testSecret), with("iss", "https://evil.example")),
		"wrong audience":      signWith(t, jwt.SigningMethodHS256, []byte(testSecret), with("aud", "another-app")),
		"tampered payload":    parts[0] + "." + adminPayload + "." + parts[2],
		"garbage":             "not-a-token",
		"three garbage parts": "a.b.c",
		"customer without id": signWith(t, jwt.SigningMethodHS256, []byte(testSecret), with("roles", []string{"customer"})),
	}
	if res := s.gql(valid, `{ viewer { subject } }`, nil); res.code() != "" {
		t.Fatalf("the valid token was refused: %s", res.Raw)
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			res := s.gql(tok, `{ viewer { subject roles } }`, nil)
			if res.Status != http.StatusUnauthorized || res.code() != "UNAUTHENTICATED" || res.Data != nil {
				t.Fatalf("status %d: %s", res.Status, res.Raw)
			}
			if strings.Contains(s.Logs.String(), tok) {
				t.Fatal("the token reached the log")
			}
		})
	}
	if !strings.Contains(s.Logs.String(), "token refused") {
		t.Fatal("refusals were not logged")
	}
	if strings.Contains(s.Logs.String(), testSecret) {
		t.Fatal("the secret reached the log")
	}
}

func TestInputValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		taken := s.mustCustomer("Holder Inc", "taken.example")
		_ = taken
		fresh := s.mustCustomer("Fresh Co")
		create := `mutation($c: ID!, $d: [String!]!) { createSupportSubscription(input: {customerId: $c, domains: $d}) { id domains } }`
		domainCases := []struct {
			name    string
			domains []string
			code    string
			message string
		}{
			{"no domain", []string{}, "BAD_USER_INPUT", "at least one domain"},
			{"email address", []string{"ops@fresh.example"}, "BAD_USER_INPUT", "ops@fresh.example"},
			{"no dot", []string{"localhost"}, "BAD_USER_INPUT", "localhost"},
			{"url", []string{"https://fresh.example"}, "BAD_USER_INPUT", "https://fresh.example"},
			{"public suffix", []string{"co.uk"}, "BAD_USER_INPUT", "co.uk"},
			{"webmail", []string{"fresh.example", "GMail.com"}, "BAD_USER_INPUT", "gmail.com"},
			{"support domain", []string{"vendor.test"}, "BAD_USER_INPUT", "support domain"},
			{"taken", []string{"Taken.Example."}, "CONFLICT", "taken.example"},
			{"subdomain of taken", []string{"eu.taken.example"}, "CONFLICT", "taken.example"},
		}
		for _, c := range domainCases {
			t.Run(c.name, func(t *testing.T) {
				res := s.gql(s.sales(), create, map[string]any{"c": fresh.CustomerID, "d": c.domains})
				if res.code() != c.code || !strings.Contains(res.Errors[0].Message, c.message) {
					t.Fatalf("got %s, want %s mentioning %q", res.Raw, c.code, c.message)
				}
			})
		}
		t.Run("nothing was written", func(t *testing.T) {
			var out struct {
				Customer struct{ SupportSubscriptions []struct{ ID string } }
			}
			s.gql(s.sales(), `query($id: ID!) { customer(id: $id) { supportSubscriptions { id } } }`, map[string]any{"id": fresh.CustomerID}).decode(t, &out)
			if n := len(out.Customer.SupportSubscriptions); n != 0 {
				t.Fatalf("refused requests left %d subscriptions", n)
			}
		})
		t.Run("normalised and accepted", func(t *testing.T) {
			var out struct {
				CreateSupportSubscription struct{ Domains []string }
			}
			s.gql(s.sales(), create, map[string]any{"c": fresh.CustomerID, "d": []string{" Fresh.Example. ", "BÜCHER.example"}}).decode(t, &out)
			if got := strings.Join(out.CreateSupportSubscription.Domains, ","); got != "fresh.example,xn--bcher-kva.example" {
				t.Fatalf("domains = %s", got)
			}
		})

		licenseCases := []struct {
			name     string
			paid     bool
			from, to time.Time
			message  string
		}{
			{"no license", false, time.Time{}, time.Time{}, "no license"},
			{"unpaid", false, time.Now().AddDate(0, -1, 0), time.Now().AddDate(1, 0, 0), "not paid"},
			{"expired", true, time.Now().AddDate(-1, 0, 0), time.Now().AddDate(0, 0, -1), "expired"},
			{"not yet valid", true, time.Now().AddDate(0, 1, 0), time.Now().AddDate(1, 0, 0), "not valid before"},
		}
		for i, c := range licenseCases {
			t.Run("license/"+c.name, func(t *testing.T) {
				var cust struct{ CreateCustomer struct{ ID string } }
				s.gql(s.sales(), `mutation($n: String!) { createCustomer(input: {name: $n}) { id } }`, map[string]any{"n": c.name}).decode(t, &cust)
				if !c.from.IsZero() {
					s.mustLicense(cust.CreateCustomer.ID, "LIC-"+string(rune('A'+i)), c.paid, c.from, c.to)
				}
				res := s.gql(s.sales(), create, map[string]any{"c": cust.CreateCustomer.ID, "d": []string{c.name[:2] + "-licensed.example"}})
				if res.code() != "BAD_USER_INPUT" || !strings.Contains(res.Errors[0].Message, c.message) {
					t.Fatalf("got %s, want BAD_USER_INPUT mentioning %q", res.Raw, c.message)
				}
			})
		}
		t.Run("bad time", func(t *testing.T) {
			res := s.gql(s.sales(), `mutation($c: ID!) { recordLicense(input: {customerId: $c, key: "K", paid: true, validFrom: "yesterday", validUntil: "2030-01-01T00:00:00Z"}) { id } }`, map[string]any{"c": fresh.CustomerID})
			if res.code() != "BAD_USER_INPUT" || !strings.Contains(res.Raw, "yesterday") {
				t.Fatalf("got %s", res.Raw)
			}
		})
		t.Run("unknown customer", func(t *testing.T) {
			res := s.gql(s.sales(), create, map[string]any{"c": "no-such-customer", "d": []string{"x.example"}})
			if res.code() != "NOT_FOUND" {
				t.Fatalf("got %s", res.Raw)
			}
		})
	})
}

func TestCORS(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, s.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	t.Run("allowed origin", func(t *testing.T) {
		res := preflight(testOrigin)
		if res.StatusCode >= 300 || res.Header.Get("Access-Control-Allow-Origin") != testOrigin ||
			!strings.Contains(strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "authorization") ||
			!strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "POST") {
			t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
		}
	})
	t.Run("other origin", func(t *testing.T) {
		res := preflight("https://evil.example")
		for k := range res.Header {
			if strings.HasPrefix(k, "Access-Control-Allow") {
				t.Fatalf("CORS header %s sent to another origin", k)
			}
		}
	})
	t.Run("actual request from allowed origin", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"{ viewer { subject } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", testOrigin)
		req.Header.Set("Authorization", "Bearer "+s.sales())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Header.Get("Access-Control-Allow-Origin") != testOrigin {
			t.Fatalf("headers %v", res.Header)
		}
	})
}

func TestOperatorEndpoints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		get := func(path string) (int, string) {
			res, err := http.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b := new(strings.Builder)
			_, _ = io_copy(b, res)
			return res.StatusCode, b.String()
		}
		if code, body := get("/healthz"); code != 200 || !strings.Contains(body, "ok") {
			t.Fatalf("healthz %d %s", code, body)
		}
		if code, body := get("/readyz"); code != 200 || !strings.Contains(body, "ready") {
			t.Fatalf("readyz %d %s", code, body)
		}
		if code, body := get("/"); code != 200 || !strings.Contains(body, "graphiql") && !strings.Contains(strings.ToLower(body), "graphiql") {
			t.Fatalf("graphiql page %d", code)
		}
		s.gql(s.sales(), `query ListCustomers { customers { totalCount } }`, nil)
		s.gql("", `query Anonymous { viewer { subject } }`, nil)
		code, body := get("/metrics")
		for _, want := range []string{
			`ps_graphql_operations_total{operation="ListCustomers",type="query"} 1`,
			`ps_graphql_errors_total{code="UNAUTHENTICATED"} 1`,
			`ps_http_requests_total{code="200",route="graphql"}`,
			`ps_graphql_operation_duration_seconds_count{operation="ListCustomers"} 1`,
		} {
			if code != 200 || !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		s.App.Store.DB().Close()
		if code, body := get("/readyz"); code != http.StatusServiceUnavailable {
			t.Fatalf("readyz with the database closed: %d %s", code, body)
		}
	})
}

func TestInternalErrorsAreHidden(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	s.App.Store.DB().Close()
	res := s.gql(s.sales(), `{ customers { totalCount } }`, nil)
	if res.code() != "INTERNAL" || res.Errors[0].Message != "internal error" {
		t.Fatalf("got %s", res.Raw)
	}
	if strings.Contains(strings.ToLower(res.Raw), "sql") {
		t.Fatalf("internal detail reached the client: %s", res.Raw)
	}
	if logs := s.Logs.String(); !strings.Contains(logs, "graphql internal error") || !strings.Contains(logs, "request_id") {
		t.Fatalf("the internal error was not logged with a request id: %s", logs)
	}
}

func TestProductionSettings(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), map[string]string{"PS_ENV": "production"})
	t.Run("introspection off", func(t *testing.T) {
		res := s.gql(s.sales(), `{ __schema { types { name } } }`, nil)
		if len(res.Errors) == 0 || strings.Contains(res.Raw, "SupportSubscription") {
			t.Fatalf("introspection answered in production: %s", res.Raw)
		}
	})
	t.Run("graphiql off", func(t *testing.T) {
		res, err := http.Get(s.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("GET / = %d", res.StatusCode)
		}
	})
}

func TestRequestLimits(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), map[string]string{"PS_MAX_BODY_BYTES": "2048", "PS_GRAPHQL_COMPLEXITY_LIMIT": "50"})
	t.Run("body too large", func(t *testing.T) {
		big := `{"query":"{ viewer { subject } }","variables":{"pad":"` + strings.Repeat("x", 4096) + `"}}`
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(big))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.sales())
		if res := s.do(req); res.Status != http.StatusRequestEntityTooLarge || res.code() != "BAD_USER_INPUT" {
			t.Fatalf("status %d: %s", res.Status, res.Raw)
		}
	})
	t.Run("too complex", func(t *testing.T) {
		for _, q := range []string{
			`{ customers(first: 100) { edges { node { id name licenses { key } } } } }`,
			`{ tickets(first: 30) { edges { node { id subject } } } }`,
			`{ priorityQueue(first: 30) { id subject } }`,
			`{ creditLedger(customerId: "c", first: 30) { edges { node { id kind } } } }`,
			`{ supportSubscription(id: "s") { slaHistory(months: 36) { month status } } }`,
		} {
			res := s.gql(s.sales(), q, nil)
			if res.code() != "COMPLEXITY_LIMIT_EXCEEDED" || !strings.Contains(res.Raw, "complexity") {
				t.Errorf("%s: got %s", q, res.Raw)
			}
		}
		// Within the limit: the default history is 12 months.
		if res := s.gql(s.sales(), `{ supportSubscription(id: "s") { slaHistory(months: 3) { month status } } }`, nil); strings.Contains(res.Raw, "complexity") {
			t.Errorf("a 3-month history refused: %s", res.Raw)
		}
	})
	t.Run("page too large", func(t *testing.T) {
		// The complexity counts first as the largest page (100): within
		// the default limit, the store refuses the page itself.
		s := newTestServer(t, testdb.SQLite(t), nil)
		res := s.gql(s.sales(), `{ customers(first: 1000) { totalCount } }`, nil)
		if res.code() != "BAD_USER_INPUT" {
			t.Fatalf("got %s", res.Raw)
		}
	})
}

func TestRequestIDIsEchoedAndLogged(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	// Not /healthz: a successful probe is logged below INFO.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil)
	req.Header.Set("X-Request-Id", "trace-abc.123")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("X-Request-Id") != "trace-abc.123" {
		t.Fatalf("request id not echoed: %v", res.Header)
	}
	var line map[string]any
	for _, l := range strings.Split(s.Logs.String(), "\n") {
		if strings.Contains(l, "trace-abc.123") {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line["path"] != "/metrics" || line["status"] != float64(200) {
		t.Fatalf("access log line = %v", line)
	}
}

// io_copy copies a response body into b.
func io_copy(b *strings.Builder, res *http.Response) (int64, error) { return io.Copy(b, res.Body) }
