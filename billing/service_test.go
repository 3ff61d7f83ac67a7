package billing_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/models"
)

func TestSyncSubscription(t *testing.T) {
	// The Stripe client leaves out anchors that are not in the future of
	// the real clock, so these subscriptions are placed around it.
	now := time.Now().UTC().Truncate(time.Second)
	tests := []struct {
		name       string
		starts     time.Time
		status     models.SubscriptionStatus
		periodEnd  time.Time
		wantAnchor time.Time
	}{
		{"active, started in the past: anchored on the next renewal", now.AddDate(0, -1, 0), models.StatusActive, now.AddDate(0, 11, 0), now.AddDate(0, 11, 0)},
		{"active with a period that has passed: the next yearly renewal", now.AddDate(-1, -1, 0), models.StatusActive, now.AddDate(0, -1, 0), now.AddDate(0, -1, 0).AddDate(1, 0, 0)},
		{"pending: anchored on its start", now.AddDate(0, 2, 0), models.StatusPending, now.AddDate(1, 2, 0), now.AddDate(0, 2, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
				ctx := context.Background()
				stripe, rec := newStripe(t)
				svc := newService(t, db, &clock{t: now}, stripe)
				cust := seedCustomer(t, db, "")
				sub := seedSubscription(t, db, cust, func(s *models.SupportSubscription) {
					s.Status, s.StartsAt, s.ActivatedAt = tt.status, tt.starts, time.Time{}
					s.CurrentPeriodStart, s.CurrentPeriodEnd = tt.periodEnd.AddDate(-1, 0, 0), tt.periodEnd
				})
				if err := svc.SyncPending(ctx); err != nil {
					t.Fatal(err)
				}
				if got := loadCustomer(t, db, cust); !strings.HasPrefix(got.StripeCustomerID, "cus_") {
					t.Errorf("stripe customer id = %q", got.StripeCustomerID)
				}
				if got := loadSubscription(t, db, sub.ID); !strings.HasPrefix(got.StripeSubscriptionID, "sub_") {
					t.Errorf("stripe subscription id = %q", got.StripeSubscriptionID)
				}
				creates := rec.requests("POST", "/v1/subscriptions")
				if len(creates) != 1 {
					t.Fatalf("%d subscription creations, want 1", len(creates))
				}
				creates[0].want(t, "POST", "/v1/subscriptions", "subscription:"+sub.ID, map[string]string{
					"billing_cycle_anchor": strconv.FormatInt(tt.wantAnchor.Unix(), 10),
					"proration_behavior":   "none",
				})
				if c := rec.requests("POST", "/v1/customers"); len(c) != 1 || c[0].IdempotencyKey != "customer:"+cust {
					t.Errorf("customer creations = %+v", c)
				}
				// Linked: running again calls Stripe no more.
				n := rec.count()
				if err := svc.SyncPending(ctx); err != nil {
					t.Fatal(err)
				}
				if err := svc.SyncSubscription(ctx, sub.ID); err != nil {
					t.Fatal(err)
				}
				if rec.count() != n {
					t.Errorf("a linked subscription was synced again: %d requests, want %d", rec.count(), n)
				}
			})
		})
	}

	t.Run("Stripe disabled", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
			svc := newService(t, db, nil, nil)
			sub := seedSubscription(t, db, seedCustomer(t, db, ""), nil)
			if err := svc.SyncSubscription(context.Background(), sub.ID); err != nil {
				t.Fatal(err)
			}
			if got := loadSubscription(t, db, sub.ID); got.StripeSubscriptionID != "" {
				t.Errorf("linked without Stripe: %q", got.StripeSubscriptionID)
			}
		})
	})

	t.Run("unknown subscription", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
			stripe, _ := newStripe(t)
			err := newService(t, db, nil, stripe).SyncSubscription(context.Background(), "nope")
			wantCode(t, "sync unknown", err, models.CodeNotFound)
		})
	})
}

