package billing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/internal/stripetest"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/models"
)

// deliver posts payload to the webhook server with a Stripe-Signature
// header and returns the status and body.
func deliver(t *testing.T, srv *httptest.Server, payload []byte, signature string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(payload))
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// sign returns the Stripe-Signature of payload with the test secret, now.
func sign(payload []byte) string {
	return stripetest.SignatureHeader(payload, whSecret, time.Now())
}

// deliverSigned delivers a correctly signed payload and fails the test
// unless the answer is want.
func deliverSigned(t *testing.T, srv *httptest.Server, payload []byte, want int) {
	t.Helper()
	if status, body := deliver(t, srv, payload, sign(payload)); status != want {
		t.Fatalf("webhook answered %d %s, want %d", status, body, want)
	}
}

// eventAt is stripetest.Event created at a given time.
func eventAt(t *testing.T, id, typ string, created time.Time, obj map[string]any) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(stripetest.Event(t, id, typ, obj), &ev); err != nil {
		t.Fatal(err)
	}
	ev["created"] = created.Unix()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// renewalInvoice is a draft renewal invoice of 9,600 USD.
func renewalInvoice(id, stripeCustomer, stripeSub string) map[string]any {
	return map[string]any{
		"id": id, "object": "invoice", "customer": stripeCustomer, "subscription": stripeSub,
		"billing_reason": "subscription_cycle", "status": "draft", "amount_due": 960000, "currency": "usd",
	}
}

// eventRow is a stripe_events row as the tests read it.
type eventRow struct {
	ID          string    `bun:"id"`
	ProcessedAt time.Time `bun:"processed_at,nullzero"`
	Attempts    int       `bun:"attempts"`
	LastError   string    `bun:"last_error,nullzero"`
}

func loadEvent(t *testing.T, db *bun.DB, id string) eventRow {
	t.Helper()
	var row eventRow
	if err := db.NewSelect().TableExpr("stripe_events").Column("id", "processed_at", "attempts", "last_error").Where("id = ?", id).Scan(context.Background(), &row); err != nil {
		t.Fatalf("stripe event %s: %v", id, err)
	}
	return row
}

// wantOneCredit checks that an 80,000-cent credit was applied to the
// invoice exactly once and settled.
func wantOneCredit(t *testing.T, db *bun.DB, l *billing.Ledger, cust, invoice string) {
	t.Helper()
	applied := entriesOf(t, db, cust, models.CreditApplied)
	if len(applied) != 1 || applied[0].AmountCents != -80000 || applied[0].IdempotencyKey != "applied:invoice:"+invoice || applied[0].Reference != "invoice:"+invoice {
		t.Fatalf("applied entries = %+v, want one of -80000 keyed applied:invoice:%s", applied, invoice)
	}
	wantBalance(t, l, cust, 0)
	sts := settlementsOf(t, db, cust)
	if len(sts) != 1 {
		t.Fatalf("%d settlements, want 1", len(sts))
	}
	st := sts[0]
	if st.Kind != models.SettlementInvoiceCredit || st.Target != invoice || st.AmountCents != 80000 || st.Currency != "USD" ||
		st.LedgerKey != "applied:invoice:"+invoice || st.IdempotencyKey != "credit:applied:invoice:"+invoice ||
		st.Status != models.SettlementSettled || !strings.HasPrefix(st.StripeID, "ii_") {
		t.Errorf("settlement = %+v", st)
	}
}

