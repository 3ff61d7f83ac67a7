package main

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// wantRefused fails the test unless r is refused with code and a message
// containing every one of parts.
func wantRefused(t *testing.T, r gqlResponse, code string, parts ...string) {
	t.Helper()
	if r.code() != code || len(r.Errors) == 0 {
		t.Fatalf("got %s, want %s", r.Raw, code)
	}
	for _, p := range parts {
		if !strings.Contains(r.Errors[0].Message, p) {
			t.Fatalf("message %q does not mention %q", r.Errors[0].Message, p)
		}
	}
}

// wantRefusedInt fails the test unless r refuses an Int outside 32 bits
// sent as a variable: the Int scalar refuses it (BAD_USER_INPUT) unless the
// request's variables were refused before execution
// (GRAPHQL_VALIDATION_FAILED).
func wantRefusedInt(t *testing.T, r gqlResponse) {
	t.Helper()
	if c := r.code(); c != "BAD_USER_INPUT" && c != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("got %s, want BAD_USER_INPUT or GRAPHQL_VALIDATION_FAILED", r.Raw)
	}
	if !strings.Contains(r.Errors[0].Message, "32") && !strings.Contains(r.Errors[0].Message, "2147483647") {
		t.Fatalf("message %q does not say why", r.Errors[0].Message)
	}
}

// TestTimesOutsideTheWindowAreRefused: a Time outside [2000, 2100) is
// refused with BAD_USER_INPUT wherever it is sent, as a variable or
// inline, and nothing is stored; the customer's subscriptions, the staff
// customers page and the jobs that read every subscription keep working.
// The window's bounds themselves are accepted and rejected as documented.
func TestTimesOutsideTheWindowAreRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		f := s.mustCustomer("Far Future Inc")
		create := `mutation($c: ID!, $s: Time) { createSupportSubscription(input: {customerId: $c, domains: ["far-future.example"], startsAt: $s}) { id startsAt } }`

		for _, at := range []string{"9999-12-31T00:00:00Z", "2100-01-01T00:00:00Z", "2099-12-31T23:00:00-05:00", "1999-12-31T23:59:59.999Z", "0001-01-01T00:00:00Z"} {
			t.Run("startsAt "+at, func(t *testing.T) {
				wantRefused(t, s.gql(s.sales(), create, map[string]any{"c": f.CustomerID, "s": at}), "BAD_USER_INPUT", at, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
			})
		}
		t.Run("inline startsAt", func(t *testing.T) {
			r := s.gql(s.sales(), `mutation($c: ID!) { createSupportSubscription(input: {customerId: $c, domains: ["far-future.example"], startsAt: "9999-12-31T00:00:00Z"}) { id } }`,
				map[string]any{"c": f.CustomerID})
			wantRefused(t, r, "BAD_USER_INPUT", "2100-01-01T00:00:00Z")
		})
		t.Run("license validity", func(t *testing.T) {
			r := s.gql(s.sales(), `mutation($c: ID!) { recordLicense(input: {customerId: $c, key: "FAR", paid: true, validFrom: "2020-01-01T00:00:00Z", validUntil: "9999-12-31T23:59:59Z"}) { id } }`,
				map[string]any{"c": f.CustomerID})
			wantRefused(t, r, "BAD_USER_INPUT", "9999-12-31T23:59:59Z")
		})
		t.Run("ticket filter", func(t *testing.T) {
			r := s.gql(s.support(), `{ tickets(filter: {from: "0001-01-01T00:00:00Z"}) { totalCount } }`, nil)
			wantRefused(t, r, "BAD_USER_INPUT", "0001-01-01T00:00:00Z")
		})

		t.Run("nothing was stored and everything reads", func(t *testing.T) {
			var out struct {
				Customer struct {
					SupportSubscriptions []struct{ ID string }
					Licenses             []struct{ Key string }
				}
			}
			s.gql(s.sales(), `query($id: ID!) { customer(id: $id) { supportSubscriptions { id } licenses { key } } }`, map[string]any{"id": f.CustomerID}).decode(t, &out)
			if len(out.Customer.SupportSubscriptions) != 0 || len(out.Customer.Licenses) != 1 {
				t.Fatalf("refused requests stored %+v", out.Customer)
			}
			var page struct{ Customers struct{ TotalCount int } }
			s.gql(s.sales(), `{ customers { totalCount edges { node { supportSubscriptions { startsAt } } } } }`, nil).decode(t, &page)
			if page.Customers.TotalCount != 1 {
				t.Fatalf("customers page: %+v", page)
			}
			jobs := tasks{app: s.App, log: logDiscard()}
			ctx := context.Background()
			if err := jobs.ActivateDue(ctx); err != nil {
				t.Fatalf("activate job: %v", err)
			}
			if err := jobs.SettleStripe(ctx); err != nil {
				t.Fatalf("settle job: %v", err)
			}
			if _, err := jobs.DueMonths(ctx); err != nil {
				t.Fatalf("due months: %v", err)
			}
		})

		t.Run("the window's edges", func(t *testing.T) {
			var out struct{ CreateSupportSubscription struct{ StartsAt time.Time } }
			s.gql(s.sales(), create, map[string]any{"c": f.CustomerID, "s": "2099-12-31T23:59:59.999999Z"}).decode(t, &out)
			if want := time.Date(2099, 12, 31, 23, 59, 59, 999999000, time.UTC); !out.CreateSupportSubscription.StartsAt.Equal(want) {
				t.Fatalf("startsAt = %s, want %s", out.CreateSupportSubscription.StartsAt, want)
			}
			other := s.mustCustomer("Early Co")
			s.gql(s.sales(), `mutation($c: ID!, $s: Time) { createSupportSubscription(input: {customerId: $c, domains: ["early.example"], startsAt: $s}) { startsAt } }`,
				map[string]any{"c": other.CustomerID, "s": "2000-01-01T00:00:00Z"}).decode(t, &out)
			if want := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC); !out.CreateSupportSubscription.StartsAt.Equal(want) {
				t.Fatalf("startsAt = %s, want %s", out.CreateSupportSubscription.StartsAt, want)
			}
			var page struct {
				Customers struct {
					Edges []struct {
						Node struct {
							SupportSubscriptions []struct{ StartsAt, CurrentPeriodEnd time.Time }
						}
					}
				}
			}
			s.gql(s.sales(), `{ customers { edges { node { supportSubscriptions { startsAt currentPeriodEnd } } } } }`, nil).decode(t, &page)
			if n := len(page.Customers.Edges); n != 2 {
				t.Fatalf("%d customers, want 2", n)
			}
		})
	})
}

