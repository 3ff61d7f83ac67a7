package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// wantNoSubscriptionRows fails the test unless the database holds no
// subscription and no domain rows for the customer.
func (f *fixture) wantNoSubscriptionRows(customerID string) {
	f.t.Helper()
	subs := f.count((*models.SupportSubscription)(nil), "customer_id = ?", customerID)
	domains := f.count((*models.SubscriptionDomain)(nil), "customer_id = ?", customerID)
	if subs != 0 || domains != 0 {
		f.t.Fatalf("rows written for customer %s: %d subscriptions, %d domains", customerID, subs, domains)
	}
}

func TestCreateSubscriptionRequiresEligibleLicense(t *testing.T) {
	type lic struct {
		paid         bool
		from, until  time.Time
		withoutOwner bool
	}
	tests := []struct {
		name     string
		licenses []lic
		wantMsg  string // with %s for the customer id
	}{
		{"no license", nil, "customer has no license; record a paid license first"},
		{"unpaid license", []lic{{paid: false, from: licenseFrom, until: licenseUntil}},
			"customer has no valid paid license: license KEY-%s-0 is not paid"},
		{"expired license", []lic{{paid: true, from: licenseFrom.AddDate(-1, 0, 0), until: licenseFrom}},
			"customer has no valid paid license: license KEY-%s-0 expired on 2026-01-01T00:00:00Z"},
		{"license not valid yet", []lic{{paid: true, from: licenseUntil, until: licenseUntil.AddDate(1, 0, 0)}},
			"customer has no valid paid license: license KEY-%s-0 is not valid before 2027-01-01T00:00:00Z"},
		{"license that ended exactly now", []lic{{paid: true, from: licenseFrom, until: testNow}},
			"customer has no valid paid license: license KEY-%s-0 expired on 2026-11-26T10:00:00Z"},
	}
	eachFixture(t, func(t *testing.T, f *fixture) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := f.on(t)
				c := f.customer(tt.name)
				for i, l := range tt.licenses {
					f.license(c.ID, fmt.Sprintf("KEY-%s-%d", c.ID, i), l.paid, l.from, l.until)
				}
				sub, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"eligible.example"}})
				wantCode(t, err, models.CodeBadUserInput)
				if sub != nil {
					t.Fatalf("CreateSubscription returned %+v with its error", sub)
				}
				want := tt.wantMsg
				if strings.Contains(want, "%s") {
					want = fmt.Sprintf(want, c.ID)
				}
				if got := models.ErrorMessage(err); got != want {
					t.Fatalf("message = %q, want %q", got, want)
				}
				if n := f.count((*models.SupportSubscription)(nil), ""); n != 0 {
					t.Fatalf("%d subscription rows, want 0", n)
				}
				if n := f.count((*models.SubscriptionDomain)(nil), ""); n != 0 {
					t.Fatalf("%d domain rows, want 0", n)
				}
				if n := f.count((*models.SubscriptionStatusChange)(nil), ""); n != 0 {
					t.Fatalf("%d status change rows, want 0", n)
				}
			})
		}

		t.Run("unknown customer", func(t *testing.T) {
			_, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: "no-such-customer", Domains: []string{"eligible.example"}})
			wantCode(t, err, models.CodeNotFound)
			if n := f.on(t).count((*models.SupportSubscription)(nil), ""); n != 0 {
				t.Fatalf("%d subscription rows, want 0", n)
			}
		})

		t.Run("another customer's license does not count", func(t *testing.T) {
			f := f.on(t)
			other := f.eligibleCustomer("Licensed")
			c := f.customer("Unlicensed")
			_, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"eligible.example"}})
			wantCode(t, err, models.CodeBadUserInput)
			f.wantNoSubscriptionRows(c.ID)
			f.wantNoSubscriptionRows(other.ID)
		})
	})
}