func TestWebhookInvoiceCreatedAppliesCreditOnce(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		svc := newService(t, db, nil, mockStripe(t))
		srv := httptest.NewServer(svc.WebhookHandler())
		defer srv.Close()
		ctx := context.Background()

		for _, tt := range []struct {
			name       string
			deliveries int
			concurrent bool
		}{
			{"delivered twice", 2, false},
			{"delivered 10 times concurrently", 10, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				tag := strings.ReplaceAll(tt.name, " ", "_")
				cust := seedCustomer(t, db, "cus_"+tag)
				sub := seedSubscription(t, db, cust, func(s *models.SupportSubscription) { s.StripeSubscriptionID = "sub_" + tag })
				mustAppend(t, svc.Ledger, earned(cust, sub.ID, "2026-10"))
				invoice := "in_" + tag
				payload := stripetest.Event(t, "evt_"+tag, "invoice.created", renewalInvoice(invoice, "cus_"+tag, "sub_"+tag))

				var wg sync.WaitGroup
				for range tt.deliveries {
					if !tt.concurrent {
						deliverSigned(t, srv, payload, http.StatusOK)
						continue
					}
					wg.Go(func() {
						if status, body := deliver(t, srv, payload, sign(payload)); status != http.StatusOK {
							t.Errorf("concurrent delivery answered %d %s", status, body)
						}
					})
				}
				wg.Wait()
				// Processing finishes within the winning delivery; a job
				// run finds nothing left.
				if err := svc.ProcessPendingEvents(ctx); err != nil {
					t.Fatal(err)
				}
				wantOneCredit(t, db, svc.Ledger, cust, invoice)
				if ev := loadEvent(t, db, "evt_"+tag); ev.ProcessedAt.IsZero() {
					t.Errorf("event not marked processed: %+v", ev)
				}
				if n := countRows(t, db, "stripe_events", "id = ?", "evt_"+tag); n != 1 {
					t.Errorf("%d event rows, want 1", n)
				}
			})
		}
	})
}

// okStripe is a fake Stripe that accepts invoice items.
func okStripe(t *testing.T) *billing.Stripe {
	return fakeStripe(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/invoiceitems" {
			stripeJSON(w, map[string]any{"id": "ii_fake", "object": "invoiceitem"})
			return
		}
		stripeError(w, http.StatusNotFound, "invalid_request_error", "unexpected request")
	})
}

func TestWebhookRefusesUnverifiedEvents(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		svc := newService(t, db, nil, okStripe(t))
		srv := httptest.NewServer(svc.WebhookHandler())
		defer srv.Close()
		cust := seedCustomer(t, db, "cus_refuse")
		sub := seedSubscription(t, db, cust, func(s *models.SupportSubscription) { s.StripeSubscriptionID = "sub_refuse" })
		mustAppend(t, svc.Ledger, earned(cust, sub.ID, "2026-10"))
		inv := renewalInvoice("in_refuse", "cus_refuse", "sub_refuse")
		payload := stripetest.Event(t, "evt_refuse", "invoice.created", inv)
		oldVersion := stripetest.EventVersion(t, "evt_old_version", "invoice.created", "2022-11-15", inv)
		noData := []byte(`{"id":"evt_no_data","object":"event","type":"invoice.created","api_version":"` + stripe.APIVersion + `"}`)

		tests := []struct {
			name      string
			payload   []byte
			signature string
			status    int
			message   string
		}{
			{"wrong secret", payload, stripetest.SignatureHeader(payload, "whsec_other", time.Now()), 400, "invalid Stripe signature"},
			{"tampered payload", bytes.Replace(payload, []byte("960000"), []byte("1"), 1), sign(payload), 400, "invalid Stripe signature"},
			{"no signature", payload, "", 400, "invalid Stripe signature"},
			{"signed 6 minutes ago", payload, stripetest.SignatureHeader(payload, whSecret, time.Now().Add(-6*time.Minute)), 400, "invalid Stripe signature"},
			{"other API version", oldVersion, sign(oldVersion), 400, "unsupported Stripe API version"},
			{"event without data", noData, sign(noData), 400, "not a Stripe event"},
			{"too large", bytes.Repeat([]byte(" "), billing.MaxWebhookBytes+1), "t=1,v1=00", 413, "larger than"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, body := deliver(t, srv, tt.payload, tt.signature)
				if status != tt.status || !strings.Contains(body, tt.message) || !strings.Contains(body, models.CodeBadUserInput) {
					t.Fatalf("answer %d %s, want %d with %q", status, body, tt.status, tt.message)
				}
				if n := countRows(t, db, "stripe_events", ""); n != 0 {
					t.Errorf("%d events recorded, want none", n)
				}
				if n := countEntries(t, db, "kind = ?", models.CreditApplied); n != 0 {
					t.Errorf("%d applied entries, want none", n)
				}
			})
		}

		t.Run("GET", func(t *testing.T) {
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("GET answered %d, want 405", resp.StatusCode)
			}
		})

		// The same event, correctly signed, is applied: the refusals above
		// were the signature's doing.
		t.Run("control: signed now", func(t *testing.T) {
			deliverSigned(t, srv, payload, http.StatusOK)
			wantOneCredit(t, db, svc.Ledger, cust, "in_refuse")
		})
	})
}

