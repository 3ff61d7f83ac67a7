package billing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/prioritysupport/backend/telemetry"
)

// StripeConfig says how to reach Stripe.
type StripeConfig struct {
	// SecretKey is the Stripe secret API key; empty disables Stripe.
	SecretKey string
	// APIBase is the base URL of the Stripe API, such as stripe-mock's
	// "http://127.0.0.1:12111"; empty means Stripe's real API.
	APIBase string
	// PriceID is the yearly Priority Support price that subscriptions are
	// created with.
	PriceID string
}

// Stripe is a thin client for the Stripe calls billing makes. Every POST
// carries an idempotency key derived from what it settles, so a retried call
// never charges, credits or refunds twice. Its zero value is not usable; use
// NewStripe.
type Stripe struct {
	api     *client.API
	key     string
	priceID string
}

// CreditLineDescription is the description of the negative invoice item
// ApplyCreditToInvoice adds.
const CreditLineDescription = "Priority Support credit"

// RefundLineDescription is the description of the credit note line
// RefundInvoice issues.
const RefundLineDescription = "Early access opt-out: unused days"

// Metadata keys written on Stripe objects, linking them back to ours.
const (
	metaCustomerID     = "ps_customer_id"
	metaSubscriptionID = "ps_subscription_id"
	metaLedgerKey      = "ps_ledger_key"
)

// anchorMargin is how far in the future a billing cycle anchor must be to be
// sent: Stripe refuses anchors in the past, and one a moment away could be
// past by the time the request arrives.
const anchorMargin = time.Minute

// errInvalidArgument marks errors in the caller's arguments; IsRetryable
// reports false for them.
var errInvalidArgument = errors.New("invalid argument")

// NewStripe returns a client for cfg. It returns nil, nil when
// cfg.SecretKey is empty: Stripe is disabled and the app runs without
// billing calls, so callers check for a nil *Stripe. An APIBase that is not
// an http(s) URL is an error.
func NewStripe(cfg StripeConfig) (*Stripe, error) {
	if cfg.SecretKey == "" {
		return nil, nil
	}
	var base *string
	if cfg.APIBase != "" {
		u, err := url.Parse(cfg.APIBase)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("stripe: API base %q is not an http(s) URL", cfg.APIBase)
		}
		base = stripe.String(strings.TrimRight(cfg.APIBase, "/"))
	}
	// Errors are returned to the caller, which logs them; stripe-go's own
	// logger would log each one a second time.
	quiet := &stripe.LeveledLogger{Level: stripe.LevelNull}
	// stripe-go's default client (80 s timeout, the default transport),
	// with a client span per call when tracing is on.
	httpClient := &http.Client{Timeout: 80 * time.Second, Transport: telemetry.Transport("Stripe", http.DefaultTransport)}
	backend := func(typ stripe.SupportedBackend) stripe.Backend {
		// GetBackendWithConfig fills in the config it is given, so each
		// backend gets its own. With a custom API base, uploads and
		// Connect go there too (stripe-mock serves all three).
		return stripe.GetBackendWithConfig(typ, &stripe.BackendConfig{URL: base, LeveledLogger: quiet, HTTPClient: httpClient})
	}
	api := client.New(cfg.SecretKey, &stripe.Backends{
		API:     backend(stripe.APIBackend),
		Connect: backend(stripe.ConnectBackend),
		Uploads: backend(stripe.UploadsBackend),
	})
	return &Stripe{api: api, key: cfg.SecretKey, priceID: cfg.PriceID}, nil
}

// EnsureCustomer returns existing when it is not empty. Otherwise it creates
// a Stripe customer named name, with metadata ps_customer_id=customerID and
// idempotency key "customer:"+customerID, and returns its id.
func (s *Stripe) EnsureCustomer(ctx context.Context, customerID, name, existing string) (string, error) {
	if existing != "" {
		return existing, nil
	}
	if customerID == "" {
		return "", fmt.Errorf("stripe: create customer: empty customer id: %w", errInvalidArgument)
	}
	p := &stripe.CustomerParams{Name: optString(name)}
	p.Context = ctx
	p.AddMetadata(metaCustomerID, customerID)
	p.SetIdempotencyKey("customer:" + customerID)
	c, err := s.api.Customers.New(p)
	if err != nil {
		return "", s.wrap("create customer", err)
	}
	return c.ID, nil
}

