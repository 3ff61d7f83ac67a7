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
// live before the month's cutoff, final after it, or nil when the month has
// no guarantee (before the subscription started, after it ended, or not yet
// begun). It returns BAD_USER_INPUT for a malformed month, NOT_FOUND (also
// for another customer's subscription), UNAUTHENTICATED or FORBIDDEN.
func (s *Store) SLAReport(ctx context.Context, subscriptionID, month string) (*sla.MonthReport, error) {
	if _, _, err := bizhours.ParseMonth(month); err != nil {
		return nil, models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
	}
	sub, err := s.FindSubscription(ctx, subscriptionID)
	if err != nil {
		return nil, err
	}
	cal, err := s.Calendar(sub.SLATimezone)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if ok, err := LifeOf(sub).HasMonth(cal, month, now); err != nil {
		return nil, models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
	} else if !ok {
		return nil, nil
	}
	reports, err := s.monthReports(ctx, s.db, []*models.SupportSubscription{sub}, [][]string{{month}}, now)
	if err != nil {
		return nil, fmt.Errorf("sla report: %w", err)
	}
	return &reports[0][0], nil
}

// LifeOf returns when a subscription was active: from its start until it
// was canceled or expired (an opt-out and a closed account cancel it).
func LifeOf(sub *models.SupportSubscription) sla.Life {
	life := sla.Life{From: sub.StartsAt}
	for _, t := range []time.Time{sub.CanceledAt, sub.ExpiredAt} {
		if !t.IsZero() && (life.To.IsZero() || t.Before(life.To)) {
			life.To = t
		}
	}
	return life
}

// SLAHistory returns the reports of a subscription's last months, newest
// first: the months it was active in, from the current month (or the month
// it ended in) back to the month it started in, at most months of them. It
// returns BAD_USER_INPUT when months is not between 1 and MaxHistoryMonths.
func (s *Store) SLAHistory(ctx context.Context, sub *models.SupportSubscription, months int) ([]sla.MonthReport, error) {
	out, err := s.SLAHistories(ctx, []*models.SupportSubscription{sub}, months)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// SLAHistories is SLAHistory for several subscriptions, in their order,
// with three queries whatever their number: for a dataloader. The
// subscriptions are the caller's to have read (scoped) already.
func (s *Store) SLAHistories(ctx context.Context, subs []*models.SupportSubscription, months int) ([][]sla.MonthReport, error) {
	if months < 1 || months > MaxHistoryMonths {
		return nil, models.Errorf(models.CodeBadUserInput, "months must be between 1 and %d", MaxHistoryMonths)
	}
	now := s.Now()
	lists := make([][]string, len(subs))
	for i, sub := range subs {
		cal, err := s.Calendar(sub.SLATimezone)
		if err != nil {
			return nil, err
		}
		lists[i] = LifeOf(sub).Months(cal, now, months)
	}
	out, err := s.monthReports(ctx, s.db, subs, lists, now)
	if err != nil {
		return nil, fmt.Errorf("sla history: %w", err)
	}
	return out, nil
}

// monthReports measures, for each subscription, the months of the same
// index in months at now, in the order given, with one query for their
// clocks, one for their priority tickets and one for the months frozen
// already, whose stored verdict stands. The months are the caller's to have
// checked against the subscription's life (sla.Life.HasMonth).
func (s *Store) monthReports(ctx context.Context, db bun.IDB, subs []*models.SupportSubscription, months [][]string, now time.Time) ([][]sla.MonthReport, error) {
	out := make([][]sla.MonthReport, len(subs))
	var ids, all []string
	var lo, hi time.Time
	terms := make([]sla.Terms, len(subs))
	for i, sub := range subs {
		out[i] = []sla.MonthReport{}
		if len(months[i]) == 0 {
			continue
		}
		var err error
		if terms[i], err = s.terms(sub); err != nil {
			return nil, err
		}
		ids = append(ids, sub.ID)
		for _, m := range months[i] {
			start, end, err := terms[i].Calendar.MonthBounds(m)
			if err != nil {
				return nil, models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
			}
			if lo.IsZero() || start.Before(lo) {
				lo = start
			}
			if end.After(hi) {
				hi = end
			}
			all = append(all, m)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []*models.Clock
	if err := db.NewSelect().Model(&rows).Where("k.subscription_id IN (?) AND k.month IN (?)", bun.In(ids), bun.In(all)).Scan(ctx); err != nil {
		return nil, err
	}
	clocks := make(map[string][]sla.Clock, len(ids))
	for _, r := range rows {
		clocks[r.SubscriptionID] = append(clocks[r.SubscriptionID], ClockOf(r))
	}
	var opened []struct {
		SubscriptionID string    `bun:"subscription_id"`
		OpenedAt       time.Time `bun:"opened_at"`
	}
	if err := db.NewSelect().Model((*models.Ticket)(nil)).Column("t.subscription_id", "t.opened_at").
		Where("t.subscription_id IN (?) AND t.priority = ? AND t.opened_at >= ? AND t.opened_at < ?", bun.In(ids), true, lo.UTC(), hi.UTC()).
		Scan(ctx, &opened); err != nil {
		return nil, err
	}
	openedBySub := make(map[string][]time.Time, len(ids))
	for _, o := range opened {
		openedBySub[o.SubscriptionID] = append(openedBySub[o.SubscriptionID], o.OpenedAt)
	}
	var frozenRows []*frozenMonth
	if err := db.NewSelect().Model(&frozenRows).Where("sm.subscription_id IN (?) AND sm.month IN (?)", bun.In(ids), bun.In(all)).Scan(ctx); err != nil {
		return nil, err
	}
	frozen := make(map[[2]string]*frozenMonth, len(frozenRows))
	for _, f := range frozenRows {
		frozen[[2]string{f.SubscriptionID, f.Month}] = f
	}
	for i, sub := range subs {
		if len(months[i]) == 0 {
			continue
		}
		cal, life := terms[i].Calendar, LifeOf(sub)
		out[i] = make([]sla.MonthReport, len(months[i]))
		for j, m := range months[i] {
			if f := frozen[[2]string{sub.ID, m}]; f != nil {
				out[i][j] = frozenReport(f)
				continue
			}
			r, err := sla.Report(cal, life, m, clocks[sub.ID], openedBySub[sub.ID], now)
			if err != nil {
				return nil, err
			}
			r.SubscriptionID = sub.ID
			out[i][j] = r
		}
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