func TestWebhookStripeFailures(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()

		t.Run("retryable: 500, then retried", func(t *testing.T) {
			calls := 0
			var mu sync.Mutex
			svc := newService(t, db, nil, fakeStripe(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				mu.Unlock()
				stripeError(w, http.StatusInternalServerError, "api_error", "Stripe is down")
			}))
			srv := httptest.NewServer(svc.WebhookHandler())
			defer srv.Close()
			cust := seedCustomer(t, db, "cus_retry")
			sub := seedSubscription(t, db, cust, func(s *models.SupportSubscription) { s.StripeSubscriptionID = "sub_retry" })
			mustAppend(t, svc.Ledger, earned(cust, sub.ID, "2026-10"))
			payload := stripetest.Event(t, "evt_retry", "invoice.created", renewalInvoice("in_retry", "cus_retry", "sub_retry"))

			status, body := deliver(t, srv, payload, sign(payload))
			if status != http.StatusInternalServerError || !strings.Contains(body, models.CodeInternal) || strings.Contains(body, "Stripe is down") {
				t.Fatalf("answer %d %s, want a generic 500", status, body)
			}
			ev := loadEvent(t, db, "evt_retry")
			if !ev.ProcessedAt.IsZero() || ev.Attempts != 1 || ev.LastError == "" {
				t.Errorf("event after a failure = %+v, want recorded, unprocessed, 1 attempt, an error", ev)
			}
			// The debit is written and its settlement pending: the
			// credit is reserved for this invoice, not lost.
			wantBalance(t, svc.Ledger, cust, 0)
			sts := settlementsOf(t, db, cust)
			if len(sts) != 1 || sts[0].Status != models.SettlementPending || sts[0].Attempts != 1 || !strings.Contains(sts[0].LastError, "Stripe is down") {
				t.Fatalf("settlements = %+v, want one pending after 1 attempt", sts)
			}
			if strings.Contains(sts[0].LastError, "sk_test_fake") {
				t.Errorf("last_error shows the secret key: %q", sts[0].LastError)
			}

			// Stripe retries after it is back.
			svc.Stripe = okStripe(t)
			deliverSigned(t, srv, payload, http.StatusOK)
			wantOneCredit(t, db, svc.Ledger, cust, "in_retry")
			if ev := loadEvent(t, db, "evt_retry"); ev.ProcessedAt.IsZero() || ev.Attempts != 2 || ev.LastError != "" {
				t.Errorf("event after the retry = %+v", ev)
			}
			if err := svc.ProcessPendingEvents(ctx); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("retryable: the job processes it", func(t *testing.T) {
			svc := newService(t, db, nil, fakeStripe(t, func(w http.ResponseWriter, r *http.Request) {
				stripeError(w, http.StatusServiceUnavailable, "api_error", "Stripe is down")
			}))
			srv := httptest.NewServer(svc.WebhookHandler())
			defer srv.Close()
			cust := seedCustomer(t, db, "cus_job")
			sub := seedSubscription(t, db, cust, nil)
			mustAppend(t, svc.Ledger, earned(cust, sub.ID, "2026-10"))
			payload := stripetest.Event(t, "evt_job", "invoice.created", renewalInvoice("in_job", "cus_job", "sub_unknown"))
			deliverSigned(t, srv, payload, http.StatusInternalServerError)
			if err := svc.ProcessPendingEvents(ctx); err == nil {
				t.Fatal("ProcessPendingEvents against a failing Stripe: no error")
			}
			svc.Stripe = okStripe(t)
			if err := svc.ProcessPendingEvents(ctx); err != nil {
				t.Fatal(err)
			}
			wantOneCredit(t, db, svc.Ledger, cust, "in_job")
			if ev := loadEvent(t, db, "evt_job"); ev.ProcessedAt.IsZero() || ev.Attempts != 3 {
				t.Errorf("event = %+v, want processed after 3 attempts", ev)
			}
		})

		t.Run("refused: settlement failed, credit given back", func(t *testing.T) {
			svc := newService(t, db, nil, fakeStripe(t, func(w http.ResponseWriter, r *http.Request) {
				stripeError(w, http.StatusBadRequest, "invalid_request_error", "Invoice in_refused is not a draft")
			}))
			srv := httptest.NewServer(svc.WebhookHandler())
			defer srv.Close()
			cust := seedCustomer(t, db, "cus_refused")
			sub := seedSubscription(t, db, cust, nil)
			mustAppend(t, svc.Ledger, earned(cust, sub.ID, "2026-10"))
			payload := stripetest.Event(t, "evt_refused", "invoice.created", renewalInvoice("in_refused", "cus_refused", ""))
			deliverSigned(t, srv, payload, http.StatusOK)
			deliverSigned(t, srv, payload, http.StatusOK)

			wantBalance(t, svc.Ledger, cust, 80000)
			if applied := entriesOf(t, db, cust, models.CreditApplied); len(applied) != 1 {
				t.Errorf("%d applied entries, want 1", len(applied))
			}
			rev := entriesOf(t, db, cust, models.CreditAdjustment)
			if len(rev) != 1 || rev[0].AmountCents != 80000 || rev[0].IdempotencyKey != "reversal:applied:invoice:in_refused" ||
				rev[0].Reason != "credit could not be applied to invoice in_refused" {
				t.Errorf("reversal entries = %+v", rev)
			}
			sts := settlementsOf(t, db, cust)
			if len(sts) != 1 || sts[0].Status != models.SettlementFailed || !strings.Contains(sts[0].LastError, "not a draft") {
				t.Errorf("settlements = %+v, want one failed with Stripe's reason", sts)
			}
			if ev := loadEvent(t, db, "evt_refused"); ev.ProcessedAt.IsZero() {
				t.Errorf("refused event not processed: %+v", ev)
			}
			// RetrySettlements leaves a failed settlement alone.
			if err := svc.RetrySettlements(ctx); err != nil {
				t.Fatal(err)
			}
			wantBalance(t, svc.Ledger, cust, 80000)
		})

		t.Run("ignored invoices", func(t *testing.T) {
			svc := newService(t, db, nil, okStripe(t))
			srv := httptest.NewServer(svc.WebhookHandler())
			defer srv.Close()
			cust := seedCustomer(t, db, "cus_ignored")
			sub := seedSubscription(t, db, cust, nil)
			mustAppend(t, svc.Ledger, earned(cust, sub.ID, "2026-10"))
			for i, mod := range []func(map[string]any){
				func(inv map[string]any) { inv["billing_reason"] = "subscription_create" },
				func(inv map[string]any) { inv["status"] = "open" },
				func(inv map[string]any) { inv["amount_due"] = 0 },
				func(inv map[string]any) { inv["customer"] = "cus_stranger" },
			} {
				inv := renewalInvoice("in_ignored", "cus_ignored", "")
				mod(inv)
				deliverSigned(t, srv, stripetest.Event(t, "evt_ignored_"+string(rune('a'+i)), "invoice.created", inv), http.StatusOK)
			}
			wantBalance(t, svc.Ledger, cust, 80000)
			if n := countRows(t, db, "settlements", "customer_id = ?", cust); n != 0 {
				t.Errorf("%d settlements, want none", n)
			}
		})
	})
}

