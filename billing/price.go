// Package billing owns what Priority Support costs and, with Stripe, how it
// is charged.
package billing

import "github.com/prioritysupport/backend/models"

// MonthlyFee is the Priority Support list price per month: 800 USD, billed
// annually.
var MonthlyFee = models.Money{Cents: 80000, Currency: "USD"}

// AnnualFee returns the yearly invoice amount for a monthly fee: twelve
// months in one invoice.
func AnnualFee(monthly models.Money) models.Money {
	return models.Money{Cents: monthly.Cents * 12, Currency: monthly.Currency}
}
