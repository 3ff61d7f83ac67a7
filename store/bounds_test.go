package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// TestStoreRefusesUnboundedInput: the store refuses, with BAD_USER_INPUT
// and without writing, the inputs that would store what cannot be read
// back (a year past 9999 on SQLite) or that PostgreSQL refuses (NUL), for
// callers that do not come through GraphQL; what is stored stays readable.
func TestStoreRefusesUnboundedInput(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Acme")
		far := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
		early := time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)

		t.Run("subscription start", func(t *testing.T) {
			for _, at := range []time.Time{far, early, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)} {
				_, err := f.st.CreateSubscription(salesCtx, models.SubscriptionInput{CustomerID: c.ID, Domains: []string{"acme.example"}, StartsAt: &at})
				wantCode(t, err, models.CodeBadUserInput)
				if !strings.Contains(err.Error(), "startsAt") || !strings.Contains(err.Error(), "2100-01-01T00:00:00Z") {
					t.Fatalf("message %q names neither the field nor the window", err)
				}
			}
			f.on(t).wantNoSubscriptionRows(c.ID)
			got, err := f.st.SubscriptionsByCustomerIDs(supportCtx, []string{c.ID})
			if err != nil || len(got[0]) != 0 {
				t.Fatalf("subscriptions read back: %v, %v", got, err)
			}
		})
		t.Run("license validity", func(t *testing.T) {
			for _, w := range [][2]time.Time{{licenseFrom, far}, {early, licenseUntil}} {
				_, err := f.st.RecordLicense(salesCtx, models.LicenseInput{CustomerID: c.ID, Key: "FAR", Paid: true, ValidFrom: w[0], ValidUntil: w[1]})
				wantCode(t, err, models.CodeBadUserInput)
			}
			if n := f.on(t).count((*models.License)(nil), "key = ?", "FAR"); n != 0 {
				t.Fatalf("%d licenses stored", n)
			}
		})
		t.Run("NUL and control characters", func(t *testing.T) {
			_, err := f.st.CreateCustomer(salesCtx, models.CustomerInput{Name: "Evil\x00Corp"})
			wantCode(t, err, models.CodeBadUserInput)
			_, err = f.st.RecordLicense(salesCtx, models.LicenseInput{CustomerID: c.ID, Key: "K\x00", Paid: true, ValidFrom: licenseFrom, ValidUntil: licenseUntil})
			wantCode(t, err, models.CodeBadUserInput)
			_, err = f.st.FindCustomers(salesCtx, "ac\x00me", store.Page{})
			wantCode(t, err, models.CodeBadUserInput)
			sub := f.on(t).subscribe(c.ID, "acme.example")
			_, err = f.st.CancelSubscription(salesCtx, sub.ID, "bye\x00")
			wantCode(t, err, models.CodeBadUserInput)
			got, err := f.st.FindSubscription(supportCtx, sub.ID)
			if err != nil || got.Status != models.StatusPending {
				t.Fatalf("subscription after a refused cancellation: %+v, %v", got, err)
			}
			if n := f.on(t).count((*models.Customer)(nil), ""); n != 1 {
				t.Fatalf("%d customers, want 1", n)
			}
		})
		t.Run("lengths", func(t *testing.T) {
			_, err := f.st.FindCustomers(salesCtx, strings.Repeat("a", 257), store.Page{})
			wantCode(t, err, models.CodeBadUserInput)
			page, err := f.st.FindCustomers(salesCtx, " "+strings.Repeat("a", 256)+" ", store.Page{})
			if err != nil || page.TotalCount != 0 {
				t.Fatalf("a 256-character search: %+v, %v", page, err)
			}
			page, err = f.st.FindCustomers(salesCtx, " acme ", store.Page{})
			if err != nil || page.TotalCount != 1 {
				t.Fatalf("search trimmed: %+v, %v", page, err)
			}
			_, err = f.st.EndSubscription(adminCtx, "nope", models.StatusCanceled, strings.Repeat("é", 1001), "test")
			wantCode(t, err, models.CodeBadUserInput)
		})
		t.Run("mail times", func(t *testing.T) {
			past := time.Date(10000, 1, 1, 11, 0, 0, 0, time.UTC)
			for _, e := range []models.InboundEmail{
				{MessageID: "far-received@acme.example", From: "a@acme.example", FromDomain: "acme.example", ReceivedAt: past},
				{MessageID: "far-sent@acme.example", From: "a@acme.example", FromDomain: "acme.example", SentAt: past},
				{MessageID: "early-sent@acme.example", From: "a@acme.example", FromDomain: "acme.example", SentAt: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
			} {
				e.Direction = models.FromCustomer
				_, err := f.st.IngestEmail(anonymous, e)
				wantCode(t, err, models.CodeBadUserInput)
			}
			if n := f.on(t).count((*models.Ticket)(nil), ""); n != 0 {
				t.Fatalf("%d tickets stored", n)
			}
		})
	})
}