func TestCreateSubscriptionStart(t *testing.T) {
	at := func(t time.Time) *time.Time { return &t }
	tests := []struct {
		name        string
		startsAt    *time.Time
		status      models.SubscriptionStatus
		start       time.Time
		periodStart time.Time
		periodEnd   time.Time
		activatedAt time.Time // zero when not active
		change      change
	}{
		{
			name:   "no start date waits for the license renewal",
			status: models.StatusPending, start: licenseUntil,
			periodStart: licenseUntil, periodEnd: licenseUntil.AddDate(1, 0, 0),
			change: change{To: models.StatusPending, ChangedAt: testNow, Actor: "sales@vendor.test", Reason: "created"},
		},
		{
			name: "future start date", startsAt: at(time.Date(2026, 12, 15, 9, 30, 0, 0, time.UTC)),
			status: models.StatusPending, start: time.Date(2026, 12, 15, 9, 30, 0, 0, time.UTC),
			periodStart: time.Date(2026, 12, 15, 9, 30, 0, 0, time.UTC), periodEnd: time.Date(2027, 12, 15, 9, 30, 0, 0, time.UTC),
			change: change{To: models.StatusPending, ChangedAt: testNow, Actor: "sales@vendor.test", Reason: "created"},
		},
		{
			name: "past start date imports an active subscription", startsAt: at(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)),
			status: models.StatusActive, start: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
			periodStart: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), periodEnd: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
			activatedAt: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
			change:      change{To: models.StatusActive, ChangedAt: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Actor: "sales@vendor.test", Reason: "created with a start date that has passed"},
		},
		{
			name: "start exactly now", startsAt: at(testNow),
			status: models.StatusActive, start: testNow, periodStart: testNow, periodEnd: testNow.AddDate(1, 0, 0), activatedAt: testNow,
			change: change{To: models.StatusActive, ChangedAt: testNow, Actor: "sales@vendor.test", Reason: "created with a start date that has passed"},
		},
		{
			name: "start in another zone with nanoseconds is kept in UTC to the microsecond", startsAt: at(time.Date(2026, 12, 15, 11, 30, 0, 123456789, time.FixedZone("UTC+2", 2*3600))),
			status: models.StatusPending, start: time.Date(2026, 12, 15, 9, 30, 0, 123456000, time.UTC),
			periodStart: time.Date(2026, 12, 15, 9, 30, 0, 123456000, time.UTC), periodEnd: time.Date(2027, 12, 15, 9, 30, 0, 123456000, time.UTC),
			change: change{To: models.StatusPending, ChangedAt: testNow, Actor: "sales@vendor.test", Reason: "created"},
		},
	}
	eachFixture(t, func(t *testing.T, f *fixture) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := f.on(t)
				c := f.eligibleCustomer(tt.name)
				domain := fmt.Sprintf("start-%d.example", i)
				sub, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{domain}, StartsAt: tt.startsAt, EarlyAccess: i%2 == 0})
				wantCode(t, err, "")
				stored, err := f.st.FindSubscription(supportCtx, sub.ID)
				wantCode(t, err, "")
				for _, s := range []struct {
					what string
					sub  *models.SupportSubscription
				}{{"returned", sub}, {"stored", stored}} {
					got := s.sub
					if got.ID != sub.ID || got.CustomerID != c.ID || got.Status != tt.status || got.EarlyAccess != (i%2 == 0) {
						t.Fatalf("%s: id %s, customer %s, status %q, early access %v", s.what, got.ID, got.CustomerID, got.Status, got.EarlyAccess)
					}
					if got.MonthlyFeeCents != 80000 || got.Currency != "USD" {
						t.Fatalf("%s: fee %d %s, want 80000 USD", s.what, got.MonthlyFeeCents, got.Currency)
					}
					if got.FirstResponseTargetSeconds != 3600 || got.FollowUpTargetSeconds != 3600 || got.SLATimezone != "UTC" {
						t.Fatalf("%s: targets %d/%d s in %q, want 3600/3600 in UTC", s.what, got.FirstResponseTargetSeconds, got.FollowUpTargetSeconds, got.SLATimezone)
					}
					wantTime(t, s.what+" StartsAt", got.StartsAt, tt.start)
					wantTime(t, s.what+" CurrentPeriodStart", got.CurrentPeriodStart, tt.periodStart)
					wantTime(t, s.what+" CurrentPeriodEnd", got.CurrentPeriodEnd, tt.periodEnd)
					wantTime(t, s.what+" ActivatedAt", got.ActivatedAt, tt.activatedAt)
					wantTime(t, s.what+" CanceledAt", got.CanceledAt, time.Time{})
					wantTime(t, s.what+" CreatedAt", got.CreatedAt, testNow)
				}
				wantChanges(t, f.changes(sub.ID), []change{tt.change})
				if got := f.domains(sub.ID); !slices.Equal(got, []string{domain}) {
					t.Fatalf("domains = %q, want [%s]", got, domain)
				}
			})
		}
	})
}

