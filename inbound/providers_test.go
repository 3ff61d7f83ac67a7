package inbound

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// sampleMessage is a real message from the shared samples (testdata/mail
// holds a copy of ../shared/testdata/mail).
const sampleMessage = "../testdata/mail/mail-mime-alternative.eml"

// unparseable is a message the parser refuses: its From has no domain.
const unparseable = "From: jane\r\nSubject: x\r\n\r\nbody\r\n"

func readSample(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile(sampleMessage)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// deliveries records what the observer was told.
type deliveries struct {
	mu   sync.Mutex
	list []Delivery
}

func (d *deliveries) observe(_ context.Context, x Delivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.list = append(d.list, x)
}

func (d *deliveries) outcomes() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, x := range d.list {
		out = append(out, x.Outcome)
	}
	return out
}

// rig is a provider endpoint's shared part on a real, migrated database.
type rig struct {
	db   *bun.DB
	hook Webhook
	seen *deliveries
}

func newRig(t *testing.T, db *bun.DB, maxBytes int64) *rig {
	st := store.New(db, store.Options{DomainPolicy: models.DomainPolicy{SupportDomain: "vendor.test"}})
	in := NewHandler(Handler{Store: st, SupportDomain: "vendor.test", MaxBytes: maxBytes, Log: slog.New(slog.DiscardHandler)}, 0)
	seen := &deliveries{}
	return &rig{db: db, hook: Webhook{Inbound: in, Observe: seen.observe}, seen: seen}
}

// count returns the rows of a table.
func (r *rig) count(t testing.TB, table string) int64 {
	t.Helper()
	n, err := r.db.NewSelect().TableExpr(table).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// source returns a mail source's taken and refused counts (0, 0 when it
// has none).
func (r *rig) source(t testing.TB, provider string) (taken, refused int64) {
	t.Helper()
	var src store.MailSource
	err := r.db.NewSelect().Model(&src).Where("source = ?", SourceName(provider)).Scan(context.Background())
	if err != nil {
		return 0, 0
	}
	return src.Taken, src.Refused
}

// serve sends req to h and returns the recorder.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// eachDB runs fn on SQLite and, when configured, PostgreSQL.
func eachDB(t *testing.T, fn func(t *testing.T, db *bun.DB)) { testdb.EachDB(t, fn) }
