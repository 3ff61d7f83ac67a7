package main

import (
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// firstResponseView is a month report's first-response fields.
type firstResponseView struct {
	Month                       string
	Final                       bool
	Status                      string
	FirstResponses              int
	FirstResponsesMet           int
	FirstResponsesMissed        int
	FirstResponsesAnswered      *int
	FirstResponsesRunning       *int
	FirstResponsesByResolution  *int
	AverageFirstResponseSeconds *int
}

const firstResponseFields = `month final status firstResponses firstResponsesMet firstResponsesMissed
	firstResponsesAnswered firstResponsesRunning firstResponsesByResolution averageFirstResponseSeconds`

// firstResponseCounts are the expected counts; avg -1 means null.
type firstResponseCounts struct {
	started, met, missed, answered, running, byResolution, avg int
}

func (w firstResponseCounts) check(t *testing.T, what string, got firstResponseView) {
	t.Helper()
	n := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	have := firstResponseCounts{got.FirstResponses, got.FirstResponsesMet, got.FirstResponsesMissed,
		n(got.FirstResponsesAnswered), n(got.FirstResponsesRunning), n(got.FirstResponsesByResolution), n(got.AverageFirstResponseSeconds)}
	if have != w {
		t.Errorf("%s: %+v, want %+v", what, have, w)
	}
}

// TestMonthReportFirstResponseFields checks the first-response fields of
// SlaMonthReport beside firstResponses (which counts the clocks started,
// running ones included): answered, running, missed, answered by a
// resolution, and the average of the answered in business seconds; live,
// final, and as frozen by the evaluation, which later mail does not change.
// November 2026: the 2nd is a Monday; support hours are 24×5 UTC.
func TestMonthReportFirstResponseFields(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-02 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		f := s.mustPriorityCustomer("Fields Ltd", utc(t, "2026-01-01 00:00"), "fields.example")
		read := func(month string) firstResponseView {
			var out struct{ SlaReport *firstResponseView }
			s.gql(s.customerToken(f), `query($s: ID!, $m: String!) { slaReport(subscriptionId: $s, month: $m) { `+firstResponseFields+` } }`,
				map[string]any{"s": f.SubscriptionID, "m": month}).decode(t, &out)
			if out.SlaReport == nil {
				t.Fatalf("no report for %s", month)
			}
			return *out.SlaReport
		}

		// Answered by a reply in 30 minutes.
		clock.Set(utc(t, "2026-11-02 10:00"))
		s.exchange("ann@fields.example", "f1@fields.example", utc(t, "2026-11-02 09:00"), utc(t, "2026-11-02 09:30"))
		// Resolved without a reply after 20 minutes.
		clock.Set(utc(t, "2026-11-03 09:20"))
		byResolution := s.exchange("ann@fields.example", "f2@fields.example", utc(t, "2026-11-03 09:00"), time.Time{})
		s.gql(s.support(), `mutation($id: ID!) { resolveTicket(id: $id) { id } }`, map[string]any{"id": byResolution.TicketID}).decode(t, &struct{}{})
		// Answered by a reply in 90 minutes: missed.
		clock.Set(utc(t, "2026-11-04 11:00"))
		s.exchange("ann@fields.example", "f3@fields.example", utc(t, "2026-11-04 09:00"), utc(t, "2026-11-04 10:30"))
		// Unanswered since Thursday 09:00.
		clock.Set(utc(t, "2026-11-05 09:30"))
		s.exchange("ann@fields.example", "f4@fields.example", utc(t, "2026-11-05 09:00"), time.Time{})

		live := read("2026-11")
		if live.Final || live.Status != "BREACHED" {
			t.Errorf("live report = %+v, want live BREACHED", live)
		}
		// Average of 30, 20 and 90 minutes: 2800 seconds.
		firstResponseCounts{started: 4, met: 2, missed: 1, answered: 3, running: 1, byResolution: 1, avg: 2800}.check(t, "live November", live)
		firstResponseCounts{avg: -1}.check(t, "live October (no tickets)", read("2026-10"))

		// Final: the unanswered one is missed at the cutoff.
		clock.Set(utc(t, "2026-12-02 00:00"))
		final := firstResponseCounts{started: 4, met: 2, missed: 2, answered: 3, running: 1, byResolution: 1, avg: 2800}
		final.check(t, "final November", read("2026-11"))
		var ev struct{ EvaluateSlaMonth firstResponseView }
		s.gql(s.admin(), `mutation($s: ID!) { evaluateSlaMonth(subscriptionId: $s, month: "2026-11") { `+firstResponseFields+` } }`,
			map[string]any{"s": f.SubscriptionID}).decode(t, &ev)
		final.check(t, "evaluated November", ev.EvaluateSlaMonth)
		var oct struct{ EvaluateSlaMonth firstResponseView }
		s.gql(s.admin(), `mutation($s: ID!) { evaluateSlaMonth(subscriptionId: $s, month: "2026-10") { `+firstResponseFields+` } }`,
			map[string]any{"s": f.SubscriptionID}).decode(t, &oct)
		firstResponseCounts{avg: -1}.check(t, "evaluated October", oct.EvaluateSlaMonth)

		// Mail that arrives after the freeze changes nothing: the running one
		// is answered, and a November request shows up late.
		s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Question", MessageID: "re-f4@fields.example", InReplyTo: "f4@fields.example", Received: utc(t, "2026-12-01 23:00")})
		s.exchange("ann@fields.example", "f5@fields.example", utc(t, "2026-11-20 09:00"), utc(t, "2026-11-20 09:10"))
		final.check(t, "frozen November after late mail", read("2026-11"))
		firstResponseCounts{avg: -1}.check(t, "frozen October", read("2026-10"))
	})
}
