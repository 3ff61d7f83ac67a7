package billing

import (
	"math/bits"
	"time"

	"github.com/prioritysupport/backend/models"
)

// UnusedDays returns how many days of the billing period from periodStart
// to periodEnd are left at the instant at, and how many days the period
// has, counted in calendar days of the subscription's SLA zone loc (nil
// means UTC). A bound stands for the date models.SubscriptionDate gives:
// its date in loc, or the date it names when it is a UTC midnight, so a
// New York period stored as 2027-03-01T00:00:00Z to 2028-03-01T00:00:00Z
// runs from 1 March to 1 March and not from the evenings before. total is
// the number of dates from the start's to the end's, and unused the number
// from the local date of at to the end's, held between 0 and total. So at
// on the period's first day leaves every day unused, on its last day one,
// and a leap year counts 366 days; daylight-saving changes make no day
// longer or shorter in the count. It returns 0, 0 for a period that ends
// before it starts.
func UnusedDays(periodStart, periodEnd, at time.Time, loc *time.Location) (unused, total int64) {
	if loc == nil {
		loc = time.UTC
	}
	start, end := dayNumber(models.SubscriptionDate(periodStart, loc)), dayNumber(models.SubscriptionDate(periodEnd, loc))
	y, m, d := at.In(loc).Date()
	now := dayNumber(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	if end <= start {
		return 0, 0
	}
	total = end - start
	unused = min(max(end-now, 0), total)
	return unused, total
}

// dayNumber returns the number of the day of a UTC midnight, counted from
// 1970-01-01.
func dayNumber(midnight time.Time) int64 {
	return midnight.Unix() / 86400
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
