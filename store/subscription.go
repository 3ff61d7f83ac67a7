package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
)

// domainLockKey serialises changes to the set of live domains on
// PostgreSQL, so that two sales engineers cannot give overlapping domains to
// two customers at the same moment. SQLite transactions are serial already.
const domainLockKey = 7243_1126_0002

// CreateSubscription starts a Priority Support subscription (sales, admin)
// for a customer with a valid paid license. Without StartsAt it starts at
// the license's next renewal; a past StartsAt imports a subscription that
// is active already. It returns BAD_USER_INPUT for bad or refused domains,
// a StartsAt outside the window of accepted times (models.CheckTime) or a
// customer without a valid paid license, NOT_FOUND for an unknown
// customer, CONFLICT when the customer already has a live subscription or a
// domain overlaps one covered by another live subscription (for a start in
// the past: or one another subscription covered after that start),
// UNAUTHENTICATED or FORBIDDEN. Its domains cover mail received from its
// start on.
func (s *Store) CreateSubscription(ctx context.Context, in models.SubscriptionInput) (*models.SupportSubscription, error) {
	caller, err := requireSales(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.Check(); err != nil {
		return nil, err
	}
	domains, err := s.policy.NormalizeDomains(in.Domains)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var sub *models.SupportSubscription
	err = s.inTx(ctx, func(tx bun.Tx) error {
		if err := lockDomains(ctx, tx); err != nil {
			return err
		}
		if err := customerExists(ctx, tx, in.CustomerID); err != nil {
			return err
		}
		var licenses []models.License
		if err := tx.NewSelect().Model(&licenses).Where("l.customer_id = ?", in.CustomerID).Scan(ctx); err != nil {
			return err
		}
		license, err := models.EligibleLicense(licenses, now)
		if err != nil {
			return err
		}
		var live []models.SupportSubscription
		if err := tx.NewSelect().Model(&live).Where("s.customer_id = ? AND s.status IN (?)", in.CustomerID, bun.In(liveStatuses)).Scan(ctx); err != nil {
			return err
		}
		if len(live) > 0 {
			return models.Errorf(models.CodeConflict, "customer already has a %s subscription %s; change its domains instead", live[0].Status, live[0].ID)
		}
		var startsAt *time.Time
		if in.StartsAt != nil {
			t := in.StartsAt.UTC().Truncate(time.Microsecond)
			startsAt = &t
		}
		cal, err := s.Calendar(s.slaTimezone)
		if err != nil {
			return err
		}
		terms := models.PlanSubscription(license, startsAt, now, cal.Location())
		if err := checkDomainsFree(ctx, tx, domains, "", terms.StartsAt); err != nil {
			return err
		}
		sub = &models.SupportSubscription{
			ID: newID(), CustomerID: in.CustomerID, Status: terms.Status, EarlyAccess: in.EarlyAccess,
			MonthlyFeeCents: models.MonthlyFee.Cents, Currency: models.MonthlyFee.Currency,
			StartsAt: terms.StartsAt, CurrentPeriodStart: terms.PeriodStart, CurrentPeriodEnd: terms.PeriodEnd,
			FirstResponseTargetSeconds: int64(models.DefaultFirstResponseTarget.Seconds()),
			FollowUpTargetSeconds:      int64(models.DefaultFollowUpTarget.Seconds()),
			SLATimezone:                s.slaTimezone, CreatedAt: now, UpdatedAt: now,
		}
		change := &models.SubscriptionStatusChange{ID: newID(), SubscriptionID: sub.ID, ToStatus: sub.Status, ChangedAt: now, Actor: caller.Subject, Reason: "created"}
		if sub.Status == models.StatusActive {
			sub.ActivatedAt = sub.StartsAt
			change.ChangedAt, change.Reason = sub.StartsAt, "created with a start date that has passed"
		}
		if _, err := tx.NewInsert().Model(sub).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(change).Exec(ctx); err != nil {
			return err
		}
		// The domains a subscription is created with cover from its start,
		// a past one included (an import covers its past).
		return addDomains(ctx, tx, sub, domains, sub.StartsAt)
	})
	if IsUniqueViolation(err) {
		return nil, models.Errorf(models.CodeConflict, "a domain or the customer's subscription changed at the same time; try again")
	}
	if err != nil {
		return nil, fmt.Errorf("create subscription: %w", err)
	}
	return sub, nil
}

// liveStatuses are the statuses in which a subscription holds its domains.
var liveStatuses = []models.SubscriptionStatus{models.StatusPending, models.StatusActive}

// SetSubscriptionDomains replaces the domains a live subscription covers
// (sales, admin). A domain added covers mail received from now on (from the
// start of a subscription that has not started); one taken out stops
// covering now and is kept in its history. It returns
// BAD_USER_INPUT for bad or refused domains, NOT_FOUND, CONFLICT when the
// subscription has ended or a domain overlaps one covered by another live
// subscription, UNAUTHENTICATED or FORBIDDEN.
func (s *Store) SetSubscriptionDomains(ctx context.Context, id string, raw []string) (*models.SupportSubscription, error) {
	if _, err := requireSales(ctx); err != nil {
		return nil, err
	}
	domains, err := s.policy.NormalizeDomains(raw)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var sub *models.SupportSubscription
	err = s.inTx(ctx, func(tx bun.Tx) error {
		if err := lockDomains(ctx, tx); err != nil {
			return err
		}
		if sub, err = liveSubscription(ctx, tx, id); err != nil {
			return err
		}
		// A domain added now covers from now, or from the start of a
		// subscription that has not started yet.
		from := now
		if sub.StartsAt.After(now) {
			from = sub.StartsAt
		}
		if err := checkDomainsFree(ctx, tx, domains, sub.ID, from); err != nil {
			return err
		}
		var current []models.SubscriptionDomain
		if err := tx.NewSelect().Model(&current).Where("sd.subscription_id = ? AND sd.removed_at IS NULL", sub.ID).Scan(ctx); err != nil {
			return err
		}
		keep := make(map[string]bool, len(domains))
		for _, d := range domains {
			keep[d] = true
		}
		var removed []string
		for _, d := range current {
			if keep[d.Domain] {
				delete(keep, d.Domain)
				continue
			}
			removed = append(removed, d.ID)
		}
		if len(removed) > 0 {
			_, err := tx.NewUpdate().Model((*models.SubscriptionDomain)(nil)).
				Set("live = ?", false).Set("removed_at = ?", now).
				Where("id IN (?)", bun.In(removed)).Exec(ctx)
			if err != nil {
				return err
			}
		}
		var added []string
		for _, d := range domains {
			if keep[d] {
				added = append(added, d)
			}
		}
		if err := addDomains(ctx, tx, sub, added, from); err != nil {
			return err
		}
		sub.UpdatedAt = now
		_, err := tx.NewUpdate().Model(sub).Column("updated_at").WherePK().Exec(ctx)
		return err
	})
	if IsUniqueViolation(err) {
		return nil, models.Errorf(models.CodeConflict, "a domain changed at the same time; try again")
	}
	if err != nil {
		return nil, fmt.Errorf("set subscription domains: %w", err)
	}
	return sub, nil
}

// CancelSubscription ends a live subscription at once (sales, admin) and
// frees its domains; they stay on the subscription as the set it ended
// with. It returns NOT_FOUND, CONFLICT when it has ended already,
// BAD_USER_INPUT for a reason over 1000 characters or with control
// characters other than tab and line breaks, UNAUTHENTICATED or FORBIDDEN.
func (s *Store) CancelSubscription(ctx context.Context, id, reason string) (*models.SupportSubscription, error) {
	caller, err := requireSales(ctx)
	if err != nil {
		return nil, err
	}
	return s.EndSubscription(ctx, id, models.StatusCanceled, reason, caller.Subject)
}

// EndSubscription ends a live subscription at once with status canceled or
// expired, for the services that decide it themselves (a Stripe
// cancellation, an early-access opt-out, a closed account): it checks no
// caller. It returns NOT_FOUND, CONFLICT when it has ended already, and
// BAD_USER_INPUT for a reason that models.NormalizeReason refuses.
func (s *Store) EndSubscription(ctx context.Context, id string, to models.SubscriptionStatus, reason, actor string) (*models.SupportSubscription, error) {
	reason, err := models.NormalizeReason(reason)
	if err != nil {
		return nil, err
	}
	if to != models.StatusCanceled && to != models.StatusExpired {
		return nil, fmt.Errorf("end subscription: %s is not an end status", to)
	}
	now := s.Now()
	var sub *models.SupportSubscription
	err = s.inTx(ctx, func(tx bun.Tx) error {
		var err error
		if sub, err = liveSubscription(ctx, tx, id); err != nil {
			return err
		}
		from := sub.Status
		sub.Status, sub.CancelReason, sub.UpdatedAt = to, reason, now
		cols := []string{"status", "cancel_reason", "updated_at", "canceled_at"}
		if to == models.StatusExpired {
			sub.ExpiredAt, cols[3] = now, "expired_at"
		} else {
			sub.CanceledAt = now
		}
		if _, err := tx.NewUpdate().Model(sub).Column(cols...).WherePK().Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*models.SubscriptionDomain)(nil)).Set("live = ?", false).
			Where("subscription_id = ? AND live = ?", sub.ID, true).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewInsert().Model(&models.SubscriptionStatusChange{
			ID: newID(), SubscriptionID: sub.ID, FromStatus: from, ToStatus: to,
			ChangedAt: now, Actor: actor, Reason: reason,
		}).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("end subscription: %w", err)
	}
	return sub, nil
}

