package metrics

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Sources are the metrics of the sources of mail (IMAP folders, provider
// webhooks), labelled by source name ("imap:INBOX", "webhook:mailgun"):
// messages by result, the last message's lag and time, and the runs of the
// connectors that poll.
type Sources struct {
	messages    *prometheus.CounterVec
	lag         *prometheus.GaugeVec
	lastMessage *prometheus.GaugeVec
	runs        *prometheus.CounterVec
}

// Results of a message taken from a source.
const (
	SourceTaken     = "taken"     // ingested
	SourceDuplicate = "duplicate" // ingested before (same Message-ID)
	SourceRefused   = "refused"   // unparseable or too large; skipped
)

// NewSources returns the mail-source metrics registered in reg; called
// again on the same registry, it returns the same collectors.
func NewSources(reg prometheus.Registerer) *Sources {
	s := &Sources{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ps_mail_source_messages_total", Help: "Messages a mail source delivered, by source and result (taken, duplicate, refused).",
		}, []string{"source", "result"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ps_mail_source_lag_seconds", Help: "For the last message a mail source delivered: seconds from its arrival in the mailbox to its ingestion.",
		}, []string{"source"}),
		lastMessage: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ps_mail_source_last_message_timestamp_seconds", Help: "When the last message a mail source delivered arrived, as a Unix time.",
		}, []string{"source"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ps_mail_connector_runs_total", Help: "Runs of a polling mail connector, by connector and result (ok, error).",
		}, []string{"connector", "result"}),
	}
	s.messages = register(reg, s.messages)
	s.lag = register(reg, s.lag)
	s.lastMessage = register(reg, s.lastMessage)
	s.runs = register(reg, s.runs)
	return s
}

// register registers c in reg and returns it, or the collector registered
// before under the same name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// Message counts one message of source with its result (SourceTaken,
// SourceDuplicate or SourceRefused); for a message ingested, arrived is
// when it reached the mailbox (zero when unknown) and now when it was
// ingested.
func (s *Sources) Message(source, result string, arrived, now time.Time) {
	if s == nil {
		return
	}
	s.messages.WithLabelValues(source, result).Inc()
	if result == SourceRefused || arrived.IsZero() {
		return
	}
	s.lag.WithLabelValues(source).Set(max(now.Sub(arrived).Seconds(), 0))
	s.lastMessage.WithLabelValues(source).Set(float64(arrived.UnixMilli()) / 1000)
}

// Run counts one run of a polling connector ("imap"), failed or not.
func (s *Sources) Run(connector string, err error) {
	if s == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	s.runs.WithLabelValues(connector, result).Inc()
}
