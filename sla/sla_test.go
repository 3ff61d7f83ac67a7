package sla

import (
	"testing"
	"time"

	"github.com/prioritysupport/backend/bizhours"
)

// at parses a UTC instant "2006-01-02 15:04".
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func terms() Terms {
	return Terms{Calendar: bizhours.Default(), FirstResponse: time.Hour, FollowUp: time.Hour}
}

func TestReplay(t *testing.T) {
	// 2026-11-02 is a Monday.
	type clk struct {
		kind     ClockKind
		start    string
		stop     string // "" while running
		business time.Duration
		met      bool
	}
	cases := []struct {
		name     string
		priority bool
		events   []struct {
			at   string
			kind EventKind
		}
		want     []clk
		resolved bool
	}{
		{
			name: "first response in time", priority: true,
			events: []struct {
				at   string
				kind EventKind
			}{{"2026-11-02 09:00", CustomerMessage}, {"2026-11-02 09:40", SupportReply}},
			want: []clk{{FirstResponse, "2026-11-02 09:00", "2026-11-02 09:40", 40 * time.Minute, true}},
		},
		{
			name: "several customer emails before one reply make one clock", priority: true,
			events: []struct {
				at   string
				kind EventKind
			}{{"2026-11-02 09:00", CustomerMessage}, {"2026-11-02 09:10", CustomerMessage}, {"2026-11-02 09:20", CustomerMessage}, {"2026-11-02 10:01", SupportReply}},
			want: []clk{{FirstResponse, "2026-11-02 09:00", "2026-11-02 10:01", 61 * time.Minute, false}},
		},
		{
			name: "follow-up after the first response", priority: true,
			events: []struct {
				at   string
				kind EventKind
			}{{"2026-11-02 09:00", CustomerMessage}, {"2026-11-02 09:30", SupportReply}, {"2026-11-02 11:00", CustomerMessage}, {"2026-11-02 11:59", SupportReply}},
			want: []clk{
				{FirstResponse, "2026-11-02 09:00", "2026-11-02 09:30", 30 * time.Minute, true},
				{FollowUp, "2026-11-02 11:00", "2026-11-02 11:59", 59 * time.Minute, true},
			},
		},
		{
			name: "auto-acknowledgement does not stop a clock", priority: true,
			events: []struct {
				at   string
				kind EventKind
			}{{"2026-11-02 09:00", CustomerMessage}, {"2026-11-02 09:00", SupportMachine}, {"2026-11-02 09:50", SupportReply}},
			want: []clk{{FirstResponse, "2026-11-02 09:00", "2026-11-02 09:50", 50 * time.Minute, true}},
		},
		{
			name: "out-of-office reply starts no clock", priority: true,
			events: []struct {
				at   string
				kind EventKind
			}{{"2026-11-02 09:00", CustomerMessage}, {"2026-11-02 09:30", SupportReply}, {"2026-11-02 09:31", CustomerMachine}},
			want: []clk{{FirstResponse, "2026-11-02 09:00", "2026-11-02 09:30", 30 * time.Minute, true}},
		},
		{
			name: "resolution stops the clock; a customer message reopens with a follow-up", priority: true,
			events: []struct {
				at   string
				kind EventKind
			}{{"2026-11-02 09:00", CustomerMessage}, {"2026-11-02 09:20", Resolve}, {"2026-11-03 08:00", CustomerMessage}},
			want: []clk{
				{FirstResponse, "2026-11-02 09:00", "2026-11-02 09:20", 20 * time.Minute, true},
				{FollowUp, "2026-11-03 08:00", "", 0, false},
			},
		},
		{
			name: "a manual reopen starts a follow-up", priority: true,
			events: []struct {
				at   string
				kind EventKind
			}{{"2026-11-02 09:00", CustomerMessage}, {"2026-11-02 09:10", SupportReply}, {"2026-11-02 09:20", Resolve}, {"2026-11-02 12:00", Reopen}},
			want: []clk{
				{FirstResponse, "2026-11-02 09:00", "2026-11-02 09:10", 10 * time.Minute, true},
				{FollowUp, "2026-11-02 12:00", "", 0, false},
			},
		},
		{
			name: "late mail is replayed in time order", priority: true,
			events: []struct {
				at   string
				kind EventKind
			}{{"2026-11-02 09:30", SupportReply}, {"2026-11-02 09:00", CustomerMessage}},
			want: []clk{{FirstResponse, "2026-11-02 09:00", "2026-11-02 09:30", 30 * time.Minute, true}},
		},
		{
			name: "resolved ticket stays resolved after machine mail", priority: true,
			events: []struct {
				at   string
				kind EventKind
			}{{"2026-11-02 09:00", CustomerMessage}, {"2026-11-02 09:05", Resolve}, {"2026-11-02 09:06", CustomerMachine}},
			want:     []clk{{FirstResponse, "2026-11-02 09:00", "2026-11-02 09:05", 5 * time.Minute, true}},
			resolved: true,
		},
		{
			name: "ordinary tickets have no clocks", priority: false,
			events: []struct {
				at   string
				kind EventKind
			}{{"2026-11-02 09:00", CustomerMessage}, {"2026-11-02 12:00", SupportReply}, {"2026-11-02 13:00", Resolve}},
			resolved: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var evs []Event
			for _, e := range tc.events {
				evs = append(evs, Event{At: at(t, e.at), Kind: e.kind})
			}
			out := Replay(evs, terms(), tc.priority)
			if out.Resolved != tc.resolved {
				t.Errorf("resolved = %v, want %v", out.Resolved, tc.resolved)
			}
			if len(out.Clocks) != len(tc.want) {
				t.Fatalf("got %d clocks %+v, want %d", len(out.Clocks), out.Clocks, len(tc.want))
			}
			for i, w := range tc.want {
				c := out.Clocks[i]
				if c.Seq != i+1 || c.Kind != w.kind || !c.StartedAt.Equal(at(t, w.start)) {
					t.Errorf("clock %d = %s seq %d from %s, want %s from %s", i, c.Kind, c.Seq, c.StartedAt, w.kind, w.start)
				}
				if w.stop == "" {
					if !c.Running() {
						t.Errorf("clock %d stopped at %s, want running", i, c.StoppedAt)
					}
					continue
				}
				if !c.StoppedAt.Equal(at(t, w.stop)) || c.Business != w.business || c.Met != w.met {
					t.Errorf("clock %d stopped %s after %s met %v, want %s after %s met %v", i, c.StoppedAt, c.Business, c.Met, w.stop, w.business, w.met)
				}
			}
		})
	}
}