func TestOptOutEarlyAccess(t *testing.T) {
	// t0 is 2026-11-26: 36 of the 365 days of 2026 are unused.
	const refund = 94685 // 960000 × 36 / 365 = 94684.93…
	earlyAccess := func(s *models.SupportSubscription) { s.EarlyAccess = true }

	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		svc := newService(t, db, nil, nil)

		t.Run("refusals", func(t *testing.T) {
			cust := seedCustomer(t, db, "")
			sub := seedSubscription(t, db, cust, earlyAccess)
			plain := seedSubscription(t, db, seedCustomer(t, db, ""), nil)
			pending := seedSubscription(t, db, seedCustomer(t, db, ""), func(s *models.SupportSubscription) {
				s.EarlyAccess, s.Status, s.StartsAt = true, models.StatusPending, t0.AddDate(0, 1, 0)
			})

			_, err := svc.OptOutEarlyAccess(context.Background(), sub.ID)
			wantCode(t, "anonymous", err, models.CodeUnauthenticated)
			_, err = svc.OptOutEarlyAccess(as(auth.RoleSupport), sub.ID)
			wantCode(t, "support", err, models.CodeForbidden)
			_, err = svc.OptOutEarlyAccess(asCustomer(seedCustomer(t, db, "")), sub.ID)
			wantCode(t, "another customer", err, models.CodeNotFound)
			_, err = svc.OptOutEarlyAccess(asCustomer(cust), "nope")
			wantCode(t, "unknown", err, models.CodeNotFound)
			_, err = svc.OptOutEarlyAccess(as(auth.RoleSales), plain.ID)
			wantCode(t, "not early access", err, models.CodeConflict)
			_, err = svc.OptOutEarlyAccess(as(auth.RoleSales), pending.ID)
			wantCode(t, "not active yet", err, models.CodeConflict)

			svc.OptOutFrom = t0.Add(24 * time.Hour)
			_, err = svc.OptOutEarlyAccess(asCustomer(cust), sub.ID)
			svc.OptOutFrom = time.Time{}
			wantCode(t, "before opt-out opens", err, models.CodeConflict)
			if !strings.Contains(err.Error(), "opt-out opens on 2026-11-27") {
				t.Errorf("error %q does not say when opt-out opens", err)
			}
			if got := loadSubscription(t, db, sub.ID); got.Status != models.StatusActive {
				t.Errorf("a refused opt-out changed the subscription: %s", got.Status)
			}
			if n := countRows(t, db, "settlements", ""); n != 0 {
				t.Errorf("refused opt-outs wrote %d settlements", n)
			}
		})

		t.Run("Stripe disabled: ends, refund pending", func(t *testing.T) {
			cust := seedCustomer(t, db, "")
			sub := seedSubscription(t, db, cust, earlyAccess)
			svc.OptOutFrom = t0
			defer func() { svc.OptOutFrom = time.Time{} }()
			got, err := svc.OptOutEarlyAccess(asCustomer(cust), sub.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != models.StatusCanceled || got.CancelReason != "early access opt-out" {
				t.Errorf("returned %s %q", got.Status, got.CancelReason)
			}
			if got := loadSubscription(t, db, sub.ID); got.Status != models.StatusCanceled || !got.CanceledAt.Equal(t0) {
				t.Errorf("stored %s at %v", got.Status, got.CanceledAt)
			}
			sts := settlementsOf(t, db, cust)
			if len(sts) != 1 {
				t.Fatalf("%d settlements, want 1", len(sts))
			}
			st := sts[0]
			if st.Kind != models.SettlementCreditNote || st.AmountCents != refund || st.Currency != "USD" || st.IdempotencyKey != "optout:"+sub.ID ||
				st.Status != models.SettlementPending || st.LastError != "Stripe is not configured" || st.SubscriptionID != sub.ID || st.LedgerKey != "" {
				t.Errorf("settlement = %+v", st)
			}
			_, err = svc.OptOutEarlyAccess(asCustomer(cust), sub.ID)
			wantCode(t, "second opt-out", err, models.CodeConflict)
			if n := len(settlementsOf(t, db, cust)); n != 1 {
				t.Errorf("%d settlements after a second opt-out, want 1", n)
			}
			// The customer sees its pending refund; others do not.
			seen, err := svc.SettlementsByCustomerIDs(asCustomer(cust), []string{cust, "other"})
			if err != nil || len(seen) != 2 || len(seen[0]) != 1 || seen[0][0].ID != st.ID || seen[1] != nil {
				t.Errorf("own settlements = %v, %v", seen, err)
			}
			seen, err = svc.SettlementsByCustomerIDs(asCustomer(seedCustomer(t, db, "")), []string{cust})
			if err != nil || seen[0] != nil {
				t.Errorf("another customer sees %v, %v", seen, err)
			}
		})
	})

	t.Run("interrupted before the subscription ended", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
			ctx := context.Background()
			svc := newService(t, db, nil, nil)
			interrupted := func() (string, *models.SupportSubscription) {
				cust := seedCustomer(t, db, "")
				sub := seedSubscription(t, db, cust, earlyAccess)
				st := &models.Settlement{ID: "st-" + sub.ID, CustomerID: cust, SubscriptionID: sub.ID, Kind: models.SettlementCreditNote,
					AmountCents: 123, Currency: "USD", IdempotencyKey: "optout:" + sub.ID, Status: models.SettlementPending, CreatedAt: t0, UpdatedAt: t0}
				if _, err := db.NewInsert().Model(st).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				return cust, sub
			}

			// The customer tries again: the first refund stands.
			cust, sub := interrupted()
			if _, err := svc.OptOutEarlyAccess(asCustomer(cust), sub.ID); err != nil {
				t.Fatal(err)
			}
			if sts := settlementsOf(t, db, cust); len(sts) != 1 || sts[0].AmountCents != 123 {
				t.Errorf("settlements = %+v, want the first one only", sts)
			}
			if got := loadSubscription(t, db, sub.ID); got.Status != models.StatusCanceled {
				t.Errorf("subscription %s", got.Status)
			}

			// Or the job finishes the opt-out.
			_, sub = interrupted()
			if err := svc.RetrySettlements(ctx); err != nil {
				t.Fatal(err)
			}
			if got := loadSubscription(t, db, sub.ID); got.Status != models.StatusCanceled || got.CancelReason != "early access opt-out" {
				t.Errorf("subscription %s %q, want ended by the opt-out", got.Status, got.CancelReason)
			}
		})
	})

	t.Run("with Stripe", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
			ctx := context.Background()
			stripe, rec := newStripe(t)
			svc := newService(t, db, nil, stripe)

			cust := seedCustomer(t, db, "cus_optout")
			sub := seedSubscription(t, db, cust, func(s *models.SupportSubscription) {
				s.EarlyAccess, s.StripeSubscriptionID, s.StripeLatestInvoiceID = true, "sub_optout", "in_optout"
			})
			if _, err := svc.OptOutEarlyAccess(as(auth.RoleAdmin), sub.ID); err != nil {
				t.Fatal(err)
			}
			sts := settlementsOf(t, db, cust)
			if len(sts) != 1 || sts[0].Status != models.SettlementSettled || !strings.HasPrefix(sts[0].StripeID, "cn_") ||
				sts[0].Target != "in_optout" || sts[0].AmountCents != refund {
				t.Fatalf("settlements = %+v", sts)
			}
			if c := rec.requests("DELETE", "/v1/subscriptions/sub_optout"); len(c) != 1 {
				t.Errorf("%d cancellations of the Stripe subscription, want 1", len(c))
			}
			notes := rec.requests("POST", "/v1/credit_notes")
			if len(notes) != 1 {
				t.Fatalf("%d credit notes, want 1", len(notes))
			}
			notes[0].want(t, "POST", "/v1/credit_notes", "optout:"+sub.ID, map[string]string{
				"invoice": "in_optout", "refund_amount": strconv.Itoa(refund), "metadata[ps_ledger_key]": "optout:" + sub.ID,
			})

			// No paid invoice known yet: pending until invoice.paid
			// brings one.
			cust2 := seedCustomer(t, db, "cus_optout2")
			sub2 := seedSubscription(t, db, cust2, func(s *models.SupportSubscription) { s.EarlyAccess, s.StripeSubscriptionID = true, "sub_optout2" })
			if _, err := svc.OptOutEarlyAccess(asCustomer(cust2), sub2.ID); err != nil {
				t.Fatal(err)
			}
			if sts := settlementsOf(t, db, cust2); len(sts) != 1 || sts[0].Status != models.SettlementPending || sts[0].LastError != "no paid invoice yet" {
				t.Fatalf("settlements = %+v", sts)
			}
			if err := svc.RetrySettlements(ctx); err != nil {
				t.Fatal(err)
			}
			if sts := settlementsOf(t, db, cust2); sts[0].Status != models.SettlementPending {
				t.Fatalf("settled without an invoice: %+v", sts[0])
			}
			if _, err := db.NewUpdate().Model((*models.SupportSubscription)(nil)).Set("stripe_latest_invoice_id = ?", "in_optout2").Where("id = ?", sub2.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if err := svc.RetrySettlements(ctx); err != nil {
				t.Fatal(err)
			}
			if sts := settlementsOf(t, db, cust2); sts[0].Status != models.SettlementSettled || sts[0].Target != "in_optout2" {
				t.Fatalf("after the invoice was paid: %+v", sts[0])
			}
		})
	})
}

