package graph

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/prioritysupport/backend/graph/generated"
)

// Persisted operations come in two modes.
//
// Automatic persisted queries (the default) follow Apollo's protocol: a
// client sends extensions.persistedQuery {version: 1, sha256Hash} with or
// without the query, over POST or GET. A hash the server does not know is
// answered, with HTTP 200, by the error Apollo Link retries on
// ("PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND); the retry carries
// the query, whose hash is checked, and once it has parsed and validated
// it is kept in a bounded cache for the hash-only requests that follow.
// Every document still passes the limits, wherever it came from.
//
// Trusted documents (PS_TRUSTED_DOCUMENTS) are the production mode: the
// server runs only the documents of a manifest written by the client's
// build, sent by id, and refuses everything else with
// PERSISTED_QUERY_NOT_ALLOWED. Nothing is learned at run time.

// Error codes of persisted operations.
const (
	// CodePersistedQueryNotFound: the hash is not known (yet); send it again
	// with the query. Its message is the one Apollo Link looks for.
	CodePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
	// CodePersistedQueryNotAllowed: the server runs only its trusted
	// documents and this is not one of them.
	CodePersistedQueryNotAllowed = "PERSISTED_QUERY_NOT_ALLOWED"
)

// persistedQueryNotFoundMessage is the message Apollo's clients match on.
const persistedQueryNotFoundMessage = "PersistedQueryNotFound"

func init() {
	errcode.RegisterErrorType(CodePersistedQueryNotAllowed, errcode.KindProtocol)
}

// Defaults of the automatic persisted query cache.
const (
	// DefaultAPQCacheEntries is how many documents the cache keeps at most.
	DefaultAPQCacheEntries = 1000
	// DefaultAPQCacheBytes is how many bytes of documents (and their
	// hashes) the cache keeps at most.
	DefaultAPQCacheBytes = 8 << 20
)

// PersistedOptions configure persisted operations.
type PersistedOptions struct {
	// CacheEntries and CacheBytes bound the automatic persisted query
	// cache; zero takes DefaultAPQCacheEntries and DefaultAPQCacheBytes.
	// A document longer than the query cache keeps (32 KiB) is not kept
	// here either: its client sends it in full each time.
	CacheEntries int
	CacheBytes   int64
	// Trusted, when set, holds the only documents the server runs; the
	// automatic persisted query cache is then off.
	Trusted *TrustedDocuments
}

// persistedOperations returns the extension of opts, and the HTTP
// middleware that reads a document id sent beside the query (trusted mode
// only; nil otherwise).
func persistedOperations(opts PersistedOptions) (persistedExtension, func(http.Handler) http.Handler) {
	if opts.Trusted != nil {
		return persistedExtension{trusted: opts.Trusted}, withDocumentID
	}
	entries, size := opts.CacheEntries, opts.CacheBytes
	if entries <= 0 {
		entries = DefaultAPQCacheEntries
	}
	if size <= 0 {
		size = DefaultAPQCacheBytes
	}
	return persistedExtension{cache: NewAPQCache(entries, size)}, nil
}

// persistedExtension resolves persisted operations inside gqlgen's
// pipeline, before the limits see the document.
type persistedExtension struct {
	cache   *APQCache         // automatic persisted queries; nil in trusted mode
	trusted *TrustedDocuments // nil unless trusted mode
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = persistedExtension{}

func (persistedExtension) ExtensionName() string                   { return "PersistedOperations" }
func (persistedExtension) Validate(graphql.ExecutableSchema) error { return nil }

// apqPending is the operation-stats key under which a hash waits, between
// parameters and context, to be stored once its query has validated.
const apqPending = "PersistedOperations.pending"

// MutateOperationParameters puts the persisted document in place of the
// id, or refuses the request.
func (e persistedExtension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	id, err := persistedQueryID(p.Extensions)
	if err != nil {
		return err
	}
	if e.trusted != nil {
		if id == "" {
			id, _ = ctx.Value(documentIDKey{}).(string)
		}
		return e.trusted.resolve(p, id)
	}
	if id == "" {
		return nil
	}
	id = strings.ToLower(id)
	if !isSHA256Hex(id) {
		return badRequest("extensions.persistedQuery.sha256Hash must be the 64 hex digits of the query's SHA-256")
	}
	if p.Query == "" {
		q, ok := e.cache.Get(ctx, id)
		if !ok {
			err := gqlerror.Errorf("%s", persistedQueryNotFoundMessage)
			errcode.Set(err, CodePersistedQueryNotFound)
			return err
		}
		p.Query = q
		return nil
	}
	if sha256Hex(p.Query) != id {
		return badRequest("extensions.persistedQuery.sha256Hash is not the SHA-256 of the query")
	}
	if opCtx := graphql.GetOperationContext(ctx); opCtx != nil {
		opCtx.Stats.SetExtension(apqPending, id)
	}
	return nil
}

// MutateOperationContext keeps a query sent with its hash, now that it has
// parsed and validated: a document the server refuses is never kept.
func (e persistedExtension) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if e.cache == nil {
		return nil
	}
	if id, ok := opCtx.Stats.GetExtension(apqPending).(string); ok {
		e.cache.Add(context.Background(), id, opCtx.RawQuery)
	}
	return nil
}

