package models

import "fmt"

// Money is an amount in integer minor units (cents) of a currency, never a
// float.
type Money struct {
	Cents    int64
	Currency string
}

// String returns the amount as "USD 800.00" for logs and messages.
func (m Money) String() string {
	sign := ""
	c := m.Cents
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s %s%d.%02d", m.Currency, sign, c/100, c%100)
}
