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

// Life is when a subscription was active, so when it carries the guarantee:
// from From (its start) until To (when it was canceled, expired or opted
// out; zero while it has not ended).
type Life struct {
	From time.Time
	To   time.Time
}

// Active reports whether the subscription was active at t.
func (l Life) Active(t time.Time) bool {
	return !t.Before(l.From) && (l.To.IsZero() || t.Before(l.To))
}

// HasMonth reports whether month ("YYYY-MM" in the calendar's zone) has a
// guarantee at now: the month has begun, the subscription has started by
// now, and it was active during some of the month. A month before the start,
// after the end or not yet begun has none (and so no report). It returns an
// error for a malformed month.
func (l Life) HasMonth(cal *bizhours.Calendar, month string, now time.Time) (bool, error) {
	start, end, err := cal.MonthBounds(month)
	if err != nil {
		return false, fmt.Errorf("month of life: %w", err)
	}
	if now.Before(l.From) || now.Before(start) || (!l.To.IsZero() && !l.To.After(l.From)) {
		return false, nil
	}
	if !end.After(l.From) {
		return false, nil
	}
	return l.To.IsZero() || start.Before(l.To), nil
}

// Months returns the months that have a guarantee at now (see HasMonth),
// newest first, at most n of them.
func (l Life) Months(cal *bizhours.Calendar, now time.Time, n int) []string {
	list := []string{}
	if now.Before(l.From) || (!l.To.IsZero() && !l.To.After(l.From)) {
		return list
	}
	last := now
	if !l.To.IsZero() && l.To.Before(last) {
		last = l.To.Add(-time.Nanosecond) // the last instant it was active
	}
	first := cal.Month(l.From)
	loc := cal.Location()
	local := last.In(loc)
	for i := 0; len(list) < n; i++ {
		m := cal.Month(time.Date(local.Year(), local.Month()-time.Month(i), 15, 12, 0, 0, 0, loc))
		if m < first {
			break
		}
		list = append(list, m)
	}
	return list
}

// EvaluatedAutomatically reports whether month is to be evaluated by the
// background sweep for a subscription recorded in this system at recorded:
// only when its cutoff came after that. A month whose cutoff had passed
// before (imported history, whose mail may still be being back-filled) is
// evaluated by staff. It returns an error for a malformed month.
func EvaluatedAutomatically(cal *bizhours.Calendar, month string, recorded time.Time) (bool, error) {
	cutoff, err := Cutoff(cal, month)
	if err != nil {
		return false, err
	}
	return cutoff.After(recorded), nil
}

// MonthReport is one subscription's SLA month. Durations are business time;
// counts are of the clocks that started in the month while the subscription
// was active.
type MonthReport struct {
	SubscriptionID  string // set by the caller that knows it
	Month           string
	Final           bool
	Met             bool // final: the guarantee was met; live: it holds on what is known so far
	Status          Status
	TicketsReceived int
	// FirstResponses counts the first-response clocks that started, running
	// ones included.
	FirstResponses int
	// FirstResponsesMet counts first responses that took at most their
	// target; a running one counts once it stopped in time, or in a final
	// report when it is below its target at the cutoff.
	FirstResponsesMet int
	// FirstResponsesMissed counts first responses that took more than their
	// target, or that reached it without an answer.
	FirstResponsesMissed int
	// FirstResponsesAnswered counts first responses stopped (by a reply or a
	// resolution) by now, or by the cutoff in a final report;
	// FirstResponsesRunning the others; FirstResponsesByResolution those of
	// the answered that a resolution stopped without a reply. All three are
	// nil on a month frozen before they were recorded.
	FirstResponsesAnswered     *int
	FirstResponsesRunning      *int
	FirstResponsesByResolution *int
	// AverageFirstResponse is the mean of the answered first responses,
	// rounded to the second; nil when none was answered (or on a month
	// frozen before it was recorded).
	AverageFirstResponse *time.Duration
	FollowUps            int
	// AverageFollowUp is nil without follow-ups. Running follow-ups count
	// with their business time so far (up to the cutoff in a final report).
	AverageFollowUp *time.Duration
}

