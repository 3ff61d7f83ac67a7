package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/bizhours"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
)

// CreditFunc writes the credit a missed month earns inside the
// transaction that freezes the month, and returns the ledger entry's id.
type CreditFunc func(ctx context.Context, tx bun.Tx, sub *models.SupportSubscription, r sla.MonthReport) (string, error)

// frozenMonth is a row of sla_months with the first-response counts that
// migration 20261202000001 added: on months frozen before it the missed
// count was derived from the row and the others are NULL.
type frozenMonth struct {
	models.SLAMonth `bun:",extend"`

	FirstResponsesMissed        int    `bun:"first_responses_missed,notnull"`
	FirstResponsesAnswered      *int   `bun:"first_responses_answered"`
	FirstResponsesRunning       *int   `bun:"first_responses_running"`
	FirstResponsesByResolution  *int   `bun:"first_responses_by_resolution"`
	AverageFirstResponseSeconds *int64 `bun:"average_first_response_seconds"`
}

// EvaluatedAutomatically reports whether the background jobs may evaluate
// the subscription's month: not one whose cutoff had passed before the
// subscription was recorded here (imported history, which staff evaluate
// once its mail is in). It returns NOT_FOUND for an unknown subscription
// and BAD_USER_INPUT for a malformed month.
func (s *Store) EvaluatedAutomatically(ctx context.Context, subscriptionID, month string) (bool, error) {
	sub := new(models.SupportSubscription)
	if err := s.db.NewSelect().Model(sub).Where("s.id = ?", subscriptionID).Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return false, notFound("subscription", subscriptionID)
	} else if err != nil {
		return false, fmt.Errorf("evaluated automatically: %w", err)
	}
	cal, err := s.Calendar(sub.SLATimezone)
	if err != nil {
		return false, err
	}
	auto, err := sla.EvaluatedAutomatically(cal, month, sub.CreatedAt)
	if err != nil {
		return false, models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
	}
	return auto, nil
}

