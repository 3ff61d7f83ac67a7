package model

import (
	"time"

	"github.com/prioritysupport/backend/models"
)

// SupportSubscription is the schema's SupportSubscription: a stored
// subscription with the answers of its status and domains fields, which
// graph reads for a whole list of subscriptions at once. Make one with
// NewSupportSubscription.
type SupportSubscription struct {
	*models.SupportSubscription
	status  Part[models.SubscriptionStatus]
	domains Part[[]string]
}

// NewSupportSubscription returns the view of s with its status at now (the
// store's clock) and domains, its sorted domains when they were read.
func NewSupportSubscription(s *models.SupportSubscription, now time.Time, domains Part[[]string]) *SupportSubscription {
	return &SupportSubscription{SupportSubscription: s, status: PartOf(s.EffectiveStatus(now), nil), domains: domains}
}

// CurrentStatus returns the subscription's status at the time the view
// was made (a pending subscription whose start has passed is active).
func (s *SupportSubscription) CurrentStatus() (models.SubscriptionStatus, error) {
	return s.status.get("SupportSubscription.status")
}

// Domains returns the domains the subscription covers, sorted (for an
// ended subscription, the set it ended with), or the error that kept them
// from being read.
func (s *SupportSubscription) Domains() ([]string, error) {
	return s.domains.get("SupportSubscription.domains")
}
