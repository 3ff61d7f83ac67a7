package models

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of what may enter from outside. Every transport checks them where
// the input arrives and the services check them again, so that nothing is
// stored that a database or a client cannot read back (docs/DECISIONS.md,
// "Input bounds").

// The window of times accepted from outside: [2000-01-01, 2100-01-01) UTC.
// A support contract, license or email lies inside it; times outside it are
// typing mistakes or hostile, and SQLite cannot read back a year past 9999.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// TimeWindow returns the bounds of the accepted times: from is the first
// instant accepted, until the first one refused.
func TimeWindow() (from, until time.Time) { return minTime, maxTime }

// InTimeWindow reports whether t lies in the window of accepted times.
func InTimeWindow(t time.Time) bool {
	return !t.Before(minTime) && t.Before(maxTime)
}

// CheckTime returns nil when t lies in the window of accepted times, else a
// BAD_USER_INPUT *Error that names what (e.g. "startsAt") with its value and
// the window.
func CheckTime(what string, t time.Time) error {
	if msg := timeProblem(what, t); msg != "" {
		return Errorf(CodeBadUserInput, "%s", msg)
	}
	return nil
}

// timeProblem is CheckTime's message, or "" when t is in the window.
func timeProblem(what string, t time.Time) string {
	if InTimeWindow(t) {
		return ""
	}
	return fmt.Sprintf("%s %s is outside the accepted window: times must lie from %s up to, not including, %s",
		what, t.UTC().Format(time.RFC3339Nano), minTime.Format(time.RFC3339), maxTime.Format(time.RFC3339))
}

// MaxBalanceCents is the largest credit balance a customer may hold, and
// the largest amount of one credit entry: 2^31-1 cents, so that every
// amount and balance fits GraphQL's 32-bit Int and no sum overflows.
const MaxBalanceCents int64 = math.MaxInt32

// Length limits of the text fields, in characters (runes) unless a name
// says bytes.
const (
	// MaxCustomerNameLength bounds a customer's name.
	MaxCustomerNameLength = 200
	// MaxLicenseKeyLength bounds a license key.
	MaxLicenseKeyLength = 200
	// MaxReasonLength bounds a cancellation or adjustment reason.
	MaxReasonLength = 1000
	// MaxSearchLength bounds a customer search text: it matches names (at
	// most MaxCustomerNameLength) and domains (at most 253 characters), so
	// a longer one can match nothing.
	MaxSearchLength = 256
	// MaxStripeIDBytes bounds a Stripe object id given by sales.
	MaxStripeIDBytes = 255
)

// textProblem checks one text field: valid UTF-8, no control characters
// (tab, line feed and carriage return too unless multiLine) and at most max
// characters. It returns what is wrong, naming the field, or "".
func textProblem(name, s string, max int, multiLine bool) string {
	switch {
	case !utf8.ValidString(s):
		return name + " is not valid UTF-8 text"
	case hasControl(s, multiLine):
		if multiLine {
			return name + " contains control characters other than tab, line feed and carriage return"
		}
		return name + " contains control characters"
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("%s is longer than %d characters", name, max)
	}
	return ""
}

// hasControl reports whether s holds a control character (C0, DEL or C1),
// tab, line feed and carriage return allowed when multiLine.
func hasControl(s string, multiLine bool) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		if multiLine && (r == '\t' || r == '\n' || r == '\r') {
			return false
		}
		return unicode.IsControl(r)
	})
}

// CheckText returns nil for a text field that is valid UTF-8 without
// control characters (tab, line feed and carriage return allowed when
// multiLine) and at most max characters long, else a BAD_USER_INPUT *Error
// that names the field.
func CheckText(name, s string, max int, multiLine bool) error {
	if msg := textProblem(name, s, max, multiLine); msg != "" {
		return Errorf(CodeBadUserInput, "%s", msg)
	}
	return nil
}

// NormalizeReason trims a cancellation or adjustment reason and checks it
// with CheckText against MaxReasonLength; line breaks are allowed.
func NormalizeReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	return reason, CheckText("reason", reason, MaxReasonLength, true)
}

// NormalizeSearch trims a customer search text and checks it with
// CheckText against MaxSearchLength, on one line.
func NormalizeSearch(search string) (string, error) {
	search = strings.TrimSpace(search)
	return search, CheckText("search", search, MaxSearchLength, false)
}