// FinalizeMonth freezes a subscription's month once its cutoff has passed:
// the final report is stored and, when the month was missed, credit writes
// its credit in the same transaction. A month frozen already is returned as
// it was (fresh is false) and nothing is written, however often and from
// however many processes it is called. It checks no caller. It returns
// BAD_USER_INPUT for a malformed month or one without a guarantee (before
// the subscription started, after it ended, or not yet begun), NOT_FOUND
// for an unknown subscription, and CONFLICT before the cutoff.
func (s *Store) FinalizeMonth(ctx context.Context, subscriptionID, month string, credit CreditFunc) (r *sla.MonthReport, fresh bool, err error) {
	if _, _, err := bizhours.ParseMonth(month); err != nil {
		return nil, false, models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
	}
	now := s.Now()
	err = s.inTx(ctx, func(tx bun.Tx) error {
		sub := new(models.SupportSubscription)
		q := tx.NewSelect().Model(sub).Where("s.id = ?", subscriptionID)
		if IsPostgres(tx) {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); errors.Is(err, sql.ErrNoRows) {
			return notFound("subscription", subscriptionID)
		} else if err != nil {
			return err
		}
		cal, err := s.Calendar(sub.SLATimezone)
		if err != nil {
			return err
		}
		if ok, err := LifeOf(sub).HasMonth(cal, month, now); err != nil {
			return models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
		} else if !ok {
			return models.Errorf(models.CodeBadUserInput, "subscription %s has no guarantee in %s: it was not active then, or the month has not begun", sub.ID, month)
		}
		frozen := new(frozenMonth)
		switch err := tx.NewSelect().Model(frozen).Where("sm.subscription_id = ? AND sm.month = ?", sub.ID, month).Scan(ctx); {
		case err == nil:
			rep := frozenReport(frozen)
			r = &rep
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		cutoff, err := sla.Cutoff(cal, month)
		if err != nil {
			return err
		}
		if now.Before(cutoff) {
			return models.Errorf(models.CodeConflict, "%s is not final before %s", month, cutoff.UTC().Format(time.RFC3339))
		}
		reports, err := s.monthReports(ctx, tx, []*models.SupportSubscription{sub}, [][]string{{month}}, now)
		if err != nil {
			return err
		}
		rep := reports[0][0]
		row := &frozenMonth{
			SLAMonth: models.SLAMonth{
				SubscriptionID: sub.ID, Month: month, CustomerID: sub.CustomerID, Met: rep.Met,
				TicketsReceived: rep.TicketsReceived, FirstResponses: rep.FirstResponses, FirstResponsesMet: rep.FirstResponsesMet,
				FollowUps: rep.FollowUps, AverageFollowUpSeconds: wholeSeconds(rep.AverageFollowUp), EvaluatedAt: now,
			},
			FirstResponsesMissed: rep.FirstResponsesMissed, FirstResponsesAnswered: rep.FirstResponsesAnswered,
			FirstResponsesRunning: rep.FirstResponsesRunning, FirstResponsesByResolution: rep.FirstResponsesByResolution,
			AverageFirstResponseSeconds: wholeSeconds(rep.AverageFirstResponse),
		}
		if !rep.Met && credit != nil {
			if row.CreditEntryID, err = credit(ctx, tx, sub, rep); err != nil {
				return err
			}
		}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		r, fresh = &rep, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("finalize month: %w", err)
	}
	return r, fresh, nil
}

// frozenReport is the report a frozen month stores.
func frozenReport(m *frozenMonth) sla.MonthReport {
	r := sla.MonthReport{
		SubscriptionID: m.SubscriptionID, Month: m.Month, Final: true, Met: m.Met, Status: sla.Met,
		TicketsReceived: m.TicketsReceived, FirstResponses: m.FirstResponses, FirstResponsesMet: m.FirstResponsesMet,
		FirstResponsesMissed: m.FirstResponsesMissed, FirstResponsesAnswered: m.FirstResponsesAnswered,
		FirstResponsesRunning: m.FirstResponsesRunning, FirstResponsesByResolution: m.FirstResponsesByResolution,
		AverageFirstResponse: fromSeconds(m.AverageFirstResponseSeconds),
		FollowUps:            m.FollowUps, AverageFollowUp: fromSeconds(m.AverageFollowUpSeconds),
	}
	if !m.Met {
		r.Status = sla.Breached
	}
	return r
}

// wholeSeconds returns a duration in whole seconds, or nil for nil.
func wholeSeconds(d *time.Duration) *int64 {
	if d == nil {
		return nil
	}
	n := int64(*d / time.Second)
	return &n
}

// fromSeconds returns whole seconds as a duration, or nil for nil.
func fromSeconds(secs *int64) *time.Duration {
	if secs == nil {
		return nil
	}
	d := time.Duration(*secs) * time.Second
	return &d
}

// MonthRef names one subscription's month.
type MonthRef struct {
	SubscriptionID string
	Month          string
}

// DueMonthsLookback bounds how far back DueMonths looks for months never
// finalised (a server that was down for a while catches up this far).
const DueMonthsLookback = 13

// DueMonths lists the months the background sweep evaluates: of every
// subscription, each month that has a guarantee (it was active in it; see
// sla.Life.HasMonth), whose cutoff has passed, that is not frozen yet, and
// whose cutoff came after the subscription was recorded here. A month whose
// cutoff had passed before (imported history, whose mail may still be being
// back-filled) is left to staff (evaluateSlaMonth). It checks no caller.
func (s *Store) DueMonths(ctx context.Context) ([]MonthRef, error) {
	now := s.Now()
	since := now.AddDate(0, -DueMonthsLookback-1, 0) // ended subscriptions catch up as far as live ones
	var subs []*models.SupportSubscription
	if err := s.db.NewSelect().Model(&subs).Where("s.starts_at <= ?", now).
		Where("s.status IN (?) OR s.canceled_at > ? OR s.expired_at > ?", bun.In(liveStatuses), since, since).
		Scan(ctx); err != nil {
		return nil, fmt.Errorf("due months: %w", err)
	}
	if len(subs) == 0 {
		return nil, nil
	}
	ids := make([]string, len(subs))
	for i, sub := range subs {
		ids[i] = sub.ID
	}
	var frozen []models.SLAMonth
	if err := s.db.NewSelect().Model(&frozen).Column("sm.subscription_id", "sm.month").Where("sm.subscription_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("due months: %w", err)
	}
	done := make(map[MonthRef]bool, len(frozen))
	for _, f := range frozen {
		done[MonthRef{f.SubscriptionID, f.Month}] = true
	}
	var out []MonthRef
	for _, sub := range subs {
		cal, err := s.Calendar(sub.SLATimezone)
		if err != nil {
			return nil, err
		}
		life := LifeOf(sub)
		first := cal.Month(sub.StartsAt)
		local := now.In(cal.Location())
		for i := 1; i <= DueMonthsLookback; i++ {
			m := cal.Month(time.Date(local.Year(), local.Month()-time.Month(i), 15, 12, 0, 0, 0, cal.Location()))
			if m < first {
				break
			}
			if done[MonthRef{sub.ID, m}] {
				continue
			}
			if ok, err := life.HasMonth(cal, m, now); err != nil || !ok {
				continue
			}
			if auto, err := sla.EvaluatedAutomatically(cal, m, sub.CreatedAt); err != nil || !auto {
				continue
			}
			if cutoff, err := sla.Cutoff(cal, m); err == nil && !now.Before(cutoff) {
				out = append(out, MonthRef{sub.ID, m})
			}
		}
	}
	return out, nil
}