// ActivateDue moves every pending subscription whose start has come to
// active, recording the change at its start time, and returns how many it
// moved. It is idempotent and safe to run from several processes at once.
func (s *Store) ActivateDue(ctx context.Context) (int, error) {
	now := s.Now()
	var due []models.SupportSubscription
	if err := s.db.NewSelect().Model(&due).Where("s.status = ? AND s.starts_at <= ?", models.StatusPending, now).Scan(ctx); err != nil {
		return 0, fmt.Errorf("activate due: %w", err)
	}
	moved := 0
	for _, sub := range due {
		err := s.inTx(ctx, func(tx bun.Tx) error {
			res, err := tx.NewUpdate().Model((*models.SupportSubscription)(nil)).
				Set("status = ?", models.StatusActive).Set("activated_at = ?", sub.StartsAt).Set("updated_at = ?", now).
				Where("id = ? AND status = ?", sub.ID, models.StatusPending).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			moved++
			_, err = tx.NewInsert().Model(&models.SubscriptionStatusChange{
				ID: newID(), SubscriptionID: sub.ID, FromStatus: models.StatusPending, ToStatus: models.StatusActive,
				ChangedAt: sub.StartsAt, Actor: "system", Reason: "start date reached",
			}).Exec(ctx)
			return err
		})
		if err != nil {
			return moved, fmt.Errorf("activate %s: %w", sub.ID, err)
		}
	}
	return moved, nil
}

