package main

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/stripetest"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/models"
)

// testWebhookSecret signs the Stripe webhooks of the end-to-end tests.
const testWebhookSecret = "whsec_end_to_end"

// stripeEnv is the environment of a server whose Stripe is stripe-mock.
func stripeEnv(t testing.TB) map[string]string {
	return map[string]string{
		"STRIPE_SECRET_KEY":     "sk_test_123",
		"STRIPE_PRICE_ID":       "price_priority_support_yearly",
		"STRIPE_API_BASE":       stripetest.APIBase(t), // skips without stripe-mock
		"STRIPE_WEBHOOK_SECRET": testWebhookSecret,
	}
}

// admin is an admin's token.
func (s *testServer) admin() string { return s.token("", auth.RoleAdmin) }

// webhook posts payload to /webhooks/stripe signed as Stripe signs it, now,
// and returns the status and body.
func (s *testServer) webhook(payload []byte) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/webhooks/stripe", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", stripetest.SignatureHeader(payload, testWebhookSecret, time.Now()))
	r := s.do(req)
	return r.Status, r.Raw
}

// stripeIDs returns the Stripe customer and subscription ids a fixture was
// linked to when it was created.
func (s *testServer) stripeIDs(f fixture) (customer, subscription string) {
	s.t.Helper()
	ctx := s.t.Context()
	db := s.App.Store.DB()
	if err := db.NewSelect().Table("customers").Column("stripe_customer_id").Where("id = ?", f.CustomerID).Scan(ctx, &customer); err != nil {
		s.t.Fatal(err)
	}
	if err := db.NewSelect().Table("support_subscriptions").Column("stripe_subscription_id").Where("id = ?", f.SubscriptionID).Scan(ctx, &subscription); err != nil {
		s.t.Fatal(err)
	}
	return customer, subscription
}

// balance reads creditBalance with token for customerID ("" for the
// caller's own).
func (s *testServer) balance(token, customerID string) gqlResponse {
	s.t.Helper()
	vars := map[string]any{}
	if customerID != "" {
		vars["c"] = customerID
	}
	return s.gql(token, `query($c: ID) { creditBalance(customerId: $c) { cents currency } }`, vars)
}

// mustBalance returns the balance in cents that token reads for customerID.
func (s *testServer) mustBalance(token, customerID string) int64 {
	s.t.Helper()
	var out struct{ CreditBalance models.Money }
	s.balance(token, customerID).decode(s.t, &out)
	return out.CreditBalance.Cents
}

// creditView is what the tests read of a credit entry.
type creditView struct {
	ID     string
	Kind   string
	Month  *string
	Reason *string
	Amount models.Money
}

// evaluation is what evaluateSlaMonth answers.
type evaluation struct {
	EvaluateSLAMonth struct {
		Final, Met bool
		Status     string
		Credit     *creditView
	} `json:"evaluateSlaMonth"`
}

const evaluateMutation = `mutation($s: ID!, $m: String!) { evaluateSlaMonth(subscriptionId: $s, month: $m) {
  final met status credit { id kind month reason amount { cents currency } } } }`

