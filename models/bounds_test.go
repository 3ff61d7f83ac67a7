package models_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/models"
)

func TestTimeWindow(t *testing.T) {
	from, until := models.TimeWindow()
	if !from.Equal(utcDay(2000, 1, 1)) || !until.Equal(utcDay(2100, 1, 1)) {
		t.Fatalf("window = [%s, %s), want [2000-01-01, 2100-01-01)", from, until)
	}
	for _, tc := range []struct {
		t  time.Time
		in bool
	}{
		{utcDay(2000, 1, 1), true},
		{utcDay(2000, 1, 1).Add(-time.Nanosecond), false},
		{utcDay(2100, 1, 1).Add(-time.Nanosecond), true},
		{utcDay(2100, 1, 1), false},
		// 2099-12-31 20:00 at UTC-5 is 2100-01-01 01:00 UTC.
		{time.Date(2099, 12, 31, 20, 0, 0, 0, time.FixedZone("", -5*3600)), false},
		// 2000-01-01 05:00 at UTC+6 is 1999-12-31 23:00 UTC.
		{time.Date(2000, 1, 1, 5, 0, 0, 0, time.FixedZone("", 6*3600)), false},
		{time.Time{}, false},
		{utcDay(9999, 12, 31), false},
	} {
		if got := models.InTimeWindow(tc.t); got != tc.in {
			t.Errorf("InTimeWindow(%s) = %v, want %v", tc.t, got, tc.in)
		}
		err := models.CheckTime("startsAt", tc.t)
		if tc.in {
			if err != nil {
				t.Errorf("CheckTime(%s) = %v", tc.t, err)
			}
			continue
		}
		wantBadInput(t, err, "startsAt "+tc.t.UTC().Format(time.RFC3339Nano)+
			" is outside the accepted window: times must lie from 2000-01-01T00:00:00Z up to, not including, 2100-01-01T00:00:00Z")
	}
}

func TestSubscriptionInputCheck(t *testing.T) {
	far := utcDay(9999, 12, 31)
	in := models.SubscriptionInput{CustomerID: "c", Domains: []string{"a.example"}, StartsAt: &far}
	if models.ErrorCode(in.Check()) != models.CodeBadUserInput {
		t.Fatalf("Check with startsAt %s = %v, want BAD_USER_INPUT", far, in.Check())
	}
	ok := utcDay(2026, 1, 1)
	for _, s := range []*time.Time{nil, &ok} {
		in.StartsAt = s
		if err := in.Check(); err != nil {
			t.Fatalf("Check with startsAt %v = %v", s, err)
		}
	}
}

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		name      string
		s         string
		multiLine bool
		want      string // "" for accepted
	}{
		{"plain", "Acme Corp", false, ""},
		{"max characters, counted as runes", strings.Repeat("é", 10), false, ""},
		{"one over", strings.Repeat("é", 11), false, "field is longer than 10 characters"},
		{"NUL", "a\x00b", true, "field contains control characters other than tab, line feed and carriage return"},
		{"escape", "a\x1bb", false, "field contains control characters"},
		{"DEL", "a\x7fb", false, "field contains control characters"},
		{"C1 control", "a\u0085b", true, "field contains control characters other than tab, line feed and carriage return"},
		{"line break on one line", "a\nb", false, "field contains control characters"},
		{"tab on one line", "a\tb", false, "field contains control characters"},
		{"line breaks and tabs in text", "a\r\n\tb", true, ""},
		{"invalid UTF-8", "a\xffb", true, "field is not valid UTF-8 text"},
		{"no-break space and emoji", "a\u00a0b 🙂", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := models.CheckText("field", tc.s, 10, tc.multiLine)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckText(%q) = %v", tc.s, err)
				}
				return
			}
			wantBadInput(t, err, tc.want)
		})
	}
}

func TestNormalizeReasonAndSearch(t *testing.T) {
	if r, err := models.NormalizeReason("  moved\r\nto another vendor \t"); err != nil || r != "moved\r\nto another vendor" {
		t.Fatalf("NormalizeReason = %q, %v", r, err)
	}
	if r, err := models.NormalizeReason(strings.Repeat("é", 1000)); err != nil || r != strings.Repeat("é", 1000) {
		t.Fatalf("NormalizeReason of 1000 characters: %v", err)
	}
	_, err := models.NormalizeReason(strings.Repeat("é", 1001))
	wantBadInput(t, err, "reason is longer than 1000 characters")
	_, err = models.NormalizeReason("a\x00b")
	wantBadInput(t, err, "reason contains control characters other than tab, line feed and carriage return")

	if s, err := models.NormalizeSearch("  acme "); err != nil || s != "acme" {
		t.Fatalf("NormalizeSearch = %q, %v", s, err)
	}
	if _, err := models.NormalizeSearch(strings.Repeat("a", 256)); err != nil {
		t.Fatalf("NormalizeSearch of 256 characters: %v", err)
	}
	_, err = models.NormalizeSearch(strings.Repeat("a", 257))
	wantBadInput(t, err, "search is longer than 256 characters")
	_, err = models.NormalizeSearch("ac\nme")
	wantBadInput(t, err, "search contains control characters")
}

func TestCustomerInputRefusesControlCharacters(t *testing.T) {
	for _, name := range []string{"Evil\x00Corp", "Evil\nCorp", "Evil\u009bCorp", "Evil\xffCorp"} {
		in := models.CustomerInput{Name: name}
		if err := in.Normalize(); models.ErrorCode(err) != models.CodeBadUserInput {
			t.Errorf("Normalize(%q) = %v, want BAD_USER_INPUT", name, err)
		}
	}
	in := models.CustomerInput{Name: "Acme", StripeCustomerID: "cus_\x00"}
	if err := in.Normalize(); models.ErrorCode(err) != models.CodeBadUserInput {
		t.Errorf("Normalize with a NUL in the stripe id = %v, want BAD_USER_INPUT", err)
	}
}

func TestNormalizeDomainQuotesLongInputShortened(t *testing.T) {
	raw := strings.Repeat("a", 70000) + ".example"
	_, err := models.NormalizeDomain(raw)
	msg := requireBadUserInput(t, err)
	if !strings.Contains(msg, "longer than 253 characters") || len(msg) > 400 || !strings.Contains(msg, `aaaa"…`) {
		t.Fatalf("message (%d bytes) = %.120q…", len(msg), msg)
	}
	// The bound counts characters before conversion: 254 of them are
	// refused before IDNA spends work on them.
	_, err = models.NormalizeDomain(strings.Repeat("é", 251) + ".de")
	if msg := requireBadUserInput(t, err); !strings.Contains(msg, "longer than 253 characters") {
		t.Fatalf("a 254-character internationalised name: %s", msg)
	}
}
