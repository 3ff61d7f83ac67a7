// Package models holds the domain of the Priority Support backend: customers,
// their licenses, Priority Support subscriptions and the domains they cover,
// money, and the rules that decide eligibility and normalise domains. It knows
// nothing of GraphQL, HTTP or SQL; storage and transport depend on it.
package models