func TestCreateSubscriptionStartsAtTheLongestLicense(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.customer("Two Licenses")
		f.license(c.ID, "SHORT", true, licenseFrom, licenseUntil)
		f.license(c.ID, "LONG", true, licenseFrom, licenseUntil.AddDate(0, 6, 0))
		f.license(c.ID, "UNPAID", false, licenseFrom, licenseUntil.AddDate(5, 0, 0))
		sub := f.subscribe(c.ID, "two.example")
		wantTime(t, "StartsAt", sub.StartsAt, licenseUntil.AddDate(0, 6, 0))
	})
}

func TestSubscriptionDomainsNormalised(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Bookshop")
		sub := f.subscribe(c.ID, "Example.COM.", "bücher.example", " example.com ", "Mail.Bücher.Example")
		want := []string{"example.com", "mail.xn--bcher-kva.example", "xn--bcher-kva.example"}
		if got := f.domains(sub.ID); !slices.Equal(got, want) {
			t.Fatalf("domains = %q, want %q", got, want)
		}
		var rows []models.SubscriptionDomain
		if err := f.db.NewSelect().Model(&rows).Where("subscription_id = ?", sub.ID).Order("domain").Scan(context.Background()); err != nil {
			t.Fatalf("select domains: %v", err)
		}
		if len(rows) != 3 {
			t.Fatalf("%d domain rows, want 3", len(rows))
		}
		for i, r := range rows {
			if r.Domain != want[i] || !r.Live || r.CustomerID != c.ID || !r.RemovedAt.IsZero() {
				t.Fatalf("row %d = %+v, want live %q of customer %s", i, r, want[i], c.ID)
			}
			// The domains a subscription is created with cover from its start.
			wantTime(t, "AddedAt", r.AddedAt, sub.StartsAt)
		}
	})
}

func TestSubscriptionDomainsRefused(t *testing.T) {
	tests := []struct {
		name    string
		domains []string
		wantMsg string
	}{
		{"webmail", []string{"gmail.com"}, `"gmail.com" is a public webmail domain and cannot be covered`},
		{"webmail in upper case", []string{"GMail.com."}, `"gmail.com" is a public webmail domain and cannot be covered`},
		{"subdomain of webmail", []string{"eu.outlook.com"}, `"eu.outlook.com" is a subdomain of the public webmail domain "outlook.com" and cannot be covered`},
		{"support domain", []string{"vendor.test"}, `"vendor.test" is the support domain and cannot be covered`},
		{"under the support domain", []string{"mail.vendor.test"}, `"mail.vendor.test" overlaps the support domain "vendor.test" and cannot be covered`},
		{"one bad among good", []string{"good.example", "gmail.com"}, `"gmail.com" is a public webmail domain and cannot be covered`},
		{"no domains", nil, "at least one domain is required"},
		{"email address", []string{"user@example.com"}, `"user@example.com" is not a valid domain: give the domain only, not an email address`},
	}
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Refused")
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: tt.domains})
				wantCode(t, err, models.CodeBadUserInput)
				if got := models.ErrorMessage(err); got != tt.wantMsg {
					t.Fatalf("message = %q, want %q", got, tt.wantMsg)
				}
				f.on(t).wantNoSubscriptionRows(c.ID)
			})
		}
		t.Run("on a change of domains", func(t *testing.T) {
			sub := f.on(t).subscribe(c.ID, "refused.example")
			_, err := f.st.SetSubscriptionDomains(salesCtx, sub.ID, []string{"refused.example", "gmail.com"})
			wantCode(t, err, models.CodeBadUserInput)
			if got := f.on(t).domains(sub.ID); !slices.Equal(got, []string{"refused.example"}) {
				t.Fatalf("domains = %q, want [refused.example]", got)
			}
		})
	})
}

