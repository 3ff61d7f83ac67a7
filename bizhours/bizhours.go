// Package bizhours owns business-hours arithmetic for SLA clocks: a support
// Calendar of weekly open intervals in an IANA time zone, less whole holiday
// dates, and the business time it measures between instants.
//
// Open hours are wall-clock times; business time is real elapsed time, so a
// day that a daylight-saving change makes 23 or 25 hours long counts 23 or 25
// hours when it is open. A wall-clock time is taken to be the first instant at
// which the zone's clock shows that time or later:
//
//   - a time skipped by a spring-forward change (02:30 in Los Angeles on
//     2026-03-08) is the instant of the change (03:00 PDT);
//   - a time repeated by a fall-back change is its first occurrence, and the
//     repeated hour belongs to the wall time of the change: in Los Angeles on
//     2026-11-01 the clock is held at 02:00 from 01:00 PST to 02:00 PST, so
//     that hour is open when 02:00 is, and an interval from 01:00 to 02:00
//     lasts one hour while one from 01:00 to 03:00 lasts three.
//
// Instants are clamped to [1900-01-01, 2190-01-01) UTC, which keeps every
// duration inside time.Duration; AddBusiness saturates at the upper bound.
// Cost grows with the number of time-zone changes and holidays spanned, not
// with the length of the span.
package bizhours

import (
	"fmt"
	"slices"
	"time"
	_ "time/tzdata" // zone data for containers without /usr/share/zoneinfo
)

// Interval is one weekly open span in the calendar's local wall-clock time:
// from Day at Start (offset since local midnight) for Length. Length may
// cross midnight and may run up to 7*24h.
type Interval struct {
	Day    time.Weekday
	Start  time.Duration
	Length time.Duration
}

// Calendar is a support calendar: weekly open intervals in a time zone, less
// whole holiday dates. It is immutable and safe for concurrent use.
type Calendar struct {
	loc      *time.Location
	segs     []segment // weekly open spans, sorted, disjoint, not adjacent
	cum      []int64   // cum[i] is the open time of segs[:i]
	total    int64     // open time of a whole week
	holidays []int64   // sorted local day numbers since 1970-01-01
}

// defaultWeek is 24×5: Monday 00:00 to Saturday 00:00.
var defaultWeek = []Interval{{Day: time.Monday, Length: 5 * 24 * time.Hour}}

// New returns a calendar for zone (an IANA name, "" means UTC), weekly open
// intervals (nil or empty means 24×5, Monday 00:00 to Saturday 00:00) and
// holiday dates "YYYY-MM-DD" (local dates, closed from 00:00 to 24:00 even
// where an interval crossing midnight covers part of them).
//
// It returns an error for an unknown zone (or "Local"), a malformed holiday
// date, or an interval whose Day is not a weekday, whose Start is outside
// [0, 24h), whose Length is not positive or exceeds a week, or which overlaps
// another interval. Intervals that merely touch are fine.
func New(zone string, weekly []Interval, holidays []string) (*Calendar, error) {
	loc := time.UTC
	if zone != "" {
		if zone == "Local" {
			return nil, fmt.Errorf("calendar zone %q: not an IANA zone name", zone)
		}
		l, err := time.LoadLocation(zone)
		if err != nil {
			return nil, fmt.Errorf("calendar zone: %w", err)
		}
		loc = l
	}
	if len(weekly) == 0 {
		weekly = defaultWeek
	}
	c := &Calendar{loc: loc}
	if err := c.setWeek(weekly); err != nil {
		return nil, fmt.Errorf("calendar week: %w", err)
	}
	for _, h := range holidays {
		d, err := time.Parse(time.DateOnly, h)
		if err != nil {
			return nil, fmt.Errorf("calendar holiday %q: want YYYY-MM-DD: %w", h, err)
		}
		c.holidays = append(c.holidays, floorDiv(d.Unix(), 24*60*60))
	}
	slices.Sort(c.holidays)
	c.holidays = slices.Compact(c.holidays)
	return c, nil
}

// Default returns the default calendar: 24×5 (Monday 00:00 to Saturday
// 00:00) in UTC, without holidays.
func Default() *Calendar {
	return MustNew("", nil, nil)
}

// MustNew returns New(zone, weekly, holidays) and panics on its error; it is
// for calendars written in code.
func MustNew(zone string, weekly []Interval, holidays []string) *Calendar {
	c, err := New(zone, weekly, holidays)
	if err != nil {
		panic(err)
	}
	return c
}

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// BusinessDuration returns the open time in [from, to), in real elapsed time;
// it returns 0 when to is not after from.
func (c *Calendar) BusinessDuration(from, to time.Time) time.Duration {
	a, b := clamp(from), clamp(to)
	var sum int64
	for a < b {
		p := c.periodAt(a)
		q := min(b, p.end)
		if p.hold {
			if f := min(q, p.held-p.off); a < f {
				if c.openWall(p.held) {
					sum += f - a
				}
				a = f
			}
		}
		if a < q {
			sum += c.wallMeasure(a+p.off, q+p.off)
		}
		a = q
	}
	return time.Duration(sum)
}

// AddBusiness returns the earliest instant t at or after from with
// BusinessDuration(from, t) == d: the due time of a clock started at from
// with target d. For d > 0 the result is inside or at the end of an open
// span, never at the start of the next one; it is in from's location and
// carries no monotonic clock reading, so compare it with Equal. For d <= 0
// it returns from unchanged (a negative target is treated as already due).
// It saturates at 2190-01-01 UTC.
func (c *Calendar) AddBusiness(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return from
	}
	a, rem := clamp(from), int64(d)
	for a < maxNs {
		p := c.periodAt(a)
		if p.hold {
			if f := min(p.end, p.held-p.off); a < f {
				if c.openWall(p.held) {
					if f-a >= rem {
						return c.at(from, a+rem)
					}
					rem -= f - a
				}
				a = f
			}
		}
		if a < p.end {
			if m := c.wallMeasure(a+p.off, p.end+p.off); m < rem {
				rem -= m
			} else {
				return c.at(from, c.wallAdvance(a+p.off, rem)-p.off)
			}
		}
		a = p.end
	}
	return c.at(from, maxNs)
}

// IsOpen reports whether t lies inside open hours; an open span includes its
// start and excludes its end.
func (c *Calendar) IsOpen(t time.Time) bool {
	return c.openWall(c.wallAt(clamp(t)))
}

// at returns the instant u (Unix nanoseconds) in ref's location.
func (c *Calendar) at(ref time.Time, u int64) time.Time {
	return time.Unix(0, u).In(ref.Location())
}

var (
	minTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2190, 1, 1, 0, 0, 0, 0, time.UTC)
	minNs   = minTime.UnixNano()
	maxNs   = maxTime.UnixNano()
)

// clamp returns t in Unix nanoseconds, clamped to [minNs, maxNs].
func clamp(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return minNs
	case t.Before(maxTime):
		return t.UnixNano()
	default:
		return maxNs
	}
}

// floorDiv returns a/b rounded down, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
