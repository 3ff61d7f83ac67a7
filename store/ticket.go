package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/events"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
)

// IngestEmail stores one support email on its ticket and brings the ticket's
// clocks up to date. It is called by the inbound-email endpoint, which has
// authenticated the sender, so it takes no caller. A Message-ID seen before
// changes nothing and answers Duplicate. The message is threaded by
// In-Reply-To/References, then by a stored message that refers to it or to
// an id it refers to (mail delivered out of order), then by a ticket token
// in the subject, else it opens a ticket (see threadOf); an opening customer
// message from a domain that covered it at its received time, on a
// subscription active then, while the customer's license was valid, makes
// the ticket priority (see coverageAt). It returns BAD_USER_INPUT when ReceivedAt or
// a non-zero SentAt lies outside the window of accepted times
// (models.CheckTime).
//
// Everything is one transaction of few statements: the thread lock
// (PostgreSQL), one query for the duplicate check and the thread
// candidates, the ticket with its SLA terms, its history, then the writes.
// On PostgreSQL the writes go in one statement that also publishes the
// ticket_updated event, delivered when the transaction commits, and the
// statements go out in three round trips (see pgSession); elsewhere the
// event is published after the commit.
func (s *Store) IngestEmail(ctx context.Context, in models.InboundEmail) (models.IngestResult, error) {
	return s.IngestEmailWith(ctx, in, nil)
}

// AlsoInTx is work a caller commits together with an ingested message, such
// as a mail source's progress: it runs inside the ingestion's transaction
// with the result (also for a duplicate), and an error from it rolls the
// ingestion back.
type AlsoInTx func(ctx context.Context, tx bun.IDB, res models.IngestResult) error

// IngestEmailWith is IngestEmail that also runs also, when not nil, in the
// same transaction, so what it writes is committed exactly when the message
// is. When a concurrent copy of the message wins the race, also runs in a
// transaction of its own after the duplicate is found.
func (s *Store) IngestEmailWith(ctx context.Context, in models.InboundEmail, also AlsoInTx) (models.IngestResult, error) {
	now := s.Now()
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = now
	}
	if err := models.CheckTime("receivedAt", in.ReceivedAt); err != nil {
		return models.IngestResult{}, err
	}
	if !in.SentAt.IsZero() {
		if err := models.CheckTime("sentAt", in.SentAt); err != nil {
			return models.IngestResult{}, err
		}
	}
	in.ReceivedAt = in.ReceivedAt.UTC().Truncate(time.Microsecond)
	in.SentAt = in.SentAt.UTC().Truncate(time.Microsecond)
	var (
		res       models.IngestResult
		published bool
		err       error
	)
	if s.ing.postgres {
		res, published, err = s.ingestPostgres(ctx, in, now, also)
	} else {
		err = s.ingestTx(ctx, func(tx bun.Tx) error {
			var err error
			res, published, err = s.ingest(ctx, txDB{st: s.ing, tx: tx}, in, now)
			res.ReceivedAt = in.ReceivedAt
			if err == nil && also != nil {
				err = also(ctx, tx, res)
			}
			return err
		})
	}
	if IsUniqueViolation(err) {
		// The same message arrived twice at once and the other copy won.
		res, err = duplicateOf(ctx, s.db, in.MessageID)
		res.ReceivedAt = in.ReceivedAt
		if err == nil && !res.Duplicate {
			err = errors.New("message id conflict without a stored message")
		}
		if err == nil && also != nil {
			err = s.inTx(ctx, func(tx bun.Tx) error { return also(ctx, tx, res) })
		}
		published = false
	}
	if err != nil {
		return models.IngestResult{}, fmt.Errorf("ingest email: %w", err)
	}
	if !res.Duplicate && !published {
		s.publish(ctx, events.Event{Kind: events.TicketUpdated, CustomerID: res.CustomerID, TicketID: res.TicketID, At: now})
	}
	return res, nil
}

// ingestTx runs fn in one transaction on SQLite, after the ingestions of
// this process that came first (see Store.ingestMu).
func (s *Store) ingestTx(ctx context.Context, fn func(tx bun.Tx) error) error {
	s.ing.ready(ctx)
	s.ingestMu.Lock()
	defer s.ingestMu.Unlock()
	return s.inTx(ctx, fn)
}

