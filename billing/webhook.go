package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/httperr"
	"github.com/prioritysupport/backend/logging"
	"github.com/prioritysupport/backend/models"
)

// Webhook limits.
const (
	// MaxWebhookBytes caps a webhook body: Stripe's events are far smaller.
	MaxWebhookBytes = 1 << 20
	// eventLease is how long one delivery or job owns an event it is
	// processing; a crash frees the event when the lease runs out.
	eventLease = 2 * time.Minute
	// processTimeout bounds the processing of one delivery; it goes on
	// when Stripe hangs up, so the outcome is recorded.
	processTimeout = 30 * time.Second
	eventBatch     = 100
	maxEventError  = 1000 // characters
)

// stripeEvent is a webhook event as recorded in stripe_events: every event
// id once, with its payload, until it is processed.
type stripeEvent struct {
	bun.BaseModel `bun:"table:stripe_events,alias:se"`

	ID          string    `bun:"id,pk"`
	Type        string    `bun:"type,notnull"`
	APIVersion  string    `bun:"api_version,notnull"`
	Created     time.Time `bun:"created,notnull"`
	Payload     string    `bun:"payload,notnull"`
	ReceivedAt  time.Time `bun:"received_at,notnull"`
	ProcessedAt time.Time `bun:"processed_at,nullzero"`
	LockedUntil time.Time `bun:"locked_until,nullzero"`
	Attempts    int       `bun:"attempts,notnull"`
	LastError   string    `bun:"last_error,nullzero"`
}

// WebhookHandler returns the handler of POST /webhooks/stripe. It verifies
// the Stripe-Signature header with WebhookSecret (5-minute tolerance),
// records the event in stripe_events (an id seen before is a redelivery)
// and then processes it once, idempotently. It answers:
//   - 200 {"received":true} once the event is recorded and processed (or
//     was processed before, or another delivery is processing it now);
//   - 400 BAD_USER_INPUT for a bad, missing or expired signature, for an
//     event of another Stripe API version (logged with its id, type and
//     version, so Stripe retries it after a deploy that understands it),
//     and for a body that is not an event; nothing is recorded;
//   - 413 for a body over 1 MiB, 405 for another method;
//   - 500 INTERNAL when the event could not be recorded, or was recorded
//     but processing failed (a Stripe call failed): Stripe retries, and so
//     does ProcessPendingEvents.
func (s *Service) WebhookHandler() http.Handler {
	return http.HandlerFunc(s.serveWebhook)
}

func (s *Service) serveWebhook(w http.ResponseWriter, r *http.Request) {
	log := logging.For(r.Context(), s.log())
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httperr.Write(w, http.StatusMethodNotAllowed, models.CodeBadUserInput, "use POST with a Stripe event")
		return
	}
	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		httperr.Write(w, http.StatusRequestEntityTooLarge, models.CodeBadUserInput, fmt.Sprintf("event is larger than %d bytes", MaxWebhookBytes))
		return
	case err != nil:
		httperr.Write(w, http.StatusBadRequest, models.CodeBadUserInput, "could not read the event")
		return
	}
	ev, err := ParseWebhook(payload, r.Header.Get("Stripe-Signature"), s.WebhookSecret)
	switch {
	case errors.Is(err, ErrSignature):
		log.WarnContext(r.Context(), "stripe webhook refused: invalid signature", "remote_addr", r.RemoteAddr)
		httperr.Write(w, http.StatusBadRequest, models.CodeBadUserInput, "invalid Stripe signature")
		return
	case errors.Is(err, ErrAPIVersion):
		var head struct {
			ID         string `json:"id"`
			Type       string `json:"type"`
			APIVersion string `json:"api_version"`
		}
		_ = json.Unmarshal(payload, &head) // signed by Stripe; only read for the log
		log.ErrorContext(r.Context(), "stripe webhook refused: unexpected API version; set the endpoint's version",
			"event_id", head.ID, "type", head.Type, "api_version", head.APIVersion, "want", stripe.APIVersion)
		httperr.Write(w, http.StatusBadRequest, models.CodeBadUserInput, "unsupported Stripe API version")
		return
	case err != nil:
		httperr.Write(w, http.StatusBadRequest, models.CodeBadUserInput, "not a Stripe event")
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), processTimeout)
	defer cancel()
	if err := s.recordEvent(ctx, ev, payload); err != nil {
		log.ErrorContext(ctx, "stripe webhook: record event", "event_id", ev.ID, "type", ev.Type, "err", err)
		httperr.Write(w, http.StatusInternalServerError, models.CodeInternal, "internal error")
		return
	}
	if err := s.processEvent(ctx, ev); err != nil {
		log.ErrorContext(ctx, "stripe webhook: processing failed; will retry", "event_id", ev.ID, "type", ev.Type, "err", err)
		httperr.Write(w, http.StatusInternalServerError, models.CodeInternal, "event recorded; processing failed and will be retried")
		return
	}
	httperr.JSON(w, http.StatusOK, map[string]bool{"received": true})
}

