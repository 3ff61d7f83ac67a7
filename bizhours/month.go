package bizhours

import (
	"fmt"
	"time"
)

// Month returns the local calendar month "YYYY-MM" of t in the calendar's
// zone: the month whose MonthBounds hold t.
func (c *Calendar) Month(t time.Time) string {
	if t.Before(minTime) || !t.Before(maxTime) {
		return t.In(c.loc).Format("2006-01")
	}
	return time.Unix(0, c.wallAt(t.UnixNano())).UTC().Format("2006-01")
}

// MonthBounds returns the instants [start, end) of the local calendar month
// ("YYYY-MM") in the calendar's zone, in that zone's location. It returns an
// error for a malformed month or one outside 1900-01 to 2189-12.
func (c *Calendar) MonthBounds(month string) (start, end time.Time, err error) {
	y, m, err := ParseMonth(month)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("month bounds: %w", err)
	}
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	next := first.AddDate(0, 1, 0)
	if first.Before(minTime) || next.After(maxTime) {
		return time.Time{}, time.Time{}, fmt.Errorf("month bounds %q: outside 1900-01 to 2189-12", month)
	}
	start = time.Unix(0, c.instantAt(first.UnixNano())).In(c.loc)
	end = time.Unix(0, c.instantAt(next.UnixNano())).In(c.loc)
	return start, end, nil
}

// ParseMonth returns the year and month of "YYYY-MM" (four-digit year, two
// digit month 01 to 12). It returns an error for anything else, such as
// "2026-13", "2026-1" or "26-01".
func ParseMonth(month string) (year int, m time.Month, err error) {
	n, ok := 0, len(month) == 7 && month[4] == '-'
	for i := 0; ok && i < len(month); i++ {
		switch d := month[i]; {
		case i == 4:
		case '0' <= d && d <= '9':
			n = n*10 + int(d-'0')
		default:
			ok = false
		}
	}
	year, m = n/100, time.Month(n%100)
	if !ok || m < time.January || m > time.December {
		return 0, 0, fmt.Errorf("parse month %q: want YYYY-MM", month)
	}
	return year, m, nil
}
