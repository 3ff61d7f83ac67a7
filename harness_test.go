package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/logging"
)

// Test settings: a real HS256 secret, issuer and audience, as a deployment
// would set them.
const (
	testSecret   = "0123456789abcdef0123456789abcdef-test-secret"
	testIssuer   = "https://id.vendor.test"
	testAudience = "priority-support"
	testOrigin   = "https://dashboard.vendor.test"
)

// syncBuffer is a log sink tests can read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is the real HTTP handler behind httptest, on a real database.
type testServer struct {
	t      testing.TB
	URL    string
	App    *App
	Logs   *syncBuffer
	signer *auth.Signer
}

// testEnv returns the environment of a test server on databaseURL, with
// overrides applied.
func testEnv(t testing.TB, databaseURL string, overrides map[string]string) func(string) string {
	env := map[string]string{
		"DATABASE_URL":        databaseURL,
		"PS_DATA_DIR":         t.TempDir(),
		"PS_JWT_HS256_SECRET": testSecret,
		"PS_JWT_ISSUER":       testIssuer,
		"PS_JWT_AUDIENCE":     testAudience,
		"PS_CORS_ORIGINS":     testOrigin,
		"PS_SUPPORT_DOMAIN":   "support.vendor.test",
		"PS_INBOUND_SECRET":   testInboundSecret,
	}
	for k, v := range overrides {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// newTestServer starts the server on a migrated database at databaseURL,
// after applying any changes to the wired App.
func newTestServer(t testing.TB, databaseURL string, overrides map[string]string, changes ...func(*App)) *testServer {
	t.Helper()
	return newTestServerAt(t, databaseURL, nil, overrides, changes...)
}

// newTestServerAt is newTestServer with the server's clock set to now (nil
// is time.Now).
func newTestServerAt(t testing.TB, databaseURL string, now func() time.Time, overrides map[string]string, changes ...func(*App)) *testServer {
	t.Helper()
	cfg, errs := LoadConfig(testEnv(t, databaseURL, overrides))
	if len(errs) > 0 {
		t.Fatalf("config: %v", errs)
	}
	cfg.Now = now
	logs := &syncBuffer{}
	log := logTo(logs)
	app, closeDB, err := open(t.Context(), cfg, log, true)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(closeDB)
	for _, change := range changes {
		change(app)
	}
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	signer, err := auth.NewHS256Signer([]byte(testSecret), testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{t: t, URL: srv.URL, App: app, Logs: logs, signer: signer}
}

// token mints a valid token for the roles (and customer, for customer
// users).
func (s *testServer) token(customerID string, roles ...auth.Role) string {
	s.t.Helper()
	tok, err := s.signer.Sign(auth.Claims{Subject: "user-" + string(roles[0]) + customerID, Roles: roles, CustomerID: customerID, TTL: time.Hour})
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// gqlResponse is a GraphQL response with its HTTP status.
type gqlResponse struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Raw    string
}

// code returns the extensions.code of the first error, or "".
func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// decode unmarshals the data into v and fails the test on errors.
func (r gqlResponse) decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %s", r.Raw)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode %s: %v", r.Raw, err)
	}
}

// gql posts a GraphQL request with the bearer token (none when empty).
func (s *testServer) gql(token, query string, vars map[string]any) gqlResponse {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.do(req)
}

// do sends a request and decodes a GraphQL-shaped response.
func (s *testServer) do(req *http.Request) gqlResponse {
	s.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := gqlResponse{Status: res.StatusCode, Raw: string(raw)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			s.t.Fatalf("response is not JSON: %s", raw)
		}
	}
	return out
}

// fixture is a customer with a valid paid license and a live subscription.
type fixture struct {
	CustomerID     string
	SubscriptionID string
}

// sales is a sales token.
func (s *testServer) sales() string { return s.token("", auth.RoleSales) }

// mustCustomer creates a customer with a paid license valid now and a
// subscription covering domains.
func (s *testServer) mustCustomer(name string, domains ...string) fixture {
	s.t.Helper()
	var f fixture
	var c struct{ CreateCustomer struct{ ID string } }
	s.gql(s.sales(), `mutation($n: String!) { createCustomer(input: {name: $n}) { id } }`, map[string]any{"n": name}).decode(s.t, &c)
	f.CustomerID = c.CreateCustomer.ID
	s.mustLicense(f.CustomerID, name+"-KEY", true, time.Now().AddDate(0, -1, 0), time.Now().AddDate(0, 11, 0))
	if len(domains) > 0 {
		var sub struct{ CreateSupportSubscription struct{ ID string } }
		s.gql(s.sales(), `mutation($c: ID!, $d: [String!]!) { createSupportSubscription(input: {customerId: $c, domains: $d}) { id } }`,
			map[string]any{"c": f.CustomerID, "d": domains}).decode(s.t, &sub)
		f.SubscriptionID = sub.CreateSupportSubscription.ID
	}
	return f
}

// mustLicense records a license.
func (s *testServer) mustLicense(customerID, key string, paid bool, from, until time.Time) {
	s.t.Helper()
	var l struct{ RecordLicense struct{ ID string } }
	s.gql(s.sales(), `mutation($in: RecordLicenseInput!) { recordLicense(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"customerId": customerID, "key": key, "paid": paid, "validFrom": from.Format(time.RFC3339), "validUntil": until.Format(time.RFC3339),
	}}).decode(s.t, &l)
}

// logDiscard is a logger that writes nowhere.
func logDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// logTo is the production (JSON) logger writing into b.
func logTo(b *syncBuffer) *slog.Logger { return logging.New(b, true) }
