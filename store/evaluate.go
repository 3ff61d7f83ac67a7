package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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
		row := frozenRow(sub, rep, now)
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

// MaxMonthBatch is the most months FinalizeMonths takes in one call: one
// transaction, a handful of queries, and locks on as many subscriptions.
const MaxMonthBatch = 1000

// MissedMonth is a month a batch evaluation found missed: the credit it
// earns is written with the frozen report.
type MissedMonth struct {
	Subscription *models.SupportSubscription
	Report       sla.MonthReport
}

// CreditsFunc writes, inside the transaction that freezes a batch of months,
// the credits the missed ones earn, and returns for each of them, in their
// order, the ledger entry's id or an error of that month's own (the month is
// then left unfrozen, and the rest of the batch goes on). An error of its
// own rolls the whole batch back.
type CreditsFunc func(ctx context.Context, tx bun.Tx, missed []MissedMonth) (ids []string, errs []error, err error)

// MonthOutcome is what FinalizeMonths did with one month.
type MonthOutcome struct {
	MonthRef
	// Report is the month's final report: frozen by this call when Fresh,
	// else as it was frozen before. Nil with Err or LeftToStaff.
	Report *sla.MonthReport
	Fresh  bool
	// LeftToStaff is set for a month of imported history, which the
	// background jobs do not evaluate (see sla.EvaluatedAutomatically).
	LeftToStaff bool
	// Err is why the month was not frozen, with FinalizeMonth's codes:
	// BAD_USER_INPUT, NOT_FOUND, CONFLICT, or the credit's own.
	Err error
}

