package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/testdb"
)

// dashboardManifest is the persisted-documents manifest graphql-codegen
// writes for the dashboard's operations (examples/dashboard-queries).
var dashboardManifest = filepath.Join("examples", "dashboard-queries", "src", "gql", "persisted-documents.json")

// gqlBody posts body (query, extensions, documentId, …) as JSON.
func (s *testServer) gqlBody(token string, body map[string]any) gqlResponse {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.do(req)
}

// gqlGet sends a GET /graphql with the parameters.
func (s *testServer) gqlGet(token string, params url.Values) gqlResponse {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/graphql?"+params.Encode(), nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.do(req)
}

func apqExtensions(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

func hashOf(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:])
}

func TestAutomaticPersistedQueriesThroughTheServer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		f := s.mustCustomer("Persisted Ltd", "persisted.example")
		tok := s.token(f.CustomerID, auth.RoleCustomer)
		const query = "query Me { viewer { subject roles customer { name } } }"
		hash := hashOf(query)
		wantName := func(t *testing.T, res gqlResponse) {
			t.Helper()
			var out struct {
				Viewer struct{ Customer struct{ Name string } }
			}
			res.decode(t, &out)
			if res.Status != http.StatusOK || out.Viewer.Customer.Name != "Persisted Ltd" {
				t.Fatalf("status %d: %s", res.Status, res.Raw)
			}
		}

		// Apollo Link: the hash alone, the hash with the query on
		// PERSISTED_QUERY_NOT_FOUND, then the hash alone again.
		res := s.gqlBody(tok, map[string]any{"extensions": apqExtensions(hash)})
		if res.Status != http.StatusOK || res.code() != "PERSISTED_QUERY_NOT_FOUND" || res.Errors[0].Message != "PersistedQueryNotFound" {
			t.Fatalf("unknown hash: status %d: %s", res.Status, res.Raw)
		}
		wantName(t, s.gqlBody(tok, map[string]any{"query": query, "extensions": apqExtensions(hash)}))
		wantName(t, s.gqlBody(tok, map[string]any{"extensions": apqExtensions(hash)}))

		// GET with the hash only, as a CDN would cache it.
		ext, _ := json.Marshal(apqExtensions(hash))
		wantName(t, s.gqlGet(tok, url.Values{"extensions": {string(ext)}}))

		// The document learned is still the caller's: another caller's
		// token sees its own answer.
		other := s.mustCustomer("Other Persisted", "other-persisted.example")
		var out struct {
			Viewer struct{ Customer struct{ Name string } }
		}
		s.gqlBody(s.token(other.CustomerID, auth.RoleCustomer), map[string]any{"extensions": apqExtensions(hash)}).decode(t, &out)
		if out.Viewer.Customer.Name != "Other Persisted" {
			t.Fatalf("other caller got %q", out.Viewer.Customer.Name)
		}

		// A hash that is not the query's is refused and runs nothing.
		res = s.gqlBody(tok, map[string]any{"query": "{ viewer { subject } }", "extensions": apqExtensions(hash)})
		if res.code() != "BAD_REQUEST" || string(res.Data) != "" && string(res.Data) != "null" {
			t.Fatalf("mismatch: status %d: %s", res.Status, res.Raw)
		}

		// A mutation learned over POST still does not run over GET.
		m := `mutation($c: ID!) { closeAccount(customerId: $c) { id } }`
		s.gqlBody(s.sales(), map[string]any{"query": m, "variables": map[string]any{"c": "nope"}, "extensions": apqExtensions(hashOf(m))})
		ext, _ = json.Marshal(apqExtensions(hashOf(m)))
		res = s.gqlGet(s.sales(), url.Values{"extensions": {string(ext)}, "variables": {`{"c": "nope"}`}})
		if res.code() != "BAD_REQUEST" {
			t.Fatalf("mutation over GET: status %d: %s", res.Status, res.Raw)
		}
	})
}