func TestReplayDueAcrossWeekend(t *testing.T) {
	out := Replay([]Event{{At: at(t, "2026-11-06 23:30"), Kind: CustomerMessage}}, terms(), true)
	if len(out.Clocks) != 1 || !out.Clocks[0].DueAt.Equal(at(t, "2026-11-09 00:30")) {
		t.Fatalf("clocks = %+v, want one due Monday 00:30", out.Clocks)
	}
	if out.Clocks[0].Month != "2026-11" {
		t.Errorf("month = %q", out.Clocks[0].Month)
	}
}

// stopped returns a stopped clock of kind that started at start and took d
// of business time (on weekdays, without crossing a weekend).
func stopped(t *testing.T, kind ClockKind, start string, d time.Duration) Clock {
	s := at(t, start)
	return Clock{Kind: kind, Month: s.Format("2006-01"), StartedAt: s, DueAt: s.Add(time.Hour), Target: time.Hour,
		StoppedAt: s.Add(d), Business: d, Met: d <= time.Hour}
}

func running(t *testing.T, kind ClockKind, start string) Clock {
	s := at(t, start)
	return Clock{Kind: kind, Month: s.Format("2006-01"), StartedAt: s, DueAt: s.Add(time.Hour), Target: time.Hour}
}

func TestReport(t *testing.T) {
	cal := bizhours.Default()
	final := at(t, "2026-12-15 12:00")
	cases := []struct {
		name     string
		clocks   []Clock
		now      time.Time
		status   Status
		met      bool
		firstMet int
		avg      time.Duration // -1: none
	}{
		{"no tickets is met", nil, final, Met, true, 0, -1},
		{"all in time, follow-ups averaging 59 minutes", []Clock{
			stopped(t, FirstResponse, "2026-11-02 09:00", 50*time.Minute),
			stopped(t, FollowUp, "2026-11-02 11:00", 58*time.Minute),
			stopped(t, FollowUp, "2026-11-03 11:00", 60*time.Minute),
		}, final, Met, true, 1, 59 * time.Minute},
		{"one first response at 61 minutes breaches the month", []Clock{
			stopped(t, FirstResponse, "2026-11-02 09:00", 61*time.Minute),
			stopped(t, FirstResponse, "2026-11-03 09:00", 10*time.Minute),
		}, final, Breached, false, 1, -1},
		{"follow-up average above target breaches", []Clock{
			stopped(t, FirstResponse, "2026-11-02 09:00", 10*time.Minute),
			stopped(t, FollowUp, "2026-11-02 11:00", 30*time.Minute),
			stopped(t, FollowUp, "2026-11-03 11:00", 91*time.Minute),
		}, final, Breached, false, 1, 60*time.Minute + 30*time.Second},
		{"a slow follow-up is fine when the average holds", []Clock{
			stopped(t, FollowUp, "2026-11-02 11:00", 20*time.Minute),
			stopped(t, FollowUp, "2026-11-03 11:00", 100*time.Minute),
		}, final, Met, true, 0, time.Hour},
		{"clocks of another month do not count", []Clock{
			stopped(t, FirstResponse, "2026-10-30 09:00", 5*time.Hour),
		}, final, Met, true, 0, -1},
		{"live: on track", []Clock{
			stopped(t, FirstResponse, "2026-11-02 09:00", 10*time.Minute),
			running(t, FirstResponse, "2026-11-10 09:00"),
		}, at(t, "2026-11-10 09:30"), OnTrack, true, 1, -1},
		{"live: at risk under 15 minutes left", []Clock{
			running(t, FirstResponse, "2026-11-10 09:00"),
		}, at(t, "2026-11-10 09:50"), AtRisk, true, 0, -1},
		{"live: breached once a first response is overdue", []Clock{
			running(t, FirstResponse, "2026-11-10 09:00"),
		}, at(t, "2026-11-10 10:01"), Breached, false, 0, -1},
		{"final: a still-running clock counts up to the cutoff", []Clock{
			running(t, FirstResponse, "2026-11-30 23:30"),
		}, final, Breached, false, 0, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Report(cal, Life{From: at(t, "2026-01-01 00:00")}, "2026-11", tc.clocks, nil, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.status || r.Met != tc.met || r.FirstResponsesMet != tc.firstMet {
				t.Errorf("report = %s met %v firstMet %d, want %s met %v firstMet %d", r.Status, r.Met, r.FirstResponsesMet, tc.status, tc.met, tc.firstMet)
			}
			if r.Final != !tc.now.Before(at(t, "2026-12-01 01:00")) {
				t.Errorf("final = %v at %s", r.Final, tc.now)
			}
			switch {
			case tc.avg < 0 && r.AverageFollowUp != nil:
				t.Errorf("average = %s, want none", *r.AverageFollowUp)
			case tc.avg >= 0 && (r.AverageFollowUp == nil || *r.AverageFollowUp != tc.avg):
				t.Errorf("average = %v, want %s", r.AverageFollowUp, tc.avg)
			}
		})
	}
}

