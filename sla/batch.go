package sla

import (
	"time"

	"github.com/prioritysupport/backend/bizhours"
)

// StoppedTotals sums what a final month report reads from the month's
// clocks that had stopped by its cutoff: for clocks stopped in time only
// their counts and business durations matter, so a store can add them up
// where they are kept instead of handing over every clock.
type StoppedTotals struct {
	FirstResponses int // first-response clocks stopped by the cutoff
	// FirstResponsesOver counts those of them whose business time exceeded
	// their target; FirstResponsesByResolution those a resolution stopped.
	FirstResponsesOver         int
	FirstResponsesByResolution int
	FirstResponseBusiness      time.Duration // the sum of their business times
	FollowUps                  int           // follow-up clocks stopped by the cutoff
	FollowUpBusiness           time.Duration // the sum of their business times
	FollowUpTargets            time.Duration // the sum of their targets
}

// FinalReport returns the final report of month for a subscription active
// during life, as Report returns it at or after the month's cutoff, from
// the month's clocks split in two: stopped sums those that started in the
// month while the subscription was active and had stopped by the cutoff
// (not listed in open), open lists others of the month's clocks (those
// still running at the cutoff, or stopped after it; clocks that Report
// would ignore are ignored here too), and ticketsReceived counts the
// priority tickets opened in the month while the subscription was active.
// The rules are Report's, for a final report.
func FinalReport(cal *bizhours.Calendar, life Life, month string, stopped StoppedTotals, open []Clock, ticketsReceived int) (MonthReport, error) {
	cutoff, err := Cutoff(cal, month)
	if err != nil {
		return MonthReport{}, err
	}
	r := MonthReport{Month: month, Final: true, TicketsReceived: ticketsReceived}
	r.FirstResponses = stopped.FirstResponses
	r.FirstResponsesMissed = stopped.FirstResponsesOver
	r.FirstResponsesMet = stopped.FirstResponses - stopped.FirstResponsesOver
	r.FollowUps = stopped.FollowUps
	t := tally{
		firstMissed:  stopped.FirstResponsesOver > 0,
		answered:     stopped.FirstResponses,
		byResolution: stopped.FirstResponsesByResolution,
		firstSum:     stopped.FirstResponseBusiness,
		followSum:    stopped.FollowUpBusiness,
		followCap:    stopped.FollowUpTargets,
	}
	for _, c := range open {
		t.add(cal, life, &r, c, cutoff)
	}
	t.finish(&r)
	return r, nil
}