// TestIntIs32Bit: every Int argument is a signed 32-bit integer. The two
// adjustments that overflowed the balance are refused and the balance stays
// readable; the balance itself cannot be credited past 2^31-1 cents; a list
// argument cannot ask for 2^62 months.
func TestIntIs32Bit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		f := s.mustCustomer("Overflow Ltd", "overflow.example")
		adjust := `mutation($c: ID!, $a: Int!) { adjustCredit(customerId: $c, amountCents: $a, reason: "test") { amount { cents } } }`

		for _, a := range []string{"4611686018427387904", "2147483648", "-2147483649", "9223372036854775807"} {
			t.Run("variable "+a, func(t *testing.T) {
				n, _ := strconv.ParseInt(a, 10, 64)
				wantRefusedInt(t, s.gql(s.admin(), adjust, map[string]any{"c": f.CustomerID, "a": n}))
			})
			t.Run("inline "+a, func(t *testing.T) {
				r := s.gql(s.admin(), `mutation($c: ID!) { adjustCredit(customerId: $c, amountCents: `+a+`, reason: "test") { id } }`, map[string]any{"c": f.CustomerID})
				wantRefused(t, r, "BAD_USER_INPUT", a)
			})
		}
		if got := s.mustBalance(s.admin(), f.CustomerID); got != 0 {
			t.Fatalf("refused adjustments left a balance of %d", got)
		}

		t.Run("balance capped", func(t *testing.T) {
			r := s.gql(s.admin(), adjust, map[string]any{"c": f.CustomerID, "a": math.MaxInt32})
			if len(r.Errors) > 0 {
				t.Fatalf("largest adjustment: %s", r.Raw)
			}
			wantRefused(t, s.gql(s.admin(), adjust, map[string]any{"c": f.CustomerID, "a": 1}), "CONFLICT", "exceed")
			if got := s.mustBalance(s.admin(), f.CustomerID); got != math.MaxInt32 {
				t.Fatalf("balance %d, want %d", got, math.MaxInt32)
			}
			var out struct {
				Customers struct {
					Edges []struct {
						Node struct{ CreditBalance struct{ Cents int64 } }
					}
				}
			}
			s.gql(s.admin(), `{ customers { edges { node { creditBalance { cents } } } } }`, nil).decode(t, &out)
			if len(out.Customers.Edges) != 1 || out.Customers.Edges[0].Node.CreditBalance.Cents != math.MaxInt32 {
				t.Fatalf("customers page balances: %+v", out)
			}
			r = s.gql(s.admin(), adjust, map[string]any{"c": f.CustomerID, "a": math.MinInt32 + 1})
			if len(r.Errors) > 0 {
				t.Fatalf("largest debit: %s", r.Raw)
			}
			if got := s.mustBalance(s.admin(), f.CustomerID); got != 0 {
				t.Fatalf("balance %d after debiting it all, want 0", got)
			}
		})

		t.Run("list arguments", func(t *testing.T) {
			r := s.gql(s.sales(), `query($id: ID!) { supportSubscription(id: $id) { slaHistory(months: 6148914691236497202) { month } } }`, map[string]any{"id": f.SubscriptionID})
			wantRefused(t, r, "BAD_USER_INPUT", "6148914691236497202")
			r = s.gql(s.sales(), `query($n: Int) { customers(first: $n) { totalCount } }`, map[string]any{"n": int64(1) << 40})
			wantRefusedInt(t, r)
		})
	})
}