func TestDomainOfAnotherLiveSubscription(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		owner := f.eligibleCustomer("Owner")
		held := f.subscribe(owner.ID, "eu.example.com")
		other := f.eligibleCustomer("Other")

		conflicts := []struct {
			name    string
			domains []string
			wantMsg string
		}{
			{"same domain", []string{"eu.example.com"}, `"eu.example.com" overlaps "eu.example.com", covered by subscription ` + held.ID},
			{"same domain as typed differently", []string{"EU.Example.COM."}, `"eu.example.com" overlaps "eu.example.com", covered by subscription ` + held.ID},
			{"subdomain", []string{"mail.eu.example.com"}, `"mail.eu.example.com" overlaps "eu.example.com", covered by subscription ` + held.ID},
			{"parent", []string{"example.com"}, `"example.com" overlaps "eu.example.com", covered by subscription ` + held.ID},
			{"among free ones", []string{"free.example", "example.com"}, `"example.com" overlaps "eu.example.com", covered by subscription ` + held.ID},
		}
		for _, tt := range conflicts {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: other.ID, Domains: tt.domains})
				wantCode(t, err, models.CodeConflict)
				if got := models.ErrorMessage(err); got != tt.wantMsg {
					t.Fatalf("message = %q, want %q", got, tt.wantMsg)
				}
				f.on(t).wantNoSubscriptionRows(other.ID)
			})
		}

		t.Run("siblings and look-alikes are free", func(t *testing.T) {
			f := f.on(t)
			for i, d := range []string{"us.example.com", "xeu.example.com", "eu.example.co"} {
				c := f.eligibleCustomer(fmt.Sprintf("Neighbour %d", i))
				f.subscribe(c.ID, d)
			}
		})

		t.Run("change of domains into a held one", func(t *testing.T) {
			f := f.on(t)
			c := f.eligibleCustomer("Mover")
			sub := f.subscribe(c.ID, "mover.example")
			_, err := f.st.SetSubscriptionDomains(salesCtx, sub.ID, []string{"mover.example", "x.eu.example.com"})
			wantCode(t, err, models.CodeConflict)
			if got := f.domains(sub.ID); !slices.Equal(got, []string{"mover.example"}) {
				t.Fatalf("domains = %q, want [mover.example]", got)
			}
		})

		t.Run("free again once canceled", func(t *testing.T) {
			f := f.on(t)
			f.cancel(held.ID)
			sub := f.subscribe(other.ID, "eu.example.com", "mail.eu.example.com")
			if got := f.domains(sub.ID); !slices.Equal(got, []string{"eu.example.com", "mail.eu.example.com"}) {
				t.Fatalf("domains = %q", got)
			}
			if got := f.domains(held.ID); !slices.Equal(got, []string{"eu.example.com"}) {
				t.Fatalf("the canceled subscription lists %q, want the set it ended with", got)
			}
		})
	})
}

func TestDatabaseKeepsOneLiveRowPerDomain(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a := f.eligibleCustomer("A")
		subA := f.subscribe(a.ID, "unique.example")
		b := f.eligibleCustomer("B")
		subB := f.subscribe(b.ID, "b.example")

		row := func(live bool) *models.SubscriptionDomain {
			return &models.SubscriptionDomain{ID: uuid.NewString(), SubscriptionID: subB.ID, CustomerID: b.ID, Domain: "unique.example", Live: live, AddedAt: testNow}
		}
		_, err := f.db.NewInsert().Model(row(true)).Exec(ctx)
		if !store.IsUniqueViolation(err) {
			t.Fatalf("second live row: error = %v, want a unique violation", err)
		}
		if _, err := f.db.NewInsert().Model(row(false)).Exec(ctx); err != nil {
			t.Fatalf("non-live duplicate: %v", err)
		}
		if _, err := f.db.NewInsert().Model(row(false)).Exec(ctx); err != nil {
			t.Fatalf("second non-live duplicate: %v", err)
		}
		if n := f.count((*models.SubscriptionDomain)(nil), "domain = ?", "unique.example"); n != 3 {
			t.Fatalf("%d rows for unique.example, want 3", n)
		}
		if n := f.count((*models.SubscriptionDomain)(nil), "domain = ? AND live = ?", "unique.example", true); n != 1 {
			t.Fatalf("%d live rows for unique.example, want 1", n)
		}
		// Once the first row is no longer live, another may be.
		f.cancel(subA.ID)
		if _, err := f.db.NewInsert().Model(row(true)).Exec(ctx); err != nil {
			t.Fatalf("live row after the first was freed: %v", err)
		}
	})
}

