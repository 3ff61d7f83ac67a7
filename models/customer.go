package models

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Customer is an organisation that buys licenses and, with a valid paid
// license, Priority Support.
type Customer struct {
	bun.BaseModel `bun:"table:customers,alias:c"`

	ID               string    `bun:"id,pk"`
	Name             string    `bun:"name,notnull"`
	SearchName       string    `bun:"search_name,notnull"` // Name case-folded, for case-insensitive search on both databases
	StripeCustomerID string    `bun:"stripe_customer_id,nullzero"`
	ClosedAt         time.Time `bun:"closed_at,nullzero"` // set when the account was closed
	CreatedAt        time.Time `bun:"created_at,notnull"`
	UpdatedAt        time.Time `bun:"updated_at,notnull"`
}

// CustomerInput is what sales gives to create a customer.
type CustomerInput struct {
	Name             string
	StripeCustomerID string
}

// Normalize trims the input and checks it: a name of 1 to
// MaxCustomerNameLength characters on one line, without control characters,
// and, when given, a Stripe customer id of the form "cus_…". It returns a
// BAD_USER_INPUT *Error naming every problem.
func (in *CustomerInput) Normalize() error {
	in.Name = strings.TrimSpace(in.Name)
	in.StripeCustomerID = strings.TrimSpace(in.StripeCustomerID)
	var problems []string
	if in.Name == "" {
		problems = append(problems, "name is required")
	} else if msg := textProblem("name", in.Name, MaxCustomerNameLength, false); msg != "" {
		problems = append(problems, msg)
	}
	if id := in.StripeCustomerID; id != "" && (!strings.HasPrefix(id, "cus_") || len(id) > MaxStripeIDBytes || !utf8.ValidString(id) ||
		strings.ContainsAny(id, " \t\r\n") || hasControl(id, false)) {
		problems = append(problems, `stripeCustomerId must look like "cus_…"`)
	}
	return problemsError(problems)
}

// problemsError returns nil for no problems, else one BAD_USER_INPUT *Error
// that lists them all.
func problemsError(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return Errorf(CodeBadUserInput, "%s", strings.Join(problems, "; "))
}
