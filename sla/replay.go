// Package sla owns the SLA rules of SPEC §2 as pure functions: which clocks
// a ticket's history starts and stops (Replay), a ticket's live SLA state
// (TicketState) and a subscription's monthly report (Report). It knows
// nothing of storage or transport; times are business time measured by a
// bizhours.Calendar.
package sla

import (
	"sort"
	"time"

	"github.com/prioritysupport/backend/bizhours"
)

// EventKind is what happened on a ticket.
type EventKind int

// The events that move a ticket's clocks.
const (
	// CustomerMessage is a message from anyone but the support domain.
	CustomerMessage EventKind = iota
	// CustomerMachine is an out-of-office reply or a bounce: it starts
	// nothing and reopens nothing.
	CustomerMachine
	// SupportReply is a message from the support domain written by a person.
	SupportReply
	// SupportMachine is an acknowledgement robot's mail: it stops nothing.
	SupportMachine
	// Resolve is a resolution: it stops a running clock.
	Resolve
	// Reopen is a manual reopening: the customer is waiting again.
	Reopen
)

// Event is one thing that happened on a ticket, at the time the vendor's
// systems saw it.
type Event struct {
	At   time.Time
	Kind EventKind
}

// ClockKind tells a first response from a follow-up.
type ClockKind string

// The clock kinds.
const (
	FirstResponse ClockKind = "first_response"
	FollowUp      ClockKind = "follow_up"
)

// Stop reasons.
const (
	StoppedByReply      = "reply"
	StoppedByResolution = "resolution"
)

// Terms are a subscription's SLA terms.
type Terms struct {
	Calendar      *bizhours.Calendar
	FirstResponse time.Duration // target of every first response
	FollowUp      time.Duration // target of the monthly follow-up average
}

// Target returns the target of a clock kind.
func (t Terms) Target(k ClockKind) time.Duration {
	if k == FirstResponse {
		return t.FirstResponse
	}
	return t.FollowUp
}

// Clock is one measured wait of a customer for support. StoppedAt is zero
// while it runs; Business and Met are set once it stopped.
type Clock struct {
	Seq       int // 1 for the first response, then 2, 3, …
	Kind      ClockKind
	Month     string // "YYYY-MM" in the calendar's zone of StartedAt
	StartedAt time.Time
	DueAt     time.Time
	Target    time.Duration
	StoppedAt time.Time
	StoppedBy string
	Business  time.Duration
	Met       bool
}

// Running reports whether the clock has not stopped.
func (c Clock) Running() bool { return c.StoppedAt.IsZero() }

// Elapsed returns the clock's business time up to at, or up to its stop when
// it stopped earlier.
func (c Clock) Elapsed(cal *bizhours.Calendar, at time.Time) time.Duration {
	if !c.Running() {
		if at.Before(c.StoppedAt) {
			return cal.BusinessDuration(c.StartedAt, at)
		}
		return c.Business
	}
	return cal.BusinessDuration(c.StartedAt, at)
}

// Outcome is what a ticket's history comes to.
type Outcome struct {
	Clocks     []Clock
	Resolved   bool
	ResolvedAt time.Time
}

// Replay runs a ticket's history through the rules and returns its clocks
// and whether it ends resolved. Events are taken in time order (ties keep
// the order given), so mail that arrives late is placed where it belongs.
// Only priority tickets have clocks: for others only the status is kept.
//
// The rules: a customer message opens a resolved ticket again and, when no
// clock runs, starts one (the ticket's first is its first response, later
// ones are follow-ups); a support reply or a resolution stops the running
// clock; a reopening starts a follow-up clock; machine mail changes nothing.
func Replay(events []Event, terms Terms, priority bool) Outcome {
	sorted := make([]Event, len(events))
	copy(sorted, events)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At.Before(sorted[j].At) })

	var out Outcome
	running := -1
	start := func(at time.Time) {
		if !priority || running >= 0 {
			return
		}
		kind := FollowUp
		if len(out.Clocks) == 0 {
			kind = FirstResponse
		}
		target := terms.Target(kind)
		out.Clocks = append(out.Clocks, Clock{
			Seq: len(out.Clocks) + 1, Kind: kind, Month: terms.Calendar.Month(at),
			StartedAt: at, DueAt: terms.Calendar.AddBusiness(at, target), Target: target,
		})
		running = len(out.Clocks) - 1
	}
	stop := func(at time.Time, by string) {
		if running < 0 {
			return
		}
		c := &out.Clocks[running]
		c.StoppedAt, c.StoppedBy = at, by
		c.Business = terms.Calendar.BusinessDuration(c.StartedAt, at)
		c.Met = c.Business <= c.Target
		running = -1
	}
	for _, e := range sorted {
		switch e.Kind {
		case CustomerMessage:
			out.Resolved, out.ResolvedAt = false, time.Time{}
			start(e.At)
		case Reopen:
			if out.Resolved {
				out.Resolved, out.ResolvedAt = false, time.Time{}
				start(e.At)
			}
		case SupportReply:
			stop(e.At, StoppedByReply)
		case Resolve:
			if !out.Resolved {
				stop(e.At, StoppedByResolution)
				out.Resolved, out.ResolvedAt = true, e.At
			}
		}
	}
	return out
}
