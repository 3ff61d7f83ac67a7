package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/jobs"
	"github.com/prioritysupport/backend/models"
)

// monthsNewYork is 24×5 support in New York with Monday 2 November 2026 a
// holiday. Daylight saving time ends on Sunday 1 November 2026 (02:00 EDT
// becomes 01:00 EST), and 31 October 2026 is a Saturday.
var monthsNewYork = map[string]string{
	"PS_SLA_TIMEZONE": "America/New_York",
	"PS_SLA_HOLIDAYS": "2026-11-02",
}

// monthReport reads a subscription's month with token; nil when the month
// has no report.
func (s *testServer) monthReport(token, subscriptionID, month string) *reportView {
	s.t.Helper()
	var out struct{ SlaReport *reportView }
	s.gql(token, `query($s: ID!, $m: String!) { slaReport(subscriptionId: $s, month: $m) { `+reportFields+` } }`,
		map[string]any{"s": subscriptionID, "m": month}).decode(s.t, &out)
	return out.SlaReport
}

// historyMonths lists the months of a subscription's slaHistory(months: 12).
func (s *testServer) historyMonths(subscriptionID string) []string {
	s.t.Helper()
	var out struct {
		SupportSubscription struct {
			SLAHistory []struct{ Month string } `json:"slaHistory"`
		}
	}
	s.gql(s.support(), `query($id: ID!) { supportSubscription(id: $id) { slaHistory(months: 12) { month } } }`,
		map[string]any{"id": subscriptionID}).decode(s.t, &out)
	months := []string{}
	for _, r := range out.SupportSubscription.SLAHistory {
		months = append(months, r.Month)
	}
	return months
}

// mustEvaluate evaluates a month as an admin.
func (s *testServer) mustEvaluate(subscriptionID, month string) evaluation {
	s.t.Helper()
	var ev evaluation
	s.gql(s.admin(), evaluateMutation, map[string]any{"s": subscriptionID, "m": month}).decode(s.t, &ev)
	return ev
}

// mustCancel cancels a subscription as sales, at the server's now.
func (s *testServer) mustCancel(subscriptionID string) {
	s.t.Helper()
	s.gql(s.sales(), `mutation($id: ID!) { cancelSupportSubscription(id: $id, reason: "leaving") { id } }`,
		map[string]any{"id": subscriptionID}).decode(s.t, &struct{}{})
}

// exchange ingests a customer message and, unless reply is zero, a support
// reply to it; it returns the customer message's answer.
func (s *testServer) exchange(from, id string, received, reply time.Time) inboundResult {
	s.t.Helper()
	r := s.mustIngest(email{From: from, Subject: "Question " + id, MessageID: id, Received: received})
	if !reply.IsZero() {
		s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Question " + id, MessageID: "re-" + id,
			InReplyTo: id, Received: reply})
	}
	return r
}

