package model

import (
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
)

// Ticket is the schema's Ticket: a stored ticket with the answers of its
// subscription, sla and slaStatus fields, which graph reads for a whole
// list of tickets at once when they are selected. Make one with NewTicket.
type Ticket struct {
	*models.Ticket
	parts TicketParts
}

// TicketParts are the answers a Ticket is made with; a Part left zero was
// not read, and its field fails if resolved.
type TicketParts struct {
	// Subscription is the ticket's subscription, nil when it has none the
	// caller may see.
	Subscription Part[*SupportSubscription]
	// SLA is the ticket's live SLA state (store.TicketSLA) and SLAStatus
	// its verdict (store.SLAStatusOf), both nil for an ordinary ticket or
	// before a clock has started.
	SLA       Part[*sla.TicketSLA]
	SLAStatus Part[*sla.Status]
}

// NewTicket returns the view of t with parts.
func NewTicket(t *models.Ticket, parts TicketParts) *Ticket {
	return &Ticket{Ticket: t, parts: parts}
}

// Subscription returns the ticket's subscription, nil when it has none the
// caller may see, or the error that kept it from being read.
func (t *Ticket) Subscription() (*SupportSubscription, error) {
	return t.parts.Subscription.get("Ticket.subscription")
}

// SLA returns the ticket's live SLA state, nil for an ordinary ticket or
// before a clock has started, or the error that kept it from being read.
func (t *Ticket) SLA() (*sla.TicketSLA, error) {
	return t.parts.SLA.get("Ticket.sla")
}

// SLAStatus returns the verdict of the ticket's SLA state, nil when SLA is
// nil, or the error that kept it from being read.
func (t *Ticket) SLAStatus() (*sla.Status, error) {
	return t.parts.SLAStatus.get("Ticket.slaStatus")
}
