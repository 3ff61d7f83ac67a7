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
func (s *Store) IngestEmail(ctx context.Context, in models.InboundEmail) (models.IngestResult, error) {
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
	var res models.IngestResult
	err := s.inTx(ctx, func(tx bun.Tx) error {
		if err := lockThread(ctx, tx, in); err != nil {
			return err
		}
		var err error
		if res, err = duplicateOf(ctx, tx, in.MessageID); err != nil || res.Duplicate {
			return err
		}
		t, early, err := threadOf(ctx, tx, in)
		if err != nil {
			return err
		}
		switch {
		case t == nil:
			if t, err = s.openTicket(ctx, tx, in, now); err != nil {
				return err
			}
		case early:
			if err := s.takeOpening(ctx, tx, t, in, now); err != nil {
				return err
			}
		}
		msg := &models.Message{
			ID: newID(), TicketID: t.ID, CustomerID: t.CustomerID, MessageID: in.MessageID,
			Direction: in.Direction, Machine: in.Machine, FromAddress: in.From, FromName: in.FromName,
			ToAddresses: strings.Join(in.To, ","), Subject: in.Subject, ReceivedAt: in.ReceivedAt, SentAt: in.SentAt,
			InReplyTo: strings.Join(in.InReplyTo, " "), References: strings.Join(in.References, " "),
			BodyText: in.BodyText, Attachments: in.Attachments, SizeBytes: in.Size, CreatedAt: now,
		}
		if _, err := tx.NewInsert().Model(msg).Exec(ctx); err != nil {
			return err
		}
		if err := saveRefs(ctx, tx, t.ID, in); err != nil {
			return err
		}
		res = models.IngestResult{TicketID: t.ID, CustomerID: t.CustomerID, Priority: t.Priority}
		return s.replay(ctx, tx, t, now)
	})
	if IsUniqueViolation(err) {
		// The same message arrived twice at once and the other copy won.
		res, err = duplicateOf(ctx, s.db, in.MessageID)
		if err == nil && !res.Duplicate {
			err = errors.New("message id conflict without a stored message")
		}
	}
	if err != nil {
		return models.IngestResult{}, fmt.Errorf("ingest email: %w", err)
	}
	if !res.Duplicate {
		s.publish(ctx, events.Event{Kind: events.TicketUpdated, CustomerID: res.CustomerID, TicketID: res.TicketID, At: now})
	}
	return res, nil
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

// threadOf finds the ticket a message belongs to, locked for change: the
// ticket of the newest message it replies to or references; else the ticket
// of a stored message that refers to it (a reply delivered before the
// message it answers); else the ticket of a stored message that refers to
// an id it refers to as well (replies to a parent not yet received: the
// nearest such id first, In-Reply-To before References); else the ticket
// its subject's token names; else nil. early is true when the message was
// found through another's references: it may be earlier than the messages
// of its ticket, and then opens it (takeOpening).
func threadOf(ctx context.Context, tx bun.Tx, in models.InboundEmail) (t *models.Ticket, early bool, err error) {
	var id string
	refs := threadIDs(in)
	if len(refs) > 0 {
		err := tx.NewSelect().Model((*models.Message)(nil)).Column("m.ticket_id").
			Where("m.message_id IN (?)", bun.In(refs)).OrderExpr("m.received_at DESC, m.id DESC").Limit(1).Scan(ctx, &id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, false, err
		}
	}
	if id == "" {
		err := tx.NewSelect().Model((*messageRef)(nil)).Column("r.ticket_id").
			Where("r.ref = ?", in.MessageID).OrderExpr("r.ticket_id").Limit(1).Scan(ctx, &id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, false, err
		}
		early = id != ""
	}
	if id == "" && len(refs) > 0 {
		if id, err = siblingTicket(ctx, tx, refs); err != nil {
			return nil, false, err
		}
		early = id != ""
	}
	if id == "" && in.TicketToken != "" {
		id = in.TicketToken
	}
	if id == "" {
		return nil, false, nil
	}
	t, err = lockTicket(ctx, tx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return t, early && err == nil, err
}

// siblingTicket returns the ticket of a stored message that refers to one
// of refs (a message's threadIDs, nearest first), for the nearest such id,
// or "" when none does.
func siblingTicket(ctx context.Context, tx bun.Tx, refs []string) (string, error) {
	var rows []messageRef
	err := tx.NewSelect().Model(&rows).Column("r.ref", "r.ticket_id").Distinct().
		Where("r.ref IN (?)", bun.In(refs)).Scan(ctx)
	if err != nil {
		return "", err
	}
	best, id := len(refs), ""
	for _, r := range rows {
		i := slices.Index(refs, r.Ref)
		if i >= 0 && (i < best || i == best && r.TicketID < id) {
			best, id = i, r.TicketID
		}
	}
	return id, nil
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

// saveRefs stores the message ids in refers to, for later messages that it
// answers (see threadOf).
func saveRefs(ctx context.Context, tx bun.Tx, ticketID string, in models.InboundEmail) error {
	ids := threadIDs(in)
	if len(ids) == 0 {
		return nil
	}
	rows := make([]messageRef, len(ids))
	for i, id := range ids {
		rows[i] = messageRef{Ref: id, MessageID: in.MessageID, TicketID: ticketID}
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// lockThread serialises, on PostgreSQL, the ingestion of messages that may
// belong to one thread: it takes a transaction advisory lock on the
// message's own id and on each id it refers to, in one global order so that
// two ingestions cannot wait on each other. Every way threadOf relates two
// messages goes through an id both lock: a message and a reply to it share
// the first's id, and two replies to one parent share the parent's id (both
// keep at most maxThreadRefs ids, the same ones they are matched on), so
// whichever commits first, the other sees it. On SQLite write transactions
// are serial already.
func lockThread(ctx context.Context, tx bun.Tx, in models.InboundEmail) error {
	if !IsPostgres(tx) {
		return nil
	}
	ids := append(threadIDs(in), in.MessageID)
	keys := make([]int64, 0, len(ids))
	for _, id := range ids {
		h := fnv.New64a()
		h.Write([]byte("thread:" + id))
		keys = append(keys, int64(h.Sum64()))
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", k); err != nil {
			return fmt.Errorf("lock thread: %w", err)
		}
	}
	return nil
}

// takeOpening makes in, a message delivered after a stored reply to it or
// after a stored message that refers to the same parent, the ticket's
// opening message when it is a customer's (not machine-sent) and earlier
// than the ticket's first customer message, or the first customer message
// at all: the ticket's owner, priority, requester, subject and opening time
// are then decided from it, as openTicket would have had it come first.
func (s *Store) takeOpening(ctx context.Context, tx bun.Tx, t *models.Ticket, in models.InboundEmail, now time.Time) error {
	if in.Direction != models.FromCustomer || in.Machine != models.MachineNone {
		return nil
	}
	var first models.Message
	err := tx.NewSelect().Model(&first).Column("m.received_at").
		Where("m.ticket_id = ? AND m.direction = ? AND m.machine = ?", t.ID, models.FromCustomer, models.MachineNone).
		OrderExpr("m.received_at ASC").Limit(1).Scan(ctx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	case !in.ReceivedAt.Before(first.ReceivedAt):
		return nil
	}
	if err := assignCoverage(ctx, tx, t, in); err != nil {
		return err
	}
	t.RequesterEmail, t.Subject, t.UpdatedAt = in.From, in.Subject, now
	if in.ReceivedAt.Before(t.OpenedAt) {
		t.OpenedAt = in.ReceivedAt
	}
	_, err = tx.NewUpdate().Model(t).
		Column("customer_id", "subscription_id", "priority", "requester_email", "subject", "opened_at", "updated_at").
		WherePK().Exec(ctx)
	if err != nil {
		return err
	}
	var customer any // NULL for a ticket of no customer
	if t.CustomerID != "" {
		customer = t.CustomerID
	}
	_, err = tx.NewUpdate().Model((*models.Message)(nil)).Set("customer_id = ?", customer).Where("ticket_id = ?", t.ID).Exec(ctx)
	return err
}

// lockTicket loads a ticket for change, locking its row on PostgreSQL so
// that concurrent changes to one ticket replay one after the other.
func lockTicket(ctx context.Context, tx bun.Tx, id string) (*models.Ticket, error) {
	t := new(models.Ticket)
	q := tx.NewSelect().Model(t).Where("t.id = ?", id)
	if IsPostgres(tx) {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// openTicket creates the ticket an email opens, deciding once who it
// belongs to and whether it is priority.
func (s *Store) openTicket(ctx context.Context, tx bun.Tx, in models.InboundEmail, now time.Time) (*models.Ticket, error) {
	t := &models.Ticket{
		ID: newID(), Status: models.TicketOpen, Subject: in.Subject, RequesterEmail: in.From,
		OpenedAt: in.ReceivedAt, LastMessageAt: in.ReceivedAt, CreatedAt: now, UpdatedAt: now,
	}
	if in.Direction == models.FromSupport {
		t.RequesterEmail = ""
		if len(in.To) > 0 {
			t.RequesterEmail = in.To[0]
		}
	} else if err := assignCoverage(ctx, tx, t, in); err != nil {
		return nil, err
	}
	if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// assignCoverage gives t the owner and priority that in, a customer's
// opening message, decides: who covered its sender's domain when it was
// received (nobody: no customer, not priority).
func assignCoverage(ctx context.Context, tx bun.Tx, t *models.Ticket, in models.InboundEmail) error {
	cover, err := coverageAt(ctx, tx, in.FromDomain, in.ReceivedAt)
	if err != nil {
		return err
	}
	t.CustomerID, t.SubscriptionID, t.Priority = "", "", false
	if cover != nil {
		t.CustomerID, t.SubscriptionID, t.Priority = cover.customerID, cover.subscriptionID, cover.priority
	}
	return nil
}

// coverage is who covered a sender's domain at one instant.
type coverage struct {
	customerID, subscriptionID string
	priority                   bool
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
// wins. It is priority when the customer held a paid license valid at t.
func coverageAt(ctx context.Context, tx bun.Tx, domain string, t time.Time) (*coverage, error) {
	if domain == "" {
		return nil, nil
	}
	var rows []struct {
		Domain         string `bun:"domain"`
		SubscriptionID string `bun:"subscription_id"`
		CustomerID     string `bun:"customer_id"`
	}
	err := tx.NewSelect().TableExpr("subscription_domains AS sd").
		Join("JOIN support_subscriptions AS s ON s.id = sd.subscription_id").
		ColumnExpr("sd.domain, sd.subscription_id, sd.customer_id").
		Where("sd.domain IN (?)", bun.In(selfAndParents(domain))).
		Where("sd.added_at <= ?", t).
		Where("(sd.removed_at IS NULL OR sd.removed_at > ?)", t).
		Where("s.starts_at <= ?", t).
		Where("(s.canceled_at IS NULL OR s.canceled_at > ?)", t).
		Where("(s.expired_at IS NULL OR s.expired_at > ?)", t).
		OrderExpr("length(sd.domain) DESC, sd.added_at ASC, sd.id ASC").Limit(1).
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	n, err := tx.NewSelect().Model((*models.License)(nil)).
		Where("l.customer_id = ? AND l.paid = ? AND l.valid_from <= ? AND l.valid_until > ?", r.CustomerID, true, t, t).Count(ctx)
	if err != nil {
		return nil, err
	}
	return &coverage{customerID: r.CustomerID, subscriptionID: r.SubscriptionID, priority: n > 0}, nil
}

// replay recomputes a ticket's status and clocks from its messages and
// actions (package sla) and stores them. Clocks keep their rows and the
// alerts sent for them as long as they start at the same time.
func (s *Store) replay(ctx context.Context, tx bun.Tx, t *models.Ticket, now time.Time) error {
	var msgs []models.Message
	if err := tx.NewSelect().Model(&msgs).Column("m.received_at", "m.direction", "m.machine").
		Where("m.ticket_id = ?", t.ID).OrderExpr("m.received_at ASC, m.id ASC").Scan(ctx); err != nil {
		return err
	}
	var actions []models.TicketAction
	if err := tx.NewSelect().Model(&actions).Where("ta.ticket_id = ?", t.ID).OrderExpr("ta.at ASC, ta.id ASC").Scan(ctx); err != nil {
		return err
	}
	evs := make([]sla.Event, 0, len(msgs)+len(actions))
	for _, m := range msgs {
		evs = append(evs, sla.Event{At: m.ReceivedAt, Kind: eventKind(m.Direction, m.Machine)})
	}
	for _, a := range actions {
		k := sla.Resolve
		if a.Kind == models.ActionReopen {
			k = sla.Reopen
		}
		evs = append(evs, sla.Event{At: a.At, Kind: k})
	}
	var terms sla.Terms
	if t.Priority {
		sub := new(models.SupportSubscription)
		if err := tx.NewSelect().Model(sub).Where("s.id = ?", t.SubscriptionID).Scan(ctx); err != nil {
			return err
		}
		var err error
		if terms, err = s.terms(sub); err != nil {
			return err
		}
	}
	out := sla.Replay(evs, terms, t.Priority)
	if err := saveClocks(ctx, tx, t, out.Clocks, now); err != nil {
		return err
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
	if len(msgs) > 0 {
		t.LastMessageAt = msgs[len(msgs)-1].ReceivedAt
	}
	t.UpdatedAt = now
	_, err := tx.NewUpdate().Model(t).Column("status", "resolved_at", "current_due_at", "last_message_at", "updated_at").WherePK().Exec(ctx)
	return err
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

// saveClocks makes the stored clocks of a ticket equal to clocks.
func saveClocks(ctx context.Context, tx bun.Tx, t *models.Ticket, clocks []sla.Clock, now time.Time) error {
	var stored []models.Clock
	if err := tx.NewSelect().Model(&stored).Where("k.ticket_id = ?", t.ID).Scan(ctx); err != nil {
		return err
	}
	bySeq := make(map[int]models.Clock, len(stored))
	for _, c := range stored {
		bySeq[c.Seq] = c
	}
	for _, c := range clocks {
		row := clockRow(t, c, now)
		old, ok := bySeq[c.Seq]
		if !ok {
			row.ID = newID()
			if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
				return err
			}
			continue
		}
		row.ID = old.ID
		if old.StartedAt.Equal(row.StartedAt) && old.Running() == row.Running() {
			row.AlertLevel = old.AlertLevel
		}
		if _, err := tx.NewUpdate().Model(row).ExcludeColumn("id", "ticket_id", "seq").WherePK().Exec(ctx); err != nil {
			return err
		}
	}
	_, err := tx.NewDelete().Model((*models.Clock)(nil)).Where("ticket_id = ? AND seq > ?", t.ID, len(clocks)).Exec(ctx)
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
	var t *models.Ticket
	err = s.inTx(ctx, func(tx bun.Tx) error {
		if t, err = lockTicket(ctx, tx, id); errors.Is(err, sql.ErrNoRows) {
			return notFound("ticket", id)
		} else if err != nil {
			return err
		}
		if t.Status != want {
			return models.Errorf(models.CodeConflict, "ticket %s is %s already", id, t.Status)
		}
		a := &models.TicketAction{ID: newID(), TicketID: t.ID, Kind: kind, At: now, Actor: caller.Subject}
		if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
			return err
		}
		return s.replay(ctx, tx, t, now)
	})
	if err != nil {
		return nil, fmt.Errorf("%s ticket: %w", kind, err)
	}
	s.publish(ctx, events.Event{Kind: events.TicketUpdated, CustomerID: t.CustomerID, TicketID: t.ID, At: now})
	return t, nil
}

// publish hands an event to the bus, if there is one. A lost event only
// delays a dashboard's refresh, so failures are logged, not returned.
func (s *Store) publish(ctx context.Context, e events.Event) {
	if s.bus == nil {
		return
	}
	if err := s.bus.Publish(context.WithoutCancel(ctx), e); err != nil && s.log != nil {
		s.log.WarnContext(ctx, "publish event", "kind", e.Kind, "ticket_id", e.TicketID, "err", err)
	}
}
