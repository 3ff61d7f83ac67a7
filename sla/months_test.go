package sla

import (
	"slices"
	"testing"
	"time"

	"github.com/prioritysupport/backend/bizhours"
)

// newYork is 24×5 support in New York with Monday 2 November 2026 a holiday;
// daylight saving time ends on Sunday 1 November 2026.
func newYork(t *testing.T) *bizhours.Calendar {
	t.Helper()
	cal, err := bizhours.New("America/New_York", nil, []string{"2026-11-02"})
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func TestLifeMonths(t *testing.T) {
	cal := bizhours.Default()
	now := at(t, "2026-11-18 12:00")
	cases := []struct {
		name string
		life Life
		now  time.Time
		want []string
	}{
		{"active since mid-September", Life{From: at(t, "2026-09-15 12:00")}, now, []string{"2026-11", "2026-10", "2026-09"}},
		{"ended in October", Life{From: at(t, "2026-09-15 12:00"), To: at(t, "2026-10-20 00:00")}, now, []string{"2026-10", "2026-09"}},
		{"ended at the first instant of October", Life{From: at(t, "2026-09-15 12:00"), To: at(t, "2026-10-01 00:00")}, now, []string{"2026-09"}},
		{"not started yet", Life{From: at(t, "2026-12-01 00:00")}, now, []string{}},
		{"ended before it started", Life{From: at(t, "2026-12-01 00:00"), To: at(t, "2026-11-10 00:00")}, now, []string{}},
		{"at most n", Life{From: at(t, "2025-01-01 00:00")}, now, []string{"2026-11", "2026-10", "2026-09", "2026-08"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.life.Months(cal, tc.now, 4)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Months = %v, want %v", got, tc.want)
			}
			for _, m := range []string{"2025-12", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"} {
				has, err := tc.life.HasMonth(cal, m, tc.now)
				if err != nil {
					t.Fatal(err)
				}
				if want := slices.Contains(tc.life.Months(cal, tc.now, 36), m); has != want {
					t.Errorf("HasMonth(%s) = %v, want %v", m, has, want)
				}
			}
		})
	}
	if _, err := (Life{}).HasMonth(cal, "2026-13", now); err == nil {
		t.Error("HasMonth(2026-13) did not fail")
	}

	// In New York, a subscription that ended at 03:00 UTC on 1 December
	// ended on 30 November.
	ny := newYork(t)
	life := Life{From: at(t, "2026-10-01 04:00"), To: at(t, "2026-12-01 03:00")}
	if got := life.Months(ny, at(t, "2026-12-15 12:00"), 12); !slices.Equal(got, []string{"2026-11", "2026-10"}) {
		t.Errorf("New York months = %v", got)
	}
	if has, _ := life.HasMonth(ny, "2026-12", at(t, "2026-12-15 12:00")); has {
		t.Error("December has a guarantee in New York")
	}
}