// CreateYearlySubscription creates a Stripe subscription to the configured
// yearly price for stripeCustomerID, with proration_behavior none, metadata
// ps_subscription_id=subscriptionID and idempotency key
// "subscription:"+subscriptionID, and returns its id. A future anchor (the
// license renewal, or the day Priority Support starts) becomes the
// billing_cycle_anchor, so the first yearly invoice falls on it; an anchor
// that is past, now or under a minute away is left out and Stripe bills at
// once. Without a configured price id it returns an error.
func (s *Stripe) CreateYearlySubscription(ctx context.Context, stripeCustomerID, subscriptionID string, anchor time.Time) (string, error) {
	if s.priceID == "" {
		return "", fmt.Errorf("stripe: create subscription: no price id configured: %w", errInvalidArgument)
	}
	if subscriptionID == "" {
		return "", fmt.Errorf("stripe: create subscription: empty subscription id: %w", errInvalidArgument)
	}
	p := &stripe.SubscriptionParams{
		Customer:          optString(stripeCustomerID),
		Items:             []*stripe.SubscriptionItemsParams{{Price: stripe.String(s.priceID)}},
		ProrationBehavior: stripe.String("none"),
	}
	if time.Until(anchor) > anchorMargin {
		p.BillingCycleAnchor = stripe.Int64(anchor.Unix())
	}
	p.Context = ctx
	p.AddMetadata(metaSubscriptionID, subscriptionID)
	p.SetIdempotencyKey("subscription:" + subscriptionID)
	sub, err := s.api.Subscriptions.New(p)
	if err != nil {
		return "", s.wrap("create subscription", err)
	}
	return sub.ID, nil
}

// ApplyCreditToInvoice adds an invoice item of -cents in currency, described
// "Priority Support credit", to the draft invoice invoiceID of
// stripeCustomerID, with idempotency key key (also written as metadata
// ps_ledger_key), and returns the invoice item's id. cents must be positive.
func (s *Stripe) ApplyCreditToInvoice(ctx context.Context, stripeCustomerID, invoiceID string, cents int64, currency, key string) (string, error) {
	if err := checkSettlement(cents, key); err != nil {
		return "", fmt.Errorf("stripe: apply credit: %w", err)
	}
	p := &stripe.InvoiceItemParams{
		Customer:    optString(stripeCustomerID),
		Invoice:     optString(invoiceID),
		Amount:      stripe.Int64(-cents),
		Currency:    optString(strings.ToLower(currency)),
		Description: stripe.String(CreditLineDescription),
	}
	p.Context = ctx
	p.AddMetadata(metaLedgerKey, key)
	p.SetIdempotencyKey(key)
	item, err := s.api.InvoiceItems.New(p)
	if err != nil {
		return "", s.wrap("apply credit", err)
	}
	return item.ID, nil
}

// Charge is a succeeded Stripe charge, in cents.
type Charge struct {
	ID             string
	Amount         int64
	AmountRefunded int64
	// Currency is the lower-case ISO code Stripe uses, such as "usd".
	Currency string
	Created  time.Time
	// InvoiceID is the invoice the charge paid; empty for a charge outside
	// invoicing.
	InvoiceID string
}

// Charges returns stripeCustomerID's succeeded charges, newest first, reading
// every page.
func (s *Stripe) Charges(ctx context.Context, stripeCustomerID string) ([]Charge, error) {
	if stripeCustomerID == "" {
		// Stripe would list every customer's charges.
		return nil, fmt.Errorf("stripe: list charges: empty customer id: %w", errInvalidArgument)
	}
	p := &stripe.ChargeListParams{Customer: stripe.String(stripeCustomerID)}
	p.Context = ctx
	p.Limit = stripe.Int64(100)
	var out []Charge
	it := s.api.Charges.List(p)
	for it.Next() {
		c := it.Charge()
		if c.Status != stripe.ChargeStatusSucceeded {
			continue
		}
		ch := Charge{
			ID:             c.ID,
			Amount:         c.Amount,
			AmountRefunded: c.AmountRefunded,
			Currency:       string(c.Currency),
			Created:        time.Unix(c.Created, 0).UTC(),
		}
		if c.Invoice != nil {
			ch.InvoiceID = c.Invoice.ID
		}
		out = append(out, ch)
	}
	if err := it.Err(); err != nil {
		return nil, s.wrap("list charges", err)
	}
	return out, nil
}

// Refund refunds cents of chargeID with idempotency key key (also written as
// metadata ps_ledger_key) and returns the refund's id and status
// ("pending", "succeeded", …). cents must be positive.
func (s *Stripe) Refund(ctx context.Context, chargeID string, cents int64, key string) (id, status string, err error) {
	if err := checkSettlement(cents, key); err != nil {
		return "", "", fmt.Errorf("stripe: refund: %w", err)
	}
	if chargeID == "" {
		// Without a charge Stripe would need a payment intent instead.
		return "", "", fmt.Errorf("stripe: refund: empty charge id: %w", errInvalidArgument)
	}
	p := &stripe.RefundParams{Charge: stripe.String(chargeID), Amount: stripe.Int64(cents)}
	p.Context = ctx
	p.AddMetadata(metaLedgerKey, key)
	p.SetIdempotencyKey(key)
	r, err := s.api.Refunds.New(p)
	if err != nil {
		return "", "", s.wrap("refund", err)
	}
	return r.ID, string(r.Status), nil
}

