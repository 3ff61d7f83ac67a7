package metrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// InboundProviders counts the deliveries of the mail providers' inbound
// webhooks (Mailgun, SES through SNS, Postmark) by provider and outcome.
// Both labels come from fixed sets in package inbound, so the series are
// bounded.
type InboundProviders struct {
	deliveries *prometheus.CounterVec
}

// InboundProviders returns the counter of provider webhook deliveries,
// ps_inbound_provider_deliveries_total{provider,outcome}, registering it
// on first use; later calls share it.
func (m *Metrics) InboundProviders() *InboundProviders {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ps_inbound_provider_deliveries_total",
		Help: "Inbound webhook deliveries of mail providers by provider and outcome (stored, duplicate, bad_auth, stale, replayed, topic, unparseable, too_large, busy, error, confirmed, ignored).",
	}, []string{"provider", "outcome"})
	if err := m.registry.Register(c); err != nil {
		var dup prometheus.AlreadyRegisteredError
		if !errors.As(err, &dup) {
			panic(err) // a programming error: the metric's definition clashes
		}
		c = dup.ExistingCollector.(*prometheus.CounterVec)
	}
	return &InboundProviders{deliveries: c}
}

// Count counts one delivery of provider with its outcome.
func (p *InboundProviders) Count(provider, outcome string) {
	p.deliveries.WithLabelValues(provider, outcome).Inc()
}