// ingestPostgres is IngestEmailWith's transaction on PostgreSQL, in a
// pgSession: three round trips when also is nil, whose work then needs no
// round trip of its own after the write.
func (s *Store) ingestPostgres(ctx context.Context, in models.InboundEmail, now time.Time, also AlsoInTx) (res models.IngestResult, published bool, err error) {
	p, err := newPgSession(ctx, s.db, s.ing, also == nil)
	if err != nil {
		return res, false, err
	}
	defer p.close(ctx)
	res, published, err = s.ingest(ctx, p, in, now)
	res.ReceivedAt = in.ReceivedAt
	if err == nil && also != nil {
		err = also(ctx, p.conn, res)
	}
	if err == nil {
		err = p.commit(ctx)
	}
	return res, published, err
}

// ingest is IngestEmail's work in db. published reports whether the
// ticket_updated event went out with the transaction's writes.
func (s *Store) ingest(ctx context.Context, db ingestDB, in models.InboundEmail, now time.Time) (res models.IngestResult, published bool, err error) {
	th, err := s.threadOf(ctx, db, in)
	if err != nil || th.duplicate.Duplicate {
		return th.duplicate, false, err
	}
	w := &ticketWrite{ticket: th.ticket, now: now, hist: th.hist}
	if th.ticket == nil {
		if err := s.openTicket(ctx, db, w, in, now); err != nil {
			return res, false, err
		}
	} else if th.early {
		if err := s.takeOpening(ctx, db, w, in, now); err != nil {
			return res, false, err
		}
	}
	t := w.ticket
	w.message = &models.Message{
		ID: newID(), TicketID: t.ID, CustomerID: t.CustomerID, MessageID: in.MessageID,
		Direction: in.Direction, Machine: in.Machine, FromAddress: in.From, FromName: in.FromName,
		ToAddresses: strings.Join(in.To, ","), Subject: in.Subject, ReceivedAt: in.ReceivedAt, SentAt: in.SentAt,
		InReplyTo: strings.Join(in.InReplyTo, " "), References: strings.Join(in.References, " "),
		BodyText: in.BodyText, Attachments: in.Attachments, SizeBytes: in.Size, CreatedAt: now,
	}
	w.hist.addMessage(w.message)
	w.refs = refRows(t.ID, in)
	if err := s.replay(w); err != nil {
		return res, false, err
	}
	ch, payload := s.notification(ctx, events.Event{Kind: events.TicketUpdated, CustomerID: t.CustomerID, TicketID: t.ID, At: now})
	if err := db.write(ctx, w, ch, payload); err != nil {
		return res, false, err
	}
	return models.IngestResult{TicketID: t.ID, CustomerID: t.CustomerID, Priority: t.Priority}, ch != "", nil
}

// duplicateOf returns the ticket of a stored message with messageID, with
// Duplicate set, or a zero result when there is none.
func duplicateOf(ctx context.Context, db bun.IDB, messageID string) (models.IngestResult, error) {
	var t models.Ticket
	err := db.NewSelect().Model(&t).Column("t.id", "t.customer_id", "t.priority").
		Join("JOIN ticket_messages AS m ON m.ticket_id = t.id").Where("m.message_id = ?", messageID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return models.IngestResult{}, nil
	}
	if err != nil {
		return models.IngestResult{}, err
	}
	return models.IngestResult{TicketID: t.ID, CustomerID: t.CustomerID, Priority: t.Priority, Duplicate: true}, nil
}

// thread is what threadOf found for a message.
type thread struct {
	duplicate models.IngestResult // Duplicate set: the message is stored already
	ticket    *ticketRow          // the ticket it belongs to, locked; nil: it opens one
	hist      history             // the ticket's history
	early     bool                // found through another's references (see threadOf)
}

// candidates is the one row of threadOf's query: the ticket of the message
// itself when it is stored already, and the ticket each way of threading
// finds ("" for none).
type candidates struct {
	Duplicate  sql.NullString `bun:"duplicate"`
	CustomerID sql.NullString `bun:"customer_id"`
	Priority   sql.NullBool   `bun:"priority"`
	Referenced sql.NullString `bun:"referenced"`
	Referrer   sql.NullString `bun:"referrer"`
	Sibling    sql.NullString `bun:"sibling"`
}

