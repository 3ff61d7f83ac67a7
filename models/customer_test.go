package models_test

import (
	"strings"
	"testing"

	"github.com/prioritysupport/backend/models"
)

func TestCustomerInputNormalize(t *testing.T) {
	tests := []struct {
		name       string
		in         models.CustomerInput
		wantName   string
		wantStripe string
	}{
		{"name only", models.CustomerInput{Name: "Acme Corp"}, "Acme Corp", ""},
		{"name and stripe id trimmed", models.CustomerInput{Name: "  Acme Corp\n", StripeCustomerID: " cus_123 "}, "Acme Corp", "cus_123"},
		{"blank stripe id is no stripe id", models.CustomerInput{Name: "Acme", StripeCustomerID: "   "}, "Acme", ""},
		{"one-character name", models.CustomerInput{Name: "A"}, "A", ""},
		{"200 characters counted as runes", models.CustomerInput{Name: strings.Repeat("é", 200)}, strings.Repeat("é", 200), ""},
		{"255-byte stripe id", models.CustomerInput{Name: "Acme", StripeCustomerID: "cus_" + strings.Repeat("x", 251)}, "Acme", "cus_" + strings.Repeat("x", 251)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if err := in.Normalize(); err != nil {
				t.Fatalf("Normalize error = %v", err)
			}
			if in.Name != tt.wantName || in.StripeCustomerID != tt.wantStripe {
				t.Fatalf("got name %q, stripe id %q; want %q, %q", in.Name, in.StripeCustomerID, tt.wantName, tt.wantStripe)
			}
		})
	}
}

func TestCustomerInputNormalizeRefuses(t *testing.T) {
	const badStripe = `stripeCustomerId must look like "cus_…"`
	tests := []struct {
		name    string
		in      models.CustomerInput
		wantMsg string
	}{
		{"empty name", models.CustomerInput{}, "name is required"},
		{"blank name", models.CustomerInput{Name: " \t\n "}, "name is required"},
		{"201-character name", models.CustomerInput{Name: strings.Repeat("é", 201)}, "name is longer than 200 characters"},
		{"stripe id without prefix", models.CustomerInput{Name: "Acme", StripeCustomerID: "acct_123"}, badStripe},
		{"stripe id with upper-case prefix", models.CustomerInput{Name: "Acme", StripeCustomerID: "CUS_123"}, badStripe},
		{"stripe id with an inner space", models.CustomerInput{Name: "Acme", StripeCustomerID: "cus_1 23"}, badStripe},
		{"stripe id with an inner newline", models.CustomerInput{Name: "Acme", StripeCustomerID: "cus_1\n23"}, badStripe},
		{"256-byte stripe id", models.CustomerInput{Name: "Acme", StripeCustomerID: "cus_" + strings.Repeat("x", 252)}, badStripe},
		{"every problem named", models.CustomerInput{Name: "", StripeCustomerID: "123"}, "name is required; " + badStripe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			wantBadInput(t, in.Normalize(), tt.wantMsg)
		})
	}
}

// wantBadInput fails the test unless err is BAD_USER_INPUT with exactly msg.
func wantBadInput(t *testing.T, err error, msg string) {
	t.Helper()
	if code := models.ErrorCode(err); code != models.CodeBadUserInput {
		t.Fatalf("code = %q, want %q (error %v)", code, models.CodeBadUserInput, err)
	}
	if got := models.ErrorMessage(err); got != msg {
		t.Fatalf("message = %q, want %q", got, msg)
	}
}
