package store_test

import (
	"testing"
	"time"

	"github.com/prioritysupport/backend/models"
)

func TestRecordLicense(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		acme := f.customer("Acme")
		globex := f.customer("Globex")

		// stored returns the licenses of acme as the database holds them.
		stored := func(t *testing.T) []*models.License {
			t.Helper()
			got, err := f.st.LicensesByCustomerIDs(supportCtx, []string{acme.ID})
			wantCode(t, err, "")
			return got[0]
		}

		first, err := f.st.RecordLicense(salesCtx, models.LicenseInput{
			CustomerID: acme.ID, Key: " LIC-1 ", Paid: false, ValidFrom: licenseFrom, ValidUntil: licenseUntil,
		})
		wantCode(t, err, "")

		t.Run("recorded", func(t *testing.T) {
			if first.ID == "" || first.CustomerID != acme.ID || first.Key != "LIC-1" || first.Paid {
				t.Fatalf("RecordLicense = %+v", first)
			}
			wantTime(t, "ValidFrom", first.ValidFrom, licenseFrom)
			wantTime(t, "ValidUntil", first.ValidUntil, licenseUntil)
			wantTime(t, "CreatedAt", first.CreatedAt, testNow)
			got := stored(t)
			if len(got) != 1 || got[0].ID != first.ID || got[0].Key != "LIC-1" || got[0].Paid {
				t.Fatalf("stored = %+v", got)
			}
			wantTime(t, "stored ValidUntil", got[0].ValidUntil, licenseUntil)
		})

		t.Run("same key same customer updates in place", func(t *testing.T) {
			later := testNow.Add(time.Hour)
			f.clk.Set(later)
			defer f.clk.Set(testNow)
			newUntil := licenseUntil.AddDate(1, 0, 0)
			l, err := f.st.RecordLicense(adminCtx, models.LicenseInput{
				CustomerID: acme.ID, Key: "LIC-1", Paid: true, ValidFrom: licenseUntil, ValidUntil: newUntil,
			})
			wantCode(t, err, "")
			if l.ID != first.ID || !l.Paid {
				t.Fatalf("RecordLicense = %+v, want id %s and paid", l, first.ID)
			}
			wantTime(t, "returned CreatedAt", l.CreatedAt, testNow)
			wantTime(t, "returned UpdatedAt", l.UpdatedAt, later)
			if n := f.on(t).count((*models.License)(nil), "key = ?", "LIC-1"); n != 1 {
				t.Fatalf("%d rows with key LIC-1, want 1", n)
			}
			got := stored(t)
			if len(got) != 1 || got[0].ID != first.ID || !got[0].Paid {
				t.Fatalf("stored = %+v", got)
			}
			wantTime(t, "stored ValidFrom", got[0].ValidFrom, licenseUntil)
			wantTime(t, "stored ValidUntil", got[0].ValidUntil, newUntil)
			wantTime(t, "stored CreatedAt", got[0].CreatedAt, testNow)
			wantTime(t, "stored UpdatedAt", got[0].UpdatedAt, later)
		})

		t.Run("same key for another customer", func(t *testing.T) {
			_, err := f.st.RecordLicense(salesCtx, models.LicenseInput{
				CustomerID: globex.ID, Key: "LIC-1", Paid: true, ValidFrom: licenseFrom, ValidUntil: licenseUntil,
			})
			wantCode(t, err, models.CodeConflict)
			if want := `license key "LIC-1" belongs to another customer`; models.ErrorMessage(err) != want {
				t.Fatalf("message = %q, want %q", models.ErrorMessage(err), want)
			}
			if n := f.on(t).count((*models.License)(nil), "customer_id = ?", globex.ID); n != 0 {
				t.Fatalf("globex has %d licenses, want 0", n)
			}
			if got := stored(t); len(got) != 1 || !got[0].Paid || got[0].CustomerID != acme.ID {
				t.Fatalf("acme's license changed: %+v", got)
			}
		})

		t.Run("a second key adds a license, newest validity first", func(t *testing.T) {
			l := f.on(t).license(acme.ID, "LIC-0", true, licenseFrom.AddDate(-1, 0, 0), licenseFrom)
			got := stored(t)
			if len(got) != 2 || got[0].Key != "LIC-1" || got[1].ID != l.ID {
				t.Fatalf("stored keys = %v, want [LIC-1 LIC-0]", licenseKeys(got))
			}
		})

		refusals := []struct {
			name    string
			in      models.LicenseInput
			code    string
			wantMsg string
		}{
			{"unknown customer", models.LicenseInput{CustomerID: "no-such-customer", Key: "LIC-X", Paid: true, ValidFrom: licenseFrom, ValidUntil: licenseUntil},
				models.CodeNotFound, `customer "no-such-customer" not found`},
			{"validUntil before validFrom", models.LicenseInput{CustomerID: acme.ID, Key: "LIC-X", ValidFrom: licenseUntil, ValidUntil: licenseFrom},
				models.CodeBadUserInput, "validUntil must be after validFrom"},
			{"empty window", models.LicenseInput{CustomerID: acme.ID, Key: "LIC-X", ValidFrom: licenseFrom, ValidUntil: licenseFrom},
				models.CodeBadUserInput, "validUntil must be after validFrom"},
			{"blank key", models.LicenseInput{CustomerID: acme.ID, Key: "  ", ValidFrom: licenseFrom, ValidUntil: licenseUntil},
				models.CodeBadUserInput, "key is required"},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				before := f.on(t).count((*models.License)(nil), "")
				_, err := f.st.RecordLicense(salesCtx, tt.in)
				wantCode(t, err, tt.code)
				if models.ErrorMessage(err) != tt.wantMsg {
					t.Fatalf("message = %q, want %q", models.ErrorMessage(err), tt.wantMsg)
				}
				if after := f.on(t).count((*models.License)(nil), ""); after != before {
					t.Fatalf("licenses went from %d to %d", before, after)
				}
			})
		}
	})
}

// licenseKeys returns the keys of ls in order.
func licenseKeys(ls []*models.License) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Key)
	}
	return out
}