// threadOf finds the ticket a message belongs to, locked for change: the
// ticket of the newest message it replies to or references; else the ticket
// of a stored message that refers to it (a reply delivered before the
// message it answers); else the ticket of a stored message that refers to
// an id it refers to as well (replies to a parent not yet received: the
// nearest such id first, In-Reply-To before References); else the ticket
// its subject's token names; else none. early is true when the message was
// found through another's references: it may be earlier than the messages
// of its ticket, and then opens it (takeOpening). A message stored already
// is answered as a duplicate.
//
// One query of one row answers the duplicate check and every way of
// threading but the token (smallest ticket id first where several match);
// the siblings are looked up only when no referenced message is stored.
func (s *Store) threadOf(ctx context.Context, db ingestDB, in models.InboundEmail) (thread, error) {
	refs := s.ing.list(threadIDs(in))
	var keys []int64
	if s.ing.postgres {
		keys = threadKeys(in)
	}
	found, err := db.candidates(ctx, keys, []any{in.MessageID, refs, refs, refs, in.MessageID})
	if err != nil {
		return thread{}, err
	}
	if len(found) != 1 {
		return thread{}, fmt.Errorf("thread of a message: %d candidate rows, want 1", len(found))
	}
	c := found[0]
	if c.Duplicate.Valid {
		return thread{duplicate: models.IngestResult{TicketID: c.Duplicate.String, CustomerID: c.CustomerID.String, Priority: c.Priority.Bool, Duplicate: true}}, nil
	}
	id, early := c.Referenced.String, false
	if id == "" {
		id = c.Referrer.String
		early = id != ""
	}
	if id == "" {
		id = c.Sibling.String
		early = id != ""
	}
	if id == "" && in.TicketToken != "" {
		id = in.TicketToken
	}
	if id == "" {
		return thread{}, nil
	}
	rows, hist, err := db.ticket(ctx, id)
	if err != nil || len(rows) == 0 {
		return thread{}, err
	}
	return thread{ticket: &rows[0], hist: historyOf(hist), early: early}, nil
}

// messageRef is one message id a stored message refers to.
type messageRef struct {
	bun.BaseModel `bun:"table:ticket_message_refs,alias:r"`

	Ref       string `bun:"ref,pk"`
	MessageID string `bun:"message_id,pk"`
	TicketID  string `bun:"ticket_id,notnull"`
}

// maxThreadRefs bounds the references of one message that are kept and
// locked: a long thread's References lists every message before it.
const maxThreadRefs = 50