func TestSecondLiveSubscription(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Twice")
		first := f.subscribe(c.ID, "first.example")

		t.Run("while pending", func(t *testing.T) {
			_, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"second.example"}})
			wantCode(t, err, models.CodeConflict)
			if want := fmt.Sprintf("customer already has a pending subscription %s; change its domains instead", first.ID); models.ErrorMessage(err) != want {
				t.Fatalf("message = %q, want %q", models.ErrorMessage(err), want)
			}
		})

		t.Run("while active", func(t *testing.T) {
			f.clk.Set(licenseUntil)
			defer f.clk.Set(testNow)
			if n, err := f.st.ActivateDue(context.Background()); err != nil || n != 1 {
				t.Fatalf("ActivateDue = %d, %v; want 1", n, err)
			}
			// The first license ended when the subscription started; a
			// renewal keeps the customer eligible, so the refusal can only be
			// about the live subscription.
			f.on(t).license(c.ID, "RENEWAL-"+c.ID, true, licenseUntil, licenseUntil.AddDate(1, 0, 0))
			_, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"second.example"}})
			if want := fmt.Sprintf("customer already has a active subscription %s; change its domains instead", first.ID); models.ErrorMessage(err) != want {
				t.Fatalf("message = %q, want %q", models.ErrorMessage(err), want)
			}
			wantCode(t, err, models.CodeConflict)
		})

		if n := f.count((*models.SupportSubscription)(nil), "customer_id = ?", c.ID); n != 1 {
			t.Fatalf("%d subscriptions, want 1", n)
		}
		if n := f.count((*models.SubscriptionDomain)(nil), "domain = ?", "second.example"); n != 0 {
			t.Fatalf("%d rows for second.example, want 0", n)
		}

		t.Run("after cancel", func(t *testing.T) {
			f.on(t).cancel(first.ID)
			second := f.on(t).subscribe(c.ID, "second.example", "first.example")
			if second.ID == first.ID || second.Status != models.StatusPending {
				t.Fatalf("second subscription = %+v", second)
			}
		})
	})
}

func TestSetSubscriptionDomains(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Changer")
		sub := f.subscribe(c.ID, "a.example", "b.example")
		later := testNow.Add(2 * time.Hour)
		f.clk.Set(later)

		got, err := f.st.SetSubscriptionDomains(adminCtx, sub.ID, []string{"B.example.", "c.example"})
		wantCode(t, err, "")
		if got.ID != sub.ID || got.Status != models.StatusPending {
			t.Fatalf("SetSubscriptionDomains = %+v", got)
		}
		wantTime(t, "UpdatedAt", got.UpdatedAt, later)

		t.Run("the set is replaced", func(t *testing.T) {
			if d := f.on(t).domains(sub.ID); !slices.Equal(d, []string{"b.example", "c.example"}) {
				t.Fatalf("domains = %q, want [b.example c.example]", d)
			}
			stored, err := f.st.FindSubscription(supportCtx, sub.ID)
			wantCode(t, err, "")
			wantTime(t, "stored UpdatedAt", stored.UpdatedAt, later)
		})

		t.Run("the removed domain is kept as history", func(t *testing.T) {
			var rows []models.SubscriptionDomain
			if err := f.db.NewSelect().Model(&rows).Where("subscription_id = ?", sub.ID).Order("domain").Scan(context.Background()); err != nil {
				t.Fatalf("select domains: %v", err)
			}
			type row struct {
				domain  string
				live    bool
				added   time.Time
				removed time.Time
			}
			// The subscription has not started: every domain covers from its
			// start, and one taken out before then never covered anything.
			want := []row{
				{"a.example", false, sub.StartsAt, later},
				{"b.example", true, sub.StartsAt, time.Time{}},
				{"c.example", true, sub.StartsAt, time.Time{}},
			}
			if len(rows) != len(want) {
				t.Fatalf("%d domain rows, want %d", len(rows), len(want))
			}
			for i, r := range rows {
				w := want[i]
				if r.Domain != w.domain || r.Live != w.live || !r.AddedAt.Equal(w.added) || !r.RemovedAt.Equal(w.removed) {
					t.Fatalf("row %d = %s live=%v added %s removed %s; want %+v", i, r.Domain, r.Live, r.AddedAt, r.RemovedAt, w)
				}
			}
		})

		t.Run("the same set again changes nothing", func(t *testing.T) {
			_, err := f.st.SetSubscriptionDomains(salesCtx, sub.ID, []string{"c.example", "b.example"})
			wantCode(t, err, "")
			if n := f.on(t).count((*models.SubscriptionDomain)(nil), "subscription_id = ?", sub.ID); n != 3 {
				t.Fatalf("%d domain rows, want 3", n)
			}
		})

		t.Run("a removed domain is free for another customer", func(t *testing.T) {
			other := f.on(t).eligibleCustomer("Taker")
			taken := f.on(t).subscribe(other.ID, "a.example")
			if d := f.on(t).domains(taken.ID); !slices.Equal(d, []string{"a.example"}) {
				t.Fatalf("domains = %q", d)
			}
			if d := f.on(t).domains(sub.ID); slices.Contains(d, "a.example") {
				t.Fatalf("the old subscription still lists a.example: %q", d)
			}
		})

		t.Run("a kept domain is not free", func(t *testing.T) {
			other := f.on(t).eligibleCustomer("Not Taker")
			_, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: other.ID, Domains: []string{"c.example"}})
			wantCode(t, err, models.CodeConflict)
		})

		t.Run("unknown subscription", func(t *testing.T) {
			_, err := f.st.SetSubscriptionDomains(salesCtx, "no-such-subscription", []string{"z.example"})
			wantCode(t, err, models.CodeNotFound)
			if n := f.on(t).count((*models.SubscriptionDomain)(nil), "domain = ?", "z.example"); n != 0 {
				t.Fatalf("%d rows for z.example, want 0", n)
			}
		})

		t.Run("canceled subscription", func(t *testing.T) {
			f.on(t).cancel(sub.ID)
			_, err := f.st.SetSubscriptionDomains(salesCtx, sub.ID, []string{"d.example"})
			wantCode(t, err, models.CodeConflict)
			if want := fmt.Sprintf("subscription %s is canceled", sub.ID); models.ErrorMessage(err) != want {
				t.Fatalf("message = %q, want %q", models.ErrorMessage(err), want)
			}
			if d := f.on(t).domains(sub.ID); !slices.Equal(d, []string{"b.example", "c.example"}) {
				t.Fatalf("domains = %q, want [b.example c.example]", d)
			}
			if n := f.on(t).count((*models.SubscriptionDomain)(nil), "subscription_id = ? AND live = ?", sub.ID, true); n != 0 {
				t.Fatalf("%d live rows on a canceled subscription, want 0", n)
			}
		})
	})
}

