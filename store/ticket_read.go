package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/models"
)

// FindTicket returns one ticket the caller may see, or NOT_FOUND (also for
// another customer's), UNAUTHENTICATED or FORBIDDEN.
func (s *Store) FindTicket(ctx context.Context, id string) (*models.Ticket, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	t := new(models.Ticket)
	err = scoped(s.db.NewSelect().Model(t).Where("t.id = ?", id), "t.customer_id", scope).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("ticket", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find ticket: %w", err)
	}
	return t, nil
}

// TicketPage is one page of tickets, newest first, with what TicketReads
// asked for beside it.
type TicketPage struct {
	Tickets     []*models.Ticket
	Cursors     []string
	HasNextPage bool
	// HasPreviousPage says tickets come before the page (see Span).
	HasPreviousPage bool
	// TotalCount is the number of tickets that match, when counted.
	TotalCount int
	// Clocks holds, when loaded, the SLA clocks of each ticket of the page
	// in sequence, by ticket id (every ticket has an entry, nil when it has
	// no clocks).
	Clocks map[string][]*models.Clock
	// Subscriptions holds, when loaded, the subscriptions of the page's
	// tickets that the caller may see, and Domains, when loaded, the
	// domains of each, sorted, in the same order.
	Subscriptions []*models.SupportSubscription
	Domains       [][]string
	// Customers holds, when loaded, the customers of the page's tickets
	// that the caller may see.
	Customers []*models.Customer
}

// TicketReads says what FindTicketsWith reads beside the page itself; each
// is one more query, whatever the page size.
type TicketReads struct {
	Total         bool // count the tickets that match
	Clocks        bool // the SLA clocks of the page's tickets
	Subscriptions bool // the page's subscriptions
	Domains       bool // their domains (implies Subscriptions)
	Customers     bool // the page's customers
}

// FindTickets lists the tickets the caller may see (a customer user sees
// only its own), newest first, narrowed by f, and counts them. It returns
// BAD_USER_INPUT for a bad page size, cursor or date range, UNAUTHENTICATED
// or FORBIDDEN.
func (s *Store) FindTickets(ctx context.Context, f models.TicketFilter, page Page) (*TicketPage, error) {
	return s.FindTicketsWith(ctx, f, page, TicketReads{Total: true})
}

// FindTicketsWith is FindTickets that counts only when reads.Total is set
// and also reads, scoped to the caller like the page, the clocks,
// customers, subscriptions and domains reads asks for: a page with its SLA
// state, customers and subscriptions costs a fixed number of queries, and
// its fields need no batch of their own. It returns FindTickets' errors.
func (s *Store) FindTicketsWith(ctx context.Context, f models.TicketFilter, page Page, reads TicketReads) (*TicketPage, error) {
	return s.SearchTickets(ctx, TicketSearch{Filter: f}, Span{First: page.First, After: page.After}, reads)
}

// ticketPageColumns are the ticket columns a page shows: not the queue's
// due time nor the row's own timestamps.
var ticketPageColumns = []string{"id", "customer_id", "subscription_id", "priority", "status", "subject", "requester_email",
	"opened_at", "resolved_at", "last_message_at"}

// clockPageColumns are the clock columns a page shows and computes the SLA
// state from: not the row's id, owners, alert level or timestamp.
var clockPageColumns = []string{"ticket_id", "seq", "kind", "month", "started_at", "due_at", "target_seconds",
	"stopped_at", "stopped_by", "business_seconds", "met"}

// newPageClocks prepares the read of the clocks of a page of tickets, in
// clockPageColumns: the arguments are the tickets' ids as a list parameter
// and the caller's scope twice ("" for staff). One fixed text whatever the
// page: with the ids written into it, PostgreSQL planned each page's read
// anew, 0.55 ms for 50 tickets, twice what running it took.
func newPageClocks(db *bun.DB) *Prepared {
	columns := make([]string, len(clockPageColumns))
	for i, c := range clockPageColumns {
		columns[i] = "k." + c
	}
	return Prepare(db, "SELECT "+strings.Join(columns, ", ")+" FROM sla_clocks AS k WHERE "+inList(IsPostgres(db), "k.ticket_id")+
		" AND (? = '' OR k.customer_id = ?) ORDER BY k.ticket_id, k.seq")
}