func TestEvaluatedAutomatically(t *testing.T) {
	// October's cutoff is 1 business hour after its end: Monday 2 November
	// 01:00 in UTC; in New York, with Monday a holiday, Tuesday 3 November
	// 01:00 EST (06:00 UTC).
	recorded := at(t, "2026-11-02 12:00")
	for _, tc := range []struct {
		name string
		cal  *bizhours.Calendar
		want bool
	}{{"UTC", bizhours.Default(), false}, {"New York", newYork(t), true}} {
		got, err := EvaluatedAutomatically(tc.cal, "2026-10", recorded)
		if err != nil || got != tc.want {
			t.Errorf("%s: October automatic = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if got, _ := EvaluatedAutomatically(bizhours.Default(), "2026-11", recorded); !got {
		t.Error("November of a subscription recorded in November is not automatic")
	}
}

func TestReportAtTheCutoff(t *testing.T) {
	for _, tc := range []struct {
		name            string
		cal             *bizhours.Calendar
		received, reply string // UTC
		cutoff          string
	}{
		{"UTC", bizhours.Default(), "2026-10-31 22:00", "2026-11-02 03:00", "2026-11-02 01:00"},
		{"New York with a holiday", newYork(t), "2026-11-01 02:00", "2026-11-03 08:00", "2026-11-03 06:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			terms := Terms{Calendar: tc.cal, FirstResponse: time.Hour, FollowUp: time.Hour}
			if c, _ := Cutoff(tc.cal, "2026-10"); !c.Equal(at(t, tc.cutoff)) {
				t.Fatalf("cutoff = %s, want %s", c, tc.cutoff)
			}
			life := Life{From: at(t, "2026-01-01 00:00")}
			running := Replay([]Event{{At: at(t, tc.received), Kind: CustomerMessage}}, terms, true).Clocks
			answered := Replay([]Event{{At: at(t, tc.received), Kind: CustomerMessage}, {At: at(t, tc.reply), Kind: SupportReply}}, terms, true).Clocks
			if running[0].Month != "2026-10" {
				t.Fatalf("month = %s", running[0].Month)
			}
			for name, clocks := range map[string][]Clock{"running": running, "answered after the cutoff": answered} {
				r, err := Report(tc.cal, life, "2026-10", clocks, []time.Time{at(t, tc.received)}, at(t, tc.cutoff))
				if err != nil {
					t.Fatal(err)
				}
				if !r.Final || r.Met || r.Status != Breached || r.FirstResponsesMet != 0 || r.FirstResponsesMissed != 1 || *r.FirstResponsesRunning != 1 || r.TicketsReceived != 1 {
					t.Errorf("%s: report at the cutoff = %+v, want BREACHED with one missed", name, r)
				}
			}
			st := TicketState(tc.cal, running, at(t, tc.cutoff))
			if !st.Breached || *st.BusinessLeft != 0 {
				t.Errorf("ticket at its due time = %+v, want breached", st)
			}
			if st := TicketState(tc.cal, running, at(t, tc.cutoff).Add(-time.Second)); st.Breached {
				t.Errorf("ticket a second before due = %+v, want not breached", st)
			}
		})
	}
}

func TestReportLiveAndCounts(t *testing.T) {
	cal := bizhours.Default()
	life := Life{From: at(t, "2026-01-01 00:00")}
	quick := []Clock{
		stopped(t, FirstResponse, "2026-11-09 09:00", 10*time.Minute),
		stopped(t, FollowUp, "2026-11-09 10:00", 5*time.Minute),
		stopped(t, FollowUp, "2026-11-09 11:00", 5*time.Minute),
	}
	cases := []struct {
		name   string
		clocks []Clock
		now    string
		want   Status
	}{
		{"a follow-up past its target while the average holds is at risk", append(quick[:3:3], running(t, FollowUp, "2026-11-09 12:00")), "2026-11-09 13:10", AtRisk},
		{"a follow-up with 10 minutes left is at risk", append(quick[:3:3], running(t, FollowUp, "2026-11-09 12:00")), "2026-11-09 12:50", AtRisk},
		{"a follow-up with 30 minutes left is on track", append(quick[:3:3], running(t, FollowUp, "2026-11-09 12:00")), "2026-11-09 12:30", OnTrack},
		{"a first response at its target unanswered breaches", append(quick[:3:3], running(t, FirstResponse, "2026-11-09 14:00")), "2026-11-09 15:00", Breached},
		{"a first response answered at exactly its target is met", []Clock{stopped(t, FirstResponse, "2026-11-09 14:00", time.Hour)}, "2026-11-09 15:00", OnTrack},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Report(cal, life, "2026-11", tc.clocks, nil, at(t, tc.now))
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.want {
				t.Errorf("status = %s, want %s", r.Status, tc.want)
			}
		})
	}

	t.Run("a follow-up running at exactly its target makes an average at the target missed", func(t *testing.T) {
		clocks := []Clock{stopped(t, FollowUp, "2026-11-09 10:00", time.Hour), running(t, FollowUp, "2026-11-09 12:00")}
		r, _ := Report(cal, life, "2026-11", clocks, nil, at(t, "2026-11-09 13:00"))
		if r.Met || r.Status != AtRisk {
			t.Errorf("report = %s met %v, want AT_RISK, not met", r.Status, r.Met)
		}
	})

	t.Run("counts", func(t *testing.T) {
		resolved := stopped(t, FirstResponse, "2026-11-03 09:00", 20*time.Minute)
		resolved.StoppedBy = StoppedByResolution
		clocks := []Clock{
			stopped(t, FirstResponse, "2026-11-02 09:00", 30*time.Minute),
			resolved,
			stopped(t, FirstResponse, "2026-11-04 09:00", 90*time.Minute),
			running(t, FirstResponse, "2026-11-05 09:00"),
			running(t, FirstResponse, "2026-11-18 13:00"), // after the end: not counted
		}
		life := Life{From: at(t, "2026-01-01 00:00"), To: at(t, "2026-11-18 12:00")}
		opened := []time.Time{at(t, "2026-11-02 09:00"), at(t, "2026-11-18 13:00"), at(t, "2026-10-30 09:00")}
		for _, c := range []struct {
			now                                  string
			met, missed, answered, running, recv int
		}{{"2026-11-05 09:30", 2, 1, 3, 1, 1}, {"2026-12-15 00:00", 2, 2, 3, 1, 1}} {
			r, err := Report(cal, life, "2026-11", clocks, opened, at(t, c.now))
			if err != nil {
				t.Fatal(err)
			}
			if r.FirstResponses != 4 || r.FirstResponsesMet != c.met || r.FirstResponsesMissed != c.missed || *r.FirstResponsesAnswered != c.answered ||
				*r.FirstResponsesRunning != c.running || *r.FirstResponsesByResolution != 1 || *r.AverageFirstResponse != 2800*time.Second || r.TicketsReceived != c.recv {
				t.Errorf("at %s: %+v", c.now, r)
			}
		}
		r, _ := Report(cal, life, "2026-10", nil, nil, at(t, "2026-12-15 00:00"))
		if r.AverageFirstResponse != nil || *r.FirstResponsesAnswered != 0 {
			t.Errorf("empty month: %+v", r)
		}
	})
}
