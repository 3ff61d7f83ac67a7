package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// apqResponse is a GraphQL response with its HTTP status.
type apqResponse struct {
	status int
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r apqResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// persistedHandler is the GraphQL handler over an empty resolver: enough
// for __typename.
func persistedHandler(opts PersistedOptions, limits Limits) http.Handler {
	return NewHandler(&Resolver{}, HandlerOptions{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Persisted: opts, Limits: limits,
	})
}

// post sends body as JSON to h.
func post(t *testing.T, h http.Handler, body map[string]any) apqResponse {
	t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return serve(t, h, req)
}

// get sends the parameters as a GET to h.
func get(t *testing.T, h http.Handler, params url.Values) apqResponse {
	t.Helper()
	return serve(t, h, httptest.NewRequest(http.MethodGet, "/graphql?"+params.Encode(), nil))
}

func serve(t *testing.T, h http.Handler, req *http.Request) apqResponse {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out apqResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("response is not JSON: %s", rec.Body)
	}
	out.status = rec.Code
	return out
}

func persistedQuery(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

func TestAutomaticPersistedQueries(t *testing.T) {
	h := persistedHandler(PersistedOptions{}, Limits{})
	const query = "query Probe { __typename }"
	hash := sha256Hex(query)

	t.Run("the Apollo Link flow", func(t *testing.T) {
		res := post(t, h, map[string]any{"extensions": persistedQuery(hash)})
		if res.status != http.StatusOK || res.code() != CodePersistedQueryNotFound || res.Errors[0].Message != "PersistedQueryNotFound" {
			t.Fatalf("hash only, unknown: %d %+v", res.status, res.Errors)
		}
		res = post(t, h, map[string]any{"query": query, "extensions": persistedQuery(hash)})
		if res.status != http.StatusOK || len(res.Errors) > 0 || res.Data["__typename"] != "Query" {
			t.Fatalf("hash and query: %d %+v", res.status, res)
		}
		res = post(t, h, map[string]any{"extensions": persistedQuery(hash)})
		if res.status != http.StatusOK || len(res.Errors) > 0 || res.Data["__typename"] != "Query" {
			t.Fatalf("hash only, known: %d %+v", res.status, res)
		}
		ext, _ := json.Marshal(persistedQuery(hash))
		res = get(t, h, url.Values{"extensions": {string(ext)}, "operationName": {"Probe"}})
		if res.status != http.StatusOK || res.Data["__typename"] != "Query" {
			t.Fatalf("GET with the hash: %d %+v", res.status, res)
		}
	})
	t.Run("a hash that is not the query's is refused", func(t *testing.T) {
		other := "{ __typename }"
		res := post(t, h, map[string]any{"query": other, "extensions": persistedQuery(hash)})
		if res.code() != CodeBadRequest || res.Data != nil {
			t.Fatalf("mismatch: %+v", res)
		}
		res = post(t, h, map[string]any{"query": other, "extensions": persistedQuery("not-a-hash")})
		if res.code() != CodeBadRequest {
			t.Fatalf("not a hash: %+v", res)
		}
		res = post(t, h, map[string]any{"query": other, "extensions": map[string]any{"persistedQuery": map[string]any{"version": 2, "sha256Hash": sha256Hex(other)}}})
		if res.code() != CodeBadRequest {
			t.Fatalf("version 2: %+v", res)
		}
	})
	t.Run("a mutation stays POST only", func(t *testing.T) {
		// Learned over POST (where it runs, and is refused for want of a
		// token), a mutation is still refused over GET.
		m := `mutation { resolveTicket(id: "1") { id } }`
		post(t, h, map[string]any{"query": m, "extensions": persistedQuery(sha256Hex(m))})
		ext, _ := json.Marshal(persistedQuery(sha256Hex(m)))
		res := get(t, h, url.Values{"extensions": {string(ext)}})
		if res.code() != CodeBadRequest || res.Data != nil {
			t.Fatalf("mutation over GET: %+v", res)
		}
	})
}

func TestAPQDocumentsPassTheLimits(t *testing.T) {
	h := persistedHandler(PersistedOptions{}, Limits{Depth: 2})
	deep := "{ viewer { customer { name } } }"
	hash := sha256Hex(deep)
	res := post(t, h, map[string]any{"query": deep, "extensions": persistedQuery(hash)})
	if res.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("over the depth limit: %+v", res)
	}
	// Refused documents are not kept.
	res = post(t, h, map[string]any{"extensions": persistedQuery(hash)})
	if res.code() != CodePersistedQueryNotFound {
		t.Fatalf("a refused document was kept: %+v", res)
	}
}

func TestAPQCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	t.Run("entries", func(t *testing.T) {
		c := NewAPQCache(2, 1<<20)
		c.Add(ctx, "a", "{ a }")
		c.Add(ctx, "b", "{ b }")
		c.Get(ctx, "a") // a is now the most recently used
		c.Add(ctx, "c", "{ c }")
		if _, ok := c.Get(ctx, "b"); ok {
			t.Fatal("b should have been dropped")
		}
		for _, k := range []string{"a", "c"} {
			if _, ok := c.Get(ctx, k); !ok {
				t.Fatalf("%s was dropped", k)
			}
		}
	})
	t.Run("bytes", func(t *testing.T) {
		c := NewAPQCache(100, 100)
		doc := strings.Repeat("x", 40)
		c.Add(ctx, "1", doc)
		c.Add(ctx, "2", doc)
		c.Add(ctx, "3", doc)
		n, size := c.Len()
		if n != 2 || size > 100 {
			t.Fatalf("kept %d documents, %d bytes; want 2 within 100", n, size)
		}
		c.Add(ctx, "big", strings.Repeat("y", 200))
		if _, ok := c.Get(ctx, "big"); ok {
			t.Fatal("a document larger than the cache was kept")
		}
	})
	t.Run("a document too long for the query cache", func(t *testing.T) {
		c := NewAPQCache(10, 1<<30)
		c.Add(ctx, "long", strings.Repeat("z", maxCachedQueryBytes+1))
		if n, _ := c.Len(); n != 0 {
			t.Fatal("a document over maxCachedQueryBytes was kept")
		}
	})
}

func TestParseTrustedDocuments(t *testing.T) {
	viewer := "query Viewer { viewer { subject } }"
	good := map[string]string{sha256Hex(viewer): viewer, "relay-4f2a": "query Tickets { tickets { totalCount } }"}
	b, _ := json.Marshal(good)
	docs, err := ParseTrustedDocuments(b)
	if err != nil || docs.Len() != 2 {
		t.Fatalf("good manifest: %v", err)
	}
	bad := []struct{ name, manifest, want string }{
		{"not an object", `["x"]`, "not a JSON object"},
		{"not JSON", `{"a": "{ viewer { subject } }"`, "not valid JSON"},
		{"empty", `{}`, "no documents"},
		{"value not a string", `{"a": 1}`, "must be a document"},
		{"repeated id", `{"a": "{ viewer { subject } }", "a": "{ viewer { roles } }"}`, "appears twice"},
		{"does not parse", `{"a": "query {"}`, "does not parse"},
		{"unknown field", `{"a": "{ nothing }"}`, "does not validate"},
		{"hash of another document", `{"` + sha256Hex("{ other }") + `": "{ viewer { subject } }"}`, "looks like a SHA-256"},
		{"trailing data", `{"a": "{ viewer { subject } }"} {}`, "after its object"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTrustedDocuments([]byte(c.manifest))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
}

func TestTrustedDocumentsMode(t *testing.T) {
	probe := "query Probe { __typename }"
	relayID := "5a1e2c9f"
	docs, err := ParseTrustedDocuments([]byte(`{"` + sha256Hex(probe) + `": "query Probe { __typename }", "` + relayID + `": "query Relay { __typename }"}`))
	if err != nil {
		t.Fatal(err)
	}
	h := persistedHandler(PersistedOptions{Trusted: docs}, Limits{})
	ok := func(t *testing.T, res apqResponse) {
		t.Helper()
		if res.status != http.StatusOK || len(res.Errors) > 0 || res.Data["__typename"] != "Query" {
			t.Fatalf("want the document run: %d %+v", res.status, res)
		}
	}
	refused := func(t *testing.T, res apqResponse) {
		t.Helper()
		if res.code() != CodePersistedQueryNotAllowed || res.Data != nil {
			t.Fatalf("want %s: %d %+v", CodePersistedQueryNotAllowed, res.status, res)
		}
	}
	t.Run("by sha256Hash", func(t *testing.T) { ok(t, post(t, h, map[string]any{"extensions": persistedQuery(sha256Hex(probe))})) })
	t.Run("by documentId", func(t *testing.T) { ok(t, post(t, h, map[string]any{"documentId": sha256Hex(probe)})) })
	t.Run("by documentId with its prefix", func(t *testing.T) { ok(t, post(t, h, map[string]any{"documentId": "sha256:" + sha256Hex(probe)})) })
	t.Run("by Relay's doc_id", func(t *testing.T) { ok(t, post(t, h, map[string]any{"doc_id": relayID})) })
	t.Run("by id", func(t *testing.T) { ok(t, post(t, h, map[string]any{"id": relayID})) })
	t.Run("by GET", func(t *testing.T) { ok(t, get(t, h, url.Values{"documentId": {sha256Hex(probe)}})) })
	t.Run("the document's own text", func(t *testing.T) { ok(t, post(t, h, map[string]any{"query": probe})) })
	t.Run("another document", func(t *testing.T) { refused(t, post(t, h, map[string]any{"query": "{ __typename }"})) })
	t.Run("another document with its own hash", func(t *testing.T) {
		other := "{ __typename }"
		refused(t, post(t, h, map[string]any{"query": other, "extensions": persistedQuery(sha256Hex(other))}))
		// Nothing was learned from it.
		refused(t, post(t, h, map[string]any{"extensions": persistedQuery(sha256Hex(other))}))
	})
	t.Run("an unknown id", func(t *testing.T) { refused(t, post(t, h, map[string]any{"documentId": "nope"})) })
	t.Run("a known id with another query", func(t *testing.T) {
		refused(t, post(t, h, map[string]any{"documentId": relayID, "query": "{ __typename }"}))
	})
}
