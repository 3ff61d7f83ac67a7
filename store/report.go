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
	clocks, err := monthClocks(ctx, db, ids, all)
	if err != nil {
		return nil, err
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

// reportClock is the part of a stored clock that a month report reads.
type reportClock struct {
	SubscriptionID  string    `bun:"subscription_id"`
	Seq             int       `bun:"seq"`
	Kind            string    `bun:"kind"`
	Month           string    `bun:"month"`
	StartedAt       time.Time `bun:"started_at"`
	TargetSeconds   int64     `bun:"target_seconds"`
	StoppedAt       time.Time `bun:"stopped_at,nullzero"`
	StoppedBy       string    `bun:"stopped_by,nullzero"`
	BusinessSeconds *int64    `bun:"business_seconds"`
}

// monthClocks returns the clocks of subscriptions ids that started in any of
// months, by subscription, as ClockOf makes them from their rows but with
// only what a month report reads (sla.Report): one query whose rows are a
// third of the stored clocks' width.
func monthClocks(ctx context.Context, db bun.IDB, ids, months []string) (map[string][]sla.Clock, error) {
	var rows []reportClock
	if err := db.NewSelect().Model((*models.Clock)(nil)).
		Column("k.subscription_id", "k.seq", "k.kind", "k.month", "k.started_at", "k.target_seconds", "k.stopped_at", "k.stopped_by", "k.business_seconds").
		Where("k.subscription_id IN (?) AND k.month IN (?)", bun.In(ids), bun.In(months)).
		Scan(ctx, &rows); err != nil {
		return nil, err
	}
	clocks := make(map[string][]sla.Clock, len(ids))
	for i := range rows {
		clocks[rows[i].SubscriptionID] = append(clocks[rows[i].SubscriptionID], rows[i].clock())
	}
	return clocks, nil
}

// clock returns the sla form of the clock, as ClockOf does.
func (r *reportClock) clock() sla.Clock {
	c := sla.Clock{
		Seq: r.Seq, Kind: sla.ClockKind(r.Kind), Month: r.Month, StartedAt: r.StartedAt,
		Target: time.Duration(r.TargetSeconds) * time.Second, StoppedAt: r.StoppedAt, StoppedBy: r.StoppedBy,
	}
	if r.BusinessSeconds != nil {
		c.Business = time.Duration(*r.BusinessSeconds) * time.Second
	}
	return c
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

// finalMonthReports is monthReports for months that are final at now (their
// cutoff has passed) and not frozen, as an evaluation freezes them, with
// fewer rows read: for a month the subscription was active in from its
// start to its end (nearly all), the clocks stopped by the cutoff are
// summed by the database (sla.StoppedTotals) and only the others are read,
// and the priority tickets are counted there; the rules are applied by
// sla.FinalReport. A month the subscription was active in only in part is
// measured by monthReports. Months whose zone, bounds and cutoff agree are
// read together: three queries for each such group, whatever the number of
// subscriptions.
func (s *Store) finalMonthReports(ctx context.Context, db bun.IDB, subs []*models.SupportSubscription, months [][]string, now time.Time) ([][]sla.MonthReport, error) {
	type window struct {
		month              string
		start, end, cutoff time.Time
	}
	type item struct{ i, j int }
	out := make([][]sla.MonthReport, len(subs))
	groups := map[window][]item{}
	var order []window
	var partSubs []*models.SupportSubscription
	var partMonths [][]string
	var partAt [][]item
	for i, sub := range subs {
		out[i] = make([]sla.MonthReport, len(months[i]))
		cal, err := s.Calendar(sub.SLATimezone)
		if err != nil {
			return nil, err
		}
		life := LifeOf(sub)
		var part []string
		var at []item
		for j, m := range months[i] {
			start, end, err := cal.MonthBounds(m)
			if err != nil {
				return nil, models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
			}
			if life.From.After(start) || (!life.To.IsZero() && life.To.Before(end)) {
				part, at = append(part, m), append(at, item{i, j})
				continue
			}
			cutoff, err := sla.Cutoff(cal, m)
			if err != nil {
				return nil, err
			}
			w := window{m, start.UTC(), end.UTC(), cutoff.UTC()}
			if _, ok := groups[w]; !ok {
				order = append(order, w)
			}
			groups[w] = append(groups[w], item{i, j})
		}
		if len(part) > 0 {
			partSubs, partMonths, partAt = append(partSubs, sub), append(partMonths, part), append(partAt, at)
		}
	}
	if len(partSubs) > 0 {
		reports, err := s.monthReports(ctx, db, partSubs, partMonths, now)
		if err != nil {
			return nil, err
		}
		for p, at := range partAt {
			for k, it := range at {
				out[it.i][it.j] = reports[p][k]
			}
		}
	}
	for _, w := range order {
		items := groups[w]
		ids := make([]string, 0, len(items))
		for _, it := range items {
			ids = append(ids, subs[it.i].ID)
		}
		totals, open, tickets, err := monthTotals(ctx, db, ids, w.month, w.start, w.end, w.cutoff)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			sub := subs[it.i]
			cal, err := s.Calendar(sub.SLATimezone)
			if err != nil {
				return nil, err
			}
			r, err := sla.FinalReport(cal, LifeOf(sub), w.month, totals[sub.ID], open[sub.ID], tickets[sub.ID])
			if err != nil {
				return nil, err
			}
			r.SubscriptionID = sub.ID
			out[it.i][it.j] = r
		}
	}
	return out, nil
}

// monthTotals reads, for subscriptions ids, month (from start to end, final
// at cutoff): the sums of the clocks that started in it by the cutoff and
// stopped by the cutoff, the other clocks that started in it by the cutoff,
// and the number of priority tickets opened in it, each by subscription and
// in one query.
func monthTotals(ctx context.Context, db bun.IDB, ids []string, month string, start, end, cutoff time.Time) (
	map[string]sla.StoppedTotals, map[string][]sla.Clock, map[string]int, error) {
	var sums []struct {
		SubscriptionID string `bun:"subscription_id"`
		Kind           string `bun:"kind"`
		N              int64  `bun:"n"`
		OverTarget     int64  `bun:"over_target"`
		ByResolution   int64  `bun:"by_resolution"`
		Business       int64  `bun:"business"`
		Target         int64  `bun:"target"`
	}
	if err := db.NewSelect().Model((*models.Clock)(nil)).
		Column("k.subscription_id", "k.kind").
		ColumnExpr("COUNT(*) AS n").
		ColumnExpr("SUM(CASE WHEN k.business_seconds > k.target_seconds THEN 1 ELSE 0 END) AS over_target").
		ColumnExpr("SUM(CASE WHEN k.stopped_by = ? THEN 1 ELSE 0 END) AS by_resolution", sla.StoppedByResolution).
		ColumnExpr("CAST(COALESCE(SUM(k.business_seconds), 0) AS bigint) AS business").
		ColumnExpr("CAST(SUM(k.target_seconds) AS bigint) AS target").
		Where("k.subscription_id IN (?) AND k.month = ? AND k.started_at <= ?", bun.In(ids), month, cutoff).
		Where("k.stopped_at IS NOT NULL AND k.stopped_at <= ?", cutoff).
		GroupExpr("k.subscription_id, k.kind").
		Scan(ctx, &sums); err != nil {
		return nil, nil, nil, err
	}
	totals := make(map[string]sla.StoppedTotals, len(ids))
	for _, r := range sums {
		t := totals[r.SubscriptionID]
		business, target := time.Duration(r.Business)*time.Second, time.Duration(r.Target)*time.Second
		switch sla.ClockKind(r.Kind) {
		case sla.FirstResponse:
			t.FirstResponses, t.FirstResponsesOver, t.FirstResponsesByResolution = int(r.N), int(r.OverTarget), int(r.ByResolution)
			t.FirstResponseBusiness = business
		case sla.FollowUp:
			t.FollowUps, t.FollowUpBusiness, t.FollowUpTargets = int(r.N), business, target
		}
		totals[r.SubscriptionID] = t
	}
	var rows []reportClock
	if err := db.NewSelect().Model((*models.Clock)(nil)).
		Column("k.subscription_id", "k.seq", "k.kind", "k.month", "k.started_at", "k.target_seconds", "k.stopped_at", "k.stopped_by", "k.business_seconds").
		Where("k.subscription_id IN (?) AND k.month = ? AND k.started_at <= ?", bun.In(ids), month, cutoff).
		Where("(k.stopped_at IS NULL OR k.stopped_at > ?)", cutoff).
		Scan(ctx, &rows); err != nil {
		return nil, nil, nil, err
	}
	open := make(map[string][]sla.Clock)
	for i := range rows {
		open[rows[i].SubscriptionID] = append(open[rows[i].SubscriptionID], rows[i].clock())
	}
	var counts []struct {
		SubscriptionID string `bun:"subscription_id"`
		N              int64  `bun:"n"`
	}
	if err := db.NewSelect().Model((*models.Ticket)(nil)).Column("t.subscription_id").ColumnExpr("COUNT(*) AS n").
		Where("t.subscription_id IN (?) AND t.priority = ? AND t.opened_at >= ? AND t.opened_at < ?", bun.In(ids), true, start, end).
		GroupExpr("t.subscription_id").
		Scan(ctx, &counts); err != nil {
		return nil, nil, nil, err
	}
	tickets := make(map[string]int, len(counts))
	for _, c := range counts {
		tickets[c.SubscriptionID] = int(c.N)
	}
	return totals, open, tickets, nil
}
