package bizhours

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Wall-clock times are nanoseconds since 1970-01-01 00:00 local time, as if
// the zone were UTC; the weekly pattern repeats every week from sunday.
const (
	day    = int64(24 * time.Hour)
	week   = 7 * day
	sunday = 3 * day // Sunday 1970-01-04 00:00
)

// segment is an open span of the weekly pattern, [start, end) in
// nanoseconds since Sunday 00:00, within [0, week].
type segment struct{ start, end int64 }

// setWeek checks the weekly intervals and sets the pattern from them. It
// returns an error for an interval out of range or overlapping another.
func (c *Calendar) setWeek(weekly []Interval) error {
	type part struct {
		segment
		i int // index in weekly
	}
	var parts []part
	for i, iv := range weekly {
		switch {
		case iv.Day < time.Sunday || iv.Day > time.Saturday:
			return fmt.Errorf("interval %d: day %d is not a weekday", i, iv.Day)
		case iv.Start < 0 || iv.Start >= 24*time.Hour:
			return fmt.Errorf("interval %d: start %v outside [0, 24h)", i, iv.Start)
		case iv.Length <= 0:
			return fmt.Errorf("interval %d: length %v not positive", i, iv.Length)
		case iv.Length > 7*24*time.Hour:
			return fmt.Errorf("interval %d: length %v longer than a week", i, iv.Length)
		}
		s := int64(iv.Day)*day + int64(iv.Start)
		e := s + int64(iv.Length)
		if e <= week {
			parts = append(parts, part{segment{s, e}, i})
			continue
		}
		parts = append(parts, part{segment{s, week}, i}, part{segment{0, e - week}, i})
	}
	slices.SortFunc(parts, func(a, b part) int { return cmp.Compare(a.start, b.start) })
	for k := 1; k < len(parts); k++ {
		if prev, p := parts[k-1], parts[k]; prev.end > p.start {
			return fmt.Errorf("interval %d overlaps interval %d", prev.i, p.i)
		}
	}
	for _, p := range parts {
		if n := len(c.segs); n > 0 && c.segs[n-1].end == p.start {
			c.segs[n-1].end = p.end
			continue
		}
		c.segs = append(c.segs, p.segment)
	}
	for _, s := range c.segs {
		c.cum = append(c.cum, c.total)
		c.total += s.end - s.start
	}
	return nil
}

// startedBy returns how many weekly segments start at or before pos.
func (c *Calendar) startedBy(pos int64) int {
	i, j := 0, len(c.segs)
	for i < j {
		h := int(uint(i+j) >> 1)
		if c.segs[h].start <= pos {
			i = h + 1
		} else {
			j = h
		}
	}
	return i
}

// weekly returns the open time of the weekly pattern, holidays ignored, from
// Sunday 1970-01-04 00:00 to the wall-clock time x (negative before it).
func (c *Calendar) weekly(x int64) int64 {
	rel := x - sunday
	k := floorDiv(rel, week)
	pos := rel - k*week
	open := k * c.total
	if i := c.startedBy(pos); i > 0 {
		s := c.segs[i-1]
		open += c.cum[i-1] + min(pos, s.end) - s.start
	}
	return open
}

// weeklyAt returns the earliest wall-clock time y with weekly(y) == t.
func (c *Calendar) weeklyAt(t int64) int64 {
	k := floorDiv(t-1, c.total)
	r := t - k*c.total // in (0, total]
	i, j := 0, len(c.segs)
	for i < j {
		h := int(uint(i+j) >> 1)
		if c.cum[h]+c.segs[h].end-c.segs[h].start < r {
			i = h + 1
		} else {
			j = h
		}
	}
	return sunday + k*week + c.segs[i].start + r - c.cum[i]
}

// firstHoliday returns the index of the first holiday ending after the
// wall-clock time x.
func (c *Calendar) firstHoliday(x int64) int {
	i, _ := slices.BinarySearch(c.holidays, floorDiv(x, day))
	return i
}

// wallMeasure returns the open time between the wall-clock times x <= y.
func (c *Calendar) wallMeasure(x, y int64) int64 {
	open := c.weekly(y) - c.weekly(x)
	for i := c.firstHoliday(x); i < len(c.holidays) && c.holidays[i]*day < y; i++ {
		h0, h1 := c.holidays[i]*day, c.holidays[i]*day+day
		open -= c.weekly(min(y, h1)) - c.weekly(max(x, h0))
	}
	return open
}

// wallAdvance returns the earliest wall-clock time y with
// wallMeasure(x, y) == r, for r > 0.
func (c *Calendar) wallAdvance(x, r int64) int64 {
	for i := c.firstHoliday(x); i < len(c.holidays); i++ {
		h0, h1 := c.holidays[i]*day, c.holidays[i]*day+day
		if x < h0 {
			m := c.weekly(h0) - c.weekly(x)
			if m >= r {
				break
			}
			r -= m
		}
		x = max(x, h1)
	}
	return c.weeklyAt(c.weekly(x) + r)
}

// openWall reports whether the wall-clock time x is open.
func (c *Calendar) openWall(x int64) bool {
	if _, hol := slices.BinarySearch(c.holidays, floorDiv(x, day)); hol {
		return false
	}
	pos := x - sunday - floorDiv(x-sunday, week)*week
	i := c.startedBy(pos)
	return i > 0 && pos < c.segs[i-1].end
}
