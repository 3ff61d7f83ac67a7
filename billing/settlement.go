package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// Settlement messages kept in last_error.
const (
	msgStripeDisabled = "Stripe is not configured"
	msgNoPaidInvoice  = "no paid invoice yet"
	msgRefundPending  = "refund is pending in Stripe"
	msgNeedsReview    = "not retried: more than a day since the first attempt, so Stripe may not recognise a repeat; check Stripe"
	maxLastError      = 300 // characters
	retryBatch        = 500
	// idempotencyWindow is how long after its first attempt a settlement
	// is retried: Stripe keeps idempotency keys for 24 hours.
	idempotencyWindow = 23 * time.Hour
)

// RetrySettlements retries every pending settlement, oldest first, with the
// idempotency key it was first tried with, so Stripe never carries one out
// twice; for a periodic job. It also finishes opt-outs that were
// interrupted before their subscription ended, and refunds closed accounts
// that still hold credit (a refund Stripe refused for good, charges that
// could not be listed). With Stripe disabled it only ends such
// subscriptions. It goes on after a failure and returns the failures
// joined; a settlement Stripe refuses for good is marked failed (its debit
// reversed) and is not an error.
func (s *Service) RetrySettlements(ctx context.Context) error {
	var pending []*models.Settlement
	err := s.DB.NewSelect().Model(&pending).
		Where("st.status = ?", models.SettlementPending).
		OrderExpr("st.created_at, st.id").Limit(retryBatch).
		Scan(ctx)
	if err != nil {
		return fmt.Errorf("retry settlements: %w", err)
	}
	var errs []error
	for _, st := range pending {
		if st.Kind == models.SettlementCreditNote {
			if err := s.finishOptOut(ctx, st); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if s.Stripe == nil {
			continue
		}
		if err := s.settle(ctx, st); err != nil {
			errs = append(errs, err)
		}
	}
	if s.Stripe != nil {
		errs = append(errs, s.refundClosedAccounts(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("retry settlements: %w", err)
	}
	return nil
}

// SettlementsByCustomerIDs returns, for each customer id in order, the
// settlements the caller may see, newest first: staff see every customer's,
// a customer user only its own (nil for others). It returns
// UNAUTHENTICATED or FORBIDDEN for a caller with no role that may read.
func (s *Service) SettlementsByCustomerIDs(ctx context.Context, ids []string) ([][]*models.Settlement, error) {
	scope, err := store.ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	out := make([][]*models.Settlement, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []*models.Settlement
	q := s.DB.NewSelect().Model(&rows).Where("st.customer_id IN (?)", bun.In(ids)).OrderExpr("st.created_at DESC, st.id DESC")
	if scope != "" {
		q = q.Where("st.customer_id = ?", scope)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("settlements by customer: %w", err)
	}
	byCustomer := make(map[string][]*models.Settlement)
	for _, st := range rows {
		byCustomer[st.CustomerID] = append(byCustomer[st.CustomerID], st)
	}
	for i, id := range ids {
		out[i] = byCustomer[id]
	}
	return out, nil
}

// refundBalance refunds a closed customer's credit balance against its
// Stripe charges, newest first: per charge a refunded debit of at most what
// is refundable on it (key "refunded:close:<customer>:<charge>") and a
// pending refund settlement, written in one transaction, then the Stripe
// refund. A balance left over (no Stripe customer, no refundable charge) is
// logged. It returns the Stripe failures joined.
func (s *Service) refundBalance(ctx context.Context, cust *models.Customer, actor string) error {
	balance, err := s.Ledger.Balance(ctx, cust.ID)
	if err != nil || balance.Cents <= 0 {
		return err
	}
	if s.Stripe == nil {
		return errors.New("refund balance: Stripe is not configured")
	}
	if cust.StripeCustomerID == "" {
		s.log().WarnContext(ctx, "closed account keeps credit: no Stripe customer to refund to", "customer_id", cust.ID, "balance", balance.String())
		return nil
	}
	charges, err := s.Stripe.Charges(ctx, cust.StripeCustomerID)
	if err != nil {
		return fmt.Errorf("refund balance: %w", err)
	}
	remaining := balance.Cents
	var errs []error
	for _, ch := range charges {
		if remaining <= 0 {
			break
		}
		refundable := ch.Amount - ch.AmountRefunded
		if refundable <= 0 || !strings.EqualFold(ch.Currency, balance.Currency) {
			continue
		}
		key := "refunded:close:" + cust.ID + ":" + ch.ID
		entry, created, st, err := s.debitAndSettle(ctx, Entry{
			CustomerID: cust.ID, Kind: models.CreditRefunded, Reference: "charge:" + ch.ID,
			IdempotencyKey: key, Actor: actor,
		}, refundable, &models.Settlement{Kind: models.SettlementRefund, Target: ch.ID}, "refund:")
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("refund balance: %w", err))...)
		}
		if entry == nil {
			break // the balance is zero
		}
		if created {
			remaining += entry.AmountCents
		}
		if err := s.settle(ctx, st); err != nil {
			errs = append(errs, err)
		}
	}
	if remaining > 0 {
		s.log().WarnContext(ctx, "closed account keeps credit: no refundable charge left", "customer_id", cust.ID, "cents", remaining)
	}
	return errors.Join(errs...)
}

// refundClosedAccounts runs refundBalance for every closed account with a
// Stripe customer that still holds credit.
func (s *Service) refundClosedAccounts(ctx context.Context) error {
	var custs []*models.Customer
	err := s.DB.NewSelect().Model(&custs).
		Where("c.closed_at IS NOT NULL AND c.stripe_customer_id IS NOT NULL").
		Where("(SELECT COALESCE(SUM(ce.amount_cents), 0) FROM credit_entries AS ce WHERE ce.customer_id = c.id) > 0").
		OrderExpr("c.id").Limit(retryBatch).
		Scan(ctx)
	if err != nil {
		return fmt.Errorf("closed accounts with credit: %w", err)
	}
	var errs []error
	for _, c := range custs {
		if err := s.refundBalance(ctx, c, systemActor); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// finishOptOut ends the subscription of a pending opt-out refund when an
// interrupted opt-out left it live: the customer asked to leave, and the
// refund must not be paid for a subscription that goes on.
func (s *Service) finishOptOut(ctx context.Context, st *models.Settlement) error {
	if st.SubscriptionID == "" {
		return nil
	}
	sub, err := findSubscription(ctx, s.DB, st.SubscriptionID)
	if err != nil || !sub.Status.Live() {
		return err
	}
	_, err = s.Store.EndSubscription(ctx, sub.ID, models.StatusCanceled, reasonOptOut, systemActor)
	if err != nil && models.ErrorCode(err) != models.CodeConflict {
		return fmt.Errorf("finish opt-out %s: %w", sub.ID, err)
	}
	return nil
}

// debitAndSettle writes, in one transaction under the customer's ledger
// lock, a debit of e.Kind of the customer's balance but at most maxCents
// under e.IdempotencyKey, and a pending settlement of it (tmpl's kind,
// target and subscription) under keyPrefix + the entry's key. A replayed key
// returns the entry written before, not created, and its settlement
// (written now if it was missing). It returns nil entry and settlement when
// the balance is zero and there is no entry yet.
func (s *Service) debitAndSettle(ctx context.Context, e Entry, maxCents int64, tmpl *models.Settlement, keyPrefix string) (*models.CreditEntry, bool, *models.Settlement, error) {
	var entry *models.CreditEntry
	var created bool
	var st *models.Settlement
	err := s.inTx(ctx, func(tx bun.Tx) error {
		if err := lockCustomer(ctx, tx, e.CustomerID); err != nil {
			return err
		}
		prev, err := entryByKey(ctx, tx, e.IdempotencyKey)
		switch {
		case err != nil:
			return err
		case prev != nil && (prev.CustomerID != e.CustomerID || prev.Kind != e.Kind):
			return duplicateError(e)
		case prev != nil:
			entry = prev
		default:
			balance, err := balanceTx(ctx, tx, e.CustomerID)
			if err != nil {
				return err
			}
			amount := min(balance, maxCents)
			if amount <= 0 {
				return nil
			}
			e.AmountCents = -amount
			if entry, created, err = s.Ledger.AppendTx(ctx, tx, e); err != nil {
				return err
			}
		}
		st = &models.Settlement{
			CustomerID: entry.CustomerID, SubscriptionID: tmpl.SubscriptionID, Kind: tmpl.Kind, Target: tmpl.Target,
			AmountCents: -entry.AmountCents, Currency: entry.Currency, LedgerKey: entry.IdempotencyKey,
			IdempotencyKey: keyPrefix + entry.IdempotencyKey,
		}
		st, err = s.createSettlementTx(ctx, tx, st)
		return err
	})
	if err != nil {
		return nil, false, nil, fmt.Errorf("debit and settle: %w", err)
	}
	return entry, created, st, nil
}

// createSettlement writes a pending settlement in a transaction of its own
// and returns it, or the settlement written before under its idempotency
// key.
func (s *Service) createSettlement(ctx context.Context, st *models.Settlement) (*models.Settlement, error) {
	var out *models.Settlement
	err := s.inTx(ctx, func(tx bun.Tx) error {
		var err error
		out, err = s.createSettlementTx(ctx, tx, st)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create settlement: %w", err)
	}
	return out, nil
}

// createSettlementTx inserts st as pending unless its idempotency key is
// taken, and returns the stored settlement.
func (s *Service) createSettlementTx(ctx context.Context, tx bun.Tx, st *models.Settlement) (*models.Settlement, error) {
	now := s.now()
	st.ID, st.Status, st.CreatedAt, st.UpdatedAt = uuid.Must(uuid.NewV7()).String(), models.SettlementPending, now, now
	if s.Stripe == nil {
		st.LastError = msgStripeDisabled
	}
	if _, err := tx.NewInsert().Model(st).On("CONFLICT (idempotency_key) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("insert settlement: %w", err)
	}
	stored := new(models.Settlement)
	if err := tx.NewSelect().Model(stored).Where("st.idempotency_key = ?", st.IdempotencyKey).Scan(ctx); err != nil {
		return nil, fmt.Errorf("find settlement: %w", err)
	}
	if stored.CustomerID != st.CustomerID || stored.Kind != st.Kind {
		return nil, models.Errorf(models.CodeConflict, "settlement key %q was used for another settlement", st.IdempotencyKey)
	}
	return stored, nil
}

// settle asks Stripe to carry out a pending settlement with its
// idempotency key and records the outcome: settled with Stripe's id;
// still pending (attempts and last_error updated) for a retryable failure,
// which it returns; failed, with its debit reversed, for a refusal that a
// retry cannot change. A credit note waits (nil) while its subscription is
// live or no paid invoice is known, and cancels the Stripe subscription
// before it refunds. A refund Stripe accepted but has not finished waits for
// its webhook. A settlement first tried more than a day ago is not tried
// again but marked for review: Stripe forgets idempotency keys after 24
// hours, so a repeat might pay twice. Settlements that are not pending, and
// a disabled Stripe, are no-ops.
func (s *Service) settle(ctx context.Context, st *models.Settlement) error {
	if st == nil || st.Status != models.SettlementPending {
		return nil
	}
	if s.Stripe == nil {
		return s.noteSettlement(ctx, st, msgStripeDisabled, false)
	}
	if st.Kind == models.SettlementRefund && st.StripeID != "" {
		return nil // accepted by Stripe: its webhook says when it is done
	}
	if !st.FirstAttemptAt.IsZero() && s.now().Sub(st.FirstAttemptAt) > idempotencyWindow {
		// Stripe forgets idempotency keys after 24 hours: a retry could
		// then carry out an earlier attempt that did reach Stripe a
		// second time.
		s.log().ErrorContext(ctx, "settlement needs review: Stripe's idempotency window has passed", "settlement_id", st.ID, "kind", st.Kind)
		return s.noteSettlement(ctx, st, msgNeedsReview, false)
	}
	var (
		stripeID, refundStatus string
		err                    error
	)
	switch st.Kind {
	case models.SettlementInvoiceCredit:
		var cust *models.Customer
		if cust, err = findCustomer(ctx, s.DB, st.CustomerID); err != nil {
			return fmt.Errorf("settle %s: %w", st.ID, err)
		}
		stripeID, err = s.Stripe.ApplyCreditToInvoice(ctx, cust.StripeCustomerID, st.Target, st.AmountCents, st.Currency, st.IdempotencyKey)
	case models.SettlementRefund:
		stripeID, refundStatus, err = s.Stripe.Refund(ctx, st.Target, st.AmountCents, st.IdempotencyKey)
	case models.SettlementCreditNote:
		sub, ferr := findSubscription(ctx, s.DB, st.SubscriptionID)
		switch {
		case ferr != nil:
			return fmt.Errorf("settle %s: %w", st.ID, ferr)
		case sub.Status.Live():
			return nil // an interrupted opt-out: RetrySettlements ends it first
		}
		if sub.StripeSubscriptionID != "" && sub.CancelReason != reasonStripeCanceled {
			if err := s.Stripe.CancelSubscription(ctx, sub.StripeSubscriptionID); err != nil && IsRetryable(err) {
				// Not an attempt of the refund: cancelling is idempotent
				// without a key.
				if nerr := s.noteSettlement(ctx, st, s.clientSafe(err), false); nerr != nil {
					return nerr
				}
				return fmt.Errorf("settle %s: %w", st.ID, err)
			} else if err != nil {
				s.log().ErrorContext(ctx, "opt-out: cancel Stripe subscription", "subscription_id", sub.ID, "err", err)
			}
		}
		if st.Target == "" {
			if sub.StripeLatestInvoiceID == "" {
				return s.noteSettlement(ctx, st, msgNoPaidInvoice, false)
			}
			if err := s.setTarget(ctx, st, sub.StripeLatestInvoiceID); err != nil {
				return fmt.Errorf("settle %s: %w", st.ID, err)
			}
		}
		stripeID, err = s.Stripe.RefundInvoice(ctx, st.Target, st.AmountCents, st.IdempotencyKey)
	default:
		return fmt.Errorf("settle %s: unknown kind %q", st.ID, st.Kind)
	}
	switch {
	case err != nil && IsRetryable(err):
		return s.retryLater(ctx, st, err)
	case err != nil:
		s.log().ErrorContext(ctx, "settlement refused by Stripe", "settlement_id", st.ID, "kind", st.Kind, "err", err)
		return s.failSettlement(ctx, st, s.clientSafe(err))
	case refundStatus == string(stripe.RefundStatusFailed) || refundStatus == string(stripe.RefundStatusCanceled):
		return s.failSettlement(ctx, st, "Stripe refund "+stripeID+" is "+refundStatus)
	case refundStatus != "" && refundStatus != string(stripe.RefundStatusSucceeded):
		// Accepted but not finished: charge.refunded or
		// charge.refund.updated settles it.
		return s.update(ctx, st, func(q *bun.UpdateQuery) *bun.UpdateQuery {
			st.StripeID, st.LastError = stripeID, msgRefundPending
			return s.attempted(q.Set("stripe_id = ?", stripeID).Set("last_error = ?", msgRefundPending), st)
		})
	}
	return s.update(ctx, st, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		st.Status, st.StripeID, st.LastError = models.SettlementSettled, stripeID, ""
		return s.attempted(q.Set("status = ?", models.SettlementSettled).Set("stripe_id = ?", stripeID).Set("last_error = NULL"), st)
	})
}

// retryLater records a retryable failure on a pending settlement and
// returns it.
func (s *Service) retryLater(ctx context.Context, st *models.Settlement, cause error) error {
	if err := s.noteSettlement(ctx, st, s.clientSafe(cause), true); err != nil {
		return err
	}
	return fmt.Errorf("settle %s: %w", st.ID, cause)
}

// noteSettlement records why a pending settlement is still pending,
// counting an attempt when one was made.
func (s *Service) noteSettlement(ctx context.Context, st *models.Settlement, msg string, attempted bool) error {
	if !attempted && st.LastError == msg {
		return nil
	}
	return s.update(ctx, st, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		st.LastError = msg
		q = q.Set("last_error = ?", msg)
		if attempted {
			q = s.attempted(q, st)
		}
		return q
	})
}

// attempted counts a Stripe attempt on st in q, noting when the first was.
func (s *Service) attempted(q *bun.UpdateQuery, st *models.Settlement) *bun.UpdateQuery {
	now := s.now()
	st.Attempts++
	if st.FirstAttemptAt.IsZero() {
		st.FirstAttemptAt = now
	}
	return q.Set("attempts = attempts + 1").Set("first_attempt_at = COALESCE(first_attempt_at, ?)", now)
}

// setTarget fills in the invoice of a credit note that had none.
func (s *Service) setTarget(ctx context.Context, st *models.Settlement, target string) error {
	return s.update(ctx, st, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		st.Target = target
		return q.Set("target = ?", target)
	})
}

// update applies set to the settlement's row while it is still pending.
func (s *Service) update(ctx context.Context, st *models.Settlement, set func(*bun.UpdateQuery) *bun.UpdateQuery) error {
	st.UpdatedAt = s.now()
	q := s.DB.NewUpdate().Model((*models.Settlement)(nil)).Set("updated_at = ?", st.UpdatedAt).
		Where("id = ? AND status = ?", st.ID, models.SettlementPending)
	if _, err := set(q).Exec(ctx); err != nil {
		return fmt.Errorf("update settlement %s: %w", st.ID, err)
	}
	return nil
}

// failSettlement marks a pending settlement failed with a client-safe
// reason and, in the same transaction, reverses the debit it settles with
// an adjustment (key "reversal:"+ledger key) so that no credit is lost.
func (s *Service) failSettlement(ctx context.Context, st *models.Settlement, reason string) error {
	reason = truncate(reason, maxLastError)
	now := s.now()
	err := s.inTx(ctx, func(tx bun.Tx) error {
		if err := lockCustomer(ctx, tx, st.CustomerID); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*models.Settlement)(nil)).
			Set("status = ?", models.SettlementFailed).Set("last_error = ?", reason).
			Set("attempts = attempts + 1").Set("first_attempt_at = COALESCE(first_attempt_at, ?)", now).Set("updated_at = ?", now).
			Where("id = ? AND status = ?", st.ID, models.SettlementPending).
			Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || st.LedgerKey == "" {
			return nil
		}
		debit, err := entryByKey(ctx, tx, st.LedgerKey)
		if err != nil || debit == nil {
			return err
		}
		_, _, err = s.Ledger.AppendTx(ctx, tx, Entry{
			CustomerID: st.CustomerID, Kind: models.CreditAdjustment, AmountCents: -debit.AmountCents,
			Currency: debit.Currency, Reference: debit.Reference, IdempotencyKey: "reversal:" + st.LedgerKey,
			Reason: reversalReason(st), Actor: systemActor,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("fail settlement %s: %w", st.ID, err)
	}
	st.Status, st.LastError, st.UpdatedAt = models.SettlementFailed, reason, now
	st.Attempts++
	return nil
}

// reversalReason is the reason of the adjustment that gives a failed
// settlement's debit back.
func reversalReason(st *models.Settlement) string {
	switch st.Kind {
	case models.SettlementInvoiceCredit:
		return "credit could not be applied to invoice " + st.Target
	case models.SettlementRefund:
		return "credit could not be refunded on charge " + st.Target
	}
	return "settlement " + st.ID + " failed"
}

// markSettled marks pending settlements of kind settled that Stripe reports
// done: those with stripeID, or whose idempotency key is ledgerKey (the
// ps_ledger_key metadata the client writes). It returns how many it marked.
func (s *Service) markSettled(ctx context.Context, kind models.SettlementKind, stripeID, ledgerKey string) (int64, error) {
	if stripeID == "" && ledgerKey == "" {
		return 0, nil
	}
	q := s.DB.NewUpdate().Model((*models.Settlement)(nil)).
		Set("status = ?", models.SettlementSettled).Set("last_error = NULL").Set("updated_at = ?", s.now()).
		Where("kind = ? AND status = ?", kind, models.SettlementPending).
		WhereGroup(" AND ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
			if stripeID != "" {
				q = q.WhereOr("stripe_id = ?", stripeID)
			}
			if ledgerKey != "" {
				q = q.WhereOr("idempotency_key = ?", ledgerKey)
			}
			return q
		})
	if stripeID != "" {
		q = q.Set("stripe_id = COALESCE(stripe_id, ?)", stripeID)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("mark settled: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// clientSafe returns a short text for a failed Stripe call that may be
// shown to staff and customers: Stripe's status, code and message, never
// the secret key or our internals.
func (s *Service) clientSafe(err error) string {
	var se *stripe.Error
	var msg string
	switch {
	case errors.As(err, &se):
		code := string(se.Code)
		if code == "" {
			code = string(se.Type)
		}
		msg = fmt.Sprintf("Stripe %d %s: %s", se.HTTPStatusCode, code, se.Msg)
	case errors.Is(err, errInvalidArgument):
		msg = err.Error() // our own check, written for people
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		msg = "the Stripe call timed out"
	default:
		msg = "Stripe could not be reached"
	}
	if s.Stripe != nil && s.Stripe.key != "" {
		msg = strings.ReplaceAll(msg, s.Stripe.key, "[redacted]")
	}
	return truncate(msg, maxLastError)
}

// truncate returns s cut to at most n characters.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