// TestStringsAreBounded: String and ID arguments with NUL or other control
// characters, or longer than their bound, are refused with BAD_USER_INPUT on
// both databases (PostgreSQL refuses NUL in text, which was INTERNAL);
// tab, line feed and carriage return pass in strings; field limits (customer
// name, license key, cancel reason, search text, domains) hold.
func TestStringsAreBounded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		f := s.mustCustomer("Plain Co", "plain.example")
		createCustomer := `mutation($n: String!) { createCustomer(input: {name: $n}) { id name } }`

		for _, tc := range []struct{ name, query string }{
			{"NUL in a name", `mutation { createCustomer(input: {name: "a\u0000b"}) { id } }`},
			{"escape in a name", `mutation { createCustomer(input: {name: "a\u001bb"}) { id } }`},
			{"DEL in a name", `mutation { createCustomer(input: {name: "a\u007fb"}) { id } }`},
			{"NUL in an id", `{ customer(id: "a\u0000b") { id } }`},
			{"line feed in an id", `{ customer(id: "a\nb") { id } }`},
			{"NUL in a search", `{ customers(search: "\u0000") { totalCount } }`},
			{"NUL in a cursor", `{ customers(after: "\u0000") { totalCount } }`},
			{"NUL in a domain", `mutation { setSubscriptionDomains(id: "x", domains: ["a\u0000.example"]) { id } }`},
			{"NUL in a month", `{ slaReport(subscriptionId: "x", month: "2026-01\u0000") { month } }`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantRefused(t, s.gql(s.admin(), tc.query, nil), "BAD_USER_INPUT", "control")
			})
		}
		t.Run("NUL in variables", func(t *testing.T) {
			wantRefused(t, s.gql(s.sales(), createCustomer, map[string]any{"n": "Evil\x00Corp"}), "BAD_USER_INPUT", "control")
			wantRefused(t, s.gql(s.admin(), `query($c: ID) { creditBalance(customerId: $c) { cents } }`, map[string]any{"c": f.CustomerID + "\x00"}), "BAD_USER_INPUT", "control")
			r := s.gql(s.sales(), `mutation($in: RecordLicenseInput!) { recordLicense(input: $in) { id } }`, map[string]any{"in": map[string]any{
				"customerId": f.CustomerID, "key": "K\x00", "paid": true, "validFrom": "2020-01-01T00:00:00Z", "validUntil": "2030-01-01T00:00:00Z",
			}})
			wantRefused(t, r, "BAD_USER_INPUT", "control")
		})
		t.Run("over the bounds", func(t *testing.T) {
			wantRefused(t, s.gql(s.sales(), `query($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": strings.Repeat("a", 129)}), "BAD_USER_INPUT", "128")
			wantRefused(t, s.gql(s.sales(), createCustomer, map[string]any{"n": strings.Repeat("a", 64<<10+1)}), "BAD_USER_INPUT", "65536")
			wantRefused(t, s.gql(s.sales(), createCustomer, map[string]any{"n": strings.Repeat("é", 201)}), "BAD_USER_INPUT", "200")
			wantRefused(t, s.gql(s.sales(), `query($q: String) { customers(search: $q) { totalCount } }`, map[string]any{"q": strings.Repeat("a", 257)}), "BAD_USER_INPUT", "256")
			r := s.gql(s.sales(), `mutation($id: ID!, $r: String) { cancelSupportSubscription(id: $id, reason: $r) { id } }`, map[string]any{"id": f.SubscriptionID, "r": strings.Repeat("é", 1001)})
			wantRefused(t, r, "BAD_USER_INPUT", "1000")
			long := strings.Repeat("a", 2000) + ".example"
			r = s.gql(s.sales(), `mutation($id: ID!, $d: [String!]!) { setSubscriptionDomains(id: $id, domains: $d) { id } }`, map[string]any{"id": f.SubscriptionID, "d": []string{long}})
			wantRefused(t, r, "BAD_USER_INPUT", "253")
			if len(r.Errors[0].Message) > 400 {
				t.Fatalf("the refusal quotes the whole domain: %d bytes", len(r.Errors[0].Message))
			}
		})
		t.Run("tab, line feed and carriage return pass in strings", func(t *testing.T) {
			var out struct{ CancelSupportSubscription struct{ CancelReason string } }
			reason := "moved\tto\r\nanother vendor"
			s.gql(s.sales(), `mutation($id: ID!, $r: String) { cancelSupportSubscription(id: $id, reason: $r) { cancelReason } }`,
				map[string]any{"id": f.SubscriptionID, "r": reason}).decode(t, &out)
			if out.CancelSupportSubscription.CancelReason != reason {
				t.Fatalf("cancelReason = %q, want %q", out.CancelSupportSubscription.CancelReason, reason)
			}
		})
		t.Run("nothing was stored", func(t *testing.T) {
			var out struct{ Customers struct{ TotalCount int } }
			s.gql(s.sales(), `{ customers { totalCount } }`, nil).decode(t, &out)
			if out.Customers.TotalCount != 1 {
				t.Fatalf("%d customers, want 1", out.Customers.TotalCount)
			}
		})
	})
}

// TestMailHeadersAreStoredWithoutLineBreaks: a subject and a sender name
// that decode to CR/LF (an attempt to smuggle a header into anything that
// echoes them) are stored as one line, and a Date: header past year 9999
// in UTC leaves the ticket readable.
func TestMailHeadersAreStoredWithoutLineBreaks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		s.mustPriorityCustomer("Acme", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "acme.example")
		raw := "Received: from mx.acme.example by mx.support.vendor.test; Mon, 20 May 2024 11:00:00 +0000\r\n" +
			"From: =?utf-8?q?Eve=0D=0AX-Injected=3A_yes?= <eve@acme.example>\r\n" +
			"To: help@support.vendor.test\r\n" +
			"Subject: =?utf-8?q?hello=0D=0ABcc:_victim@example.com?=\r\n" +
			"Date: Fri, 31 Dec 9999 23:00:00 -1200\r\n" +
			"Message-ID: <crlf-1@acme.example>\r\n" +
			"\r\nbody\r\n"
		r := s.ingest([]byte(raw))
		if r.Status != http.StatusOK {
			t.Fatalf("ingest: %d %s", r.Status, r.Raw)
		}
		var out struct {
			Ticket struct {
				Subject  string
				Messages []struct {
					Subject, FromName string
					SentAt            *time.Time
				}
			}
		}
		s.gql(s.support(), `query($id: ID!) { ticket(id: $id) { subject messages { subject fromName sentAt } } }`, map[string]any{"id": r.TicketID}).decode(t, &out)
		tk := out.Ticket
		if tk.Subject != "hello Bcc: victim@example.com" || len(tk.Messages) != 1 || tk.Messages[0].Subject != tk.Subject {
			t.Fatalf("subject stored as %q / %+v", tk.Subject, tk.Messages)
		}
		if m := tk.Messages[0]; m.FromName != "Eve X-Injected: yes" || m.SentAt != nil {
			t.Fatalf("message stored as %+v", m)
		}
		var page struct{ Tickets struct{ TotalCount int } }
		s.gql(s.support(), `{ tickets { totalCount edges { node { subject messages { sentAt } } } } }`, nil).decode(t, &page)
		if page.Tickets.TotalCount != 1 {
			b, _ := json.Marshal(page)
			t.Fatalf("tickets page: %s", b)
		}
	})
}