// FinalizeMonths is FinalizeMonth for a batch of months (at most
// MaxMonthBatch), as the background jobs evaluate them: in one transaction
// that locks the batch's subscriptions in the order of their ids, reads the
// months frozen already in one query, measures the others with a few
// queries for the whole batch (see finalMonthReports: the same rules and
// the same reports as FinalizeMonth), writes the credits of the missed ones
// through credit and inserts the frozen reports together.
// A month frozen already is returned as it was and nothing is written for
// it, however often and from however many processes it is evaluated, by
// this method or by FinalizeMonth. Unlike FinalizeMonth it leaves imported
// history to staff (LeftToStaff). A problem with one month is that month's
// Err and does not stop the others; the error returned is for the batch as
// a whole, which then wrote nothing. It checks no caller.
func (s *Store) FinalizeMonths(ctx context.Context, refs []MonthRef, credit CreditsFunc) ([]MonthOutcome, error) {
	if len(refs) > MaxMonthBatch {
		return nil, models.Errorf(models.CodeBadUserInput, "at most %d months can be evaluated at once", MaxMonthBatch)
	}
	out := make([]MonthOutcome, len(refs))
	first := make(map[MonthRef]int, len(refs)) // the first index of each month; repeats copy its outcome
	var ids []string
	for i, ref := range refs {
		out[i].MonthRef = ref
		if _, _, err := bizhours.ParseMonth(ref.Month); err != nil {
			out[i].Err = models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
			continue
		}
		if _, ok := first[ref]; ok {
			continue
		}
		first[ref] = i
		ids = append(ids, ref.SubscriptionID)
	}
	if len(first) == 0 {
		return out, nil
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	now := s.Now()
	var written []MonthOutcome
	err := s.inTx(ctx, func(tx bun.Tx) error {
		written = slices.Clone(out)
		return s.finalizeMonthsTx(ctx, tx, written, first, ids, credit, now)
	})
	if err != nil {
		return nil, fmt.Errorf("finalize months: %w", err)
	}
	for i := range written {
		if j, ok := first[written[i].MonthRef]; ok && j != i && written[i].Err == nil {
			o := written[j]
			o.Fresh = false
			written[i] = o
		}
	}
	return written, nil
}

// finalizeMonthsTx is FinalizeMonths inside tx: out holds the batch's
// outcomes, first the index of each distinct month, ids its subscriptions
// in order.
func (s *Store) finalizeMonthsTx(ctx context.Context, tx bun.Tx, out []MonthOutcome, first map[MonthRef]int,
	ids []string, credit CreditsFunc, now time.Time) error {
	// Locking every subscription of the batch, in id order, before anything
	// else serialises evaluators of the same months (FinalizeMonth takes a
	// stronger lock on its one subscription) without deadlocks. NO KEY
	// UPDATE leaves ingestion's foreign keys to the subscription unblocked.
	var subs []*models.SupportSubscription
	q := tx.NewSelect().Model(&subs).Where("s.id IN (?)", bun.In(ids)).OrderExpr("s.id")
	if IsPostgres(tx) {
		q = q.For("NO KEY UPDATE OF s")
	}
	if err := q.Scan(ctx); err != nil {
		return err
	}
	byID := make(map[string]*models.SupportSubscription, len(subs))
	for _, sub := range subs {
		byID[sub.ID] = sub
	}
	// Which months may be frozen now, with FinalizeMonth's checks.
	var due []int
	var dueMonths []string
	for i := range out {
		o := &out[i]
		if j, ok := first[o.MonthRef]; !ok || j != i {
			continue
		}
		sub := byID[o.SubscriptionID]
		if sub == nil {
			o.Err = notFound("subscription", o.SubscriptionID)
			continue
		}
		cal, err := s.Calendar(sub.SLATimezone)
		if err != nil {
			o.Err = err
			continue
		}
		if ok, err := LifeOf(sub).HasMonth(cal, o.Month, now); err != nil {
			o.Err = models.Errorf(models.CodeBadUserInput, "month must be YYYY-MM, e.g. 2026-11")
			continue
		} else if !ok {
			o.Err = models.Errorf(models.CodeBadUserInput, "subscription %s has no guarantee in %s: it was not active then, or the month has not begun", sub.ID, o.Month)
			continue
		}
		if auto, err := sla.EvaluatedAutomatically(cal, o.Month, sub.CreatedAt); err != nil {
			o.Err = err
			continue
		} else if !auto {
			o.LeftToStaff = true
			continue
		}
		cutoff, err := sla.Cutoff(cal, o.Month)
		if err != nil {
			o.Err = err
			continue
		}
		if now.Before(cutoff) {
			o.Err = models.Errorf(models.CodeConflict, "%s is not final before %s", o.Month, cutoff.UTC().Format(time.RFC3339))
			continue
		}
		due = append(due, i)
		dueMonths = append(dueMonths, o.Month)
	}
	if len(due) == 0 {
		return nil
	}
	// Months frozen already (by another evaluator that held the locks before
	// us) keep their report.
	slices.Sort(dueMonths)
	dueMonths = slices.Compact(dueMonths)
	var frozenRows []*frozenMonth
	if err := tx.NewSelect().Model(&frozenRows).Where("sm.subscription_id IN (?) AND sm.month IN (?)", bun.In(ids), bun.In(dueMonths)).Scan(ctx); err != nil {
		return err
	}
	frozen := make(map[MonthRef]*frozenMonth, len(frozenRows))
	for _, f := range frozenRows {
		frozen[MonthRef{f.SubscriptionID, f.Month}] = f
	}
	// The others are measured together: each subscription with its months.
	var measureSubs []*models.SupportSubscription
	var measureMonths [][]string
	var measureIdx [][]int
	pos := make(map[string]int)
	for _, i := range due {
		o := &out[i]
		if f := frozen[o.MonthRef]; f != nil {
			rep := frozenReport(f)
			o.Report = &rep
			continue
		}
		p, ok := pos[o.SubscriptionID]
		if !ok {
			p = len(measureSubs)
			pos[o.SubscriptionID] = p
			measureSubs = append(measureSubs, byID[o.SubscriptionID])
			measureMonths = append(measureMonths, nil)
			measureIdx = append(measureIdx, nil)
		}
		measureMonths[p] = append(measureMonths[p], o.Month)
		measureIdx[p] = append(measureIdx[p], i)
	}
	if len(measureSubs) == 0 {
		return nil
	}
	reports, err := s.finalMonthReports(ctx, tx, measureSubs, measureMonths, now)
	if err != nil {
		return err
	}
	type pending struct {
		i   int
		row *frozenMonth
		rep sla.MonthReport
	}
	var rows []pending
	var missed []MissedMonth
	var missedAt []int // index in rows of each missed month
	for p, sub := range measureSubs {
		for j, i := range measureIdx[p] {
			rep := reports[p][j]
			rows = append(rows, pending{i: i, row: frozenRow(sub, rep, now), rep: rep})
			if !rep.Met && credit != nil {
				missed = append(missed, MissedMonth{Subscription: sub, Report: rep})
				missedAt = append(missedAt, len(rows)-1)
			}
		}
	}
	skip := make([]bool, len(rows))
	if len(missed) > 0 {
		entryIDs, errs, err := credit(ctx, tx, missed)
		if err != nil {
			return err
		}
		if len(entryIDs) != len(missed) || len(errs) != len(missed) {
			return fmt.Errorf("credits: %d ids and %d errors for %d months", len(entryIDs), len(errs), len(missed))
		}
		for k, at := range missedAt {
			if errs[k] != nil {
				out[rows[at].i].Err = errs[k]
				skip[at] = true
				continue
			}
			rows[at].row.CreditEntryID = entryIDs[k]
		}
	}
	insert := make([]*frozenMonth, 0, len(rows))
	for k, r := range rows {
		if skip[k] {
			continue
		}
		insert = append(insert, r.row)
		rep := r.rep
		out[r.i].Report, out[r.i].Fresh = &rep, true
	}
	if len(insert) == 0 {
		return nil
	}
	_, err = tx.NewInsert().Model(&insert).Exec(ctx)
	return err
}

// frozenRow is the sla_months row that freezes a final report.
func frozenRow(sub *models.SupportSubscription, rep sla.MonthReport, now time.Time) *frozenMonth {
	return &frozenMonth{
		SLAMonth: models.SLAMonth{
			SubscriptionID: sub.ID, Month: rep.Month, CustomerID: sub.CustomerID, Met: rep.Met,
			TicketsReceived: rep.TicketsReceived, FirstResponses: rep.FirstResponses, FirstResponsesMet: rep.FirstResponsesMet,
			FollowUps: rep.FollowUps, AverageFollowUpSeconds: wholeSeconds(rep.AverageFollowUp), EvaluatedAt: now,
		},
		FirstResponsesMissed: rep.FirstResponsesMissed, FirstResponsesAnswered: rep.FirstResponsesAnswered,
		FirstResponsesRunning: rep.FirstResponsesRunning, FirstResponsesByResolution: rep.FirstResponsesByResolution,
		AverageFirstResponseSeconds: wholeSeconds(rep.AverageFirstResponse),
	}
}
