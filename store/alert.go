package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/events"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
)

// Alert levels, in increasing order of urgency.
const (
	AlertAtRisk   = "at_risk"
	AlertBreached = "breached"
)

// ScanSLAAlerts looks at every running clock and publishes an SLA alert
// when one has less than sla.AtRiskWindow of business time left or has
// reached its due time, once per clock and level however many processes
// scan at once (each level is claimed by a conditional update). It returns
// how many alerts it published.
func (s *Store) ScanSLAAlerts(ctx context.Context) (int, error) {
	now := s.Now()
	var rows []*models.Clock
	if err := s.db.NewSelect().Model(&rows).Where("k.stopped_at IS NULL AND k.alert_level <> ?", AlertBreached).Scan(ctx); err != nil {
		return 0, fmt.Errorf("scan sla alerts: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	subIDs := make([]string, 0, len(rows))
	for _, r := range rows {
		subIDs = append(subIDs, r.SubscriptionID)
	}
	var subs []*models.SupportSubscription
	if err := s.db.NewSelect().Model(&subs).Column("s.id", "s.sla_timezone").Where("s.id IN (?)", bun.In(subIDs)).Scan(ctx); err != nil {
		return 0, fmt.Errorf("scan sla alerts: %w", err)
	}
	zones := make(map[string]string, len(subs))
	for _, sub := range subs {
		zones[sub.ID] = sub.SLATimezone
	}
	sent := 0
	for _, r := range rows {
		cal, err := s.Calendar(zones[r.SubscriptionID])
		if err != nil {
			return sent, err
		}
		left := time.Duration(r.TargetSeconds)*time.Second - ClockOf(r).Elapsed(cal, now)
		level := ""
		switch {
		case left <= 0: // at its target without an answer: missed
			level = AlertBreached
		case left < sla.AtRiskWindow:
			level = AlertAtRisk
		}
		if level == "" || level == r.AlertLevel {
			continue
		}
		res, err := s.db.NewUpdate().Model((*models.Clock)(nil)).Set("alert_level = ?", level).
			Where("id = ? AND alert_level = ? AND stopped_at IS NULL", r.ID, r.AlertLevel).Exec(ctx)
		if err != nil {
			return sent, fmt.Errorf("claim sla alert: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		sent++
		s.publish(ctx, events.Event{Kind: events.SLAAlert, CustomerID: r.CustomerID, TicketID: r.TicketID, Level: level, DueAt: r.DueAt, At: now})
	}
	return sent, nil
}