// TestMonthsOutsideTheSubscriptionsLife checks SPEC §2: a month has a
// guarantee only while the subscription was active in it. Months before
// its start, after its end and not yet begun have no report (slaReport
// null, evaluateSlaMonth BAD_USER_INPUT) and are not in slaHistory; a partly
// covered month is judged on its covered part and, when missed, earns the
// full month's fee.
func TestMonthsOutsideTheSubscriptionsLife(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-04 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		// Imported: it started mid-September.
		f := s.mustPriorityCustomer("Span Ltd", utc(t, "2026-09-15 12:00"), "span.example")
		// September: one first response of 90 minutes. November: one of 20.
		if r := s.exchange("ann@span.example", "sep@span.example", utc(t, "2026-09-16 09:00"), utc(t, "2026-09-16 10:30")); !r.Priority {
			t.Fatalf("September mail is not priority: %+v", r)
		}
		clock.Set(utc(t, "2026-11-18 12:00"))
		nov := s.exchange("ann@span.example", "nov@span.example", utc(t, "2026-11-10 09:00"), utc(t, "2026-11-10 09:20"))

		noGuarantee := func(t *testing.T, month string) {
			t.Helper()
			if r := s.monthReport(s.customerToken(f), f.SubscriptionID, month); r != nil {
				t.Errorf("slaReport(%s) = %+v, want null", month, *r)
			}
			if r := s.gql(s.admin(), evaluateMutation, map[string]any{"s": f.SubscriptionID, "m": month}); r.code() != models.CodeBadUserInput {
				t.Errorf("evaluateSlaMonth(%s): %s, want BAD_USER_INPUT", month, r.Raw)
			}
		}
		t.Run("before the start and not yet begun", func(t *testing.T) {
			noGuarantee(t, "2026-08")
			noGuarantee(t, "2026-12")
			noGuarantee(t, "2027-03")
			if got, want := s.historyMonths(f.SubscriptionID), []string{"2026-11", "2026-10", "2026-09"}; !reflect.DeepEqual(got, want) {
				t.Errorf("slaHistory = %v, want %v", got, want)
			}
		})

		// Cancelled on 18 November; the customer writes again on the 19th
		// and waits three hours: after the end, so not judged.
		s.mustCancel(f.SubscriptionID)
		s.mustIngest(email{From: "ann@span.example", Subject: "Re: Question", MessageID: "after@span.example", InReplyTo: "re-nov@span.example", Received: utc(t, "2026-11-19 09:00")})
		s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Question", MessageID: "re-after@span.example", InReplyTo: "after@span.example", Received: utc(t, "2026-11-19 12:00")})
		if tk := s.mustTicket(nov.TicketID); len(tk.Messages) != 4 {
			t.Fatalf("the November ticket has %d messages, want 4", len(tk.Messages))
		}
		clock.Set(utc(t, "2027-01-05 00:00"))

		t.Run("after the end", func(t *testing.T) {
			noGuarantee(t, "2026-12")
			noGuarantee(t, "2027-01")
			if got, want := s.historyMonths(f.SubscriptionID), []string{"2026-11", "2026-10", "2026-09"}; !reflect.DeepEqual(got, want) {
				t.Errorf("slaHistory after the end = %v, want %v", got, want)
			}
		})

		t.Run("the month it ended in is judged on its covered part", func(t *testing.T) {
			r := s.monthReport(s.customerToken(f), f.SubscriptionID, "2026-11")
			want := reportView{Month: "2026-11", Final: true, Met: true, Status: "MET", TicketsReceived: 1, FirstResponses: 1, FirstResponsesMet: 1}
			if r == nil || *r != want {
				t.Fatalf("November = %+v, want %+v (the follow-up after the end not counted)", r, want)
			}
			if ev := s.mustEvaluate(f.SubscriptionID, "2026-11").EvaluateSLAMonth; !ev.Met || ev.Credit != nil {
				t.Errorf("evaluated November = %+v, want met without credit", ev)
			}
		})

		t.Run("the month it started in, missed, earns the full fee", func(t *testing.T) {
			r := s.monthReport(s.customerToken(f), f.SubscriptionID, "2026-09")
			if r == nil || r.Status != "BREACHED" || !r.Final || r.TicketsReceived != 1 || r.FirstResponses != 1 {
				t.Fatalf("September = %+v, want final BREACHED with its one ticket", r)
			}
			ev := s.mustEvaluate(f.SubscriptionID, "2026-09").EvaluateSLAMonth
			if ev.Met || ev.Credit == nil || ev.Credit.Amount.Cents != 80000 {
				t.Fatalf("evaluated September = %+v (credit %+v), want an 80000-cent credit", ev, ev.Credit)
			}
			if got := s.mustBalance(s.customerToken(f), ""); got != 80000 {
				t.Errorf("balance = %d, want 80000", got)
			}
		})
	})
}

// TestMonthsFollowTheSLAZone checks the months of a subscription's life in
// the SLA zone: one cancelled on 1 December at 03:00 UTC ended on 30
// November in New York, so December has no report there.
func TestMonthsFollowTheSLAZone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-12-01 03:00")) // Monday 30 November, 22:00 EST
		s := newTestServerAt(t, databaseURL, clock.Now, monthsNewYork)
		f := s.mustPriorityCustomer("Zone Ltd", utc(t, "2026-10-01 04:00"), "zone.example") // 1 October, 00:00 EDT
		s.mustCancel(f.SubscriptionID)
		clock.Set(utc(t, "2026-12-15 15:00"))
		if r := s.monthReport(s.support(), f.SubscriptionID, "2026-12"); r != nil {
			t.Errorf("December = %+v, want null: the subscription ended in November, New York time", *r)
		}
		if r := s.gql(s.admin(), evaluateMutation, map[string]any{"s": f.SubscriptionID, "m": "2026-12"}); r.code() != models.CodeBadUserInput {
			t.Errorf("evaluateSlaMonth(2026-12): %s, want BAD_USER_INPUT", r.Raw)
		}
		if got, want := s.historyMonths(f.SubscriptionID), []string{"2026-11", "2026-10"}; !reflect.DeepEqual(got, want) {
			t.Errorf("slaHistory = %v, want %v", got, want)
		}
		if r := s.monthReport(s.support(), f.SubscriptionID, "2026-11"); r == nil || !r.Final || r.Status != "MET" {
			t.Errorf("November = %+v, want final MET", r)
		}
	})
}

