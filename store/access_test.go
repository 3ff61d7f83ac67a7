package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// writeCallers are the callers the write gates are tried with. ctx gets the
// id of the customer the write is about, so that even that customer's own
// users are tried.
var writeCallers = []struct {
	name string
	ctx  func(customerID string) context.Context
	want string
}{
	{"no caller", func(string) context.Context { return anonymous }, models.CodeUnauthenticated},
	{"caller without subject", func(string) context.Context { return withRoles("", "", auth.RoleSales) }, models.CodeUnauthenticated},
	{"no role", func(string) context.Context { return withRoles("nobody@vendor.test", "") }, models.CodeForbidden},
	{"unknown role", func(string) context.Context { return withRoles("x@vendor.test", "", auth.Role("billing")) }, models.CodeForbidden},
	{"customer", customerCtx, models.CodeForbidden},
	{"support", func(string) context.Context { return supportCtx }, models.CodeForbidden},
	{"customer and support", func(id string) context.Context {
		return withRoles("both@vendor.test", id, auth.RoleCustomer, auth.RoleSupport)
	}, models.CodeForbidden},
	{"sales", func(string) context.Context { return salesCtx }, ""},
	{"admin", func(string) context.Context { return adminCtx }, ""},
}

func TestWritesRequireSalesOrAdmin(t *testing.T) {
	// Each operation prepares what it needs as sales, then returns the call
	// to try and a check of what the database holds afterwards.
	type attempt struct {
		customerID string
		call       func(ctx context.Context) error
		check      func(t *testing.T, allowed bool)
	}
	ops := []struct {
		name    string
		prepare func(f *fixture, n int) attempt
	}{
		{"CreateCustomer", func(f *fixture, n int) attempt {
			name := fmt.Sprintf("Gate Customer %d", n)
			return attempt{
				call: func(ctx context.Context) error {
					_, err := f.st.CreateCustomer(ctx, models.CustomerInput{Name: name})
					return err
				},
				check: func(t *testing.T, allowed bool) {
					if got, want := f.count((*models.Customer)(nil), "name = ?", name), b2i(allowed); got != want {
						t.Fatalf("%d customers named %q, want %d", got, name, want)
					}
				},
			}
		}},
		{"RecordLicense", func(f *fixture, n int) attempt {
			c := f.customer(fmt.Sprintf("License Gate %d", n))
			return attempt{
				customerID: c.ID,
				call: func(ctx context.Context) error {
					_, err := f.st.RecordLicense(ctx, models.LicenseInput{CustomerID: c.ID, Key: "GATE-" + c.ID, Paid: true, ValidFrom: licenseFrom, ValidUntil: licenseUntil})
					return err
				},
				check: func(t *testing.T, allowed bool) {
					if got, want := f.count((*models.License)(nil), "customer_id = ?", c.ID), b2i(allowed); got != want {
						t.Fatalf("%d licenses, want %d", got, want)
					}
				},
			}
		}},
		{"CreateSubscription", func(f *fixture, n int) attempt {
			c := f.eligibleCustomer(fmt.Sprintf("Subscription Gate %d", n))
			domain := fmt.Sprintf("create-gate-%d.example", n)
			return attempt{
				customerID: c.ID,
				call: func(ctx context.Context) error {
					_, err := f.st.CreateSubscription(ctx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{domain}})
					return err
				},
				check: func(t *testing.T, allowed bool) {
					if got, want := f.count((*models.SupportSubscription)(nil), "customer_id = ?", c.ID), b2i(allowed); got != want {
						t.Fatalf("%d subscriptions, want %d", got, want)
					}
					if got, want := f.count((*models.SubscriptionDomain)(nil), "domain = ?", domain), b2i(allowed); got != want {
						t.Fatalf("%d domain rows, want %d", got, want)
					}
				},
			}
		}},
		{"SetSubscriptionDomains", func(f *fixture, n int) attempt {
			c := f.eligibleCustomer(fmt.Sprintf("Domains Gate %d", n))
			before := fmt.Sprintf("before-%d.example", n)
			after := fmt.Sprintf("after-%d.example", n)
			sub := f.subscribe(c.ID, before)
			return attempt{
				customerID: c.ID,
				call: func(ctx context.Context) error {
					_, err := f.st.SetSubscriptionDomains(ctx, sub.ID, []string{after})
					return err
				},
				check: func(t *testing.T, allowed bool) {
					want := []string{before}
					if allowed {
						want = []string{after}
					}
					if got := f.on(t).domains(sub.ID); !slices.Equal(got, want) {
						t.Fatalf("domains = %q, want %q", got, want)
					}
				},
			}
		}},
		{"CancelSubscription", func(f *fixture, n int) attempt {
			c := f.eligibleCustomer(fmt.Sprintf("Cancel Gate %d", n))
			sub := f.subscribe(c.ID, fmt.Sprintf("cancel-gate-%d.example", n))
			return attempt{
				customerID: c.ID,
				call: func(ctx context.Context) error {
					_, err := f.st.CancelSubscription(ctx, sub.ID, "gate")
					return err
				},
				check: func(t *testing.T, allowed bool) {
					got, err := f.st.FindSubscription(supportCtx, sub.ID)
					if err != nil {
						t.Fatalf("FindSubscription: %v", err)
					}
					want := models.StatusPending
					if allowed {
						want = models.StatusCanceled
					}
					if got.Status != want {
						t.Fatalf("status = %q, want %q", got.Status, want)
					}
				},
			}
		}},
	}
	eachFixture(t, func(t *testing.T, f *fixture) {
		n := 0
		for _, op := range ops {
			t.Run(op.name, func(t *testing.T) {
				for _, caller := range writeCallers {
					t.Run(caller.name, func(t *testing.T) {
						n++
						a := op.prepare(f.on(t), n)
						err := a.call(caller.ctx(a.customerID))
						wantCode(t, err, caller.want)
						a.check(t, caller.want == "")
					})
				}
			})
		}
	})
}

