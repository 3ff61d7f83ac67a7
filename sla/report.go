package sla

import (
	"fmt"
	"time"

	"github.com/prioritysupport/backend/bizhours"
)

// AtRiskWindow is how little business time a running clock may have left
// before its ticket and month are at risk and support is alerted.
const AtRiskWindow = 15 * time.Minute

// CutoffDelay is how long after the end of a month, in business time, the
// month's report becomes final: replies that arrive just after midnight on
// the last day still count.
const CutoffDelay = time.Hour

// Status is a monthly report's verdict.
type Status string

// The report statuses: live reports are on track, at risk or breached;
// final ones are met or breached.
const (
	OnTrack  Status = "ON_TRACK"
	AtRisk   Status = "AT_RISK"
	Breached Status = "BREACHED"
	Met      Status = "MET"
)

// Cutoff returns the instant the month ("YYYY-MM" in the calendar's zone)
// becomes final: its end plus CutoffDelay of business time.
func Cutoff(cal *bizhours.Calendar, month string) (time.Time, error) {
	_, end, err := cal.MonthBounds(month)
	if err != nil {
		return time.Time{}, fmt.Errorf("month cutoff: %w", err)
	}
	return cal.AddBusiness(end, CutoffDelay), nil
}

// MonthReport is one subscription's SLA month.
type MonthReport struct {
	SubscriptionID  string // set by the caller that knows it
	Month           string
	Final           bool
	Met             bool // final: the guarantee was met; live: it holds on what is known so far
	Status          Status
	TicketsReceived int
	FirstResponses  int
	// FirstResponsesMet counts first responses that took at most their
	// target; a running one counts once it stopped in time.
	FirstResponsesMet int
	FollowUps         int
	// AverageFollowUp is nil without follow-ups. Running follow-ups count
	// with their business time so far (up to the cutoff in a final report).
	AverageFollowUp *time.Duration
}

// Report measures a month from the clocks that started in it (others are
// ignored) and the number of priority tickets opened in it, as at now: live
// before the month's cutoff, final from it on, when every clock counts with
// its business time up to the cutoff.
func Report(cal *bizhours.Calendar, month string, clocks []Clock, ticketsReceived int, now time.Time) (MonthReport, error) {
	cutoff, err := Cutoff(cal, month)
	if err != nil {
		return MonthReport{}, err
	}
	r := MonthReport{Month: month, TicketsReceived: ticketsReceived, Final: !now.Before(cutoff)}
	at := now
	if r.Final {
		at = cutoff
	}
	var (
		firstMissed, risk    bool
		followSum, followCap time.Duration
	)
	for _, c := range clocks {
		if c.Month != month || c.StartedAt.After(at) {
			continue
		}
		elapsed := c.Elapsed(cal, at)
		finished := r.Final || (!c.Running() && !c.StoppedAt.After(at))
		switch c.Kind {
		case FirstResponse:
			r.FirstResponses++
			switch {
			case elapsed > c.Target:
				firstMissed = true
			case finished:
				r.FirstResponsesMet++
			case c.Target-elapsed < AtRiskWindow:
				risk = true
			}
		case FollowUp:
			r.FollowUps++
			followSum += elapsed
			followCap += c.Target
			if !finished && elapsed <= c.Target && c.Target-elapsed < AtRiskWindow {
				risk = true
			}
		}
	}
	if r.FollowUps > 0 {
		avg := (followSum + time.Duration(r.FollowUps)*time.Second/2) / time.Duration(r.FollowUps)
		avg = avg.Truncate(time.Second)
		r.AverageFollowUp = &avg
	}
	followOK := followSum <= followCap
	r.Met = !firstMissed && followOK
	switch {
	case r.Final && r.Met:
		r.Status = Met
	case r.Final, firstMissed:
		r.Status = Breached
	case risk || !followOK:
		r.Status = AtRisk
	default:
		r.Status = OnTrack
	}
	return r, nil
}

// TicketSLA is a priority ticket's live SLA state.
type TicketSLA struct {
	FirstResponseDueAt    time.Time
	FirstRespondedAt      *time.Time
	FirstResponseBusiness *time.Duration
	// Breached is true once the first response missed its target or the
	// running clock is past its due time.
	Breached bool
	// CurrentDueAt and BusinessLeft describe the running clock, if any;
	// BusinessLeft is negative once it is overdue.
	CurrentDueAt *time.Time
	BusinessLeft *time.Duration
}

// TicketState returns a ticket's SLA state at now from its clocks (in Seq
// order), or nil when no clock has started.
func TicketState(cal *bizhours.Calendar, clocks []Clock, now time.Time) *TicketSLA {
	if len(clocks) == 0 {
		return nil
	}
	first := clocks[0]
	st := &TicketSLA{FirstResponseDueAt: first.DueAt}
	if !first.Running() {
		at, took := first.StoppedAt, first.Business
		st.FirstRespondedAt, st.FirstResponseBusiness = &at, &took
		st.Breached = !first.Met
	}
	for _, c := range clocks {
		if !c.Running() {
			continue
		}
		due, left := c.DueAt, c.Target-c.Elapsed(cal, now)
		st.CurrentDueAt, st.BusinessLeft = &due, &left
		if left < 0 {
			st.Breached = true
		}
	}
	return st
}