func TestCancelSubscription(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Leaver")
		sub := f.subscribe(c.ID, "leaver.example", "mail.leaver.example")
		later := testNow.Add(24 * time.Hour)
		f.clk.Set(later)

		got, err := f.st.CancelSubscription(adminCtx, sub.ID, "  customer left  ")
		wantCode(t, err, "")
		stored, err := f.st.FindSubscription(supportCtx, sub.ID)
		wantCode(t, err, "")
		for _, s := range []struct {
			what string
			sub  *models.SupportSubscription
		}{{"returned", got}, {"stored", stored}} {
			if s.sub.Status != models.StatusCanceled || s.sub.CancelReason != "customer left" {
				t.Fatalf("%s: status %q, reason %q; want canceled, %q", s.what, s.sub.Status, s.sub.CancelReason, "customer left")
			}
			wantTime(t, s.what+" CanceledAt", s.sub.CanceledAt, later)
			wantTime(t, s.what+" UpdatedAt", s.sub.UpdatedAt, later)
			wantTime(t, s.what+" StartsAt", s.sub.StartsAt, licenseUntil)
		}

		t.Run("domains still listed", func(t *testing.T) {
			if d := f.on(t).domains(sub.ID); !slices.Equal(d, []string{"leaver.example", "mail.leaver.example"}) {
				t.Fatalf("domains = %q", d)
			}
			if n := f.on(t).count((*models.SubscriptionDomain)(nil), "subscription_id = ? AND live = ?", sub.ID, true); n != 0 {
				t.Fatalf("%d live rows, want 0", n)
			}
		})

		t.Run("history", func(t *testing.T) {
			wantChanges(t, f.on(t).changes(sub.ID), []change{
				{To: models.StatusPending, ChangedAt: testNow, Actor: "sales@vendor.test", Reason: "created"},
				{From: models.StatusPending, To: models.StatusCanceled, ChangedAt: later, Actor: "admin@vendor.test", Reason: "customer left"},
			})
		})

		t.Run("domains free for others", func(t *testing.T) {
			other := f.on(t).eligibleCustomer("Successor")
			f.on(t).subscribe(other.ID, "leaver.example")
		})

		t.Run("canceling again", func(t *testing.T) {
			_, err := f.st.CancelSubscription(salesCtx, sub.ID, "again")
			wantCode(t, err, models.CodeConflict)
			if n := len(f.on(t).changes(sub.ID)); n != 2 {
				t.Fatalf("%d status changes, want 2", n)
			}
		})

		t.Run("unknown subscription", func(t *testing.T) {
			_, err := f.st.CancelSubscription(salesCtx, "no-such-subscription", "")
			wantCode(t, err, models.CodeNotFound)
		})

		t.Run("reason too long", func(t *testing.T) {
			c := f.on(t).eligibleCustomer("Long Reason")
			s := f.on(t).subscribe(c.ID, "long-reason.example")
			_, err := f.st.CancelSubscription(salesCtx, s.ID, strings.Repeat("r", 1001))
			wantCode(t, err, models.CodeBadUserInput)
			stored, err := f.st.FindSubscription(supportCtx, s.ID)
			wantCode(t, err, "")
			if stored.Status != models.StatusPending {
				t.Fatalf("status = %q, want pending", stored.Status)
			}
		})

		t.Run("an active subscription", func(t *testing.T) {
			f := f.on(t)
			c := f.eligibleCustomer("Active Leaver")
			start := testNow.AddDate(0, -2, 0)
			s, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"active-leaver.example"}, StartsAt: &start})
			wantCode(t, err, "")
			if _, err := f.st.CancelSubscription(salesCtx, s.ID, ""); err != nil {
				t.Fatalf("CancelSubscription: %v", err)
			}
			wantChanges(t, f.changes(s.ID), []change{
				{To: models.StatusActive, ChangedAt: start, Actor: "sales@vendor.test", Reason: "created with a start date that has passed"},
				{From: models.StatusActive, To: models.StatusCanceled, ChangedAt: later, Actor: "sales@vendor.test"},
			})
		})
	})
}