func TestCutoff(t *testing.T) {
	cal := bizhours.Default()
	// November 2026 ends on a Monday at 00:00 (December 1 is a Tuesday);
	// May 2026 ends on a Sunday, so its cutoff is Monday 01:00.
	for month, want := range map[string]string{"2026-11": "2026-12-01 01:00", "2026-05": "2026-06-01 01:00", "2026-01": "2026-02-02 01:00"} {
		got, err := Cutoff(cal, month)
		if err != nil || !got.Equal(at(t, want)) {
			t.Errorf("Cutoff(%s) = %s, %v; want %s", month, got, err, want)
		}
	}
	if _, err := Cutoff(cal, "2026-13"); err == nil {
		t.Error("Cutoff(2026-13) did not fail")
	}
}

func TestTicketState(t *testing.T) {
	cal := bizhours.Default()
	if TicketState(cal, nil, at(t, "2026-11-02 09:00")) != nil {
		t.Fatal("state without clocks is not nil")
	}
	clocks := []Clock{stopped(t, FirstResponse, "2026-11-02 09:00", 30*time.Minute), running(t, FollowUp, "2026-11-02 11:00")}
	st := TicketState(cal, clocks, at(t, "2026-11-02 11:45"))
	if st.FirstRespondedAt == nil || *st.FirstResponseBusiness != 30*time.Minute || st.Breached {
		t.Errorf("state = %+v", st)
	}
	if st.CurrentDueAt == nil || !st.CurrentDueAt.Equal(at(t, "2026-11-02 12:00")) || *st.BusinessLeft != 15*time.Minute {
		t.Errorf("running = %v left %v", st.CurrentDueAt, st.BusinessLeft)
	}
	st = TicketState(cal, clocks, at(t, "2026-11-02 12:10"))
	if !st.Breached || *st.BusinessLeft != -10*time.Minute {
		t.Errorf("overdue state = %+v left %v", st, *st.BusinessLeft)
	}
}
