package bizhours

import "time"

// period is a stretch of constant UTC offset in the calendar's zone: instants
// [start, end) in Unix nanoseconds, clamped to [minNs, maxNs].
//
// The calendar reads the zone's clock as the latest wall-clock time shown so
// far, which never runs backwards: after a fall-back change the clock is held
// at held (the wall time of the change) until the zone's clock catches up.
type period struct {
	start, end int64
	off        int64 // UTC offset in nanoseconds
	held       int64 // wall-clock time held from start to held-off; set if hold
	hold       bool
}

// periodAt returns the period holding the instant u.
func (c *Calendar) periodAt(u int64) period {
	t := time.Unix(0, u).In(c.loc)
	_, off := t.Zone()
	s, e := t.ZoneBounds()
	p := period{start: minNs, end: maxNs, off: int64(off) * int64(time.Second)}
	if !e.IsZero() && e.Before(maxTime) {
		p.end = e.UnixNano()
	}
	if !s.IsZero() && s.After(minTime) {
		p.start = s.UnixNano()
		if _, prev := time.Unix(0, p.start-1).In(c.loc).Zone(); prev > off {
			p.hold, p.held = true, p.start+int64(prev)*int64(time.Second)
		}
	}
	return p
}

// wall returns the calendar's wall-clock time at the instant u of p.
func (p period) wall(u int64) int64 {
	if p.hold && p.held > u+p.off {
		return p.held
	}
	return u + p.off
}

// wallAt returns the calendar's wall-clock time at the instant u.
func (c *Calendar) wallAt(u int64) int64 {
	return c.periodAt(u).wall(u)
}

// instantAt returns the first instant at which the calendar's wall clock
// shows w or later, clamped to [minNs, maxNs].
func (c *Calendar) instantAt(w int64) int64 {
	_, guess := time.Unix(0, w).In(c.loc).Zone()
	p := c.periodAt(min(max(w-int64(guess)*int64(time.Second), minNs), maxNs-1))
	for p.start > minNs && p.wall(p.start) >= w {
		p = c.periodAt(p.start - 1)
	}
	// Now the clock shows less than w at p.start, or p.start is minNs.
	for {
		if u := w - p.off; u < p.end {
			return max(u, p.start)
		}
		if p.end >= maxNs {
			return maxNs
		}
		p = c.periodAt(p.end)
		if p.wall(p.start) >= w {
			return p.start
		}
	}
}
