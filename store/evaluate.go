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

// FinalizeMonth freezes a subscription's month once its cutoff has passed:
// the final report is stored and, when the month was missed, credit writes
// its credit in the same transaction. A month frozen already is returned as
// it was (fresh is false) and nothing is written, however often and from
// however many processes it is called. It checks no caller. It returns
// BAD_USER_INPUT for a malformed month or one before the subscription
// started, NOT_FOUND for an unknown subscription, and CONFLICT before the
// cutoff.
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
		if month < cal.Month(sub.StartsAt) {
			return models.Errorf(models.CodeBadUserInput, "subscription %s started in %s, after %s", sub.ID, cal.Month(sub.StartsAt), month)
		}
		frozen := new(models.SLAMonth)
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
		row := &models.SLAMonth{
			SubscriptionID: sub.ID, Month: month, CustomerID: sub.CustomerID, Met: rep.Met,
			TicketsReceived: rep.TicketsReceived, FirstResponses: rep.FirstResponses, FirstResponsesMet: rep.FirstResponsesMet,
			FollowUps: rep.FollowUps, EvaluatedAt: now,
		}
		if rep.AverageFollowUp != nil {
			secs := int64(*rep.AverageFollowUp / time.Second)
			row.AverageFollowUpSeconds = &secs
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
func frozenReport(m *models.SLAMonth) sla.MonthReport {
	r := sla.MonthReport{
		SubscriptionID: m.SubscriptionID, Month: m.Month, Final: true, Met: m.Met, Status: sla.Met,
		TicketsReceived: m.TicketsReceived, FirstResponses: m.FirstResponses, FirstResponsesMet: m.FirstResponsesMet, FollowUps: m.FollowUps,
	}
	if !m.Met {
		r.Status = sla.Breached
	}
	if m.AverageFollowUpSeconds != nil {
		avg := time.Duration(*m.AverageFollowUpSeconds) * time.Second
		r.AverageFollowUp = &avg
	}
	return r
}

// MonthRef names one subscription's month.
type MonthRef struct {
	SubscriptionID string
	Month          string
}

// DueMonthsLookback bounds how far back DueMonths looks for months never
// finalised (a server that was down for a while catches up this far).
const DueMonthsLookback = 13

// DueMonths lists the months whose cutoff has passed and that are not
// frozen yet, of every subscription that was active in them: live ones,
// and ended ones up to the month they ended in. It checks no caller.
func (s *Store) DueMonths(ctx context.Context) ([]MonthRef, error) {
	now := s.Now()
	var subs []*models.SupportSubscription
	if err := s.db.NewSelect().Model(&subs).Where("s.starts_at <= ?", now).
		Where("s.status IN (?) OR s.canceled_at > ? OR s.expired_at > ?", bun.In(liveStatuses), now.AddDate(0, -2, 0), now.AddDate(0, -2, 0)).
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
		end := now
		for _, t := range []time.Time{sub.CanceledAt, sub.ExpiredAt} {
			if !t.IsZero() && t.Before(end) {
				end = t
			}
		}
		first, last := cal.Month(sub.StartsAt), cal.Month(end)
		local := now.In(cal.Location())
		for i := 1; i <= DueMonthsLookback; i++ {
			m := cal.Month(time.Date(local.Year(), local.Month()-time.Month(i), 15, 12, 0, 0, 0, cal.Location()))
			if m < first {
				break
			}
			if m > last || done[MonthRef{sub.ID, m}] {
				continue
			}
			if cutoff, err := sla.Cutoff(cal, m); err == nil && !now.Before(cutoff) {
				out = append(out, MonthRef{sub.ID, m})
			}
		}
	}
	return out, nil
}