func TestCloseAccount(t *testing.T) {
	t.Run("refunds the balance against past charges", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
			ctx := context.Background()
			stripe, rec := mockWithCharges(t,
				charge("ch_newest", 960000, 900000), // 60000 refundable
				charge("ch_refunded", 960000, 960000),
				charge("ch_older", 960000, 0), // takes the remaining 100000
				charge("ch_oldest", 960000, 0),
			)
			svc := newService(t, db, nil, stripe)
			cust := seedCustomer(t, db, "cus_close")
			sub := seedSubscription(t, db, cust, func(s *models.SupportSubscription) { s.StripeSubscriptionID = "sub_close" })
			mustAppend(t, svc.Ledger, earned(cust, sub.ID, "2026-09"))
			mustAppend(t, svc.Ledger, earned(cust, sub.ID, "2026-10"))

			_, err := svc.CloseAccount(asCustomer(cust), cust)
			wantCode(t, "customer closes", err, models.CodeForbidden)
			_, err = svc.CloseAccount(as(auth.RoleSales), "nope")
			wantCode(t, "unknown", err, models.CodeNotFound)

			got, err := svc.CloseAccount(as(auth.RoleSales), cust)
			if err != nil {
				t.Fatal(err)
			}
			if !got.ClosedAt.Equal(t0) || !loadCustomer(t, db, cust).ClosedAt.Equal(t0) {
				t.Errorf("closed_at = %v", got.ClosedAt)
			}
			if s := loadSubscription(t, db, sub.ID); s.Status != models.StatusCanceled || s.CancelReason != "account closed" {
				t.Errorf("subscription %s %q", s.Status, s.CancelReason)
			}
			if c := rec.requests("DELETE", "/v1/subscriptions/sub_close"); len(c) != 1 {
				t.Errorf("%d Stripe cancellations, want 1", len(c))
			}
			wantBalance(t, svc.Ledger, cust, 0)
			refunded := entriesOf(t, db, cust, models.CreditRefunded)
			want := map[string]int64{"ch_newest": -60000, "ch_older": -100000}
			if len(refunded) != len(want) {
				t.Fatalf("refunded entries = %+v", refunded)
			}
			for _, e := range refunded {
				ch := strings.TrimPrefix(e.Reference, "charge:")
				if want[ch] != e.AmountCents || e.IdempotencyKey != "refunded:close:"+cust+":"+ch {
					t.Errorf("refunded entry %+v", e)
				}
			}
			refunds := rec.requests("POST", "/v1/refunds")
			if len(refunds) != 2 {
				t.Fatalf("%d refunds, want 2", len(refunds))
			}
			for _, r := range refunds {
				ch := r.Form.Get("charge")
				key := "refund:refunded:close:" + cust + ":" + ch
				r.want(t, "POST", "/v1/refunds", key, map[string]string{"amount": strconv.FormatInt(-want[ch], 10), "metadata[ps_ledger_key]": key})
			}
			for _, st := range settlementsOf(t, db, cust) {
				if st.Kind != models.SettlementRefund || st.Status != models.SettlementSettled || !strings.HasPrefix(st.StripeID, "re_") {
					t.Errorf("settlement %+v", st)
				}
			}

			_, err = svc.CloseAccount(as(auth.RoleAdmin), cust)
			wantCode(t, "closed twice", err, models.CodeConflict)
			if err := svc.RetrySettlements(ctx); err != nil {
				t.Fatal(err)
			}
			if n := len(rec.requests("POST", "/v1/refunds")); n != 2 {
				t.Errorf("%d refunds after a retry run, want still 2", n)
			}
		})
	})

	t.Run("Stripe disabled", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
			svc := newService(t, db, nil, nil)
			cust := seedCustomer(t, db, "cus_nostripe")
			sub := seedSubscription(t, db, cust, nil)
			mustAppend(t, svc.Ledger, earned(cust, sub.ID, "2026-10"))
			_, err := svc.CloseAccount(as(auth.RoleSales), cust)
			wantCode(t, "close with credit", err, models.CodeConflict)
			if !strings.Contains(err.Error(), "Stripe is not configured") {
				t.Errorf("error %q", err)
			}
			if c := loadCustomer(t, db, cust); !c.ClosedAt.IsZero() {
				t.Error("closed anyway")
			}
			if s := loadSubscription(t, db, sub.ID); s.Status != models.StatusActive {
				t.Errorf("subscription %s, want still active", s.Status)
			}
			wantBalance(t, svc.Ledger, cust, 80000)

			// Without credit there is nothing to refund.
			empty := seedCustomer(t, db, "")
			sub2 := seedSubscription(t, db, empty, nil)
			if _, err := svc.CloseAccount(as(auth.RoleSales), empty); err != nil {
				t.Fatal(err)
			}
			if s := loadSubscription(t, db, sub2.ID); s.Status != models.StatusCanceled {
				t.Errorf("subscription %s, want canceled", s.Status)
			}
		})
	})

	t.Run("failing Stripe leaves refunds pending; RetrySettlements finishes them", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
			ctx := context.Background()
			failing := fakeStripe(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet && r.URL.Path == "/v1/charges" {
					stripeJSON(w, chargeList(charge("ch_fail", 960000, 0)))
					return
				}
				stripeError(w, http.StatusInternalServerError, "api_error", "An unknown error occurred")
			})
			svc := newService(t, db, nil, failing)
			cust := seedCustomer(t, db, "cus_fail")
			sub := seedSubscription(t, db, cust, nil)
			mustAppend(t, svc.Ledger, earned(cust, sub.ID, "2026-10"))

			if _, err := svc.CloseAccount(as(auth.RoleSales), cust); err != nil {
				t.Fatal(err)
			}
			key := "refunded:close:" + cust + ":ch_fail"
			wantDebit := func() {
				t.Helper()
				refunded := entriesOf(t, db, cust, models.CreditRefunded)
				if len(refunded) != 1 || refunded[0].AmountCents != -80000 || refunded[0].IdempotencyKey != key {
					t.Fatalf("refunded entries = %+v, want one debit of 80000", refunded)
				}
				wantBalance(t, svc.Ledger, cust, 0)
			}
			wantDebit()
			sts := settlementsOf(t, db, cust)
			if len(sts) != 1 || sts[0].Status != models.SettlementPending || sts[0].Target != "ch_fail" || sts[0].AmountCents != 80000 ||
				sts[0].LedgerKey != key || sts[0].Attempts != 1 || !strings.Contains(sts[0].LastError, "Stripe 500") {
				t.Fatalf("settlements = %+v, want one pending refund", sts)
			}
			// Staff see it pending.
			seen, err := svc.SettlementsByCustomerIDs(as(auth.RoleSupport), []string{cust})
			if err != nil || len(seen[0]) != 1 || seen[0][0].Status != models.SettlementPending {
				t.Errorf("staff see %v, %v", seen, err)
			}

			_, err = svc.CloseAccount(as(auth.RoleSales), cust)
			wantCode(t, "close again", err, models.CodeConflict)
			if err := svc.RetrySettlements(ctx); err == nil {
				t.Error("RetrySettlements against a failing Stripe: no error")
			}
			if sts := settlementsOf(t, db, cust); sts[0].Status != models.SettlementPending || sts[0].Attempts != 2 {
				t.Errorf("after a failed retry: %+v", sts[0])
			}

			working, rec := newStripe(t)
			svc.Stripe = working
			if err := svc.RetrySettlements(ctx); err != nil {
				t.Fatal(err)
			}
			sts = settlementsOf(t, db, cust)
			if len(sts) != 1 || sts[0].Status != models.SettlementSettled || !strings.HasPrefix(sts[0].StripeID, "re_") || sts[0].LastError != "" {
				t.Fatalf("after the retry: %+v", sts)
			}
			wantDebit()
			refunds := rec.requests("POST", "/v1/refunds")
			if len(refunds) != 1 {
				t.Fatalf("%d refunds, want 1", len(refunds))
			}
			refunds[0].want(t, "POST", "/v1/refunds", "refund:"+key, map[string]string{"charge": "ch_fail", "amount": "80000"})
			if err := svc.RetrySettlements(ctx); err != nil {
				t.Fatal(err)
			}
			if n := len(rec.requests("POST", "/v1/refunds")); n != 1 {
				t.Errorf("a settled refund was retried: %d refunds", n)
			}
		})

		t.Run("a day after the first attempt, retries stop for review", func(t *testing.T) {
			testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
				ctx := context.Background()
				var refunds []string
				var mu sync.Mutex
				healthy := false
				stripe := fakeStripe(t, func(w http.ResponseWriter, r *http.Request) {
					switch {
					case r.Method == http.MethodGet && r.URL.Path == "/v1/charges":
						stripeJSON(w, chargeList(charge("ch_day", 960000, 0)))
					case r.Method == http.MethodPost && r.URL.Path == "/v1/refunds":
						mu.Lock()
						defer mu.Unlock()
						refunds = append(refunds, r.Header.Get("Idempotency-Key"))
						if !healthy {
							stripeError(w, http.StatusBadGateway, "api_error", "timeout")
							return
						}
						stripeJSON(w, map[string]any{"id": "re_day", "object": "refund", "status": "pending"})
					default:
						stripeError(w, http.StatusNotFound, "invalid_request_error", "unexpected")
					}
				})
				clk := &clock{t: t0}
				svc := newService(t, db, clk, stripe)
				cust := seedCustomer(t, db, "cus_day")
				mustAppend(t, svc.Ledger, earned(cust, seedSubscription(t, db, cust, nil).ID, "2026-10"))
				if _, err := svc.CloseAccount(as(auth.RoleSales), cust); err != nil {
					t.Fatal(err)
				}
				clk.add(25 * time.Hour)
				mu.Lock()
				healthy = true
				mu.Unlock()
				if err := svc.RetrySettlements(ctx); err != nil {
					t.Fatal(err)
				}
				sts := settlementsOf(t, db, cust)
				if len(sts) != 1 || sts[0].Status != models.SettlementPending || !strings.Contains(sts[0].LastError, "check Stripe") || !sts[0].FirstAttemptAt.Equal(t0) {
					t.Fatalf("settlement = %+v, want pending for review", sts)
				}
				if len(refunds) != 1 {
					t.Fatalf("refund calls = %v, want the first attempt only", refunds)
				}

				// Within the day, a refund Stripe accepts but has not finished
				// waits for its webhook instead of being sent again.
				cust2 := seedCustomer(t, db, "cus_day2")
				mustAppend(t, svc.Ledger, earned(cust2, seedSubscription(t, db, cust2, nil).ID, "2026-10"))
				if _, err := svc.CloseAccount(as(auth.RoleSales), cust2); err != nil {
					t.Fatal(err)
				}
				if err := svc.RetrySettlements(ctx); err != nil {
					t.Fatal(err)
				}
				sts = settlementsOf(t, db, cust2)
				if len(sts) != 1 || sts[0].Status != models.SettlementPending || sts[0].StripeID != "re_day" || sts[0].LastError != "refund is pending in Stripe" {
					t.Fatalf("settlement = %+v, want pending in Stripe", sts)
				}
				if len(refunds) != 2 {
					t.Fatalf("refund calls = %v, want one for the second account", refunds)
				}
			})
		})
	})
}

