package billing

import (
	"math/bits"
	"time"
)

// UnusedDays returns how many days of the billing period from periodStart
// to periodEnd are left at the instant at, and how many days the period
// has, counted in calendar days of loc (nil means UTC): total is the number
// of local dates from the date of periodStart to the date of periodEnd, and
// unused the number from the date of at to the date of periodEnd, held
// between 0 and total. So at on the period's first day leaves every day
// unused, on its last day one, and a leap year counts 366 days. It returns
// 0, 0 for a period that ends before it starts.
func UnusedDays(periodStart, periodEnd, at time.Time, loc *time.Location) (unused, total int64) {
	if loc == nil {
		loc = time.UTC
	}
	start, end, now := localDay(periodStart, loc), localDay(periodEnd, loc), localDay(at, loc)
	if end <= start {
		return 0, 0
	}
	total = end - start
	unused = min(max(end-now, 0), total)
	return unused, total
}

// localDay returns the number of the calendar day t falls on in loc,
// counted from 1970-01-01, so that subtracting two gives whole days however
// long each day was (daylight-saving changes included).
func localDay(t time.Time, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// ProRataRefund returns annualCents × unusedDays / daysInPeriod rounded up
// to the cent, in the customer's favour, with exact integer arithmetic (a
// 128-bit product, so no input can overflow). It returns 0 when any input
// is not positive, and annualCents when unusedDays is at least
// daysInPeriod: never more than the fee that was paid.
func ProRataRefund(annualCents, unusedDays, daysInPeriod int64) int64 {
	if annualCents <= 0 || unusedDays <= 0 || daysInPeriod <= 0 {
		return 0
	}
	if unusedDays >= daysInPeriod {
		return annualCents
	}
	// annualCents × unusedDays < 2⁶³ × daysInPeriod, so the high word is
	// below the divisor and Div64 cannot overflow; the quotient is below
	// annualCents.
	hi, lo := bits.Mul64(uint64(annualCents), uint64(unusedDays))
	q, r := bits.Div64(hi, lo, uint64(daysInPeriod))
	if r != 0 {
		q++
	}
	return int64(q)
}