// Report measures a month of a subscription active during life, as at now:
// live before the month's cutoff, final from it on. It counts the clocks
// that started in the month while the subscription was active (others are
// ignored) and the priority tickets opened then (opened holds their opening
// times; others are ignored).
//
// The rules (SPEC §2): a clock that stopped counts with its business
// duration; one still running at the report's instant (now, or the cutoff
// in a final report) counts with its business time up to then, and once it
// has reached its target without an answer it has missed it: an unanswered
// request is never exactly on time. The month is met when no first response
// missed its target and the follow-ups average at most their target. A live
// report is BREACHED once a first response missed its target, AT_RISK while
// a running clock has under AtRiskWindow left or is past its target, or the
// follow-up average so far is above target, else ON_TRACK; a final one is
// MET or BREACHED.
func Report(cal *bizhours.Calendar, life Life, month string, clocks []Clock, opened []time.Time, now time.Time) (MonthReport, error) {
	cutoff, err := Cutoff(cal, month)
	if err != nil {
		return MonthReport{}, err
	}
	r := MonthReport{Month: month, Final: !now.Before(cutoff)}
	at := now
	if r.Final {
		at = cutoff
	}
	for _, t := range opened {
		if life.Active(t) && cal.Month(t) == month {
			r.TicketsReceived++
		}
	}
	var t tally
	for _, c := range clocks {
		t.add(cal, life, &r, c, at)
	}
	t.finish(&r)
	return r, nil
}

// tally is what a month report adds up from its clocks beyond the counts
// it keeps in the report itself.
type tally struct {
	firstMissed, risk, followOverdue bool
	answered, running, byResolution  int
	firstSum, followSum, followCap   time.Duration
}

// add counts clock c into r as at at, when it started in r's month while
// the subscription was active (others are ignored).
func (t *tally) add(cal *bizhours.Calendar, life Life, r *MonthReport, c Clock, at time.Time) {
	if c.Month != r.Month || c.StartedAt.After(at) || !life.Active(c.StartedAt) {
		return
	}
	elapsed := c.Elapsed(cal, at)
	stopped := !c.Running() && !c.StoppedAt.After(at)
	// A clock without an answer at its target has missed it.
	missed := elapsed > c.Target || (!stopped && elapsed >= c.Target)
	left := c.Target - elapsed
	switch c.Kind {
	case FirstResponse:
		r.FirstResponses++
		if stopped {
			t.answered++
			t.firstSum += elapsed
			if c.StoppedBy == StoppedByResolution {
				t.byResolution++
			}
		} else {
			t.running++
		}
		switch {
		case missed:
			t.firstMissed = true
			r.FirstResponsesMissed++
		case stopped || r.Final:
			r.FirstResponsesMet++
		case left < AtRiskWindow:
			t.risk = true
		}
	case FollowUp:
		r.FollowUps++
		t.followSum += elapsed
		t.followCap += c.Target
		if !stopped {
			t.followOverdue = t.followOverdue || missed
			t.risk = t.risk || left < AtRiskWindow
		}
	}
}

// finish sets r's sums, averages, verdict and status from t.
func (t *tally) finish(r *MonthReport) {
	answered, running, byResolution := t.answered, t.running, t.byResolution
	r.FirstResponsesAnswered, r.FirstResponsesRunning, r.FirstResponsesByResolution = &answered, &running, &byResolution
	r.AverageFirstResponse = average(t.firstSum, t.answered)
	r.AverageFollowUp = average(t.followSum, r.FollowUps)
	// A follow-up running at its target counts as over it, so a sum that
	// only reaches the cap through it is over the cap.
	followOK := t.followSum < t.followCap || (t.followSum == t.followCap && !t.followOverdue)
	r.Met = !t.firstMissed && followOK
	switch {
	case r.Final && r.Met:
		r.Status = Met
	case r.Final, t.firstMissed:
		r.Status = Breached
	case t.risk || !followOK:
		r.Status = AtRisk
	default:
		r.Status = OnTrack
	}
}

// average returns sum/n rounded to the nearest second (halves up), or nil
// when n is 0.
func average(sum time.Duration, n int) *time.Duration {
	if n == 0 {
		return nil
	}
	avg := (sum + time.Duration(n)*time.Second/2) / time.Duration(n)
	avg = avg.Truncate(time.Second)
	return &avg
}

// TicketSLA is a priority ticket's live SLA state.
type TicketSLA struct {
	FirstResponseDueAt    time.Time
	FirstRespondedAt      *time.Time
	FirstResponseBusiness *time.Duration
	// Breached is true once the first response missed its target or the
	// running clock has reached its due time without an answer.
	Breached bool
	// CurrentDueAt and BusinessLeft describe the running clock, if any;
	// BusinessLeft is negative once it is overdue (and breached from 0).
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
		// Reaching the target without an answer is missing it.
		if left <= 0 {
			st.Breached = true
		}
	}
	return st
}