// b2i returns 1 for true and 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestReadsRequireARole(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Acme")
		sub := f.subscribe(c.ID, "acme.example")
		callers := []struct {
			name string
			ctx  context.Context
			want string
		}{
			{"no caller", anonymous, models.CodeUnauthenticated},
			{"no role", withRoles("nobody@vendor.test", ""), models.CodeForbidden},
			{"customer role without customer id", withRoles("user@acme.example", "", auth.RoleCustomer), models.CodeForbidden},
		}
		reads := []struct {
			name string
			call func(ctx context.Context) error
		}{
			{"FindCustomer", func(ctx context.Context) error { _, err := f.st.FindCustomer(ctx, c.ID); return err }},
			{"CustomersByIDs", func(ctx context.Context) error { _, err := f.st.CustomersByIDs(ctx, []string{c.ID}); return err }},
			{"FindCustomers", func(ctx context.Context) error { _, err := f.st.FindCustomers(ctx, "", store.Page{}); return err }},
			{"LicensesByCustomerIDs", func(ctx context.Context) error { _, err := f.st.LicensesByCustomerIDs(ctx, []string{c.ID}); return err }},
			{"FindSubscription", func(ctx context.Context) error { _, err := f.st.FindSubscription(ctx, sub.ID); return err }},
			{"SubscriptionsByCustomerIDs", func(ctx context.Context) error {
				_, err := f.st.SubscriptionsByCustomerIDs(ctx, []string{c.ID})
				return err
			}},
			{"DomainsBySubscriptionIDs", func(ctx context.Context) error {
				_, err := f.st.DomainsBySubscriptionIDs(ctx, []string{sub.ID})
				return err
			}},
			{"StatusChangesBySubscriptionIDs", func(ctx context.Context) error {
				_, err := f.st.StatusChangesBySubscriptionIDs(ctx, []string{sub.ID})
				return err
			}},
		}
		for _, r := range reads {
			t.Run(r.name, func(t *testing.T) {
				for _, caller := range callers {
					t.Run(caller.name, func(t *testing.T) {
						wantCode(t, r.call(caller.ctx), caller.want)
					})
				}
			})
		}
	})
}