func TestWebhookSubscriptionEvents(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		svc := newService(t, db, nil, nil)
		srv := httptest.NewServer(svc.WebhookHandler())
		defer srv.Close()
		now := time.Now().UTC().Truncate(time.Second)
		subObj := func(id, status string) map[string]any {
			return map[string]any{"id": id, "object": "subscription", "status": status}
		}

		t.Run("deleted before an older update stays canceled", func(t *testing.T) {
			sub := seedSubscription(t, db, seedCustomer(t, db, ""), func(s *models.SupportSubscription) { s.StripeSubscriptionID = "sub_order" })
			deliverSigned(t, srv, eventAt(t, "evt_order_deleted", "customer.subscription.deleted", now, subObj("sub_order", "canceled")), http.StatusOK)
			deliverSigned(t, srv, eventAt(t, "evt_order_updated", "customer.subscription.updated", now.Add(-time.Minute), subObj("sub_order", "active")), http.StatusOK)
			got := loadSubscription(t, db, sub.ID)
			if got.Status != models.StatusCanceled || got.CancelReason != "canceled in Stripe" || !got.StripeEventAt.Equal(now) {
				t.Errorf("subscription = %s %q at %v, want canceled in Stripe at %v", got.Status, got.CancelReason, got.StripeEventAt, now)
			}
			// A newer update cannot make it live again.
			deliverSigned(t, srv, eventAt(t, "evt_order_newer", "customer.subscription.updated", now.Add(time.Minute), subObj("sub_order", "active")), http.StatusOK)
			if got := loadSubscription(t, db, sub.ID); got.Status != models.StatusCanceled || !got.StripeEventAt.Equal(now.Add(time.Minute)) {
				t.Errorf("after a newer update: %s at %v", got.Status, got.StripeEventAt)
			}
		})

		t.Run("updated to canceled ends it; other statuses only record the time", func(t *testing.T) {
			sub := seedSubscription(t, db, seedCustomer(t, db, ""), func(s *models.SupportSubscription) { s.StripeSubscriptionID = "sub_upd" })
			deliverSigned(t, srv, eventAt(t, "evt_upd_1", "customer.subscription.updated", now, subObj("sub_upd", "past_due")), http.StatusOK)
			if got := loadSubscription(t, db, sub.ID); got.Status != models.StatusActive || !got.StripeEventAt.Equal(now) {
				t.Fatalf("after past_due: %s at %v", got.Status, got.StripeEventAt)
			}
			// Older than the last one applied: ignored.
			deliverSigned(t, srv, eventAt(t, "evt_upd_0", "customer.subscription.updated", now.Add(-time.Hour), subObj("sub_upd", "canceled")), http.StatusOK)
			if got := loadSubscription(t, db, sub.ID); got.Status != models.StatusActive {
				t.Fatalf("an older cancellation was applied: %s", got.Status)
			}
			deliverSigned(t, srv, eventAt(t, "evt_upd_2", "customer.subscription.updated", now.Add(time.Second), subObj("sub_upd", "canceled")), http.StatusOK)
			deliverSigned(t, srv, eventAt(t, "evt_upd_3", "customer.subscription.deleted", now.Add(2*time.Second), subObj("sub_upd", "canceled")), http.StatusOK)
			got := loadSubscription(t, db, sub.ID)
			if got.Status != models.StatusCanceled || got.CancelReason != "canceled in Stripe" {
				t.Errorf("after cancellation: %s %q", got.Status, got.CancelReason)
			}
			if n := countRows(t, db, "subscription_status_changes", "subscription_id = ?", sub.ID); n != 1 {
				t.Errorf("%d status changes, want 1", n)
			}
		})

		t.Run("unknown subscription", func(t *testing.T) {
			deliverSigned(t, srv, eventAt(t, "evt_unknown", "customer.subscription.deleted", now, subObj("sub_nobody", "canceled")), http.StatusOK)
		})
	})
}