// ProcessPendingEvents processes the recorded webhook events that are not
// processed yet and that no delivery is processing now, oldest first, for a
// periodic job. It goes on after a failure and returns the failures joined.
func (s *Service) ProcessPendingEvents(ctx context.Context) error {
	var rows []*stripeEvent
	err := s.DB.NewSelect().Model(&rows).
		Where("se.processed_at IS NULL").
		Where("(se.locked_until IS NULL OR se.locked_until <= ?)", s.now()).
		OrderExpr("se.created, se.id").Limit(eventBatch).
		Scan(ctx)
	if err != nil {
		return fmt.Errorf("process pending events: %w", err)
	}
	var errs []error
	for _, row := range rows {
		var ev stripe.Event
		if err := json.Unmarshal([]byte(row.Payload), &ev); err != nil {
			errs = append(errs, fmt.Errorf("event %s: decode: %w", row.ID, err))
			continue
		}
		if err := s.processEvent(ctx, ev); err != nil {
			errs = append(errs, fmt.Errorf("event %s: %w", row.ID, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("process pending events: %w", err)
	}
	return nil
}

// recordEvent inserts the event unless its id is recorded already.
func (s *Service) recordEvent(ctx context.Context, ev stripe.Event, payload []byte) error {
	row := &stripeEvent{
		ID: ev.ID, Type: string(ev.Type), APIVersion: ev.APIVersion,
		Created: time.Unix(ev.Created, 0).UTC(), Payload: string(payload), ReceivedAt: s.now(),
	}
	if _, err := s.DB.NewInsert().Model(row).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("insert stripe event: %w", err)
	}
	return nil
}

// processEvent claims a recorded, unprocessed event for eventLease,
// handles it and marks it processed; on failure it records the error and
// frees the event for the next delivery or job. An event processed before,
// or claimed by another delivery, is left alone (nil).
func (s *Service) processEvent(ctx context.Context, ev stripe.Event) error {
	now := s.now()
	res, err := s.DB.NewUpdate().Model((*stripeEvent)(nil)).
		Set("locked_until = ?", now.Add(eventLease)).Set("attempts = attempts + 1").
		Where("id = ? AND processed_at IS NULL", ev.ID).
		Where("(locked_until IS NULL OR locked_until <= ?)", now).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("claim stripe event: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if herr := s.handleEvent(ctx, ev); herr != nil {
		_, err := s.DB.NewUpdate().Model((*stripeEvent)(nil)).
			Set("locked_until = NULL").Set("last_error = ?", truncate(herr.Error(), maxEventError)).
			Where("id = ?", ev.ID).
			Exec(ctx)
		return errors.Join(herr, err)
	}
	_, err = s.DB.NewUpdate().Model((*stripeEvent)(nil)).
		Set("processed_at = ?", s.now()).Set("locked_until = NULL").Set("last_error = NULL").
		Where("id = ?", ev.ID).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark stripe event processed: %w", err)
	}
	return nil
}

// handleEvent applies one event; types that do not matter are ignored.
func (s *Service) handleEvent(ctx context.Context, ev stripe.Event) error {
	if ev.Data == nil {
		return nil
	}
	switch ev.Type {
	case "invoice.created":
		return s.onInvoiceCreated(ctx, ev)
	case "invoice.paid":
		return s.onInvoicePaid(ctx, ev)
	case "customer.subscription.updated", "customer.subscription.deleted":
		return s.onSubscriptionChanged(ctx, ev)
	case "charge.refunded":
		return s.onChargeRefunded(ctx, ev)
	case "charge.refund.updated":
		return s.onRefundUpdated(ctx, ev)
	case "credit_note.created":
		return s.onCreditNoteCreated(ctx, ev)
	}
	return nil
}

// onInvoiceCreated applies credit to a draft renewal invoice of a customer
// we know: a debit of the balance up to the amount due (key
// "applied:invoice:<id>") and an invoice_credit settlement, then the
// negative invoice item. A retryable Stripe failure is returned (the event
// is retried); a refusal fails the settlement and gives the credit back.
func (s *Service) onInvoiceCreated(ctx context.Context, ev stripe.Event) error {
	var inv stripe.Invoice
	if err := json.Unmarshal(ev.Data.Raw, &inv); err != nil {
		return fmt.Errorf("decode invoice: %w", err)
	}
	if inv.ID == "" || inv.BillingReason != stripe.InvoiceBillingReasonSubscriptionCycle ||
		inv.Status != stripe.InvoiceStatusDraft || inv.AmountDue <= 0 || inv.Customer == nil || inv.Customer.ID == "" {
		return nil
	}
	var cust models.Customer
	switch err := s.DB.NewSelect().Model(&cust).Where("c.stripe_customer_id = ?", inv.Customer.ID).Scan(ctx); {
	case errors.Is(err, sql.ErrNoRows):
		return nil // not one of our customers
	case err != nil:
		return fmt.Errorf("find customer by stripe id: %w", err)
	}
	if !strings.EqualFold(string(inv.Currency), models.MonthlyFee.Currency) {
		s.log().WarnContext(ctx, "renewal invoice in another currency: no credit applied", "invoice", inv.ID, "currency", inv.Currency)
		return nil
	}
	if s.Stripe == nil {
		s.log().ErrorContext(ctx, "renewal invoice: Stripe is not configured, no credit applied", "invoice", inv.ID)
		return nil
	}
	var subID string
	if inv.Subscription != nil && inv.Subscription.ID != "" {
		err := s.DB.NewSelect().Model((*models.SupportSubscription)(nil)).Column("s.id").
			Where("s.stripe_subscription_id = ? AND s.customer_id = ?", inv.Subscription.ID, cust.ID).
			Scan(ctx, &subID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find subscription by stripe id: %w", err)
		}
	}
	entry, _, st, err := s.debitAndSettle(ctx, Entry{
		CustomerID: cust.ID, Kind: models.CreditApplied, Reference: "invoice:" + inv.ID,
		IdempotencyKey: "applied:invoice:" + inv.ID, Actor: actorWebhook,
	}, inv.AmountDue, &models.Settlement{Kind: models.SettlementInvoiceCredit, Target: inv.ID, SubscriptionID: subID}, "credit:")
	if err != nil || entry == nil {
		return err
	}
	return s.settle(ctx, st)
}

// onInvoicePaid records a paid invoice of one of our subscriptions as its
// latest and moves its current period forward to the invoice's line
// period; an older or replayed invoice changes nothing.
func (s *Service) onInvoicePaid(ctx context.Context, ev stripe.Event) error {
	var inv stripe.Invoice
	if err := json.Unmarshal(ev.Data.Raw, &inv); err != nil {
		return fmt.Errorf("decode invoice: %w", err)
	}
	if inv.ID == "" || inv.Subscription == nil || inv.Subscription.ID == "" {
		return nil
	}
	var start, end time.Time
	if inv.Lines != nil && len(inv.Lines.Data) > 0 && inv.Lines.Data[0] != nil {
		if p := inv.Lines.Data[0].Period; p != nil && p.End > p.Start && p.Start > 0 {
			start, end = time.Unix(p.Start, 0).UTC(), time.Unix(p.End, 0).UTC()
		}
	}
	return s.inTx(ctx, func(tx bun.Tx) error {
		sub, err := subscriptionByStripeID(ctx, tx, inv.Subscription.ID)
		if err != nil || sub == nil {
			return err
		}
		q := tx.NewUpdate().Model((*models.SupportSubscription)(nil)).Where("id = ?", sub.ID)
		switch {
		case !end.IsZero() && end.After(sub.CurrentPeriodEnd):
			q = q.Set("current_period_start = ?", start).Set("current_period_end = ?", end).
				Set("stripe_latest_invoice_id = ?", inv.ID)
		case sub.StripeLatestInvoiceID == "" && (end.IsZero() || end.Equal(sub.CurrentPeriodEnd)):
			q = q.Set("stripe_latest_invoice_id = ?", inv.ID)
		default:
			return nil // older or replayed
		}
		if _, err := q.Set("updated_at = ?", s.now()).Exec(ctx); err != nil {
			return fmt.Errorf("extend period: %w", err)
		}
		return nil
	})
}

// onSubscriptionChanged applies a Stripe subscription's status to ours:
// events older than the last one applied (stripe_event_at) are ignored; a
// deleted or canceled Stripe subscription ends ours (canceled, "canceled in
// Stripe") unless it has ended already. Nothing makes an ended subscription
// live again, so a deletion that overtakes an update still wins.
func (s *Service) onSubscriptionChanged(ctx context.Context, ev stripe.Event) error {
	var ss stripe.Subscription
	if err := json.Unmarshal(ev.Data.Raw, &ss); err != nil {
		return fmt.Errorf("decode subscription: %w", err)
	}
	created := time.Unix(ev.Created, 0).UTC()
	var sub *models.SupportSubscription
	err := s.inTx(ctx, func(tx bun.Tx) error {
		found, err := subscriptionByStripeID(ctx, tx, ss.ID)
		if err != nil || found == nil {
			return err
		}
		if created.Before(found.StripeEventAt) {
			return nil // older than what was applied
		}
		sub = found
		if !created.After(found.StripeEventAt) {
			return nil
		}
		_, err = tx.NewUpdate().Model((*models.SupportSubscription)(nil)).
			Set("stripe_event_at = ?", created).Set("updated_at = ?", s.now()).
			Where("id = ?", found.ID).
			Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("record stripe subscription event: %w", err)
	}
	ends := ev.Type == "customer.subscription.deleted" ||
		ss.Status == stripe.SubscriptionStatusCanceled || ss.Status == stripe.SubscriptionStatusIncompleteExpired
	if sub == nil || !ends {
		return nil
	}
	if sub.Status.Live() {
		_, err = s.Store.EndSubscription(ctx, sub.ID, models.StatusCanceled, reasonStripeCanceled, actorStripe)
		if err != nil && models.ErrorCode(err) != models.CodeConflict {
			return err
		}
	}
	return s.markCanceledInStripe(ctx, sub.ID)
}

// onChargeRefunded settles the refund settlements of the charge's refunds
// that have not failed.
func (s *Service) onChargeRefunded(ctx context.Context, ev stripe.Event) error {
	var ch stripe.Charge
	if err := json.Unmarshal(ev.Data.Raw, &ch); err != nil {
		return fmt.Errorf("decode charge: %w", err)
	}
	if ch.Refunds == nil {
		return nil
	}
	for _, rf := range ch.Refunds.Data {
		if rf == nil || rf.Status == stripe.RefundStatusFailed || rf.Status == stripe.RefundStatusCanceled {
			continue
		}
		if _, err := s.markSettled(ctx, models.SettlementRefund, rf.ID, rf.Metadata[metaLedgerKey]); err != nil {
			return err
		}
	}
	return nil
}

// onRefundUpdated settles the refund settlement of a refund that has
// succeeded since it was made, and fails one whose refund failed or was
// canceled (giving its credit back).
func (s *Service) onRefundUpdated(ctx context.Context, ev stripe.Event) error {
	var rf stripe.Refund
	if err := json.Unmarshal(ev.Data.Raw, &rf); err != nil {
		return fmt.Errorf("decode refund: %w", err)
	}
	switch rf.Status {
	case stripe.RefundStatusSucceeded:
		_, err := s.markSettled(ctx, models.SettlementRefund, rf.ID, rf.Metadata[metaLedgerKey])
		return err
	case stripe.RefundStatusFailed, stripe.RefundStatusCanceled:
		if rf.ID == "" {
			return nil
		}
		var sts []*models.Settlement
		err := s.DB.NewSelect().Model(&sts).
			Where("st.kind = ? AND st.status = ? AND st.stripe_id = ?", models.SettlementRefund, models.SettlementPending, rf.ID).
			Scan(ctx)
		if err != nil {
			return fmt.Errorf("find refund settlement: %w", err)
		}
		for _, st := range sts {
			if err := s.failSettlement(ctx, st, "Stripe refund "+rf.ID+" "+string(rf.Status)); err != nil {
				return err
			}
		}
	}
	return nil
}

// onCreditNoteCreated settles the credit note settlement it reports.
func (s *Service) onCreditNoteCreated(ctx context.Context, ev stripe.Event) error {
	var cn stripe.CreditNote
	if err := json.Unmarshal(ev.Data.Raw, &cn); err != nil {
		return fmt.Errorf("decode credit note: %w", err)
	}
	_, err := s.markSettled(ctx, models.SettlementCreditNote, cn.ID, cn.Metadata[metaLedgerKey])
	return err
}
