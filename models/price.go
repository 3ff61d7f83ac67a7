package models

// MonthlyFee is the Priority Support list price per month: 800 USD, billed
// annually.
var MonthlyFee = Money{Cents: 80000, Currency: "USD"}

// AnnualFee returns the yearly invoice amount for a monthly fee: twelve
// months in one invoice.
func AnnualFee(monthly Money) Money {
	return Money{Cents: monthly.Cents * 12, Currency: monthly.Currency}
}