// persistedQueryID returns extensions.persistedQuery.sha256Hash, or ""
// when the request has no persistedQuery.
func persistedQueryID(ext map[string]any) (string, *gqlerror.Error) {
	raw, ok := ext["persistedQuery"]
	if !ok || raw == nil {
		return "", nil
	}
	pq, ok := raw.(map[string]any)
	if !ok {
		return "", badRequest("extensions.persistedQuery must be an object {version: 1, sha256Hash}")
	}
	if v := fmt.Sprint(pq["version"]); v != "1" {
		return "", badRequest("extensions.persistedQuery.version must be 1")
	}
	hash, ok := pq["sha256Hash"].(string)
	if !ok || hash == "" || len(hash) > maxDocumentIDBytes {
		return "", badRequest("extensions.persistedQuery.sha256Hash must be the query's SHA-256 in hex")
	}
	return hash, nil
}

// badRequest is a refused request's error, with CodeBadRequest.
func badRequest(msg string) *gqlerror.Error {
	err := gqlerror.Errorf("%s", msg)
	errcode.Set(err, CodeBadRequest)
	return err
}

// notAllowed is the error of a document the trusted documents do not hold.
func notAllowed(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, CodePersistedQueryNotAllowed)
	return err
}

// sha256Hex returns the hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// isSHA256Hex reports whether s is 64 lower-case hex digits.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// APQCache is the automatic persisted query cache: hash → document, least
// recently used first out, bounded in entries and in bytes. It is safe for
// concurrent use, and local to one process: a replica that does not know a
// hash answers PERSISTED_QUERY_NOT_FOUND and the client sends it again.
type APQCache struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int64
	bytes      int64
	order      *list.List // of *apqEntry, most recently used first
	byHash     map[string]*list.Element
}

type apqEntry struct{ hash, query string }

func (e *apqEntry) size() int64 { return int64(len(e.hash) + len(e.query)) }

var _ graphql.Cache[string] = (*APQCache)(nil)

// NewAPQCache returns an empty cache of at most maxEntries documents and
// maxBytes bytes.
func NewAPQCache(maxEntries int, maxBytes int64) *APQCache {
	return &APQCache{maxEntries: maxEntries, maxBytes: maxBytes, order: list.New(), byHash: map[string]*list.Element{}}
}

// Get returns the document of hash, if kept.
func (c *APQCache) Get(_ context.Context, hash string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byHash[hash]
	if !ok {
		return "", false
	}
	c.order.MoveToFront(el)
	return el.Value.(*apqEntry).query, true
}

// Add keeps query under hash, dropping the least recently used documents
// until both bounds hold. A document longer than the query cache keeps
// (maxCachedQueryBytes) or than the whole cache is not kept.
func (c *APQCache) Add(_ context.Context, hash, query string) {
	e := &apqEntry{hash: hash, query: query}
	if len(query) > maxCachedQueryBytes || e.size() > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byHash[hash]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.byHash[hash] = c.order.PushFront(e)
	c.bytes += e.size()
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		last := c.order.Back()
		old := last.Value.(*apqEntry)
		c.order.Remove(last)
		delete(c.byHash, old.hash)
		c.bytes -= old.size()
	}
}

// Len returns how many documents are kept and their bytes.
func (c *APQCache) Len() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}

// maxDocumentIDBytes bounds an operation id, sent or in a manifest.
const maxDocumentIDBytes = 256

// TrustedDocuments are the only operations a server in trusted mode runs:
// a manifest of id → document, as graphql-codegen's client preset writes
// it (persisted-documents.json, the id the document's SHA-256) and as
// Relay's compiler writes its persisted queries (the id Relay's hash).
type TrustedDocuments struct {
	byID   map[string]string
	byText map[string]bool
}

// Len returns how many documents the manifest holds.
func (t *TrustedDocuments) Len() int { return len(t.byID) }

// LoadTrustedDocuments reads and checks the manifest at path (see
// ParseTrustedDocuments).
func LoadTrustedDocuments(path string) (*TrustedDocuments, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %q: %w", path, errors.Unwrap(err))
	}
	t, err := ParseTrustedDocuments(data)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", path, err)
	}
	return t, nil
}

