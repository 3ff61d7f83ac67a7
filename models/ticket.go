package models

import (
	"time"

	"github.com/uptrace/bun"
)

// TicketStatus is whether a ticket waits for work.
type TicketStatus string

// The ticket statuses.
const (
	TicketOpen     TicketStatus = "open"
	TicketResolved TicketStatus = "resolved"
)

// Ticket is one support conversation: the messages threaded together and,
// for priority tickets, their SLA clocks. Priority, the customer and the
// subscription are decided once, at the opening message, and kept.
type Ticket struct {
	bun.BaseModel `bun:"table:tickets,alias:t"`

	ID             string       `bun:"id,pk"`
	CustomerID     string       `bun:"customer_id,nullzero"`     // the customer whose covered domain wrote first, if any
	SubscriptionID string       `bun:"subscription_id,nullzero"` // the subscription that covered it then, if any
	Priority       bool         `bun:"priority,notnull"`
	Status         TicketStatus `bun:"status,notnull"`
	Subject        string       `bun:"subject,notnull"`
	RequesterEmail string       `bun:"requester_email,notnull"`
	OpenedAt       time.Time    `bun:"opened_at,notnull"` // when the opening message was received
	ResolvedAt     time.Time    `bun:"resolved_at,nullzero"`
	CurrentDueAt   time.Time    `bun:"current_due_at,nullzero"` // due time of the running clock, for the queue
	LastMessageAt  time.Time    `bun:"last_message_at,notnull"`
	CreatedAt      time.Time    `bun:"created_at,notnull"`
	UpdatedAt      time.Time    `bun:"updated_at,notnull"`
}

// Direction tells customer mail from support mail.
type Direction string

// The message directions.
const (
	FromCustomer Direction = "customer"
	FromSupport  Direction = "support"
)

// Machine says what kind of machine sent a message, if one did.
type Machine string

// The machine kinds; the empty Machine is a person.
const (
	MachineNone      Machine = ""
	MachineAutoReply Machine = "auto_reply" // RFC 3834 auto-reply or bulk mail
	MachineBounce    Machine = "bounce"     // a delivery status notification
)

// Message is one email on a ticket. CustomerID repeats the ticket's, so
// that reads are scoped in one table.
type Message struct {
	bun.BaseModel `bun:"table:ticket_messages,alias:m"`

	ID          string    `bun:"id,pk"`
	TicketID    string    `bun:"ticket_id,notnull"`
	CustomerID  string    `bun:"customer_id,nullzero"`
	MessageID   string    `bun:"message_id,notnull"` // the RFC 5322 Message-ID, or one derived from the content
	Direction   Direction `bun:"direction,notnull"`
	Machine     Machine   `bun:"machine,notnull"`
	FromAddress string    `bun:"from_address,notnull"`
	FromName    string    `bun:"from_name,notnull"`
	ToAddresses string    `bun:"to_addresses,notnull"` // comma-separated
	Subject     string    `bun:"subject,notnull"`
	ReceivedAt  time.Time `bun:"received_at,notnull"` // the vendor's relay's time: the SLA time of the message
	SentAt      time.Time `bun:"sent_at,nullzero"`    // the sender's Date: header, shown but never trusted
	InReplyTo   string    `bun:"in_reply_to,notnull"` // space-separated message ids
	References  string    `bun:"refs,notnull"`        // space-separated message ids
	BodyText    string    `bun:"body_text,notnull"`
	Attachments int       `bun:"attachments,notnull"`
	SizeBytes   int       `bun:"size_bytes,notnull"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
}

// TicketActionKind is a change of status made by a person.
type TicketActionKind string

// The ticket actions.
const (
	ActionResolve TicketActionKind = "resolve"
	ActionReopen  TicketActionKind = "reopen"
)

// TicketAction records who resolved or reopened a ticket, and when.
type TicketAction struct {
	bun.BaseModel `bun:"table:ticket_actions,alias:ta"`

	ID       string           `bun:"id,pk"`
	TicketID string           `bun:"ticket_id,notnull"`
	Kind     TicketActionKind `bun:"kind,notnull"`
	At       time.Time        `bun:"at,notnull"`
	Actor    string           `bun:"actor,notnull"`
}

// Clock is one stored SLA clock of a priority ticket (see package sla),
// with what it measured, so that reports are queries. AlertLevel is the
// last SLA alert sent for it.
type Clock struct {
	bun.BaseModel `bun:"table:sla_clocks,alias:k"`

	ID              string    `bun:"id,pk"`
	TicketID        string    `bun:"ticket_id,notnull"`
	Seq             int       `bun:"seq,notnull"`
	SubscriptionID  string    `bun:"subscription_id,notnull"`
	CustomerID      string    `bun:"customer_id,notnull"`
	Kind            string    `bun:"kind,notnull"`
	Month           string    `bun:"month,notnull"`
	StartedAt       time.Time `bun:"started_at,notnull"`
	DueAt           time.Time `bun:"due_at,notnull"`
	TargetSeconds   int64     `bun:"target_seconds,notnull"`
	StoppedAt       time.Time `bun:"stopped_at,nullzero"`
	StoppedBy       string    `bun:"stopped_by,nullzero"`
	BusinessSeconds *int64    `bun:"business_seconds"`
	Met             *bool     `bun:"met"`
	AlertLevel      string    `bun:"alert_level,notnull"`
	UpdatedAt       time.Time `bun:"updated_at,notnull"`
}

// TicketFilter narrows a ticket list. Zero fields do not filter.
type TicketFilter struct {
	Status         TicketStatus
	Priority       *bool
	SubscriptionID string
	From, To       time.Time // opened in [From, To)
}

// InboundEmail is one parsed support email, as ingestion hands it to the
// store. ReceivedAt is the vendor relay's time; zero means now.
type InboundEmail struct {
	MessageID   string
	Direction   Direction
	Machine     Machine
	From        string
	FromName    string
	FromDomain  string // ASCII (punycode) form, lower case
	To          []string
	Subject     string
	TicketToken string // a ticket id found in the subject, if any
	ReceivedAt  time.Time
	SentAt      time.Time
	InReplyTo   []string
	References  []string
	BodyText    string
	Attachments int
	Size        int
}

// IngestResult is what ingesting one email did.
type IngestResult struct {
	TicketID   string
	CustomerID string
	Priority   bool
	Duplicate  bool
	// ReceivedAt is when the vendor's mail system received this copy of
	// the message (the topmost Received: time, else when it was ingested).
	ReceivedAt time.Time
}

// Running reports whether the clock has not stopped.
func (c *Clock) Running() bool { return c.StoppedAt.IsZero() }

// SLAMonth is a subscription's month as finalised after its cutoff: the
// report is frozen, so later mail cannot change a verdict once credited.
type SLAMonth struct {
	bun.BaseModel `bun:"table:sla_months,alias:sm"`

	SubscriptionID         string    `bun:"subscription_id,pk"`
	Month                  string    `bun:"month,pk"`
	CustomerID             string    `bun:"customer_id,notnull"`
	Met                    bool      `bun:"met,notnull"`
	TicketsReceived        int       `bun:"tickets_received,notnull"`
	FirstResponses         int       `bun:"first_responses,notnull"`
	FirstResponsesMet      int       `bun:"first_responses_met,notnull"`
	FollowUps              int       `bun:"follow_ups,notnull"`
	AverageFollowUpSeconds *int64    `bun:"average_follow_up_seconds"`
	CreditEntryID          string    `bun:"credit_entry_id,nullzero"`
	EvaluatedAt            time.Time `bun:"evaluated_at,notnull"`
}