// TestBreachedMonthCreditPaysRenewal is the guarantee end to end: a month
// breached through the inbound endpoint is evaluated into one 80,000-cent
// credit, the customer sees it, and the next renewal invoice's signed
// invoice.created webhook applies it through Stripe (stripe-mock).
func TestBreachedMonthCreditPaysRenewal(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-04 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, stripeEnv(t))
		f := s.mustPriorityCustomer("Late Ltd", utc(t, "2026-01-01 00:00"), "late.example")
		other := s.mustPriorityCustomer("Other Ltd", utc(t, "2026-01-01 00:00"), "other.example")
		stripeCustomer, stripeSub := s.stripeIDs(f)
		if stripeCustomer == "" || stripeSub == "" {
			t.Fatalf("subscription not linked to Stripe on creation: customer %q, subscription %q\n%s", stripeCustomer, stripeSub, s.Logs)
		}

		s.mustIngest(email{From: "dee@late.example", Subject: "Export fails", MessageID: "e2e-1@late.example", Received: utc(t, "2026-11-04 09:00")})
		s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Export fails", MessageID: "e2e-2@support.vendor.test", InReplyTo: "e2e-1@late.example", Received: utc(t, "2026-11-04 10:01")})

		clock.Set(utc(t, "2026-11-30 12:00"))
		if r := s.gql(s.admin(), evaluateMutation, map[string]any{"s": f.SubscriptionID, "m": "2026-11"}); r.code() != models.CodeConflict {
			t.Fatalf("evaluation before the cutoff: %s, want CONFLICT", r.Raw)
		}
		clock.Set(utc(t, "2026-12-02 00:00"))
		for _, token := range []string{s.customerToken(f), s.sales(), s.support()} {
			if r := s.gql(token, evaluateMutation, map[string]any{"s": f.SubscriptionID, "m": "2026-11"}); r.code() != models.CodeForbidden {
				t.Fatalf("evaluation by a non-admin: %s, want FORBIDDEN", r.Raw)
			}
		}
		var first string
		for i := range 3 {
			var ev evaluation
			s.gql(s.admin(), evaluateMutation, map[string]any{"s": f.SubscriptionID, "m": "2026-11"}).decode(t, &ev)
			got := ev.EvaluateSLAMonth
			if !got.Final || got.Met || got.Status != "BREACHED" || got.Credit == nil ||
				got.Credit.Kind != "EARNED" || got.Credit.Amount.Cents != 80000 || got.Credit.Month == nil || *got.Credit.Month != "2026-11" {
				t.Fatalf("evaluation %d = %+v (credit %+v), want a final breached month with an 80000-cent credit", i+1, got, got.Credit)
			}
			if i == 0 {
				first = got.Credit.ID
			} else if got.Credit.ID != first {
				t.Fatalf("evaluation %d credited %s, the first credited %s", i+1, got.Credit.ID, first)
			}
		}

		// The customer sees its balance, its ledger and the month's credit;
		// another customer sees none of it.
		if got := s.mustBalance(s.customerToken(f), ""); got != 80000 {
			t.Fatalf("balance = %d, want 80000", got)
		}
		if got := s.mustBalance(s.support(), f.CustomerID); got != 80000 {
			t.Fatalf("balance read by support = %d, want 80000", got)
		}
		if got := s.mustBalance(s.customerToken(other), ""); got != 0 {
			t.Fatalf("the other customer's balance = %d, want 0", got)
		}
		if r := s.balance(s.customerToken(other), f.CustomerID); r.code() != models.CodeNotFound {
			t.Fatalf("another customer's balance: %s, want NOT_FOUND", r.Raw)
		}
		if r := s.gql(s.customerToken(other), `query($c: ID) { creditLedger(customerId: $c) { totalCount } }`, map[string]any{"c": f.CustomerID}); r.code() != models.CodeNotFound {
			t.Fatalf("another customer's ledger: %s, want NOT_FOUND", r.Raw)
		}
		var report struct {
			SLAReport struct{ Credit *creditView } `json:"slaReport"`
		}
		s.gql(s.customerToken(f), `query($s: ID!) { slaReport(subscriptionId: $s, month: "2026-11") { credit { id amount { cents } } } }`,
			map[string]any{"s": f.SubscriptionID}).decode(t, &report)
		if report.SLAReport.Credit == nil || report.SLAReport.Credit.ID != first {
			t.Fatalf("slaReport.credit = %+v, want %s", report.SLAReport.Credit, first)
		}

		// The renewal invoice, delivered twice: the credit pays part of it
		// once.
		invoice := map[string]any{
			"id": "in_e2e_renewal", "object": "invoice", "customer": stripeCustomer, "subscription": stripeSub,
			"billing_reason": "subscription_cycle", "status": "draft", "amount_due": 960000, "currency": "usd",
		}
		payload := stripetest.Event(t, "evt_e2e_renewal", "invoice.created", invoice)
		for range 2 {
			if status, body := s.webhook(payload); status != http.StatusOK {
				t.Fatalf("invoice.created answered %d %s", status, body)
			}
		}
		if got := s.mustBalance(s.customerToken(f), ""); got != 0 {
			t.Fatalf("balance after the renewal = %d, want 0 (80000 applied)", got)
		}
		var ledger struct {
			CreditLedger struct {
				TotalCount int
				Edges      []struct{ Node creditView }
			}
			Customer struct {
				CreditBalance models.Money
				Settlements   []struct {
					Kind, Status, Target string
					StripeID             *string
					Amount               models.Money
				}
			}
		}
		s.gql(s.customerToken(f), `query($c: ID!) {
		  creditLedger { totalCount edges { node { id kind month amount { cents } } } }
		  customer(id: $c) { creditBalance { cents } settlements { kind status target stripeId amount { cents } } } }`,
			map[string]any{"c": f.CustomerID}).decode(t, &ledger)
		edges := ledger.CreditLedger.Edges
		if ledger.CreditLedger.TotalCount != 2 || len(edges) != 2 ||
			edges[0].Node.Kind != "APPLIED" || edges[0].Node.Amount.Cents != -80000 ||
			edges[1].Node.Kind != "EARNED" || edges[1].Node.Amount.Cents != 80000 {
			t.Fatalf("ledger = %+v, want APPLIED -80000 then EARNED 80000", ledger.CreditLedger)
		}
		sts := ledger.Customer.Settlements
		if ledger.Customer.CreditBalance.Cents != 0 || len(sts) != 1 || sts[0].Kind != "INVOICE_CREDIT" || sts[0].Status != "SETTLED" ||
			sts[0].Target != "in_e2e_renewal" || sts[0].Amount.Cents != 80000 {
			t.Fatalf("customer = %+v, want one settled 80000 invoice credit on in_e2e_renewal", ledger.Customer)
		}
		if sts[0].StripeID != nil {
			t.Errorf("the customer sees the Stripe id %q of its settlement; staff only", *sts[0].StripeID)
		}
		var staff struct {
			Customer struct{ Settlements []struct{ StripeID *string } }
		}
		s.gql(s.support(), `query($c: ID!) { customer(id: $c) { settlements { stripeId } } }`, map[string]any{"c": f.CustomerID}).decode(t, &staff)
		if ss := staff.Customer.Settlements; len(ss) != 1 || ss[0].StripeID == nil || *ss[0].StripeID == "" {
			t.Errorf("support reads settlements %+v, want the Stripe invoice item id", ss)
		}
	})
}

