package models_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/models"
)

// utcDay returns midnight UTC of the given day.
func utcDay(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
}

// licenseNow is the clock reading the license tests use.
var licenseNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func TestLicenseValidAt(t *testing.T) {
	l := models.License{Key: "K", Paid: true, ValidFrom: utcDay(2026, 1, 1), ValidUntil: utcDay(2027, 1, 1)}
	tests := []struct {
		name    string
		license models.License
		at      time.Time
		want    bool
	}{
		{"inside the window", l, licenseNow, true},
		{"at the first instant", l, utcDay(2026, 1, 1), true},
		{"just before the window", l, utcDay(2026, 1, 1).Add(-time.Nanosecond), false},
		{"just before the end", l, utcDay(2027, 1, 1).Add(-time.Nanosecond), true},
		{"at the end", l, utcDay(2027, 1, 1), false},
		{"unpaid inside the window", models.License{Key: "K", ValidFrom: l.ValidFrom, ValidUntil: l.ValidUntil}, licenseNow, false},
		{"other time zone", l, licenseNow.In(time.FixedZone("UTC+14", 14*3600)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.license.ValidAt(tt.at); got != tt.want {
				t.Fatalf("ValidAt(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestEligibleLicenseAccepts(t *testing.T) {
	valid := models.License{Key: "VALID", Paid: true, ValidFrom: utcDay(2026, 1, 1), ValidUntil: utcDay(2027, 1, 1)}
	longer := models.License{Key: "LONGER", Paid: true, ValidFrom: utcDay(2026, 6, 1), ValidUntil: utcDay(2028, 6, 1)}
	unpaidLonger := models.License{Key: "UNPAID", Paid: false, ValidFrom: utcDay(2026, 1, 1), ValidUntil: utcDay(2030, 1, 1)}
	expired := models.License{Key: "EXPIRED", Paid: true, ValidFrom: utcDay(2024, 1, 1), ValidUntil: utcDay(2025, 1, 1)}
	future := models.License{Key: "FUTURE", Paid: true, ValidFrom: utcDay(2027, 1, 1), ValidUntil: utcDay(2031, 1, 1)}
	tests := []struct {
		name     string
		licenses []models.License
		wantKey  string
	}{
		{"one valid", []models.License{valid}, "VALID"},
		{"two valid picks the longest", []models.License{valid, longer}, "LONGER"},
		{"two valid picks the longest in any order", []models.License{longer, valid}, "LONGER"},
		{"unpaid, expired and future ones are passed over", []models.License{unpaidLonger, expired, future, valid}, "VALID"},
		{"valid from exactly now", []models.License{{Key: "NOW", Paid: true, ValidFrom: licenseNow, ValidUntil: utcDay(2027, 1, 1)}}, "NOW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.EligibleLicense(tt.licenses, licenseNow)
			if err != nil {
				t.Fatalf("EligibleLicense error = %v", err)
			}
			if got == nil || got.Key != tt.wantKey {
				t.Fatalf("EligibleLicense = %+v, want key %q", got, tt.wantKey)
			}
			// The result points into the slice given, not at a copy.
			found := false
			for i := range tt.licenses {
				if got == &tt.licenses[i] {
					found = true
				}
			}
			if !found {
				t.Fatalf("EligibleLicense returned a license that is not an element of its input")
			}
		})
	}
}

func TestEligibleLicenseRefuses(t *testing.T) {
	tests := []struct {
		name     string
		licenses []models.License
		wantMsg  string
	}{
		{
			name:    "no license",
			wantMsg: "customer has no license; record a paid license first",
		},
		{
			name:     "empty list",
			licenses: []models.License{},
			wantMsg:  "customer has no license; record a paid license first",
		},
		{
			name:     "unpaid",
			licenses: []models.License{{Key: "L-1", Paid: false, ValidFrom: utcDay(2026, 1, 1), ValidUntil: utcDay(2027, 1, 1)}},
			wantMsg:  "customer has no valid paid license: license L-1 is not paid",
		},
		{
			name:     "expired",
			licenses: []models.License{{Key: "L-1", Paid: true, ValidFrom: utcDay(2025, 1, 1), ValidUntil: utcDay(2026, 1, 1)}},
			wantMsg:  "customer has no valid paid license: license L-1 expired on 2026-01-01T00:00:00Z",
		},
		{
			name:     "expired exactly now",
			licenses: []models.License{{Key: "L-1", Paid: true, ValidFrom: utcDay(2025, 1, 1), ValidUntil: licenseNow}},
			wantMsg:  "customer has no valid paid license: license L-1 expired on 2026-11-26T10:00:00Z",
		},
		{
			name:     "not yet valid",
			licenses: []models.License{{Key: "L-1", Paid: true, ValidFrom: utcDay(2027, 1, 1), ValidUntil: utcDay(2028, 1, 1)}},
			wantMsg:  "customer has no valid paid license: license L-1 is not valid before 2027-01-01T00:00:00Z",
		},
		{
			name: "dates are shown in UTC",
			licenses: []models.License{{
				Key: "L-1", Paid: true,
				ValidFrom:  time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("UTC+2", 2*3600)),
				ValidUntil: time.Date(2026, 1, 1, 2, 0, 0, 0, time.FixedZone("UTC+2", 2*3600)),
			}},
			wantMsg: "customer has no valid paid license: license L-1 expired on 2026-01-01T00:00:00Z",
		},
		{
			name: "every license gets a reason, in order",
			licenses: []models.License{
				{Key: "A", Paid: false, ValidFrom: utcDay(2026, 1, 1), ValidUntil: utcDay(2027, 1, 1)},
				{Key: "B", Paid: true, ValidFrom: utcDay(2024, 1, 1), ValidUntil: utcDay(2025, 1, 1)},
				{Key: "C", Paid: true, ValidFrom: utcDay(2027, 1, 1), ValidUntil: utcDay(2028, 1, 1)},
			},
			wantMsg: "customer has no valid paid license: license A is not paid; " +
				"license B expired on 2025-01-01T00:00:00Z; " +
				"license C is not valid before 2027-01-01T00:00:00Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.EligibleLicense(tt.licenses, licenseNow)
			if got != nil {
				t.Fatalf("EligibleLicense = %+v, want nil", got)
			}
			if code := models.ErrorCode(err); code != models.CodeBadUserInput {
				t.Fatalf("code = %q, want %q (error %v)", code, models.CodeBadUserInput, err)
			}
			if msg := models.ErrorMessage(err); msg != tt.wantMsg {
				t.Fatalf("message = %q, want %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestLicenseInputNormalize(t *testing.T) {
	from, until := utcDay(2026, 1, 1), utcDay(2027, 1, 1)
	tests := []struct {
		name    string
		in      models.LicenseInput
		wantKey string
	}{
		{"plain", models.LicenseInput{Key: "LIC-1", ValidFrom: from, ValidUntil: until}, "LIC-1"},
		{"key trimmed", models.LicenseInput{Key: " \tLIC-1\n", ValidFrom: from, ValidUntil: until}, "LIC-1"},
		{"200-character key", models.LicenseInput{Key: strings.Repeat("k", 200), ValidFrom: from, ValidUntil: until}, strings.Repeat("k", 200)},
		{"one-nanosecond window", models.LicenseInput{Key: "K", ValidFrom: from, ValidUntil: from.Add(time.Nanosecond)}, "K"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if err := in.Normalize(); err != nil {
				t.Fatalf("Normalize error = %v", err)
			}
			if in.Key != tt.wantKey {
				t.Fatalf("key = %q, want %q", in.Key, tt.wantKey)
			}
			if !in.ValidFrom.Equal(tt.in.ValidFrom) || !in.ValidUntil.Equal(tt.in.ValidUntil) {
				t.Fatalf("window changed to %s..%s", in.ValidFrom, in.ValidUntil)
			}
		})
	}
}

func TestLicenseInputNormalizeRefuses(t *testing.T) {
	from, until := utcDay(2026, 1, 1), utcDay(2027, 1, 1)
	tests := []struct {
		name    string
		in      models.LicenseInput
		wantMsg string
	}{
		{"empty key", models.LicenseInput{ValidFrom: from, ValidUntil: until}, "key is required"},
		{"blank key", models.LicenseInput{Key: "  \t ", ValidFrom: from, ValidUntil: until}, "key is required"},
		{"201-character key", models.LicenseInput{Key: strings.Repeat("k", 201), ValidFrom: from, ValidUntil: until}, "key is longer than 200 characters"},
		{"window ends before it starts", models.LicenseInput{Key: "K", ValidFrom: until, ValidUntil: from}, "validUntil must be after validFrom"},
		{"empty window", models.LicenseInput{Key: "K", ValidFrom: from, ValidUntil: from}, "validUntil must be after validFrom"},
		{"no dates", models.LicenseInput{Key: "K"}, "validFrom is required; validUntil is required"},
		{"until past the window", models.LicenseInput{Key: "K", ValidFrom: from, ValidUntil: utcDay(9999, 12, 31)},
			"validUntil 9999-12-31T00:00:00Z is outside the accepted window: times must lie from 2000-01-01T00:00:00Z up to, not including, 2100-01-01T00:00:00Z"},
		{"from before the window", models.LicenseInput{Key: "K", ValidFrom: utcDay(1999, 12, 31), ValidUntil: until},
			"validFrom 1999-12-31T00:00:00Z is outside the accepted window: times must lie from 2000-01-01T00:00:00Z up to, not including, 2100-01-01T00:00:00Z"},
		{"control character in the key", models.LicenseInput{Key: "K\x00", ValidFrom: from, ValidUntil: until}, "key contains control characters"},
		{"every problem named", models.LicenseInput{Key: " ", ValidFrom: until, ValidUntil: from}, "key is required; validUntil must be after validFrom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			wantBadInput(t, in.Normalize(), tt.wantMsg)
		})
	}
}
