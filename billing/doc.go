// Package billing owns how Priority Support is charged and credited: the
// append-only credit ledger, the calls to Stripe (customers, yearly
// subscriptions, credit on renewal invoices, refunds) and the Stripe
// webhooks that drive renewals, cancellations and settled refunds.
package billing