func TestWebhookInvoicePaidExtendsForwardOnly(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		svc := newService(t, db, nil, nil)
		srv := httptest.NewServer(svc.WebhookHandler())
		defer srv.Close()
		year := func(y int) time.Time { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC) }
		paid := func(id string, from, to time.Time) map[string]any {
			return map[string]any{
				"id": id, "object": "invoice", "customer": "cus_paid", "subscription": "sub_paid", "status": "paid",
				"billing_reason": "subscription_cycle", "amount_paid": 960000, "currency": "usd",
				"lines": map[string]any{"object": "list", "data": []any{map[string]any{
					"id": "il_" + id, "object": "line_item", "period": map[string]any{"start": from.Unix(), "end": to.Unix()},
				}}},
			}
		}
		sub := seedSubscription(t, db, seedCustomer(t, db, "cus_paid"), func(s *models.SupportSubscription) { s.StripeSubscriptionID = "sub_paid" })
		want := func(start, end time.Time, invoice string) {
			t.Helper()
			got := loadSubscription(t, db, sub.ID)
			if !got.CurrentPeriodStart.Equal(start) || !got.CurrentPeriodEnd.Equal(end) || got.StripeLatestInvoiceID != invoice {
				t.Fatalf("period %v – %v, invoice %q; want %v – %v, %q", got.CurrentPeriodStart, got.CurrentPeriodEnd, got.StripeLatestInvoiceID, start, end, invoice)
			}
		}

		renewal := stripetest.Event(t, "evt_paid_2027", "invoice.paid", paid("in_2027", year(2027), year(2028)))
		deliverSigned(t, srv, renewal, http.StatusOK)
		want(year(2027), year(2028), "in_2027")
		before := loadSubscription(t, db, sub.ID).UpdatedAt

		deliverSigned(t, srv, renewal, http.StatusOK) // replay
		// The same invoice in another event, and last year's arriving late.
		deliverSigned(t, srv, stripetest.Event(t, "evt_paid_2027_again", "invoice.paid", paid("in_2027", year(2027), year(2028))), http.StatusOK)
		deliverSigned(t, srv, stripetest.Event(t, "evt_paid_2026", "invoice.paid", paid("in_2026", year(2026), year(2027))), http.StatusOK)
		want(year(2027), year(2028), "in_2027")
		if after := loadSubscription(t, db, sub.ID).UpdatedAt; !after.Equal(before) {
			t.Errorf("a replay wrote the subscription: updated_at %v → %v", before, after)
		}
		deliverSigned(t, srv, stripetest.Event(t, "evt_paid_2028", "invoice.paid", paid("in_2028", year(2028), year(2029))), http.StatusOK)
		want(year(2028), year(2029), "in_2028")
	})
}

