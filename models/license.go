package models

import (
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// License is a customer's product license. Priority Support needs one that is
// paid and valid now.
type License struct {
	bun.BaseModel `bun:"table:licenses,alias:l"`

	ID         string    `bun:"id,pk"`
	CustomerID string    `bun:"customer_id,notnull"`
	Key        string    `bun:"key,notnull"`
	Paid       bool      `bun:"paid,notnull"`
	ValidFrom  time.Time `bun:"valid_from,notnull"`
	ValidUntil time.Time `bun:"valid_until,notnull"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
	UpdatedAt  time.Time `bun:"updated_at,notnull"`
}

// ValidAt reports whether the license is paid and t lies in
// [ValidFrom, ValidUntil).
func (l *License) ValidAt(t time.Time) bool {
	return l.Paid && !t.Before(l.ValidFrom) && t.Before(l.ValidUntil)
}

// LicenseInput is what sales records about a license.
type LicenseInput struct {
	CustomerID string
	Key        string
	Paid       bool
	ValidFrom  time.Time
	ValidUntil time.Time
}

// Normalize trims the key and checks the input: a key of 1 to
// MaxLicenseKeyLength characters on one line, without control characters,
// and a validity window that ends after it starts, both ends given and in
// the window of accepted times (see CheckTime). It returns a BAD_USER_INPUT *Error
// naming every problem.
func (in *LicenseInput) Normalize() error {
	in.Key = strings.TrimSpace(in.Key)
	var problems []string
	if in.Key == "" {
		problems = append(problems, "key is required")
	} else if msg := textProblem("key", in.Key, MaxLicenseKeyLength, false); msg != "" {
		problems = append(problems, msg)
	}
	inWindow := true
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"validFrom", in.ValidFrom}, {"validUntil", in.ValidUntil}} {
		switch {
		case f.t.IsZero():
			problems, inWindow = append(problems, f.name+" is required"), false
		case !InTimeWindow(f.t):
			problems, inWindow = append(problems, timeProblem(f.name, f.t)), false
		}
	}
	if inWindow && !in.ValidUntil.After(in.ValidFrom) {
		problems = append(problems, "validUntil must be after validFrom")
	}
	return problemsError(problems)
}

// EligibleLicense returns the license that makes a customer eligible for
// Priority Support at now: paid and valid now, the one valid longest if
// several are. With none it returns a BAD_USER_INPUT *Error that says why,
// in the words a sales engineer needs to fix it.
func EligibleLicense(licenses []License, now time.Time) (*License, error) {
	if len(licenses) == 0 {
		return nil, Errorf(CodeBadUserInput, "customer has no license; record a paid license first")
	}
	var best *License
	for i := range licenses {
		l := &licenses[i]
		if l.ValidAt(now) && (best == nil || l.ValidUntil.After(best.ValidUntil)) {
			best = l
		}
	}
	if best != nil {
		return best, nil
	}
	var reasons []string
	for _, l := range licenses {
		switch {
		case !l.Paid:
			reasons = append(reasons, "license "+l.Key+" is not paid")
		case now.Before(l.ValidFrom):
			reasons = append(reasons, "license "+l.Key+" is not valid before "+l.ValidFrom.UTC().Format(time.RFC3339))
		default:
			reasons = append(reasons, "license "+l.Key+" expired on "+l.ValidUntil.UTC().Format(time.RFC3339))
		}
	}
	return nil, Errorf(CodeBadUserInput, "customer has no valid paid license: %s", strings.Join(reasons, "; "))
}