func TestCancelEndedInStripe(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		down := fakeStripe(t, func(w http.ResponseWriter, r *http.Request) {
			stripeError(w, http.StatusServiceUnavailable, "api_error", "Stripe is down")
		})
		cust := seedCustomer(t, db, "cus_cancel")
		sub := seedSubscription(t, db, cust, func(s *models.SupportSubscription) { s.StripeSubscriptionID = "sub_cancel" })

		// Stripe is down when sales cancel: the cancellation stands, and
		// the Stripe subscription is still to be canceled.
		canceled, err := newService(t, db, nil, down).CancelSubscription(as(auth.RoleSales), sub.ID, "customer asked")
		if err != nil || canceled.Status != models.StatusCanceled {
			t.Fatalf("cancel with Stripe down = %+v, %v; want canceled", canceled, err)
		}
		if got := loadSubscription(t, db, sub.ID); !got.StripeCanceledAt.IsZero() {
			t.Fatalf("marked canceled in Stripe although Stripe was down: %v", got.StripeCanceledAt)
		}

		// Ended by Stripe itself: nothing to call, only to record.
		byStripe := seedSubscription(t, db, seedCustomer(t, db, "cus_gone"), func(s *models.SupportSubscription) {
			s.StripeSubscriptionID, s.Status, s.CanceledAt, s.CancelReason = "sub_gone", models.StatusCanceled, t0, "canceled in Stripe"
		})
		// Live, and one ended with no Stripe subscription: left alone.
		live := seedSubscription(t, db, seedCustomer(t, db, "cus_live"), func(s *models.SupportSubscription) { s.StripeSubscriptionID = "sub_live" })

		stripe, rec := mockWithCharges(t)
		svc := newService(t, db, nil, stripe)
		for range 2 {
			if err := svc.SettleStripe(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(rec.requests(http.MethodDelete, "/v1/subscriptions/sub_cancel")); n != 1 {
			t.Errorf("%d cancellations of sub_cancel in Stripe, want 1", n)
		}
		for _, id := range []string{"sub_gone", "sub_live"} {
			if n := len(rec.requests(http.MethodDelete, "/v1/subscriptions/"+id)); n != 0 {
				t.Errorf("%d cancellations of %s in Stripe, want none", n, id)
			}
		}
		if got := loadSubscription(t, db, sub.ID); got.StripeCanceledAt.IsZero() {
			t.Error("sub_cancel not marked canceled in Stripe")
		}
		if got := loadSubscription(t, db, byStripe.ID); got.StripeCanceledAt.IsZero() {
			t.Error("a subscription Stripe canceled is not marked")
		}
		if got := loadSubscription(t, db, live.ID); !got.StripeCanceledAt.IsZero() {
			t.Error("a live subscription is marked canceled in Stripe")
		}
	})
}