// FindSubscription returns one subscription the caller may see, or
// NOT_FOUND (also for another customer's), UNAUTHENTICATED or FORBIDDEN.
func (s *Store) FindSubscription(ctx context.Context, id string) (*models.SupportSubscription, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	sub := new(models.SupportSubscription)
	err = scoped(s.db.NewSelect().Model(sub).Where("s.id = ?", id), "s.customer_id", scope).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("subscription", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find subscription: %w", err)
	}
	return sub, nil
}

// SubscriptionsByCustomerIDs returns, for each customer id in order, the
// subscriptions the caller may see, newest first.
func (s *Store) SubscriptionsByCustomerIDs(ctx context.Context, ids []string) ([][]*models.SupportSubscription, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.SupportSubscription
	q := s.db.NewSelect().Model(&rows).Where("s.customer_id IN (?)", bun.In(ids)).OrderExpr("s.created_at DESC, s.id DESC")
	if err := scoped(q, "s.customer_id", scope).Scan(ctx); err != nil {
		return nil, fmt.Errorf("subscriptions by customer: %w", err)
	}
	return groupBy(ids, rows, func(s *models.SupportSubscription) string { return s.CustomerID }), nil
}

// DomainsBySubscriptionIDs returns, for each subscription id in order, the
// domains in its set (for an ended subscription, the set it ended with),
// sorted.
func (s *Store) DomainsBySubscriptionIDs(ctx context.Context, ids []string) ([][]string, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.SubscriptionDomain
	q := s.db.NewSelect().Model(&rows).Where("sd.subscription_id IN (?) AND sd.removed_at IS NULL", bun.In(ids)).OrderExpr("sd.domain ASC")
	if err := scoped(q, "sd.customer_id", scope).Scan(ctx); err != nil {
		return nil, fmt.Errorf("domains by subscription: %w", err)
	}
	groups := groupBy(ids, rows, func(d *models.SubscriptionDomain) string { return d.SubscriptionID })
	out := make([][]string, len(ids))
	for i, g := range groups {
		out[i] = make([]string, 0, len(g))
		for _, d := range g {
			out[i] = append(out[i], d.Domain)
		}
	}
	return out, nil
}

// StatusChangesBySubscriptionIDs returns, for each subscription id in order,
// the changes of its status the caller may see, oldest first.
func (s *Store) StatusChangesBySubscriptionIDs(ctx context.Context, ids []string) ([][]*models.SubscriptionStatusChange, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.SubscriptionStatusChange
	q := s.db.NewSelect().Model(&rows).
		Join("JOIN support_subscriptions AS s ON s.id = ssc.subscription_id").
		Where("ssc.subscription_id IN (?)", bun.In(ids)).OrderExpr("ssc.changed_at ASC, ssc.id ASC")
	if err := scoped(q, "s.customer_id", scope).Scan(ctx); err != nil {
		return nil, fmt.Errorf("status changes by subscription: %w", err)
	}
	return groupBy(ids, rows, func(c *models.SubscriptionStatusChange) string { return c.SubscriptionID }), nil
}

