package billing

import (
	"errors"
	"fmt"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// ErrSignature is returned for a webhook whose Stripe-Signature header is
// missing, malformed, does not match the payload and endpoint secret, or is
// older than the tolerance. The handler answers 400 and stores nothing.
var ErrSignature = errors.New("stripe webhook: invalid signature")

// ErrAPIVersion is returned for a correctly signed event written for another
// Stripe API version than the one stripe-go sends (stripe.APIVersion): its
// objects may not decode as expected, so it is not processed. The webhook
// endpoint's API version must be set to stripe.APIVersion.
var ErrAPIVersion = errors.New("stripe webhook: unexpected API version")

// ParseWebhook verifies payload against the Stripe-Signature header with
// the endpoint secret and stripe-go's default 5-minute tolerance, at the
// current time, and decodes the event. It returns an error wrapping
// ErrSignature for a bad, missing or expired signature, one wrapping
// ErrAPIVersion for a correctly signed event of another API version, and
// another error for a correctly signed payload that is not an event.
func ParseWebhook(payload []byte, header, secret string) (stripe.Event, error) {
	if secret == "" {
		// An empty secret would let anyone sign.
		return stripe.Event{}, fmt.Errorf("%w: no webhook secret configured", ErrSignature)
	}
	// The API version is checked here rather than by stripe-go, whose
	// mismatch error cannot be told apart from a decoding error.
	ev, err := webhook.ConstructEventWithOptions(payload, header, secret, webhook.ConstructEventOptions{
		IgnoreAPIVersionMismatch: true,
	})
	if err != nil {
		switch {
		case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader),
			errors.Is(err, webhook.ErrNoValidSignature), errors.Is(err, webhook.ErrTooOld):
			return stripe.Event{}, fmt.Errorf("%w: %w", ErrSignature, err)
		}
		return stripe.Event{}, fmt.Errorf("stripe webhook: decode event: %w", err)
	}
	if ev.APIVersion != stripe.APIVersion {
		return stripe.Event{}, fmt.Errorf("%w: event %s is for %q, want %q", ErrAPIVersion, ev.ID, ev.APIVersion, stripe.APIVersion)
	}
	if ev.ID == "" || ev.Type == "" || ev.Data == nil || ev.Data.Object == nil {
		return stripe.Event{}, errors.New("stripe webhook: decode event: missing id, type or data.object")
	}
	return ev, nil
}