func TestActivateDue(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a := f.eligibleCustomer("Due")
		due := f.subscribe(a.ID, "due.example") // starts at licenseUntil
		b := f.eligibleCustomer("Later")
		laterStart := licenseUntil.AddDate(0, 1, 0)
		notYet, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: b.ID, Domains: []string{"later.example"}, StartsAt: &laterStart})
		wantCode(t, err, "")
		c := f.eligibleCustomer("Gone")
		gone := f.subscribe(c.ID, "gone.example")
		f.cancel(gone.ID)

		t.Run("nothing due yet", func(t *testing.T) {
			if n, err := f.st.ActivateDue(ctx); err != nil || n != 0 {
				t.Fatalf("ActivateDue = %d, %v; want 0", n, err)
			}
		})

		runAt := licenseUntil.Add(time.Minute)
		f.clk.Set(runAt)

		t.Run("a start that has passed", func(t *testing.T) {
			if n, err := f.st.ActivateDue(ctx); err != nil || n != 1 {
				t.Fatalf("ActivateDue = %d, %v; want 1", n, err)
			}
			got, err := f.st.FindSubscription(supportCtx, due.ID)
			wantCode(t, err, "")
			if got.Status != models.StatusActive {
				t.Fatalf("status = %q, want active", got.Status)
			}
			wantTime(t, "ActivatedAt", got.ActivatedAt, licenseUntil)
			wantTime(t, "UpdatedAt", got.UpdatedAt, runAt)
			wantChanges(t, f.on(t).changes(due.ID), []change{
				{To: models.StatusPending, ChangedAt: testNow, Actor: "sales@vendor.test", Reason: "created"},
				{From: models.StatusPending, To: models.StatusActive, ChangedAt: licenseUntil, Actor: "system", Reason: "start date reached"},
			})
		})

		t.Run("others untouched", func(t *testing.T) {
			for _, s := range []struct {
				id   string
				want models.SubscriptionStatus
			}{{notYet.ID, models.StatusPending}, {gone.ID, models.StatusCanceled}} {
				got, err := f.st.FindSubscription(supportCtx, s.id)
				wantCode(t, err, "")
				if got.Status != s.want || !got.ActivatedAt.IsZero() {
					t.Fatalf("%s: status %q, activated %s; want %q, never", s.id, got.Status, got.ActivatedAt, s.want)
				}
			}
		})

		t.Run("a second run moves nothing", func(t *testing.T) {
			if n, err := f.st.ActivateDue(ctx); err != nil || n != 0 {
				t.Fatalf("ActivateDue = %d, %v; want 0", n, err)
			}
			if n := len(f.on(t).changes(due.ID)); n != 2 {
				t.Fatalf("%d status changes, want 2", n)
			}
		})

		t.Run("exactly at the start", func(t *testing.T) {
			f.clk.Set(laterStart)
			if n, err := f.st.ActivateDue(ctx); err != nil || n != 1 {
				t.Fatalf("ActivateDue = %d, %v; want 1", n, err)
			}
			got, err := f.st.FindSubscription(supportCtx, notYet.ID)
			wantCode(t, err, "")
			if got.Status != models.StatusActive {
				t.Fatalf("status = %q, want active", got.Status)
			}
			wantTime(t, "ActivatedAt", got.ActivatedAt, laterStart)
		})
	})
}

