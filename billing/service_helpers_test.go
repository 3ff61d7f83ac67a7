package billing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/internal/stripetest"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// whSecret is the webhook signing secret of the services under test.
const whSecret = "whsec_service_test"

// newService returns a Service over db at the clock's time (t0 when clk is
// nil) with the given Stripe client (nil: disabled).
func newService(t *testing.T, db *bun.DB, clk *clock, s *billing.Stripe) *billing.Service {
	t.Helper()
	if clk == nil {
		clk = &clock{t: t0}
	}
	return &billing.Service{
		DB: db, Store: store.New(db, store.Options{Now: clk.now}), Ledger: billing.NewLedger(db, clk.now),
		Stripe: s, WebhookSecret: whSecret, Now: clk.now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// mockStripe returns a client of stripe-mock, skipping the test without one.
func mockStripe(t *testing.T) *billing.Stripe {
	t.Helper()
	s, err := billing.NewStripe(billing.StripeConfig{SecretKey: stripetest.SecretKey, APIBase: stripetest.APIBase(t), PriceID: "price_yearly"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeStripe returns a client of a fake Stripe served by h.
func fakeStripe(t *testing.T, h http.HandlerFunc) *billing.Stripe {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s, err := billing.NewStripe(billing.StripeConfig{SecretKey: "sk_test_fake", APIBase: srv.URL, PriceID: "price_yearly"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stripeError answers like Stripe does when it fails.
func stripeError(w http.ResponseWriter, status int, typ, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": typ, "message": message}})
}

// stripeJSON answers with a Stripe object.
func stripeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// chargeList is a Stripe list of charges.
func chargeList(charges ...map[string]any) map[string]any {
	data := make([]any, len(charges))
	for i, c := range charges {
		data[i] = c
	}
	return map[string]any{"object": "list", "data": data, "has_more": false, "url": "/v1/charges"}
}

// charge is a succeeded USD charge.
func charge(id string, amount, refunded int64) map[string]any {
	return map[string]any{"id": id, "object": "charge", "amount": amount, "amount_refunded": refunded,
		"currency": "usd", "status": "succeeded", "created": t0.Unix()}
}

// mockWithCharges returns a client of stripe-mock, through a recording
// proxy that answers the charge list itself with charges (stripe-mock lists
// one canned charge of 1 USD).
func mockWithCharges(t *testing.T, charges ...map[string]any) (*billing.Stripe, *recorder) {
	t.Helper()
	target, err := url.Parse(stripetest.APIBase(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	s := fakeStripe(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form := r.URL.Query()
		if extra, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range extra {
				form[k] = append(form[k], v...)
			}
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, request{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form})
		rec.mu.Unlock()
		if r.Method == http.MethodGet && r.URL.Path == "/v1/charges" {
			stripeJSON(w, chargeList(charges...))
			return
		}
		proxy.ServeHTTP(w, r)
	})
	return s, rec
}

// requests returns the recorded requests to method path.
func (rec *recorder) requests(method, path string) []request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []request
	for _, r := range rec.reqs {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// seedCustomer inserts a customer, with a Stripe customer id unless it is
// empty, and returns its id.
func seedCustomer(t *testing.T, db *bun.DB, stripeID string) string {
	t.Helper()
	c := &models.Customer{ID: uuid.NewString(), Name: "Acme", SearchName: "acme", StripeCustomerID: stripeID, CreatedAt: t0, UpdatedAt: t0}
	if _, err := db.NewInsert().Model(c).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// seedSubscription inserts an active subscription of the customer for the
// year 2026 (UTC), changed by mod, and returns it.
func seedSubscription(t *testing.T, db *bun.DB, customerID string, mod func(*models.SupportSubscription)) *models.SupportSubscription {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &models.SupportSubscription{
		ID: uuid.NewString(), CustomerID: customerID, Status: models.StatusActive,
		MonthlyFeeCents: 80000, Currency: "USD", StartsAt: start, ActivatedAt: start,
		CurrentPeriodStart: start, CurrentPeriodEnd: start.AddDate(1, 0, 0),
		FirstResponseTargetSeconds: 3600, FollowUpTargetSeconds: 3600, SLATimezone: "UTC",
		CreatedAt: t0, UpdatedAt: t0,
	}
	if mod != nil {
		mod(s)
	}
	if _, err := db.NewInsert().Model(s).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// loadSubscription reads a subscription back.
func loadSubscription(t *testing.T, db *bun.DB, id string) *models.SupportSubscription {
	t.Helper()
	s := new(models.SupportSubscription)
	if err := db.NewSelect().Model(s).Where("s.id = ?", id).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// loadCustomer reads a customer back.
func loadCustomer(t *testing.T, db *bun.DB, id string) *models.Customer {
	t.Helper()
	c := new(models.Customer)
	if err := db.NewSelect().Model(c).Where("c.id = ?", id).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

// settlementsOf returns a customer's settlements, oldest first.
func settlementsOf(t *testing.T, db *bun.DB, customerID string) []*models.Settlement {
	t.Helper()
	var out []*models.Settlement
	if err := db.NewSelect().Model(&out).Where("st.customer_id = ?", customerID).OrderExpr("st.created_at, st.id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out
}

// entriesOf returns a customer's ledger entries of kind, oldest first.
func entriesOf(t *testing.T, db *bun.DB, customerID string, kind models.CreditKind) []*models.CreditEntry {
	t.Helper()
	var out []*models.CreditEntry
	if err := db.NewSelect().Model(&out).Where("ce.customer_id = ? AND ce.kind = ?", customerID, kind).OrderExpr("ce.created_at, ce.id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out
}

// countRows counts the rows of table matching where.
func countRows(t *testing.T, db *bun.DB, table, where string, args ...any) int {
	t.Helper()
	q := db.NewSelect().TableExpr(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	n, err := q.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}