// TestCreditMutationsThroughGraphQL checks the roles and the input rules of
// the credit mutations as the dashboard and the sales tools meet them.
func TestCreditMutationsThroughGraphQL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		f := s.mustPriorityCustomer("Adjusted Ltd", utc(t, "2026-01-01 00:00"), "adjusted.example")
		other := s.mustPriorityCustomer("Other Ltd", utc(t, "2026-01-01 00:00"), "other2.example")
		const adjust = `mutation($c: ID!, $a: Int!, $r: String!) { adjustCredit(customerId: $c, amountCents: $a, reason: $r) { id kind reason amount { cents } } }`

		tests := []struct {
			name  string
			token string
			cents int
			why   string
			code  string
		}{
			{"a customer cannot adjust", s.customerToken(f), 5000, "goodwill", models.CodeForbidden},
			{"sales cannot adjust", s.sales(), 5000, "goodwill", models.CodeForbidden},
			{"no token", "", 5000, "goodwill", models.CodeUnauthenticated},
			{"a reason is required", s.admin(), 5000, "   ", models.CodeBadUserInput},
			{"zero is no adjustment", s.admin(), 0, "nothing", models.CodeBadUserInput},
			{"cannot overdraw", s.admin(), -1, "take back", models.CodeConflict},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if r := s.gql(tt.token, adjust, map[string]any{"c": f.CustomerID, "a": tt.cents, "r": tt.why}); r.code() != tt.code {
					t.Fatalf("answer %s, want %s", r.Raw, tt.code)
				}
				if got := s.mustBalance(s.admin(), f.CustomerID); got != 0 {
					t.Fatalf("balance = %d after a refused adjustment, want 0", got)
				}
			})
		}

		var added struct{ AdjustCredit creditView }
		s.gql(s.admin(), adjust, map[string]any{"c": f.CustomerID, "a": 5000, "r": "goodwill after an outage"}).decode(t, &added)
		if added.AdjustCredit.Kind != "ADJUSTMENT" || added.AdjustCredit.Amount.Cents != 5000 ||
			added.AdjustCredit.Reason == nil || *added.AdjustCredit.Reason != "goodwill after an outage" {
			t.Fatalf("adjustment = %+v", added.AdjustCredit)
		}
		if r := s.gql(s.admin(), adjust, map[string]any{"c": f.CustomerID, "a": -5001, "r": "too much"}); r.code() != models.CodeConflict {
			t.Fatalf("overdraw by one cent: %s, want CONFLICT", r.Raw)
		}
		if got := s.mustBalance(s.customerToken(f), ""); got != 5000 {
			t.Fatalf("balance = %d, want 5000", got)
		}
		if r := s.gql(s.admin(), adjust, map[string]any{"c": "no-such-customer", "a": 100, "r": "x"}); r.code() != models.CodeNotFound {
			t.Fatalf("unknown customer: %s, want NOT_FOUND", r.Raw)
		}

		const closeAccount = `mutation($c: ID!) { closeAccount(customerId: $c) { id closedAt } }`
		if r := s.gql(s.customerToken(f), closeAccount, map[string]any{"c": f.CustomerID}); r.code() != models.CodeForbidden {
			t.Fatalf("a customer closing its account: %s, want FORBIDDEN", r.Raw)
		}
		// Without Stripe the balance cannot be refunded: refused, nothing
		// changed.
		if r := s.gql(s.sales(), closeAccount, map[string]any{"c": f.CustomerID}); r.code() != models.CodeConflict {
			t.Fatalf("closing an account with credit and no Stripe: %s, want CONFLICT", r.Raw)
		}
		var closed struct{ CloseAccount struct{ ClosedAt *time.Time } }
		s.gql(s.sales(), closeAccount, map[string]any{"c": other.CustomerID}).decode(t, &closed)
		if closed.CloseAccount.ClosedAt == nil {
			t.Fatalf("closed account without closedAt")
		}
		var subs struct {
			Customer struct{ SupportSubscriptions []struct{ Status string } }
		}
		s.gql(s.sales(), `query($c: ID!) { customer(id: $c) { supportSubscriptions { status } } }`, map[string]any{"c": other.CustomerID}).decode(t, &subs)
		if ss := subs.Customer.SupportSubscriptions; len(ss) != 1 || ss[0].Status != "CANCELED" {
			t.Fatalf("subscriptions of a closed account = %+v, want one CANCELED", ss)
		}

		const optOut = `mutation($s: ID!) { optOutEarlyAccess(subscriptionId: $s) { status } }`
		if r := s.gql(s.customerToken(other), optOut, map[string]any{"s": f.SubscriptionID}); r.code() != models.CodeNotFound {
			t.Fatalf("opting out another customer's subscription: %s, want NOT_FOUND", r.Raw)
		}
		if r := s.gql(s.customerToken(f), optOut, map[string]any{"s": f.SubscriptionID}); r.code() != models.CodeConflict {
			t.Fatalf("opting out of a subscription that is not early access: %s, want CONFLICT", r.Raw)
		}
	})
}