// readTicketPage reads into p the clocks, customers, subscriptions and
// domains reads asks for, each in one query scoped to the caller (scope is
// the caller's customer, "" for staff).
func (s *Store) readTicketPage(ctx context.Context, scope string, p *TicketPage, reads TicketReads) error {
	if reads.Clocks && len(p.Tickets) > 0 {
		ids := make([]string, len(p.Tickets))
		for i, t := range p.Tickets {
			ids[i] = t.ID
		}
		var rows []*models.Clock
		if err := s.pageClocks.Scan(ctx, s.db, []any{s.ing.list(ids), scope, scope}, &rows); err != nil {
			return fmt.Errorf("clocks of ticket page: %w", err)
		}
		p.Clocks = make(map[string][]*models.Clock, len(ids))
		for _, id := range ids {
			p.Clocks[id] = nil
		}
		for _, c := range rows {
			p.Clocks[c.TicketID] = append(p.Clocks[c.TicketID], c)
		}
	}
	if ids := distinct(p.Tickets, func(t *models.Ticket) string { return t.CustomerID }); reads.Customers && len(ids) > 0 {
		customers, err := s.CustomersByIDs(ctx, ids)
		if err != nil {
			return err
		}
		for _, c := range customers {
			if c != nil { // hidden from the caller
				p.Customers = append(p.Customers, c)
			}
		}
	}
	if !reads.Subscriptions && !reads.Domains {
		return nil
	}
	ids := distinct(p.Tickets, func(t *models.Ticket) string { return t.SubscriptionID })
	if len(ids) == 0 {
		return nil
	}
	subs, err := s.SubscriptionsByIDs(ctx, ids)
	if err != nil {
		return err
	}
	p.Subscriptions = subs[:0]
	for _, sub := range subs {
		if sub != nil {
			p.Subscriptions = append(p.Subscriptions, sub)
		}
	}
	if !reads.Domains || len(p.Subscriptions) == 0 {
		return nil
	}
	ids = ids[:0]
	for _, sub := range p.Subscriptions {
		ids = append(ids, sub.ID)
	}
	p.Domains, err = s.DomainsBySubscriptionIDs(ctx, ids)
	return err
}

// distinct returns the non-empty keys of rows, each once, in order.
func distinct[T any](rows []T, key func(T) string) []string {
	var out []string
	seen := make(map[string]bool, len(rows))
	for _, r := range rows {
		if k := key(r); k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// PriorityQueue returns the open priority tickets (support, admin), the
// one whose running clock is due soonest first; tickets waiting on the
// customer (no running clock) come last, oldest first. It returns
// BAD_USER_INPUT for a bad size, UNAUTHENTICATED or FORBIDDEN.
func (s *Store) PriorityQueue(ctx context.Context, first int) ([]*models.Ticket, error) {
	if _, err := auth.Require(ctx, auth.RoleSupport, auth.RoleAdmin); err != nil {
		return nil, err
	}
	size, err := Page{First: first}.size()
	if err != nil {
		return nil, err
	}
	var rows []*models.Ticket
	err = s.db.NewSelect().Model(&rows).Where("t.priority = ? AND t.status = ?", true, models.TicketOpen).
		OrderExpr("t.current_due_at IS NULL, t.current_due_at ASC, t.opened_at ASC, t.id ASC").Limit(int64(size)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("priority queue: %w", err)
	}
	return rows, nil
}

// TicketsByIDs returns the tickets with the given ids that the caller may
// see, in the order of ids; a missing or hidden one is nil.
func (s *Store) TicketsByIDs(ctx context.Context, ids []string) ([]*models.Ticket, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.Ticket
	if err := scoped(s.db.NewSelect().Model(&rows).Where("t.id IN (?)", bun.In(ids)), "t.customer_id", scope).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tickets by ids: %w", err)
	}
	return inOrder(ids, rows, func(t *models.Ticket) string { return t.ID }), nil
}

// MessagesByTicketIDs returns, for each ticket id in order, the messages
// the caller may see, oldest first.
func (s *Store) MessagesByTicketIDs(ctx context.Context, ids []string) ([][]*models.Message, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.Message
	q := s.db.NewSelect().Model(&rows).Where("m.ticket_id IN (?)", bun.In(ids)).OrderExpr("m.received_at ASC, m.id ASC")
	if err := scoped(q, "m.customer_id", scope).Scan(ctx); err != nil {
		return nil, fmt.Errorf("messages by ticket: %w", err)
	}
	return groupBy(ids, rows, func(m *models.Message) string { return m.TicketID }), nil
}

// ClocksByTicketIDs returns, for each ticket id in order, the SLA clocks the
// caller may see, in sequence.
func (s *Store) ClocksByTicketIDs(ctx context.Context, ids []string) ([][]*models.Clock, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.Clock
	q := s.db.NewSelect().Model(&rows).Where("k.ticket_id IN (?)", bun.In(ids)).OrderExpr("k.ticket_id, k.seq")
	if err := scoped(q, "k.customer_id", scope).Scan(ctx); err != nil {
		return nil, fmt.Errorf("clocks by ticket: %w", err)
	}
	return groupBy(ids, rows, func(c *models.Clock) string { return c.TicketID }), nil
}

// SubscriptionsByIDs returns the subscriptions with the given ids that the
// caller may see, in the order of ids; a missing or hidden one is nil.
func (s *Store) SubscriptionsByIDs(ctx context.Context, ids []string) ([]*models.SupportSubscription, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.SupportSubscription
	if err := scoped(s.db.NewSelect().Model(&rows).Where("s.id IN (?)", bun.In(ids)), "s.customer_id", scope).Scan(ctx); err != nil {
		return nil, fmt.Errorf("subscriptions by ids: %w", err)
	}
	return inOrder(ids, rows, func(s *models.SupportSubscription) string { return s.ID }), nil
}

// inOrder returns rows in the order of ids, nil where a row is missing.
func inOrder[T any](ids []string, rows []*T, id func(*T) string) []*T {
	byID := make(map[string]*T, len(rows))
	for _, r := range rows {
		byID[id(r)] = r
	}
	out := make([]*T, len(ids))
	for i, k := range ids {
		out[i] = byID[k]
	}
	return out
}