// lockDomains takes the PostgreSQL transaction lock that serialises domain
// changes; on SQLite the immediate transaction holds the lock already.
func lockDomains(ctx context.Context, tx bun.Tx) error {
	if !IsPostgres(tx) {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", domainLockKey)
	return err
}

// liveSubscription loads a subscription for change, locking its row on
// PostgreSQL so that concurrent changes to one subscription run one after
// the other and each sees the status the previous one left: NOT_FOUND when
// missing, CONFLICT when it has ended.
func liveSubscription(ctx context.Context, tx bun.Tx, id string) (*models.SupportSubscription, error) {
	sub := new(models.SupportSubscription)
	q := tx.NewSelect().Model(sub).Where("s.id = ?", id)
	if IsPostgres(tx) {
		q = q.For("UPDATE")
	}
	err := q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("subscription", id)
	}
	if err != nil {
		return nil, err
	}
	if !sub.Status.Live() {
		return nil, models.Errorf(models.CodeConflict, "subscription %s is %s", sub.ID, sub.Status)
	}
	return sub, nil
}

// checkDomainsFree returns CONFLICT naming each domain that equals, is a
// subdomain of, or is a parent of a domain of another subscription than
// except whose coverage reaches past from: a domain live on it, or one that
// covered mail until after from (which only a start in the past reaches).
// The domains, covering from from on, could otherwise claim mail that
// another subscription covered at the same time.
func checkDomainsFree(ctx context.Context, tx bun.Tx, domains []string, except string, from time.Time) error {
	var held []struct {
		Domain         string    `bun:"domain"`
		SubscriptionID string    `bun:"subscription_id"`
		Live           bool      `bun:"live"`
		RemovedAt      time.Time `bun:"removed_at,nullzero"`
		CanceledAt     time.Time `bun:"canceled_at,nullzero"`
		ExpiredAt      time.Time `bun:"expired_at,nullzero"`
	}
	q := tx.NewSelect().TableExpr("subscription_domains AS sd").
		Join("JOIN support_subscriptions AS s ON s.id = sd.subscription_id").
		ColumnExpr("sd.domain, sd.subscription_id, sd.live, sd.removed_at, s.canceled_at, s.expired_at").
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			for _, d := range domains {
				q = q.WhereOr("sd.domain IN (?)", bun.In(selfAndParents(d))).WhereOr("sd.domain LIKE ? ESCAPE '\\'", "%."+escapeLike(d))
			}
			return q
		}).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("sd.live = ?", true).
				WhereOr(coveredUntilAfter("sd.removed_at")+" AND "+coveredUntilAfter("s.canceled_at")+" AND "+coveredUntilAfter("s.expired_at"), from, from, from)
		})
	if except != "" {
		q = q.Where("sd.subscription_id <> ?", except)
	}
	if err := q.Scan(ctx, &held); err != nil {
		return err
	}
	var problems []string
	for _, d := range domains {
		for _, h := range held {
			if !models.DomainsOverlap(d, h.Domain) {
				continue
			}
			if h.Live {
				problems = append(problems, fmt.Sprintf("%q overlaps %q, covered by subscription %s", d, h.Domain, h.SubscriptionID))
				continue
			}
			var until time.Time
			for _, t := range []time.Time{h.RemovedAt, h.CanceledAt, h.ExpiredAt} {
				if !t.IsZero() && (until.IsZero() || t.Before(until)) {
					until = t
				}
			}
			problems = append(problems, fmt.Sprintf("%q overlaps %q, covered by subscription %s until %s: start then or later",
				d, h.Domain, h.SubscriptionID, until.UTC().Format(time.RFC3339Nano)))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return models.Errorf(models.CodeConflict, "%s", strings.Join(problems, "; "))
	}
	return nil
}

// coveredUntilAfter is the condition that the end of coverage in column
// (NULL: none yet) lies after a time given as its one argument and after
// the coverage began (the later of the domain's added_at and the
// subscription's start): a domain taken off before its subscription started
// never covered anything.
func coveredUntilAfter(column string) string {
	return "(" + column + " IS NULL OR (" + column + " > ? AND " + column + " > sd.added_at AND " + column + " > s.starts_at))"
}

// selfAndParents returns d and every parent domain of it: a.b.c → a.b.c,
// b.c, c.
func selfAndParents(d string) []string {
	out := []string{d}
	for i := strings.IndexByte(d, '.'); i >= 0; i = strings.IndexByte(d, '.') {
		d = d[i+1:]
		out = append(out, d)
	}
	return out
}

// addDomains inserts live domain rows for a subscription that cover mail
// received from from on.
func addDomains(ctx context.Context, tx bun.Tx, sub *models.SupportSubscription, domains []string, from time.Time) error {
	if len(domains) == 0 {
		return nil
	}
	rows := make([]models.SubscriptionDomain, len(domains))
	for i, d := range domains {
		rows[i] = models.SubscriptionDomain{ID: newID(), SubscriptionID: sub.ID, CustomerID: sub.CustomerID, Domain: d, Live: true, AddedAt: from}
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return err
}
