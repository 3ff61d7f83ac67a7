package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/bizhours"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
)

// MaxHistoryMonths bounds a subscription's SLA history.
const MaxHistoryMonths = 36

// SLAReport returns a subscription's SLA month ("YYYY-MM" in its SLA zone):
// live before the month's cutoff, final after it. It returns
// BAD_USER_INPUT for a malformed month, NOT_FOUND (also for another
// customer's subscription), UNAUTHENTICATED or FORBIDDEN.
func (s *Store) SLAReport(ctx context.Context, subscriptionID, month string) (*sla.MonthReport, error) {
	if _, _, err := bizhours.ParseMonth(month); err != nil {
		return nil, models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
	}
	sub, err := s.FindSubscription(ctx, subscriptionID)
	if err != nil {
		return nil, err
	}
	reports, err := s.monthReports(ctx, s.db, sub, []string{month}, s.Now())
	if err != nil {
		return nil, fmt.Errorf("sla report: %w", err)
	}
	return &reports[0], nil
}

// SLAHistory returns the reports of a subscription's last months, newest
// first, from the current month back to the month it started in, at most
// months of them. It returns BAD_USER_INPUT when months is not between 1
// and MaxHistoryMonths.
func (s *Store) SLAHistory(ctx context.Context, sub *models.SupportSubscription, months int) ([]sla.MonthReport, error) {
	if months < 1 || months > MaxHistoryMonths {
		return nil, models.Errorf(models.CodeBadUserInput, "months must be between 1 and %d", MaxHistoryMonths)
	}
	cal, err := s.Calendar(sub.SLATimezone)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if now.Before(sub.StartsAt) {
		return []sla.MonthReport{}, nil
	}
	first := cal.Month(sub.StartsAt)
	var list []string
	for t := now.In(cal.Location()); len(list) < months; {
		m := cal.Month(t)
		if m < first {
			break
		}
		list = append(list, m)
		y, mo, _ := t.Date()
		t = time.Date(y, mo-1, 1, 12, 0, 0, 0, cal.Location())
	}
	if len(list) == 0 {
		return []sla.MonthReport{}, nil
	}
	reports, err := s.monthReports(ctx, s.db, sub, list, now)
	if err != nil {
		return nil, fmt.Errorf("sla history: %w", err)
	}
	return reports, nil
}

// monthReports measures the given months of a subscription at now, in the
// order given, with one query for their clocks, one for their tickets and
// one for the months frozen already, whose stored verdict stands.
func (s *Store) monthReports(ctx context.Context, db bun.IDB, sub *models.SupportSubscription, months []string, now time.Time) ([]sla.MonthReport, error) {
	terms, err := s.terms(sub)
	if err != nil {
		return nil, err
	}
	cal := terms.Calendar
	var lo, hi time.Time
	for _, m := range months {
		start, end, err := cal.MonthBounds(m)
		if err != nil {
			return nil, models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
		}
		if lo.IsZero() || start.Before(lo) {
			lo = start
		}
		if end.After(hi) {
			hi = end
		}
	}
	var rows []*models.Clock
	if err := db.NewSelect().Model(&rows).Where("k.subscription_id = ? AND k.month IN (?)", sub.ID, bun.In(months)).Scan(ctx); err != nil {
		return nil, err
	}
	var opened []time.Time
	if err := db.NewSelect().Model((*models.Ticket)(nil)).Column("t.opened_at").
		Where("t.subscription_id = ? AND t.priority = ? AND t.opened_at >= ? AND t.opened_at < ?", sub.ID, true, lo.UTC(), hi.UTC()).
		Scan(ctx, &opened); err != nil {
		return nil, err
	}
	received := make(map[string]int, len(months))
	for _, at := range opened {
		received[cal.Month(at)]++
	}
	frozen, err := frozenMonths(ctx, db, sub.ID, months)
	if err != nil {
		return nil, err
	}
	clocks := make([]sla.Clock, len(rows))
	for i, r := range rows {
		clocks[i] = ClockOf(r)
	}
	out := make([]sla.MonthReport, len(months))
	for i, m := range months {
		if f := frozen[m]; f != nil {
			out[i] = frozenReport(f)
			continue
		}
		r, err := sla.Report(cal, m, clocks, received[m], now)
		if err != nil {
			return nil, err
		}
		r.SubscriptionID = sub.ID
		out[i] = r
	}
	return out, nil
}

// ClockOf returns the sla form of a stored clock.
func ClockOf(r *models.Clock) sla.Clock {
	c := sla.Clock{
		Seq: r.Seq, Kind: sla.ClockKind(r.Kind), Month: r.Month, StartedAt: r.StartedAt, DueAt: r.DueAt,
		Target: time.Duration(r.TargetSeconds) * time.Second, StoppedAt: r.StoppedAt, StoppedBy: r.StoppedBy,
	}
	if r.BusinessSeconds != nil {
		c.Business = time.Duration(*r.BusinessSeconds) * time.Second
	}
	if r.Met != nil {
		c.Met = *r.Met
	}
	return c
}

// TicketSLA returns a ticket's live SLA state from its subscription and
// stored clocks, or nil for an ordinary ticket or one whose clock has not
// started.
func (s *Store) TicketSLA(t *models.Ticket, sub *models.SupportSubscription, rows []*models.Clock) (*sla.TicketSLA, error) {
	if !t.Priority || sub == nil || len(rows) == 0 {
		return nil, nil
	}
	cal, err := s.Calendar(sub.SLATimezone)
	if err != nil {
		return nil, err
	}
	clocks := make([]sla.Clock, len(rows))
	for i, r := range rows {
		clocks[i] = ClockOf(r)
	}
	return sla.TicketState(cal, clocks, s.Now()), nil
}