// TestImportedMonthsWaitForStaff checks SPEC §2's imported history: the
// background sweep does not evaluate a month whose cutoff passed before the
// subscription was recorded here (its mail may still be being back-filled);
// it evaluates the months after that at their cutoff, and staff evaluate
// the imported ones once their mail is in.
func TestImportedMonthsWaitForStaff(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-04 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		// Recorded on 4 November with Priority Support since 1 September:
		// September's and October's cutoffs had passed, November's had not.
		f := s.mustPriorityCustomer("Imported Ltd", utc(t, "2026-09-01 00:00"), "imported.example")
		clock.Set(utc(t, "2026-11-05 10:00"))
		s.exchange("ann@imported.example", "nov@imported.example", utc(t, "2026-11-05 09:00"), utc(t, "2026-11-05 09:30"))
		clock.Set(utc(t, "2026-12-02 00:00"))

		startJobs(t, s, databaseURL, 1)
		deadline := time.Now().Add(60 * time.Second)
		for countRows(t, s, "sla_months", "subscription_id = ? AND month = ?", f.SubscriptionID, "2026-11") == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("November was not evaluated by the jobs within a minute\n%s", s.Logs)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(3 * jobs.MinEvery) // a few more sweeps

		// October's mail arrives now: a first response of 90 minutes.
		s.exchange("ann@imported.example", "oct@imported.example", utc(t, "2026-10-06 09:00"), utc(t, "2026-10-06 10:30"))
		oct := s.monthReport(s.customerToken(f), f.SubscriptionID, "2026-10")
		if oct == nil || oct.Status != "BREACHED" || oct.TicketsReceived != 1 || oct.FirstResponses != 1 {
			t.Fatalf("October after its back-filled mail = %+v, want BREACHED with one ticket (not frozen before the mail came)", oct)
		}
		if ev := s.mustEvaluate(f.SubscriptionID, "2026-10").EvaluateSLAMonth; ev.Met || ev.Credit == nil || ev.Credit.Amount.Cents != 80000 {
			t.Fatalf("staff evaluating October = %+v, want an 80000-cent credit", ev)
		}
		if ev := s.mustEvaluate(f.SubscriptionID, "2026-09").EvaluateSLAMonth; !ev.Met || ev.Credit != nil {
			t.Fatalf("staff evaluating September = %+v, want met", ev)
		}
		if nov := s.monthReport(s.support(), f.SubscriptionID, "2026-11"); nov == nil || nov.Status != "MET" || nov.FirstResponses != 1 {
			t.Fatalf("November = %+v, want MET", nov)
		}
	})
}

// TestCutoffCountsAnUnansweredRequestAsMissed checks SPEC §2's cutoff: a
// first email on Saturday 31 October, answered on the next business day at
// 03:00, has run exactly one business hour at the cutoff (end of month plus
// one business hour). Unanswered at its target, it has missed it: the month
// is BREACHED, and the ticket says breached from that instant too. In UTC
// the clock starts Monday 00:00; in New York the month ends in daylight
// time, the next business day is Tuesday (Monday is a holiday) in standard
// time.
func TestCutoffCountsAnUnansweredRequestAsMissed(t *testing.T) {
	cases := []struct {
		name                    string
		domain                  string
		env                     map[string]string
		received, cutoff, reply string // UTC
	}{
		{"UTC", "weekend-utc.example", nil, "2026-10-31 22:00", "2026-11-02 01:00", "2026-11-02 03:00"},
		{"New York with a holiday", "weekend-ny.example", monthsNewYork, "2026-11-01 02:00", "2026-11-03 06:00", "2026-11-03 08:00"},
	}
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				clock := newClock(utc(t, "2026-10-30 12:00"))
				s := newTestServerAt(t, databaseURL, clock.Now, tc.env)
				f := s.mustPriorityCustomer("Weekend "+tc.domain, utc(t, "2026-01-01 00:00"), tc.domain)
				clock.Set(utc(t, tc.received).Add(time.Minute))
				open := s.exchange("ann@"+tc.domain, "sat@"+tc.domain, utc(t, tc.received), time.Time{})
				cutoff := utc(t, tc.cutoff)

				clock.Set(cutoff.Add(-time.Second))
				if r := s.mustReport(s.customerToken(f), f.SubscriptionID, "2026-10"); r.Final || r.Status != "AT_RISK" {
					t.Errorf("a second before the cutoff: %+v, want live AT_RISK", r)
				}
				if tk := s.mustTicket(open.TicketID); tk.Sla == nil || tk.Sla.Breached || *tk.Sla.BusinessSecondsLeft != 1 {
					t.Errorf("ticket a second before due: %+v, want 1 second left, not breached", tk.Sla)
				}

				clock.Set(cutoff)
				tk := s.mustTicket(open.TicketID)
				if tk.Sla == nil || tk.Sla.CurrentDueAt == nil || !tk.Sla.CurrentDueAt.Equal(cutoff) || *tk.Sla.BusinessSecondsLeft != 0 || !tk.Sla.Breached {
					t.Errorf("ticket at its due time, unanswered: %+v, want breached with 0 seconds left", tk.Sla)
				}
				want := reportView{Month: "2026-10", Final: true, Met: false, Status: "BREACHED", TicketsReceived: 1, FirstResponses: 1}
				if r := s.mustReport(s.customerToken(f), f.SubscriptionID, "2026-10"); r != want {
					t.Errorf("October at the cutoff = %+v, want %+v", r, want)
				}

				// Answered two business hours late: the ticket and the month agree.
				clock.Set(utc(t, tc.reply).Add(time.Minute))
				s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Question", MessageID: "re-sat@" + tc.domain, InReplyTo: "sat@" + tc.domain, Received: utc(t, tc.reply)})
				tk = s.mustTicket(open.TicketID)
				if tk.Sla == nil || !tk.Sla.Breached || *tk.Sla.FirstResponseBusinessSeconds != 3*3600 {
					t.Errorf("answered ticket: %+v, want breached after 3 business hours", tk.Sla)
				}
				if r := s.mustReport(s.customerToken(f), f.SubscriptionID, "2026-10"); r != want {
					t.Errorf("October after the reply = %+v, want %+v", r, want)
				}
				ev := s.mustEvaluate(f.SubscriptionID, "2026-10").EvaluateSLAMonth
				if ev.Met || ev.Status != "BREACHED" || ev.Credit == nil || ev.Credit.Amount.Cents != 80000 {
					t.Errorf("evaluated October = %+v, want BREACHED with an 80000-cent credit", ev)
				}
			})
		}
	})
}