// RefundInvoice issues a credit note on the paid invoice invoiceID that
// refunds cents to the customer's payment method: one custom line of cents
// described "Early access opt-out: unused days" (a credit note needs lines or
// an amount) and refund_amount cents, with idempotency key key (also written
// as metadata ps_ledger_key). It returns the credit note's id. cents must be
// positive.
func (s *Stripe) RefundInvoice(ctx context.Context, invoiceID string, cents int64, key string) (string, error) {
	if err := checkSettlement(cents, key); err != nil {
		return "", fmt.Errorf("stripe: refund invoice: %w", err)
	}
	p := &stripe.CreditNoteParams{
		Invoice: optString(invoiceID),
		Lines: []*stripe.CreditNoteLineParams{{
			Type:        stripe.String("custom_line_item"),
			Description: stripe.String(RefundLineDescription),
			Quantity:    stripe.Int64(1),
			UnitAmount:  stripe.Int64(cents),
		}},
		RefundAmount: stripe.Int64(cents),
	}
	p.Context = ctx
	p.AddMetadata(metaLedgerKey, key)
	p.SetIdempotencyKey(key)
	cn, err := s.api.CreditNotes.New(p)
	if err != nil {
		return "", s.wrap("refund invoice", err)
	}
	return cn.ID, nil
}

// CancelSubscription cancels the Stripe subscription stripeSubscriptionID at
// once, without proration, with idempotency key
// "cancel-subscription:"+stripeSubscriptionID. Cancelling is idempotent by
// the subscription id: a subscription that is already canceled is success.
func (s *Stripe) CancelSubscription(ctx context.Context, stripeSubscriptionID string) error {
	if stripeSubscriptionID == "" {
		return fmt.Errorf("stripe: cancel subscription: empty subscription id: %w", errInvalidArgument)
	}
	p := &stripe.SubscriptionCancelParams{}
	p.Context = ctx
	// Stripe treats DELETE as idempotent by itself; a key derived from the
	// subscription still replaces the random one stripe-go would send.
	p.SetIdempotencyKey("cancel-subscription:" + stripeSubscriptionID)
	_, err := s.api.Subscriptions.Cancel(stripeSubscriptionID, p)
	if err == nil {
		return nil
	}
	var se *stripe.Error
	if errors.As(err, &se) && se.Type == stripe.ErrorTypeInvalidRequest {
		// Stripe refuses to cancel twice; look whether that is why.
		gp := &stripe.SubscriptionParams{}
		gp.Context = ctx
		if sub, gerr := s.api.Subscriptions.Get(stripeSubscriptionID, gp); gerr == nil &&
			(sub.Status == stripe.SubscriptionStatusCanceled || sub.Status == stripe.SubscriptionStatusIncompleteExpired) {
			return nil
		}
	}
	return s.wrap("cancel subscription", err)
}

// IsRetryable reports whether a failed Stripe call may succeed when retried
// with the same idempotency key: network errors and timeouts, Stripe errors
// on its side (5xx, api_error), rate limits and lock timeouts (429), and
// idempotency conflicts with a request still in flight (409). Invalid
// requests, card errors and other 4xx answers, invalid arguments and a
// canceled context are not retryable.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, errInvalidArgument) || errors.Is(err, context.Canceled) {
		return false
	}
	var se *stripe.Error
	if errors.As(err, &se) {
		switch {
		case se.HTTPStatusCode >= 500, se.HTTPStatusCode == 429, se.HTTPStatusCode == 409:
			return true
		case se.Type == stripe.ErrorTypeAPI, se.Code == stripe.ErrorCodeLockTimeout:
			return true
		}
		return false
	}
	// Anything else failed before a Stripe answer could be read: the
	// connection, a timeout, or a body that was not a Stripe error (such
	// as a proxy's 502 page).
	return true
}

// wrap prefixes err with "stripe: "+op, making sure the secret key never
// appears in the message.
func (s *Stripe) wrap(op string, err error) error {
	if s.key != "" && strings.Contains(err.Error(), s.key) {
		return &redactedError{msg: "stripe: " + op + ": " + strings.ReplaceAll(err.Error(), s.key, "[redacted]"), err: err}
	}
	return fmt.Errorf("stripe: %s: %w", op, err)
}

// redactedError is an error whose message has the secret key removed but
// still unwraps to the original, so IsRetryable can classify it.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// checkSettlement checks the amount and idempotency key of a call that
// moves money.
func checkSettlement(cents int64, key string) error {
	if cents <= 0 {
		return fmt.Errorf("amount %d cents is not positive: %w", cents, errInvalidArgument)
	}
	if key == "" {
		return fmt.Errorf("empty idempotency key: %w", errInvalidArgument)
	}
	return nil
}

// optString returns a pointer to v, or nil for "" so that the parameter is
// left out and Stripe itself reports a missing required one.
func optString(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}