// manifestID returns the id of the manifest's operation named name.
func manifestID(t *testing.T, manifest map[string]string, name string) string {
	t.Helper()
	re := regexp.MustCompile(`^\s*(query|mutation|subscription)\s+` + name + `\b`)
	for id, doc := range manifest {
		if re.MatchString(doc) {
			return id
		}
	}
	t.Fatalf("the manifest has no operation %s", name)
	return ""
}

// readDashboardManifest returns the dashboard's persisted-documents
// manifest: document by id.
func readDashboardManifest(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(dashboardManifest)
	if err != nil {
		t.Fatalf("the dashboard's manifest (npm run codegen in examples/dashboard-queries writes it): %v", err)
	}
	var manifest map[string]string
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	return manifest
}

func TestTrustedDocumentsThroughTheServer(t *testing.T) {
	manifest := readDashboardManifest(t)
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, map[string]string{"PS_TRUSTED_DOCUMENTS": dashboardManifest})
		// createCustomer is not a dashboard operation, so the trusted
		// server refuses it: the fixture is made by a server without a
		// manifest on the same database.
		setup := newTestServer(t, databaseURL, nil)
		f := setup.mustCustomer("Trusted Ltd", "trusted.example")
		tok := s.token(f.CustomerID, auth.RoleCustomer)

		viewer := manifestID(t, manifest, "Viewer")
		var me struct {
			Viewer struct{ Customer struct{ Name string } }
		}
		s.gqlBody(tok, map[string]any{"extensions": apqExtensions(viewer)}).decode(t, &me)
		if me.Viewer.Customer.Name != "Trusted Ltd" {
			t.Fatalf("viewer by sha256Hash: %+v", me)
		}
		tickets := manifestID(t, manifest, "TicketsPage")
		var page struct{ Tickets struct{ TotalCount int } }
		s.gqlBody(tok, map[string]any{"documentId": tickets, "variables": map[string]any{"first": 10}}).decode(t, &page)
		ext, _ := json.Marshal(apqExtensions(viewer))
		if res := s.gqlGet(tok, url.Values{"extensions": {string(ext)}}); res.Status != http.StatusOK || len(res.Errors) > 0 {
			t.Fatalf("viewer by GET: status %d: %s", res.Status, res.Raw)
		}
		credits := manifestID(t, manifest, "Credits")
		if res := s.gqlGet(tok, url.Values{"documentId": {credits}}); res.Status != http.StatusOK || len(res.Errors) > 0 {
			t.Fatalf("credits by GET documentId: status %d: %s", res.Status, res.Raw)
		}
		// The manifest's document sent as text runs too.
		if res := s.gql(tok, manifest[viewer], nil); len(res.Errors) > 0 {
			t.Fatalf("viewer as text: %s", res.Raw)
		}

		refused := []struct {
			name string
			body map[string]any
		}{
			{"another document", map[string]any{"query": "{ viewer { subject } }"}},
			{"another document with its hash", map[string]any{"query": "{ viewer { subject } }", "extensions": apqExtensions(hashOf("{ viewer { subject } }"))}},
			{"an unknown id", map[string]any{"documentId": hashOf("{ viewer { roles } }")}},
			{"a known id with another query", map[string]any{"documentId": viewer, "query": "{ viewer { roles } }"}},
			{"a staff mutation", map[string]any{"query": `mutation { createCustomer(input: {name: "X"}) { id } }`}},
		}
		for _, c := range refused {
			t.Run(c.name, func(t *testing.T) {
				res := s.gqlBody(s.sales(), c.body)
				if res.code() != "PERSISTED_QUERY_NOT_ALLOWED" || res.Status != http.StatusUnprocessableEntity {
					t.Fatalf("status %d: %s", res.Status, res.Raw)
				}
			})
		}
		// Nothing was learned from the refused documents.
		if res := s.gqlBody(tok, map[string]any{"extensions": apqExtensions(hashOf("{ viewer { subject } }"))}); res.code() != "PERSISTED_QUERY_NOT_ALLOWED" {
			t.Fatalf("a refused document was learned: %s", res.Raw)
		}
	})
}