func TestActivateDueConcurrently(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		const subs, runs = 5, 4
		var ids []string
		for i := range subs {
			c := f.eligibleCustomer(fmt.Sprintf("Due %d", i))
			ids = append(ids, f.subscribe(c.ID, fmt.Sprintf("due-%d.example", i)).ID)
		}
		f.clk.Set(licenseUntil)
		var wg sync.WaitGroup
		moved := make([]int, runs)
		errs := make([]error, runs)
		start := make(chan struct{})
		for i := range runs {
			wg.Go(func() {
				<-start
				moved[i], errs[i] = f.st.ActivateDue(context.Background())
			})
		}
		close(start)
		wg.Wait()
		total := 0
		for i := range runs {
			if errs[i] != nil {
				t.Fatalf("run %d: %v", i, errs[i])
			}
			total += moved[i]
		}
		if total != subs {
			t.Fatalf("runs moved %v, %d in all; want %d", moved, total, subs)
		}
		for _, id := range ids {
			if n := len(f.changes(id)); n != 2 {
				t.Fatalf("subscription %s has %d status changes, want 2", id, n)
			}
		}
	})
}

func TestCreateSubscriptionConcurrentSameDomain(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		const n = 8
		customers := make([]*models.Customer, n)
		for i := range customers {
			customers[i] = f.eligibleCustomer(fmt.Sprintf("Racer %d", i))
		}
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, c := range customers {
			wg.Go(func() {
				<-start
				_, errs[i] = f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"contested.example"}})
			})
		}
		close(start)
		wg.Wait()

		ok, conflicts := 0, 0
		for i, err := range errs {
			switch models.ErrorCode(err) {
			case "":
				ok++
			case models.CodeConflict:
				conflicts++
			default:
				t.Errorf("customer %d: %v", i, err)
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Fatalf("%d succeeded and %d got CONFLICT; want 1 and %d", ok, conflicts, n-1)
		}
		if got := f.count((*models.SupportSubscription)(nil), ""); got != 1 {
			t.Fatalf("%d subscriptions, want 1", got)
		}
		if got := f.count((*models.SubscriptionDomain)(nil), "domain = ?", "contested.example"); got != 1 {
			t.Fatalf("%d rows for contested.example, want 1", got)
		}
	})
}

func TestCancelSubscriptionConcurrently(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Raced Cancel")
		sub := f.subscribe(c.ID, "raced-cancel.example")
		const n = 8
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = f.st.CancelSubscription(salesCtx, sub.ID, fmt.Sprintf("attempt %d", i))
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch models.ErrorCode(err) {
			case "":
				ok++
			case models.CodeConflict:
			default:
				t.Errorf("attempt %d: %v", i, err)
			}
		}
		if got := len(f.changes(sub.ID)); ok != 1 || got != 2 {
			t.Fatalf("%d cancels succeeded and %d status changes were recorded; want 1 and 2", ok, got)
		}
	})
}

func TestCancelWhileDomainsChange(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		for round := range 10 {
			c := f.eligibleCustomer(fmt.Sprintf("Round %d", round))
			sub := f.subscribe(c.ID, fmt.Sprintf("old-%d.example", round))
			start := make(chan struct{})
			var errSet, errCancel error
			var wg sync.WaitGroup
			wg.Go(func() {
				<-start
				_, errSet = f.st.SetSubscriptionDomains(salesCtx, sub.ID, []string{fmt.Sprintf("new-%d.example", round)})
			})
			wg.Go(func() {
				<-start
				_, errCancel = f.st.CancelSubscription(salesCtx, sub.ID, "")
			})
			close(start)
			wg.Wait()
			if code := models.ErrorCode(errSet); code != "" && code != models.CodeConflict {
				t.Fatalf("round %d: SetSubscriptionDomains: %v", round, errSet)
			}
			wantCode(t, errCancel, "")
			if n := f.count((*models.SubscriptionDomain)(nil), "subscription_id = ? AND live = ?", sub.ID, true); n != 0 {
				t.Fatalf("round %d: the canceled subscription holds %d live domains, want 0", round, n)
			}
		}
	})
}