// threadIDs returns the message ids a message refers to, without
// duplicates or its own id: In-Reply-To first, then References newest
// first, at most maxThreadRefs.
func threadIDs(in models.InboundEmail) []string {
	ids := make([]string, 0, len(in.InReplyTo)+len(in.References))
	seen := map[string]bool{in.MessageID: true}
	add := func(id string) {
		if id != "" && !seen[id] && len(ids) < maxThreadRefs {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, id := range in.InReplyTo {
		add(id)
	}
	for i := len(in.References) - 1; i >= 0; i-- {
		add(in.References[i])
	}
	return ids
}

// refRows returns the rows that store the message ids in refers to, for
// later messages that it answers (see threadOf).
func refRows(ticketID string, in models.InboundEmail) []messageRef {
	ids := threadIDs(in)
	rows := make([]messageRef, len(ids))
	for i, id := range ids {
		rows[i] = messageRef{Ref: id, MessageID: in.MessageID, TicketID: ticketID}
	}
	return rows
}

// threadKeys are the keys of the transaction advisory locks that
// serialise, on PostgreSQL, the ingestion of messages that may belong to
// one thread: one for the message's own id and one for each id it refers
// to, sorted, so that taking them in this one global order two ingestions
// cannot wait on each other (one statement: unnest hands the sorted keys to
// the lock function in array order). Every way threadOf
// relates two messages goes through an id both lock: a message and a reply
// to it share the first's id, and two replies to one parent share the
// parent's id (both keep at most maxThreadRefs ids, the same ones they are
// matched on), so whichever commits first, the other sees it. On SQLite
// write transactions are serial already.
func threadKeys(in models.InboundEmail) []int64 {
	ids := append(threadIDs(in), in.MessageID)
	keys := make([]int64, 0, len(ids))
	for _, id := range ids {
		h := fnv.New64a()
		h.Write([]byte("thread:" + id))
		keys = append(keys, int64(h.Sum64()))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// ticketRow is a ticket loaded for change with the SLA terms of its
// subscription (NULL for a ticket of no subscription).
type ticketRow struct {
	models.Ticket `bun:",extend"`

	SLATimezone         sql.NullString `bun:"sla_timezone"`
	FirstResponseTarget sql.NullInt64  `bun:"first_response_target_seconds"`
	FollowUpTarget      sql.NullInt64  `bun:"follow_up_target_seconds"`
	inserted            bool           // a new ticket, not stored yet
}

// subscriptionTerms returns the subscription fields the SLA terms are
// made of.
func (t *ticketRow) subscriptionTerms() *models.SupportSubscription {
	return &models.SupportSubscription{
		SLATimezone:                t.SLATimezone.String,
		FirstResponseTargetSeconds: t.FirstResponseTarget.Int64,
		FollowUpTargetSeconds:      t.FollowUpTarget.Int64,
	}
}

// history is what a ticket's clocks are replayed from: its messages in
// received order, its actions in time order, and the highest sequence
// number of its stored clocks.
type history struct {
	messages []historyRow
	actions  []historyRow
	maxSeq   int
}

// historyRow is one stored message or action of a ticket.
type historyRow struct {
	Kind      int              `bun:"kind"` // 0 message, 1 action
	At        time.Time        `bun:"at"`
	ID        string           `bun:"id"`
	Direction models.Direction `bun:"direction"`
	Machine   models.Machine   `bun:"machine"`
	Action    string           `bun:"action"`
	MaxSeq    int              `bun:"max_seq"`
}

// historyOf is a ticket's history from the rows of the history query (one
// query for its messages, actions and highest clock number; see
// ingestDB.ticket).
func historyOf(rows []historyRow) history {
	var h history
	for _, r := range rows {
		if r.Kind == 0 {
			h.maxSeq = max(h.maxSeq, r.MaxSeq)
			h.messages = append(h.messages, r)
		} else {
			h.actions = append(h.actions, r)
		}
	}
	return h
}

// addMessage puts a new message in its place among the messages.
func (h *history) addMessage(m *models.Message) {
	r := historyRow{At: m.ReceivedAt, ID: m.ID, Direction: m.Direction, Machine: m.Machine}
	i := len(h.messages)
	for i > 0 && (h.messages[i-1].At.After(r.At) || h.messages[i-1].At.Equal(r.At) && h.messages[i-1].ID > r.ID) {
		i--
	}
	h.messages = slices.Insert(h.messages, i, r)
}

// addAction puts a new action in its place among the actions.
func (h *history) addAction(a *models.TicketAction) {
	r := historyRow{Kind: 1, At: a.At, ID: a.ID, Action: string(a.Kind)}
	i := len(h.actions)
	for i > 0 && (h.actions[i-1].At.After(r.At) || h.actions[i-1].At.Equal(r.At) && h.actions[i-1].ID > r.ID) {
		i--
	}
	h.actions = slices.Insert(h.actions, i, r)
}

// firstCustomerMessage returns the received time of the earliest message a
// customer (not a machine) sent, and false when there is none.
func (h *history) firstCustomerMessage() (time.Time, bool) {
	for _, m := range h.messages {
		if m.Direction == models.FromCustomer && m.Machine == models.MachineNone {
			return m.At, true
		}
	}
	return time.Time{}, false
}

// ticketWrite collects the changes one ingestion makes to a ticket, written
// by exec.
type ticketWrite struct {
	ticket  *ticketRow
	now     time.Time
	hist    history
	message *models.Message      // a new message, or nil
	refs    []messageRef         // the ids it refers to
	action  *models.TicketAction // a new action, or nil
	clocks  []models.Clock
	// customerChanged is set when an earlier opening message gave the
	// ticket another customer, which its messages repeat.
	customerChanged bool
}

// takeOpening makes in, a message delivered after a stored reply to it or
// after a stored message that refers to the same parent, the ticket's
// opening message when it is a customer's (not machine-sent) and earlier
// than the ticket's first customer message, or the first customer message
// at all: the ticket's owner, priority, requester, subject and opening time
// are then decided from it, as openTicket would have had it come first.
func (s *Store) takeOpening(ctx context.Context, db ingestDB, w *ticketWrite, in models.InboundEmail, now time.Time) error {
	if in.Direction != models.FromCustomer || in.Machine != models.MachineNone {
		return nil
	}
	if first, ok := w.hist.firstCustomerMessage(); ok && !in.ReceivedAt.Before(first) {
		return nil
	}
	t := w.ticket
	customer := t.CustomerID
	if err := s.assignCoverage(ctx, db, t, in); err != nil {
		return err
	}
	w.customerChanged = t.CustomerID != customer
	t.RequesterEmail, t.Subject, t.UpdatedAt = in.From, in.Subject, now
	if in.ReceivedAt.Before(t.OpenedAt) {
		t.OpenedAt = in.ReceivedAt
	}
	return nil
}

// openTicket starts the ticket an email opens, deciding once who it
// belongs to and whether it is priority; exec inserts it.
func (s *Store) openTicket(ctx context.Context, db ingestDB, w *ticketWrite, in models.InboundEmail, now time.Time) error {
	t := &ticketRow{Ticket: models.Ticket{
		ID: newID(), Status: models.TicketOpen, Subject: in.Subject, RequesterEmail: in.From,
		OpenedAt: in.ReceivedAt, LastMessageAt: in.ReceivedAt, CreatedAt: now, UpdatedAt: now,
	}, inserted: true}
	if in.Direction == models.FromSupport {
		t.RequesterEmail = ""
		if len(in.To) > 0 {
			t.RequesterEmail = in.To[0]
		}
	} else if err := s.assignCoverage(ctx, db, t, in); err != nil {
		return err
	}
	w.ticket = t
	return nil
}

// assignCoverage gives t the owner, priority and SLA terms that in, a
// customer's opening message, decides: who covered its sender's domain when
// it was received (nobody: no customer, not priority).
func (s *Store) assignCoverage(ctx context.Context, db ingestDB, t *ticketRow, in models.InboundEmail) error {
	cover, err := s.coverageAt(ctx, db, in.FromDomain, in.ReceivedAt)
	if err != nil {
		return err
	}
	t.CustomerID, t.SubscriptionID, t.Priority = "", "", false
	t.SLATimezone, t.FirstResponseTarget, t.FollowUpTarget = sql.NullString{}, sql.NullInt64{}, sql.NullInt64{}
	if cover != nil {
		t.CustomerID, t.SubscriptionID, t.Priority = cover.CustomerID, cover.SubscriptionID, cover.Licensed
		t.SLATimezone, t.FirstResponseTarget, t.FollowUpTarget = cover.SLATimezone, cover.FirstResponseTarget, cover.FollowUpTarget
	}
	return nil
}

// coverage is who covered a sender's domain at one instant, with the SLA
// terms of the subscription.
type coverage struct {
	SubscriptionID      string         `bun:"subscription_id"`
	CustomerID          string         `bun:"customer_id"`
	Licensed            bool           `bun:"licensed"`
	SLATimezone         sql.NullString `bun:"sla_timezone"`
	FirstResponseTarget sql.NullInt64  `bun:"first_response_target_seconds"`
	FollowUpTarget      sql.NullInt64  `bun:"follow_up_target_seconds"`
}

// coverageAt returns who covered domain at t, or nil: the subscription
// with a domain row that held domain (or a parent of it) at t, the most
// specific domain first. A row covers from its added_at (for the domains a
// subscription was created with, its start) until it was taken off or its
// subscription ended, and only while the subscription was active: started
// by t and not canceled or expired by then (statuses only move forward, so
// these times are its status history). Today's domains play no part: mail
// delivered late after a domain changed hands goes to who held it at t.
// Two subscriptions cannot cover overlapping domains at one time
// (checkDomainsFree); should older rows still do so, the domain added first
// wins. It is priority (Licensed) when the customer held a paid license
// valid at t; one query answers both.
func (s *Store) coverageAt(ctx context.Context, db ingestDB, domain string, t time.Time) (*coverage, error) {
	if domain == "" {
		return nil, nil
	}
	at := s.ing.instant(t)
	rows, err := db.coverage(ctx, []any{at, at, s.ing.list(selfAndParents(domain)), at, at, at, at, at})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// replay recomputes the ticket's status and clocks from its history
// (package sla) into w; exec stores them. Clocks keep their rows and the
// alerts sent for them as long as they start at the same time.
func (s *Store) replay(w *ticketWrite) error {
	t := w.ticket
	evs := make([]sla.Event, 0, len(w.hist.messages)+len(w.hist.actions))
	for _, m := range w.hist.messages {
		evs = append(evs, sla.Event{At: m.At, Kind: eventKind(m.Direction, m.Machine)})
	}
	for _, a := range w.hist.actions {
		k := sla.Resolve
		if models.TicketActionKind(a.Action) == models.ActionReopen {
			k = sla.Reopen
		}
		evs = append(evs, sla.Event{At: a.At, Kind: k})
	}
	var terms sla.Terms
	if t.Priority {
		var err error
		if terms, err = s.terms(t.subscriptionTerms()); err != nil {
			return err
		}
	}
	out := sla.Replay(evs, terms, t.Priority)
	w.clocks = make([]models.Clock, len(out.Clocks))
	for i, c := range out.Clocks {
		w.clocks[i] = *clockRow(&t.Ticket, c, w.now)
		w.clocks[i].ID = newID()
	}
	t.Status, t.ResolvedAt, t.CurrentDueAt = models.TicketOpen, time.Time{}, time.Time{}
	if out.Resolved {
		t.Status, t.ResolvedAt = models.TicketResolved, out.ResolvedAt.UTC()
	}
	for _, c := range out.Clocks {
		if c.Running() {
			t.CurrentDueAt = c.DueAt.UTC()
		}
	}
	if n := len(w.hist.messages); n > 0 {
		t.LastMessageAt = w.hist.messages[n-1].At
	}
	t.UpdatedAt = w.now
	return nil
}

// eventKind maps a stored message to the SLA event it is.
func eventKind(d models.Direction, m models.Machine) sla.EventKind {
	switch {
	case d == models.FromSupport && m == models.MachineNone:
		return sla.SupportReply
	case d == models.FromSupport:
		return sla.SupportMachine
	case m == models.MachineNone:
		return sla.CustomerMessage
	default:
		return sla.CustomerMachine
	}
}

// statements returns the writes of w in an order that satisfies the
// foreign keys: the ticket, its stored messages' customer, the new message
// and the ids it refers to or the new action, then the clocks.
func (w *ticketWrite) statements(tx bun.Tx) []string {
	t := w.ticket
	var out []string
	if t.inserted {
		out = append(out, tx.NewInsert().Model(&t.Ticket).Returning("NULL").String())
	} else {
		out = append(out, tx.NewUpdate().Model(&t.Ticket).
			Column("customer_id", "subscription_id", "priority", "requester_email", "subject", "opened_at",
				"status", "resolved_at", "current_due_at", "last_message_at", "updated_at").
			WherePK().Returning("NULL").String())
	}
	if w.customerChanged {
		// The stored messages; the new one is inserted with its customer.
		var customer any // NULL for a ticket of no customer
		if t.CustomerID != "" {
			customer = t.CustomerID
		}
		out = append(out, tx.NewUpdate().Model((*models.Message)(nil)).Set("customer_id = ?", customer).
			Where("ticket_id = ?", t.ID).Returning("NULL").String())
	}
	if w.message != nil {
		out = append(out, tx.NewInsert().Model(w.message).Returning("NULL").String())
	}
	if len(w.refs) > 0 {
		out = append(out, tx.NewInsert().Model(&w.refs).Returning("NULL").String())
	}
	if w.action != nil {
		out = append(out, tx.NewInsert().Model(w.action).Returning("NULL").String())
	}
	// Clocks past the new count go (a ticket that was never priority has
	// none); the others are inserted or, for a sequence number stored
	// already, updated in place when they changed (clockChanged),
	// keeping their id and, when the clock still starts at the same time
	// and is still running or still stopped, the alert level sent for it.
	if !t.inserted && w.hist.maxSeq > len(w.clocks) {
		out = append(out, tx.NewDelete().Model((*models.Clock)(nil)).
			Where("ticket_id = ? AND seq > ?", t.ID, len(w.clocks)).Returning("NULL").String())
	}
	if len(w.clocks) > 0 {
		q := tx.NewInsert().Model(&w.clocks).Returning("NULL")
		if !t.inserted && w.hist.maxSeq > 0 {
			q = q.On("CONFLICT (ticket_id, seq) DO UPDATE").
				Set("subscription_id = EXCLUDED.subscription_id, customer_id = EXCLUDED.customer_id, kind = EXCLUDED.kind, month = EXCLUDED.month").
				Set("started_at = EXCLUDED.started_at, due_at = EXCLUDED.due_at, target_seconds = EXCLUDED.target_seconds").
				Set("stopped_at = EXCLUDED.stopped_at, stopped_by = EXCLUDED.stopped_by, business_seconds = EXCLUDED.business_seconds, met = EXCLUDED.met").
				Set("alert_level = CASE WHEN k.started_at = EXCLUDED.started_at AND (k.stopped_at IS NULL) = (EXCLUDED.stopped_at IS NULL) THEN k.alert_level ELSE EXCLUDED.alert_level END").
				Set("updated_at = EXCLUDED.updated_at").
				Where(clockChanged)
		}
		out = append(out, q.String())
	}
	return out
}

// exec writes w. On PostgreSQL every write goes in one statement (each a
// data-modifying WITH query, all of which run), whose main query is notify
// when it is set; on SQLite they run one after the other.
func (w *ticketWrite) exec(ctx context.Context, tx bun.Tx, notify string) error {
	stmts := w.statements(tx)
	if !IsPostgres(tx) {
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
	main := notify
	if main == "" {
		main, stmts = stmts[len(stmts)-1], stmts[:len(stmts)-1]
	}
	var b strings.Builder
	for i, q := range stmts {
		if i == 0 {
			b.WriteString("WITH ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "w%d AS (%s)\n", i, q)
	}
	b.WriteString(main)
	_, err := tx.ExecContext(ctx, b.String())
	return err
}

// clockRow is the stored form of a clock.
func clockRow(t *models.Ticket, c sla.Clock, now time.Time) *models.Clock {
	row := &models.Clock{
		TicketID: t.ID, Seq: c.Seq, SubscriptionID: t.SubscriptionID, CustomerID: t.CustomerID,
		Kind: string(c.Kind), Month: c.Month, StartedAt: c.StartedAt.UTC(), DueAt: c.DueAt.UTC(),
		TargetSeconds: int64(c.Target / time.Second), UpdatedAt: now,
	}
	if !c.Running() {
		// Whole seconds, rounded up so that a stored duration never reads as
		// met when the exact one missed.
		secs, met := int64((c.Business+time.Second-1)/time.Second), c.Met
		row.StoppedAt, row.StoppedBy, row.BusinessSeconds, row.Met = c.StoppedAt.UTC(), c.StoppedBy, &secs, &met
	}
	return row
}

// ResolveTicket resolves an open ticket (support, admin); the resolution
// stops its running clock. It returns NOT_FOUND, CONFLICT when it is
// resolved already, UNAUTHENTICATED or FORBIDDEN.
func (s *Store) ResolveTicket(ctx context.Context, id string) (*models.Ticket, error) {
	return s.actOnTicket(ctx, id, models.ActionResolve, models.TicketOpen)
}

// ReopenTicket opens a resolved ticket again (support, admin); on a
// priority ticket the customer is waiting again, so a follow-up clock
// starts. It returns NOT_FOUND, CONFLICT when it is open,
// UNAUTHENTICATED or FORBIDDEN.
func (s *Store) ReopenTicket(ctx context.Context, id string) (*models.Ticket, error) {
	return s.actOnTicket(ctx, id, models.ActionReopen, models.TicketResolved)
}

// actOnTicket records a resolution or reopening of a ticket in status want.
func (s *Store) actOnTicket(ctx context.Context, id string, kind models.TicketActionKind, want models.TicketStatus) (*models.Ticket, error) {
	caller, err := auth.Require(ctx, auth.RoleSupport, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var (
		t         *models.Ticket
		published bool
	)
	err = s.inTx(ctx, func(tx bun.Tx) error {
		rows, hist, err := txDB{st: s.ing, tx: tx}.ticket(ctx, id)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return notFound("ticket", id)
		}
		row := &rows[0]
		if row.Status != want {
			return models.Errorf(models.CodeConflict, "ticket %s is %s already", id, row.Status)
		}
		w := &ticketWrite{ticket: row, now: now, hist: historyOf(hist)}
		w.action = &models.TicketAction{ID: newID(), TicketID: row.ID, Kind: kind, At: now, Actor: caller.Subject}
		w.hist.addAction(w.action)
		if err := s.replay(w); err != nil {
			return err
		}
		t = &row.Ticket
		notify := s.notifyStatement(ctx, tx, events.Event{Kind: events.TicketUpdated, CustomerID: t.CustomerID, TicketID: t.ID, At: now})
		published = notify != ""
		return w.exec(ctx, tx, notify)
	})
	if err != nil {
		return nil, fmt.Errorf("%s ticket: %w", kind, err)
	}
	if !published {
		s.publish(ctx, events.Event{Kind: events.TicketUpdated, CustomerID: t.CustomerID, TicketID: t.ID, At: now})
	}
	return t, nil
}
