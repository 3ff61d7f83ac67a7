package billing_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/internal/stripetest"
)

func TestParseWebhook(t *testing.T) {
	const secret = "whsec_test_secret"
	invoice := map[string]any{"id": "in_1", "object": "invoice", "status": "draft", "amount_due": 960000}
	payload := stripetest.Event(t, "evt_1", "invoice.created", invoice)
	now := time.Now()

	tests := []struct {
		name    string
		payload []byte
		header  string
		wantErr error // nil: parses
	}{
		{"good signature", payload, stripetest.SignatureHeader(payload, secret, now), nil},
		{"4 minutes old", payload, stripetest.SignatureHeader(payload, secret, now.Add(-4*time.Minute)), nil},
		{"rolled secret: second v1 matches", payload,
			stripetest.SignatureHeader(payload, "whsec_old", now) + ",v1=" + sigOnly(stripetest.SignatureHeader(payload, secret, now)), nil},
		{"tampered payload", bytes.Replace(payload, []byte("960000"), []byte("1"), 1), stripetest.SignatureHeader(payload, secret, now), billing.ErrSignature},
		{"wrong secret", payload, stripetest.SignatureHeader(payload, "whsec_other", now), billing.ErrSignature},
		{"6 minutes old", payload, stripetest.SignatureHeader(payload, secret, now.Add(-6*time.Minute)), billing.ErrSignature},
		{"missing header", payload, "", billing.ErrSignature},
		{"malformed header", payload, "garbage", billing.ErrSignature},
		{"no v1 signature", payload, "t=" + strconv.FormatInt(now.Unix(), 10), billing.ErrSignature},
		{"other API version", stripetest.EventVersion(t, "evt_2", "invoice.created", "2022-11-15", invoice),
			stripetest.SignatureHeader(stripetest.EventVersion(t, "evt_2", "invoice.created", "2022-11-15", invoice), secret, now), billing.ErrAPIVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := billing.ParseWebhook(tt.payload, tt.header, secret)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				other := billing.ErrAPIVersion
				if tt.wantErr == billing.ErrAPIVersion {
					other = billing.ErrSignature
				}
				if errors.Is(err, other) {
					t.Errorf("err = %v is also %v", err, other)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID != "evt_1" || ev.Type != "invoice.created" || ev.APIVersion != stripe.APIVersion {
				t.Errorf("event = %s %s %s, want evt_1 invoice.created %s", ev.ID, ev.Type, ev.APIVersion, stripe.APIVersion)
			}
			if ev.Data == nil || ev.Data.Object["id"] != "in_1" {
				t.Errorf("data.object = %v, want the invoice", ev.Data)
			}
		})
	}

	t.Run("empty secret", func(t *testing.T) {
		if _, err := billing.ParseWebhook(payload, stripetest.SignatureHeader(payload, "", now), ""); !errors.Is(err, billing.ErrSignature) {
			t.Fatalf("err = %v, want ErrSignature", err)
		}
	})
	t.Run("signed but not an event", func(t *testing.T) {
		for _, body := range []string{`not json`, `{"api_version":"` + stripe.APIVersion + `"}`} {
			_, err := billing.ParseWebhook([]byte(body), stripetest.SignatureHeader([]byte(body), secret, now), secret)
			if err == nil || errors.Is(err, billing.ErrSignature) || errors.Is(err, billing.ErrAPIVersion) {
				t.Errorf("%s: err = %v, want a decoding error", body, err)
			}
		}
	})
}

// sigOnly returns the v1 signature of a header made by SignatureHeader.
func sigOnly(header string) string {
	_, sig, _ := strings.Cut(header, ",v1=")
	return sig
}