// TestLiveMonthWithAnOverdueClock checks SPEC §2's live status: AT_RISK
// while a running follow-up is past its target even when the average so far
// holds, and BREACHED once a first response reaches its target unanswered.
// 9 November 2026 is a Monday; support hours are 24×5 UTC.
func TestLiveMonthWithAnOverdueClock(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-09 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		f := s.mustPriorityCustomer("Overdue Ltd", utc(t, "2026-01-01 00:00"), "overdue.example")
		// A first response in 10 minutes, two follow-ups in 5 minutes each,
		// then a third follow-up waiting from 12:00.
		thread := []struct {
			from string
			at   string
		}{
			{"ann@overdue.example", "09:00"}, {"bob@support.vendor.test", "09:10"},
			{"ann@overdue.example", "10:00"}, {"bob@support.vendor.test", "10:05"},
			{"ann@overdue.example", "11:00"}, {"bob@support.vendor.test", "11:05"},
			{"ann@overdue.example", "12:00"},
		}
		var ticket string
		for i, m := range thread {
			e := email{From: m.from, Subject: "Slow", MessageID: "ovd-" + string(rune('a'+i)) + "@overdue.example", Received: utc(t, "2026-11-09 "+m.at)}
			if i > 0 {
				e.InReplyTo = "ovd-" + string(rune('a'+i-1)) + "@overdue.example"
			}
			clock.Set(e.Received)
			if r := s.mustIngest(e); i == 0 {
				ticket = r.TicketID
			}
		}
		status := func(at string) string {
			clock.Set(utc(t, "2026-11-09 "+at))
			return s.mustReport(s.customerToken(f), f.SubscriptionID, "2026-11").Status
		}
		if got := status("12:30"); got != "ON_TRACK" {
			t.Errorf("follow-up at 30 minutes: %s, want ON_TRACK", got)
		}
		if got := status("12:50"); got != "AT_RISK" {
			t.Errorf("follow-up with 10 minutes left: %s, want AT_RISK", got)
		}
		if got := status("13:10"); got != "AT_RISK" {
			t.Errorf("follow-up 10 minutes past its target (average so far 26:40): %s, want AT_RISK", got)
		}
		if tk := s.mustTicket(ticket); tk.Sla == nil || !tk.Sla.Breached {
			t.Errorf("ticket with an overdue follow-up: %+v, want breached", tk.Sla)
		}
		s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Slow", MessageID: "ovd-z@overdue.example", InReplyTo: "ovd-g@overdue.example", Received: utc(t, "2026-11-09 13:15")})
		if got := status("13:20"); got != "ON_TRACK" {
			t.Errorf("after the late follow-up was answered (average 28:20): %s, want ON_TRACK", got)
		}

		// A new request unanswered at exactly its target.
		s.mustIngest(email{From: "cy@overdue.example", Subject: "Another", MessageID: "ovd-new@overdue.example", Received: utc(t, "2026-11-09 14:00")})
		if got := status("14:59"); got != "AT_RISK" {
			t.Errorf("first response with a minute left: %s, want AT_RISK", got)
		}
		if got := status("15:00"); got != "BREACHED" {
			t.Errorf("first response at its target, unanswered: %s, want BREACHED", got)
		}
	})
}