func TestTenantScoping(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		a := f.eligibleCustomer("Alpha")
		b := f.eligibleCustomer("Beta")
		subA := f.subscribe(a.ID, "alpha.example")
		subB := f.subscribe(b.ID, "beta.example")
		ids := []string{a.ID, b.ID}
		subIDs := []string{subA.ID, subB.ID}

		t.Run("customer sees only itself", func(t *testing.T) {
			ctx := customerCtx(a.ID)

			if got, err := f.st.FindCustomer(ctx, a.ID); err != nil || got.ID != a.ID || got.Name != "Alpha" {
				t.Fatalf("FindCustomer(own) = %+v, %v", got, err)
			}
			_, err := f.st.FindCustomer(ctx, b.ID)
			wantCode(t, err, models.CodeNotFound)
			_, errUnknown := f.st.FindCustomer(ctx, "no-such-id")
			wantCode(t, errUnknown, models.CodeNotFound)
			if want := fmt.Sprintf("customer %q not found", b.ID); models.ErrorMessage(err) != want {
				t.Fatalf("message = %q, want %q", models.ErrorMessage(err), want)
			}

			if got, err := f.st.FindSubscription(ctx, subA.ID); err != nil || got.ID != subA.ID {
				t.Fatalf("FindSubscription(own) = %+v, %v", got, err)
			}
			_, err = f.st.FindSubscription(ctx, subB.ID)
			wantCode(t, err, models.CodeNotFound)

			page, err := f.st.FindCustomers(ctx, "", store.Page{})
			if err != nil {
				t.Fatalf("FindCustomers: %v", err)
			}
			if got := customerNames(page.Customers); page.TotalCount != 1 || page.HasNextPage || !slices.Equal(got, []string{"Alpha"}) {
				t.Fatalf("FindCustomers = %q, total %d, next %v; want [Alpha], 1, false", got, page.TotalCount, page.HasNextPage)
			}
			page, err = f.st.FindCustomers(ctx, "beta", store.Page{})
			if err != nil {
				t.Fatalf("FindCustomers(beta): %v", err)
			}
			if page.TotalCount != 0 || len(page.Customers) != 0 {
				t.Fatalf("FindCustomers(beta) = %q, total %d; want none", customerNames(page.Customers), page.TotalCount)
			}

			cs, err := f.st.CustomersByIDs(ctx, ids)
			if err != nil {
				t.Fatalf("CustomersByIDs: %v", err)
			}
			if len(cs) != 2 || cs[0] == nil || cs[0].ID != a.ID || cs[1] != nil {
				t.Fatalf("CustomersByIDs = %+v, want [Alpha, nil]", cs)
			}

			ls, err := f.st.LicensesByCustomerIDs(ctx, ids)
			if err != nil {
				t.Fatalf("LicensesByCustomerIDs: %v", err)
			}
			if len(ls) != 2 || len(ls[0]) != 1 || ls[0][0].CustomerID != a.ID || len(ls[1]) != 0 {
				t.Fatalf("LicensesByCustomerIDs groups have %v licenses, want [1 0]", groupLens(ls))
			}

			ss, err := f.st.SubscriptionsByCustomerIDs(ctx, ids)
			if err != nil {
				t.Fatalf("SubscriptionsByCustomerIDs: %v", err)
			}
			if len(ss) != 2 || len(ss[0]) != 1 || ss[0][0].ID != subA.ID || len(ss[1]) != 0 {
				t.Fatalf("SubscriptionsByCustomerIDs groups have %v subscriptions, want [1 0]", groupLens(ss))
			}

			ds, err := f.st.DomainsBySubscriptionIDs(ctx, subIDs)
			if err != nil {
				t.Fatalf("DomainsBySubscriptionIDs: %v", err)
			}
			if len(ds) != 2 || !slices.Equal(ds[0], []string{"alpha.example"}) || len(ds[1]) != 0 {
				t.Fatalf("DomainsBySubscriptionIDs = %q, want [[alpha.example] []]", ds)
			}

			ch, err := f.st.StatusChangesBySubscriptionIDs(ctx, subIDs)
			if err != nil {
				t.Fatalf("StatusChangesBySubscriptionIDs: %v", err)
			}
			if len(ch) != 2 || len(ch[0]) != 1 || ch[0][0].SubscriptionID != subA.ID || len(ch[1]) != 0 {
				t.Fatalf("StatusChangesBySubscriptionIDs groups have %v changes, want [1 0]", groupLens(ch))
			}
		})

		for _, staff := range []struct {
			name string
			ctx  context.Context
		}{{"support", supportCtx}, {"sales", salesCtx}, {"admin", adminCtx}} {
			t.Run(staff.name+" sees every customer", func(t *testing.T) {
				ctx := staff.ctx
				if got, err := f.st.FindCustomer(ctx, b.ID); err != nil || got.ID != b.ID {
					t.Fatalf("FindCustomer(B) = %+v, %v", got, err)
				}
				if got, err := f.st.FindSubscription(ctx, subB.ID); err != nil || got.ID != subB.ID {
					t.Fatalf("FindSubscription(B) = %+v, %v", got, err)
				}
				page, err := f.st.FindCustomers(ctx, "", store.Page{})
				if err != nil {
					t.Fatalf("FindCustomers: %v", err)
				}
				if got := customerNames(page.Customers); page.TotalCount != 2 || !slices.Equal(got, []string{"Alpha", "Beta"}) {
					t.Fatalf("FindCustomers = %q, total %d; want [Alpha Beta], 2", got, page.TotalCount)
				}
				cs, err := f.st.CustomersByIDs(ctx, []string{b.ID, "no-such-id", a.ID})
				if err != nil {
					t.Fatalf("CustomersByIDs: %v", err)
				}
				if len(cs) != 3 || cs[0] == nil || cs[0].ID != b.ID || cs[1] != nil || cs[2] == nil || cs[2].ID != a.ID {
					t.Fatalf("CustomersByIDs = %+v, want [Beta nil Alpha]", cs)
				}
				ls, err := f.st.LicensesByCustomerIDs(ctx, ids)
				if err != nil {
					t.Fatalf("LicensesByCustomerIDs: %v", err)
				}
				if got := groupLens(ls); !slices.Equal(got, []int{1, 1}) {
					t.Fatalf("LicensesByCustomerIDs group sizes = %v, want [1 1]", got)
				}
				ss, err := f.st.SubscriptionsByCustomerIDs(ctx, ids)
				if err != nil {
					t.Fatalf("SubscriptionsByCustomerIDs: %v", err)
				}
				if len(ss) != 2 || len(ss[0]) != 1 || ss[0][0].ID != subA.ID || len(ss[1]) != 1 || ss[1][0].ID != subB.ID {
					t.Fatalf("SubscriptionsByCustomerIDs group sizes = %v, want [1 1] in key order", groupLens(ss))
				}
				ds, err := f.st.DomainsBySubscriptionIDs(ctx, []string{subB.ID, subA.ID})
				if err != nil {
					t.Fatalf("DomainsBySubscriptionIDs: %v", err)
				}
				if len(ds) != 2 || !slices.Equal(ds[0], []string{"beta.example"}) || !slices.Equal(ds[1], []string{"alpha.example"}) {
					t.Fatalf("DomainsBySubscriptionIDs = %q, want [[beta.example] [alpha.example]]", ds)
				}
				ch, err := f.st.StatusChangesBySubscriptionIDs(ctx, subIDs)
				if err != nil {
					t.Fatalf("StatusChangesBySubscriptionIDs: %v", err)
				}
				if got := groupLens(ch); !slices.Equal(got, []int{1, 1}) {
					t.Fatalf("StatusChangesBySubscriptionIDs group sizes = %v, want [1 1]", got)
				}
			})
		}

		t.Run("no ids", func(t *testing.T) {
			cs, err := f.st.CustomersByIDs(supportCtx, nil)
			if err != nil || len(cs) != 0 {
				t.Fatalf("CustomersByIDs(nil) = %v, %v; want empty", cs, err)
			}
			ds, err := f.st.DomainsBySubscriptionIDs(supportCtx, []string{})
			if err != nil || len(ds) != 0 {
				t.Fatalf("DomainsBySubscriptionIDs([]) = %v, %v; want empty", ds, err)
			}
		})
	})
}

// groupLens returns the size of every group.
func groupLens[T any](groups [][]T) []int {
	out := make([]int, len(groups))
	for i, g := range groups {
		out[i] = len(g)
	}
	return out
}

// customerNames returns the names of cs in order.
func customerNames(cs []*models.Customer) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}
