package sla_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/prioritysupport/backend/bizhours"
	"github.com/prioritysupport/backend/sla"
)

// TestFinalReportAsReport: for random months of clocks (first responses
// and follow-ups, answered in time, late or exactly at their target,
// stopped by replies or resolutions, running at the cutoff or answered
// after it, outside the subscription's life, of other months, started
// after the cutoff), FinalReport over the sums of the clocks stopped by the
// cutoff and the list of the others is Report's final report, field for
// field.
func TestFinalReportAsReport(t *testing.T) {
	for _, zone := range []string{"UTC", "America/New_York"} {
		cal, err := bizhours.New(zone, nil, []string{"2026-11-26"})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, uint64(len(zone))))
		month := "2026-11"
		start, end, err := cal.MonthBounds(month)
		if err != nil {
			t.Fatal(err)
		}
		cutoff, err := sla.Cutoff(cal, month)
		if err != nil {
			t.Fatal(err)
		}
		span := end.Sub(start)
		outcomes := map[sla.Status]int{}
		for i := range 3000 {
			life := sla.Life{From: start.Add(-time.Hour)}
			switch i % 5 {
			case 1:
				life.From = start.Add(time.Duration(rng.Int64N(int64(span))))
			case 2:
				life.To = start.Add(time.Duration(rng.Int64N(int64(span))))
			case 3:
				life.To = end.Add(time.Duration(rng.Int64N(int64(2 * time.Hour))))
			}
			target := []time.Duration{time.Hour, 2 * time.Hour, 30 * time.Minute}[rng.IntN(3)]
			var clocks []sla.Clock
			var opened []time.Time
			for range rng.IntN(12) {
				at := start.Add(time.Duration(rng.Int64N(int64(span+3*time.Hour))) - time.Hour)
				opened = append(opened, at)
				c := sla.Clock{Kind: sla.FirstResponse, Month: cal.Month(at), StartedAt: at, Target: target}
				if rng.IntN(2) == 0 {
					c.Kind = sla.FollowUp
				}
				if rng.IntN(6) == 0 { // a clock of a longer month end
					c.StartedAt = end.Add(-time.Duration(rng.IntN(90)) * time.Minute)
					c.Month = cal.Month(c.StartedAt)
				}
				switch rng.IntN(5) {
				case 0: // running
				default:
					c.StoppedAt = c.StartedAt.Add(time.Duration(rng.IntN(180)) * time.Minute)
					if rng.IntN(4) == 0 {
						c.StoppedAt = cutoff.Add(time.Duration(rng.IntN(60)-20) * time.Minute)
					}
					c.StoppedBy = sla.StoppedByReply
					if rng.IntN(4) == 0 {
						c.StoppedBy = sla.StoppedByResolution
					}
					switch rng.IntN(3) {
					case 0:
						c.Business = c.Target
					default:
						c.Business = cal.BusinessDuration(c.StartedAt, c.StoppedAt).Round(time.Second)
					}
					c.Met = c.Business <= c.Target
				}
				clocks = append(clocks, c)
			}
			want, err := sla.Report(cal, life, month, clocks, opened, cutoff.Add(time.Duration(rng.IntN(3))*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var totals sla.StoppedTotals
			var open []sla.Clock
			for _, c := range clocks {
				counted := c.Month == month && !c.StartedAt.After(cutoff) && life.Active(c.StartedAt)
				if !counted || c.Running() || c.StoppedAt.After(cutoff) {
					open = append(open, c)
					continue
				}
				if c.Kind == sla.FirstResponse {
					totals.FirstResponses++
					totals.FirstResponseBusiness += c.Business
					if c.Business > c.Target {
						totals.FirstResponsesOver++
					}
					if c.StoppedBy == sla.StoppedByResolution {
						totals.FirstResponsesByResolution++
					}
				} else {
					totals.FollowUps++
					totals.FollowUpBusiness += c.Business
					totals.FollowUpTargets += c.Target
				}
			}
			tickets := 0
			for _, o := range opened {
				if life.Active(o) && cal.Month(o) == month {
					tickets++
				}
			}
			got, err := sla.FinalReport(cal, life, month, totals, open, tickets)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s case %d: FinalReport\n%+v\nReport\n%+v\nclocks %+v", zone, i, got, want, clocks)
			}
			outcomes[got.Status]++
			if len(open) > 0 && totals != (sla.StoppedTotals{}) {
				outcomes["both"]++
			}
		}
		if outcomes[sla.Met] < 300 || outcomes[sla.Breached] < 300 || outcomes["both"] < 300 {
			t.Errorf("%s: outcomes %v; the cases should cover met and breached months with both sums and listed clocks", zone, outcomes)
		}
	}
}