// ParseTrustedDocuments reads a manifest: one JSON object whose keys are
// operation ids and whose values are GraphQL documents. It returns an
// error naming the first bad entry: an id repeated, empty or longer than
// 256 bytes, a 64-hex-digit id that is not its document's SHA-256, or a
// document that does not parse or does not validate against the schema.
// An empty manifest is an error too: it would refuse every request.
func ParseTrustedDocuments(data []byte) (*TrustedDocuments, error) {
	entries, err := readManifest(data)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, errors.New("the manifest holds no documents")
	}
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	t := &TrustedDocuments{byID: make(map[string]string, len(entries)), byText: make(map[string]bool, len(entries))}
	ids := make([]string, 0, len(entries))
	for id := range entries {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		doc := entries[id]
		if id == "" || len(id) > maxDocumentIDBytes {
			return nil, fmt.Errorf("entry %.40q: an id must be 1 to %d bytes", id, maxDocumentIDBytes)
		}
		if len(id) == 64 && isHex(id) && !strings.EqualFold(id, sha256Hex(doc)) {
			return nil, fmt.Errorf("entry %q: the id looks like a SHA-256 but its document's is %s", id, sha256Hex(doc))
		}
		parsed, perr := parser.ParseQuery(&ast.Source{Input: doc})
		if perr != nil {
			return nil, fmt.Errorf("entry %q: the document does not parse: %v", id, perr)
		}
		if errs := validator.ValidateWithRules(schema, parsed, nil); len(errs) > 0 {
			return nil, fmt.Errorf("entry %q: the document does not validate against the schema: %v", id, errs[0].Message)
		}
		key := id
		if len(id) == 64 && isHex(id) {
			key = strings.ToLower(id)
		}
		t.byID[key] = doc
		t.byText[doc] = true
	}
	return t, nil
}

// readManifest decodes the manifest's object, refusing a repeated id.
func readManifest(data []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New(`the manifest is not a JSON object {"<id>": "<document>", …}`)
	}
	out := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("the manifest is not valid JSON: %v", err)
		}
		id := tok.(string) // object keys are strings
		var doc string
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("entry %.40q: the value must be a document as a string", id)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("entry %.40q appears twice", id)
		}
		out[id] = doc
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("the manifest is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("the manifest has data after its object")
	}
	return out, nil
}

// isHex reports whether s is hex digits only.
func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && len(s)%2 == 0
}

// resolve puts the trusted document of id in p, or checks that the query
// p carries is one; anything else is refused.
func (t *TrustedDocuments) resolve(p *graphql.RawParams, id string) *gqlerror.Error {
	if id != "" {
		doc, ok := t.byID[id]
		if !ok && isHex(id) {
			doc, ok = t.byID[strings.ToLower(id)]
		}
		if !ok {
			return notAllowed("the operation %.80q is not one of this server's trusted documents", id)
		}
		if p.Query != "" && p.Query != doc {
			return notAllowed("the query sent is not the trusted document %.80q", id)
		}
		p.Query = doc
		return nil
	}
	if p.Query == "" {
		return nil // gqlgen answers that the request has no query
	}
	if !t.byText[p.Query] {
		return notAllowed("this server runs only its trusted documents: send the operation's id (documentId, or extensions.persistedQuery.sha256Hash)")
	}
	return nil
}

type documentIDKey struct{}

// withDocumentID reads the id a client sends beside (or instead of) the
// query as a top-level field, which gqlgen's transports do not read:
// documentId (graphql-codegen's client preset and the GraphQL over HTTP
// draft, with or without a "sha256:" prefix), doc_id (Relay's examples)
// or id, from a POST's JSON body or a GET's parameters. The body is read
// within the body-size limit already in place and handed on unchanged.
func withDocumentID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ids struct {
			DocumentID any `json:"documentId"`
			DocID      any `json:"doc_id"`
			ID         any `json:"id"`
		}
		switch r.Method {
		case http.MethodGet:
			q := r.URL.Query()
			ids.DocumentID, ids.DocID, ids.ID = q.Get("documentId"), q.Get("doc_id"), q.Get("id")
		case http.MethodPost:
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" || r.Body == nil {
				break
			}
			body, err := io.ReadAll(r.Body)
			r.Body.Close()
			if err != nil {
				r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
				break
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			_ = json.Unmarshal(body, &ids) // a body that is not JSON is gqlgen's to refuse
		}
		for _, v := range []any{ids.DocumentID, ids.DocID, ids.ID} {
			if id, ok := v.(string); ok && id != "" && len(id) <= maxDocumentIDBytes+len("sha256:") {
				id = strings.TrimPrefix(id, "sha256:")
				r = r.WithContext(context.WithValue(r.Context(), documentIDKey{}, id))
				break
			}
		}
		next.ServeHTTP(w, r)
	})
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
