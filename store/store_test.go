package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// testNow is where every test's clock starts.
var testNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// The window of the valid paid license most tests give their customers: it
// covers testNow and renews on 2027-01-01.
var (
	licenseFrom  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	licenseUntil = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
)

// testPolicy is the domain policy every test store uses.
var testPolicy = models.DomainPolicy{Webmail: models.DefaultWebmailDomains, SupportDomain: "vendor.test"}

// clock is a time source a test can move.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the current reading.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Callers used across the tests.
var (
	anonymous  = context.Background()
	salesCtx   = withRoles("sales@vendor.test", "", auth.RoleSales)
	adminCtx   = withRoles("admin@vendor.test", "", auth.RoleAdmin)
	supportCtx = withRoles("support@vendor.test", "", auth.RoleSupport)
)

// withRoles returns a context carrying a caller with the given subject,
// customer id and roles.
func withRoles(subject, customerID string, roles ...auth.Role) context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Subject: subject, Roles: roles, CustomerID: customerID})
}

// customerCtx returns a context carrying a user of the given customer.
func customerCtx(customerID string) context.Context {
	return withRoles("user@"+customerID, customerID, auth.RoleCustomer)
}

// fixture is one test database with a Store on it and a movable clock.
type fixture struct {
	t   *testing.T
	db  *bun.DB
	st  *store.Store
	clk *clock
}

// newFixture returns a Store over db whose clock reads testNow.
func newFixture(t *testing.T, db *bun.DB) *fixture {
	clk := &clock{t: testNow}
	return &fixture{t: t, db: db, clk: clk, st: store.New(db, store.Options{Now: clk.Now, DomainPolicy: testPolicy})}
}

// on returns a copy of f that reports to t, for use inside a subtest.
func (f *fixture) on(t *testing.T) *fixture {
	g := *f
	g.t = t
	return &g
}

// eachFixture runs fn on a fresh fixture for every test database.
func eachFixture(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Helper()
	testdb.EachDB(t, func(t *testing.T, db *bun.DB) { fn(t, newFixture(t, db)) })
}

// customer creates a customer as sales and fails the test on error.
func (f *fixture) customer(name string) *models.Customer {
	f.t.Helper()
	c, err := f.st.CreateCustomer(salesCtx, models.CustomerInput{Name: name})
	if err != nil {
		f.t.Fatalf("CreateCustomer(%q): %v", name, err)
	}
	return c
}

// license records a license as sales and fails the test on error.
func (f *fixture) license(customerID, key string, paid bool, from, until time.Time) *models.License {
	f.t.Helper()
	l, err := f.st.RecordLicense(salesCtx, models.LicenseInput{CustomerID: customerID, Key: key, Paid: paid, ValidFrom: from, ValidUntil: until})
	if err != nil {
		f.t.Fatalf("RecordLicense(%q): %v", key, err)
	}
	return l
}

// eligibleCustomer creates a customer with a valid paid license running
// from licenseFrom to licenseUntil.
func (f *fixture) eligibleCustomer(name string) *models.Customer {
	f.t.Helper()
	c := f.customer(name)
	f.license(c.ID, "KEY-"+c.ID, true, licenseFrom, licenseUntil)
	return c
}

// subscribe creates a subscription without a start date as sales and fails
// the test on error.
func (f *fixture) subscribe(customerID string, domains ...string) *models.SupportSubscription {
	f.t.Helper()
	s, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: customerID, Domains: domains})
	if err != nil {
		f.t.Fatalf("CreateSubscription(%v): %v", domains, err)
	}
	return s
}

// cancel cancels a subscription as sales and fails the test on error.
func (f *fixture) cancel(id string) *models.SupportSubscription {
	f.t.Helper()
	s, err := f.st.CancelSubscription(salesCtx, id, "test")
	if err != nil {
		f.t.Fatalf("CancelSubscription(%s): %v", id, err)
	}
	return s
}

// count returns the number of rows in model's table that match where (all
// rows when where is empty).
func (f *fixture) count(model any, where string, args ...any) int {
	f.t.Helper()
	q := f.db.NewSelect().Model(model)
	if where != "" {
		q = q.Where(where, args...)
	}
	n, err := q.Count(context.Background())
	if err != nil {
		f.t.Fatalf("count %T: %v", model, err)
	}
	return int(n)
}

// domains returns the domains DomainsBySubscriptionIDs lists for one
// subscription, read by support.
func (f *fixture) domains(subID string) []string {
	f.t.Helper()
	got, err := f.st.DomainsBySubscriptionIDs(supportCtx, []string{subID})
	if err != nil {
		f.t.Fatalf("DomainsBySubscriptionIDs: %v", err)
	}
	return got[0]
}

// changes returns the status changes of one subscription, read by support.
func (f *fixture) changes(subID string) []*models.SubscriptionStatusChange {
	f.t.Helper()
	got, err := f.st.StatusChangesBySubscriptionIDs(supportCtx, []string{subID})
	if err != nil {
		f.t.Fatalf("StatusChangesBySubscriptionIDs: %v", err)
	}
	return got[0]
}

// wantCode fails the test unless err carries code ("" for no error).
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := models.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (error: %v)", got, code, err)
	}
}

// wantTime fails the test unless got is the same instant as want.
func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s = %s, want %s", what, got, want)
	}
}

// change is the part of a status change the tests compare.
type change struct {
	From, To  models.SubscriptionStatus
	ChangedAt time.Time
	Actor     string
	Reason    string
}

// wantChanges fails the test unless got holds exactly want, in order.
func wantChanges(t *testing.T, got []*models.SubscriptionStatusChange, want []change) {
	t.Helper()
	var gotC []change
	for _, c := range got {
		gotC = append(gotC, change{From: c.FromStatus, To: c.ToStatus, ChangedAt: c.ChangedAt.UTC(), Actor: c.Actor, Reason: c.Reason})
	}
	if !slices.EqualFunc(gotC, want, func(a, b change) bool {
		return a.From == b.From && a.To == b.To && a.ChangedAt.Equal(b.ChangedAt) && a.Actor == b.Actor && a.Reason == b.Reason
	}) {
		t.Fatalf("status changes:\n  %s\nwant\n  %s", formatChanges(gotC), formatChanges(want))
	}
}

func formatChanges(cs []change) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%q→%q at %s by %q (%q)", c.From, c.To, c.ChangedAt.UTC().Format(time.RFC3339Nano), c.Actor, c.Reason))
	}
	return strings.Join(parts, "\n  ")
}

func TestStoreNowIsUTCMicroseconds(t *testing.T) {
	loc := time.FixedZone("UTC+5", 5*3600)
	st := store.New(nil, store.Options{Now: func() time.Time {
		return time.Date(2026, 11, 26, 15, 0, 0, 123456789, loc)
	}})
	got := st.Now()
	want := time.Date(2026, 11, 26, 10, 0, 0, 123456000, time.UTC)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("Now() = %s, want %s", got, want)
	}
}