func TestWebhookSettlesRefundsAndCreditNotes(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		svc := newService(t, db, nil, nil)
		srv := httptest.NewServer(svc.WebhookHandler())
		defer srv.Close()
		ctx := context.Background()
		cust := seedCustomer(t, db, "cus_settle")
		sub := seedSubscription(t, db, cust, nil)
		pending := func(kind models.SettlementKind, key, stripeID string) *models.Settlement {
			st := &models.Settlement{
				ID: key, CustomerID: cust, SubscriptionID: sub.ID, Kind: kind, Target: "x_target", AmountCents: 100, Currency: "USD",
				IdempotencyKey: key, Status: models.SettlementPending, StripeID: stripeID, Attempts: 1, CreatedAt: t0, UpdatedAt: t0,
			}
			if _, err := db.NewInsert().Model(st).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			return st
		}
		byMeta := pending(models.SettlementRefund, "refund:by-metadata", "")
		byID := pending(models.SettlementRefund, "refund:by-id", "re_known")
		other := pending(models.SettlementRefund, "refund:other", "")
		note := pending(models.SettlementCreditNote, "optout:by-id", "cn_known")
		later := pending(models.SettlementRefund, "refund:later", "re_later")
		// A refund Stripe accepted and then failed gives its debit back.
		mustAppend(t, svc.Ledger, earned(cust, sub.ID, "2026-10"))
		mustAppend(t, svc.Ledger, billing.Entry{CustomerID: cust, Kind: models.CreditRefunded, AmountCents: -100,
			Reference: "charge:ch_x", IdempotencyKey: "refunded:x", Actor: "test"})
		failed := pending(models.SettlementRefund, "refund:refunded:x", "re_fails")
		if _, err := db.NewUpdate().Model((*models.Settlement)(nil)).Set("ledger_key = ?", "refunded:x").Where("id = ?", failed.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		deliverSigned(t, srv, stripetest.Event(t, "evt_refunded", "charge.refunded", map[string]any{
			"id": "ch_settle", "object": "charge", "amount": 1000, "amount_refunded": 300, "refunded": false,
			"refunds": map[string]any{"object": "list", "data": []any{
				map[string]any{"id": "re_new", "object": "refund", "status": "succeeded", "metadata": map[string]any{"ps_ledger_key": "refund:by-metadata"}},
				map[string]any{"id": "re_known", "object": "refund", "status": "succeeded", "metadata": map[string]any{}},
				map[string]any{"id": "re_failed", "object": "refund", "status": "failed", "metadata": map[string]any{"ps_ledger_key": "refund:other"}},
			}},
		}), http.StatusOK)
		deliverSigned(t, srv, stripetest.Event(t, "evt_cn", "credit_note.created", map[string]any{
			"id": "cn_known", "object": "credit_note", "metadata": map[string]any{},
		}), http.StatusOK)

		deliverSigned(t, srv, stripetest.Event(t, "evt_refund_later", "charge.refund.updated", map[string]any{
			"id": "re_later", "object": "refund", "status": "succeeded", "metadata": map[string]any{},
		}), http.StatusOK)
		deliverSigned(t, srv, stripetest.Event(t, "evt_refund_fails", "charge.refund.updated", map[string]any{
			"id": "re_fails", "object": "refund", "status": "failed", "metadata": map[string]any{"ps_ledger_key": "refund:refunded:x"},
		}), http.StatusOK)
		wantBalance(t, svc.Ledger, cust, 80000)
		if rev := entriesOf(t, db, cust, models.CreditAdjustment); len(rev) != 1 || rev[0].AmountCents != 100 || rev[0].IdempotencyKey != "reversal:refunded:x" {
			t.Errorf("reversal entries = %+v", rev)
		}

		for _, tt := range []struct {
			st       *models.Settlement
			status   models.SettlementStatus
			stripeID string
		}{
			{byMeta, models.SettlementSettled, "re_new"},
			{byID, models.SettlementSettled, "re_known"},
			{other, models.SettlementPending, ""},
			{note, models.SettlementSettled, "cn_known"},
			{later, models.SettlementSettled, "re_later"},
			{failed, models.SettlementFailed, "re_fails"},
		} {
			got := new(models.Settlement)
			if err := db.NewSelect().Model(got).Where("st.id = ?", tt.st.ID).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.status || got.StripeID != tt.stripeID {
				t.Errorf("settlement %s: %s %q, want %s %q", tt.st.ID, got.Status, got.StripeID, tt.status, tt.stripeID)
			}
		}
	})
}
