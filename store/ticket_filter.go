package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
)

// TicketSearch is what a dashboard narrows and sorts a ticket list by,
// beyond models.TicketFilter. Zero fields do not narrow.
type TicketSearch struct {
	Filter models.TicketFilter
	// CustomerID keeps the tickets of one customer (for a customer user,
	// another customer's id keeps none).
	CustomerID string
	// Text keeps the tickets whose subject or requester address contains
	// it, case-insensitively (see SearchTickets); at most
	// models.MaxSearchLength characters.
	Text string
	// LastFrom and LastTo keep the tickets whose last message came in
	// [LastFrom, LastTo).
	LastFrom, LastTo time.Time
	// Breached, AtRisk and Running keep the tickets for which the state
	// holds (true) or the priority tickets with an SLA state for which it
	// does not (false): TicketSLA's Breached, the AT_RISK SLA status, a
	// clock running.
	Breached, AtRisk, Running *bool
	// Statuses keeps the tickets whose SLA status (SLAStatusOf) is one of
	// them.
	Statuses []sla.Status
	// Order is the sort order; the zero value is newest first.
	Order TicketOrder
}

// TicketOrderField is what a ticket list is sorted by.
type TicketOrderField string

// The ticket orders.
const (
	OrderCreated     TicketOrderField = "CREATED_AT"      // opened_at
	OrderDue         TicketOrderField = "DUE_AT"          // the running clock's due time, nulls last
	OrderLastMessage TicketOrderField = "LAST_MESSAGE_AT" // last activity
)

// TicketOrder is a ticket list's sort order; ties are broken by id in the
// same direction.
type TicketOrder struct {
	Field TicketOrderField // "" means OrderCreated
	Asc   bool             // smallest first; the zero TicketOrder is newest first
}

// keysetOf returns the keyset of an order and the ticket's key value in it.
// Without a direction an order is descending (newest first).
func keysetOf(o TicketOrder) (keyset, func(*models.Ticket) time.Time, error) {
	desc := !o.Asc
	switch o.Field {
	case "", OrderCreated:
		return keyset{name: "tickets:created:" + dir(desc), columns: []keyColumn{{expr: "t.opened_at", desc: desc}}, id: "t.id"},
			func(t *models.Ticket) time.Time { return t.OpenedAt }, nil
	case OrderDue:
		return keyset{name: "tickets:due:" + dir(desc), columns: []keyColumn{{expr: "t.current_due_at", nullable: true, desc: desc}}, id: "t.id"},
			func(t *models.Ticket) time.Time { return t.CurrentDueAt }, nil
	case OrderLastMessage:
		return keyset{name: "tickets:last:" + dir(desc), columns: []keyColumn{{expr: "t.last_message_at", desc: desc}}, id: "t.id"},
			func(t *models.Ticket) time.Time { return t.LastMessageAt }, nil
	}
	return keyset{}, nil, models.Errorf(models.CodeBadUserInput, "unknown ticket order %q", o.Field)
}

// SearchTickets lists the tickets the caller may see (a customer user only
// its own) that match q, in q's order, one page of span, with what reads
// asks for beside it in a fixed number of queries (see FindTicketsWith).
//
// Everything is narrowed in SQL, the SLA states included, so the count and
// the pages are exact whatever the number of tickets: breached is a first
// response stopped late or a running clock at or past its due time
// (sla.TicketState: reaching the target unanswered is missing it); at risk
// is a running clock, not breached, due before the end of the next
// sla.AtRiskWindow of business time from now in its subscription's
// calendar. That instant is computed here for each SLA time zone in use
// (one more query, only when the filter needs it), which is exact because
// a clock's due time is its start plus its target in business time: the
// business time it has left is the business time from now to its due
// time.
//
// Text matches the subject or the requester address with LIKE, wildcards
// escaped, against the column's lower() and the text's Go lower case: on
// PostgreSQL every letter its lower() folds, on SQLite ASCII letters.
//
// It returns BAD_USER_INPUT for a bad page size, cursor, order, text or
// range, UNAUTHENTICATED or FORBIDDEN.
func (s *Store) SearchTickets(ctx context.Context, q TicketSearch, span Span, reads TicketReads) (*TicketPage, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	size, backward, err := span.check()
	if err != nil {
		return nil, err
	}
	ks, key, err := keysetOf(q.Order)
	if err != nil {
		return nil, err
	}
	filter, err := s.ticketConditions(ctx, q)
	if err != nil {
		return nil, err
	}
	narrow := func(sq *bun.SelectQuery) *bun.SelectQuery { return filter(scoped(sq, "t.customer_id", scope)) }
	return s.ticketPage(ctx, scope, narrow, ks, key, span, size, backward, reads)
}

// ticketPage reads one page of the tickets narrow keeps, in the order of
// ks (key returns a ticket's value in it), and what reads asks for.
func (s *Store) ticketPage(ctx context.Context, scope string, narrow func(*bun.SelectQuery) *bun.SelectQuery,
	ks keyset, key func(*models.Ticket) time.Time, span Span, size int, backward bool, reads TicketReads) (*TicketPage, error) {
	p := &TicketPage{}
	if reads.Total {
		n, err := s.db.NewSelect().Model((*models.Ticket)(nil)).Apply(narrow).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("count tickets: %w", err)
		}
		p.TotalCount = int(n)
	}
	columns := ticketPageColumns
	if ks.columns[0].expr == "t.current_due_at" {
		columns = append(slices.Clip(columns), "current_due_at")
	}
	sq, err := ks.apply(s.db.NewSelect().Model((*models.Ticket)(nil)).Column(columns...).Apply(narrow), span, size, backward)
	if err != nil {
		return nil, err
	}
	var rows []*models.Ticket
	if err := sq.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("find tickets: %w", err)
	}
	p.Tickets, p.HasNextPage, p.HasPreviousPage = pageOf(rows, span, size, backward)
	p.Cursors = make([]string, len(p.Tickets))
	for i, t := range p.Tickets {
		p.Cursors[i] = ks.cursor([]time.Time{key(t)}, t.ID)
	}
	if err := s.readTicketPage(ctx, scope, p, reads); err != nil {
		return nil, err
	}
	return p, nil
}

// ticketConditions returns the conditions of q, checked: BAD_USER_INPUT
// for an empty range or a text models.NormalizeSearch refuses.
func (s *Store) ticketConditions(ctx context.Context, q TicketSearch) (func(*bun.SelectQuery) *bun.SelectQuery, error) {
	f := q.Filter
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, models.Errorf(models.CodeBadUserInput, "filter.from must be before filter.to")
	}
	if !q.LastFrom.IsZero() && !q.LastTo.IsZero() && !q.LastFrom.Before(q.LastTo) {
		return nil, models.Errorf(models.CodeBadUserInput, "filter.lastMessageFrom must be before filter.lastMessageTo")
	}
	text, err := models.NormalizeSearch(q.Text)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var risk *riskCondition
	needRisk := q.AtRisk != nil || slices.Contains(q.Statuses, sla.AtRisk) || slices.Contains(q.Statuses, sla.OnTrack)
	if needRisk {
		if risk, err = s.riskCondition(ctx, now); err != nil {
			return nil, err
		}
	}
	return func(sq *bun.SelectQuery) *bun.SelectQuery {
		if f.Status != "" {
			sq = sq.Where("t.status = ?", f.Status)
		}
		if f.Priority != nil {
			sq = sq.Where("t.priority = ?", *f.Priority)
		}
		if f.SubscriptionID != "" {
			sq = sq.Where("t.subscription_id = ?", f.SubscriptionID)
		}
		if q.CustomerID != "" {
			sq = sq.Where("t.customer_id = ?", q.CustomerID)
		}
		if !f.From.IsZero() {
			sq = sq.Where("t.opened_at >= ?", f.From.UTC())
		}
		if !f.To.IsZero() {
			sq = sq.Where("t.opened_at < ?", f.To.UTC())
		}
		if !q.LastFrom.IsZero() {
			sq = sq.Where("t.last_message_at >= ?", q.LastFrom.UTC())
		}
		if !q.LastTo.IsZero() {
			sq = sq.Where("t.last_message_at < ?", q.LastTo.UTC())
		}
		if text != "" {
			pattern := "%" + escapeLike(strings.ToLower(text)) + "%"
			sq = sq.WhereGroup(" AND ", func(sq *bun.SelectQuery) *bun.SelectQuery {
				return sq.Where(`lower(t.subject) LIKE ? ESCAPE '\'`, pattern).WhereOr(`lower(t.requester_email) LIKE ? ESCAPE '\'`, pattern)
			})
		}
		c := slaConditions{now: now, risk: risk}
		if q.Breached != nil {
			sq = c.is(sq, *q.Breached, c.breached)
		}
		if q.Running != nil {
			sq = c.is(sq, *q.Running, c.running)
		}
		if q.AtRisk != nil {
			sq = c.is(sq, *q.AtRisk, func() (string, []any) { return c.status(sla.AtRisk) })
		}
		if len(q.Statuses) > 0 {
			sq = sq.WhereGroup(" AND ", func(sq *bun.SelectQuery) *bun.SelectQuery {
				sq = sq.Where("1 = 0")
				for _, st := range q.Statuses {
					cond, args := c.status(st)
					sq = sq.WhereOr(cond, args...)
				}
				return sq
			})
		}
		return sq
	}, nil
}

// riskCondition is, for each SLA time zone in use, the instant a running
// clock must be due before to be at risk now: the end of the next
// sla.AtRiskWindow of business time in the zone's calendar.
type riskCondition struct {
	zones  []string
	limits []time.Time
}

// riskCondition reads the SLA time zones in use and computes their
// at-risk limits at now.
func (s *Store) riskCondition(ctx context.Context, now time.Time) (*riskCondition, error) {
	var zones []string
	if err := s.db.NewSelect().Model((*models.SupportSubscription)(nil)).ColumnExpr("DISTINCT s.sla_timezone").
		OrderExpr("s.sla_timezone").Scan(ctx, &zones); err != nil {
		return nil, fmt.Errorf("sla time zones: %w", err)
	}
	r := &riskCondition{zones: zones, limits: make([]time.Time, len(zones))}
	for i, z := range zones {
		cal, err := s.Calendar(z)
		if err != nil {
			return nil, err
		}
		r.limits[i] = cal.AddBusiness(now, sla.AtRiskWindow).UTC()
	}
	return r, nil
}

// slaConditions builds the SQL conditions of the SLA states at now, each
// on the ticket aliased t, with the rules of sla.TicketState.
type slaConditions struct {
	now  time.Time
	risk *riskCondition
}

// hasSLA holds for a ticket that has an SLA state: a priority ticket with
// a subscription and a clock.
func (c slaConditions) hasSLA() (string, []any) {
	return "t.priority = ? AND t.subscription_id IS NOT NULL AND EXISTS (SELECT 1 FROM sla_clocks AS k WHERE k.ticket_id = t.id)", []any{true}
}

// breached holds when the first response (clock 1) stopped late or a
// running clock has reached its due time.
func (c slaConditions) breached() (string, []any) {
	return "EXISTS (SELECT 1 FROM sla_clocks AS k WHERE k.ticket_id = t.id AND " +
		"((k.seq = 1 AND k.stopped_at IS NOT NULL AND k.met = ?) OR (k.stopped_at IS NULL AND k.due_at <= ?)))", []any{false, c.now}
}

// running holds when a clock runs.
func (c slaConditions) running() (string, []any) {
	return "EXISTS (SELECT 1 FROM sla_clocks AS k WHERE k.ticket_id = t.id AND k.stopped_at IS NULL)", nil
}

// near holds when a running clock not yet due is due before its zone's
// at-risk limit.
func (c slaConditions) near() (string, []any) {
	var ors []string
	args := []any{c.now}
	for i, z := range c.risk.zones {
		ors = append(ors, "(s.sla_timezone = ? AND k.due_at < ?)")
		args = append(args, z, c.risk.limits[i])
	}
	if len(ors) == 0 {
		ors = []string{"1 = 0"}
	}
	return "EXISTS (SELECT 1 FROM sla_clocks AS k JOIN support_subscriptions AS s ON s.id = k.subscription_id " +
		"WHERE k.ticket_id = t.id AND k.stopped_at IS NULL AND k.due_at > ? AND (" + strings.Join(ors, " OR ") + "))", args
}

// status holds when the ticket's SLA status (SLAStatusOf) is st.
func (c slaConditions) status(st sla.Status) (string, []any) {
	var parts []string
	var args []any
	add := func(cond string, a []any, negate bool) {
		if negate {
			cond = "NOT " + cond
		}
		parts = append(parts, cond)
		args = append(args, a...)
	}
	cond, a := c.hasSLA()
	add(cond, a, false)
	b, ba := c.breached()
	r, ra := c.running()
	switch st {
	case sla.Breached:
		add(b, ba, false)
	case sla.AtRisk:
		add(b, ba, true)
		n, na := c.near()
		add(n, na, false)
	case sla.OnTrack:
		add(b, ba, true)
		add(r, ra, false)
		n, na := c.near()
		add(n, na, true)
	case sla.Met:
		add(b, ba, true)
		add(r, ra, true)
	default:
		return "1 = 0", nil
	}
	return "(" + strings.Join(parts, " AND ") + ")", args
}

// is narrows sq to the tickets for which cond holds (want) or to those
// with an SLA state for which it does not.
func (c slaConditions) is(sq *bun.SelectQuery, want bool, holds func() (string, []any)) *bun.SelectQuery {
	cond, args := holds()
	if want {
		return sq.Where(cond, args...)
	}
	h, ha := c.hasSLA()
	return sq.Where(h, ha...).Where("NOT "+cond, args...)
}

// SLAStatusOf returns a ticket's SLA status from its live state
// (sla.TicketState), nil without one: BREACHED when it is breached; else,
// while a clock runs, AT_RISK with under sla.AtRiskWindow of business time
// left and ON_TRACK with more; else MET.
func SLAStatusOf(st *sla.TicketSLA) *sla.Status {
	if st == nil {
		return nil
	}
	status := sla.Met
	switch {
	case st.Breached:
		status = sla.Breached
	case st.BusinessLeft != nil && *st.BusinessLeft < sla.AtRiskWindow:
		status = sla.AtRisk
	case st.BusinessLeft != nil:
		status = sla.OnTrack
	}
	return &status
}

// priorityKeyset is the priority queue's order: the running clock due
// soonest first, then tickets waiting on the customer (no running clock),
// oldest first.
var priorityKeyset = keyset{name: "priority-queue", columns: []keyColumn{
	{expr: "t.current_due_at", nullable: true}, {expr: "t.opened_at"},
}, id: "t.id"}

// PriorityQueuePage is PriorityQueue in pages of span, counted, with what
// reads asks for beside it. It returns BAD_USER_INPUT for a bad page size
// or cursor, UNAUTHENTICATED or FORBIDDEN (support and admin only).
func (s *Store) PriorityQueuePage(ctx context.Context, span Span, reads TicketReads) (*TicketPage, error) {
	if _, err := auth.Require(ctx, auth.RoleSupport, auth.RoleAdmin); err != nil {
		return nil, err
	}
	size, backward, err := span.check()
	if err != nil {
		return nil, err
	}
	narrow := func(sq *bun.SelectQuery) *bun.SelectQuery {
		return sq.Where("t.priority = ? AND t.status = ?", true, models.TicketOpen)
	}
	p := &TicketPage{}
	if reads.Total {
		n, err := s.db.NewSelect().Model((*models.Ticket)(nil)).Apply(narrow).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("count priority queue: %w", err)
		}
		p.TotalCount = int(n)
	}
	sq, err := priorityKeyset.apply(s.db.NewSelect().Model((*models.Ticket)(nil)).Column(append(slices.Clip(ticketPageColumns), "current_due_at")...).Apply(narrow),
		span, size, backward)
	if err != nil {
		return nil, err
	}
	var rows []*models.Ticket
	if err := sq.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("priority queue: %w", err)
	}
	p.Tickets, p.HasNextPage, p.HasPreviousPage = pageOf(rows, span, size, backward)
	p.Cursors = make([]string, len(p.Tickets))
	for i, t := range p.Tickets {
		p.Cursors[i] = priorityKeyset.cursor([]time.Time{t.CurrentDueAt, t.OpenedAt}, t.ID)
	}
	if err := s.readTicketPage(ctx, "", p, reads); err != nil {
		return nil, err
	}
	return p, nil
}

// TicketOwner names the column a batch of ticket connections is per:
// Customer.tickets or SupportSubscription.tickets.
type TicketOwner string

// The ticket owners.
const (
	ByCustomer     TicketOwner = "customer"
	BySubscription TicketOwner = "subscription"
)

// SearchTicketsOf is SearchTickets for the tickets of several customers
// or subscriptions (owner says which) at once, for a dataloader: the same
// search, order and span for each, one page per id in order, counted by
// owner when reads.Total is set. It runs a fixed number of queries
// whatever the number of ids and the page size: the count (grouped), the
// pages (one query: each owner's rows numbered in the page's order with
// ROW_NUMBER() OVER (PARTITION BY …), the first size+1 kept) and, over the
// tickets of all pages at once, what reads asks for; all returns those
// tickets with what was read beside them, to prime the loaders with. The
// search's own CustomerID or SubscriptionID is replaced by each id; ids
// must be distinct. It returns SearchTickets' errors.
func (s *Store) SearchTicketsOf(ctx context.Context, owner TicketOwner, ids []string, q TicketSearch, span Span, reads TicketReads) (pages []*TicketPage, all *TicketPage, err error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, nil, err
	}
	size, backward, err := span.check()
	if err != nil {
		return nil, nil, err
	}
	ks, key, err := keysetOf(q.Order)
	if err != nil {
		return nil, nil, err
	}
	column, ownerOf := "t.customer_id", func(t *models.Ticket) string { return t.CustomerID }
	q.CustomerID = ""
	if owner == BySubscription {
		column, ownerOf = "t.subscription_id", func(t *models.Ticket) string { return t.SubscriptionID }
		q.Filter.SubscriptionID = ""
	}
	filter, err := s.ticketConditions(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	narrow := func(sq *bun.SelectQuery) *bun.SelectQuery {
		return filter(scoped(sq, "t.customer_id", scope)).Where("? IN (?)", bun.Safe(column), bun.In(ids))
	}
	totals := map[string]int{}
	if reads.Total {
		var counts []struct {
			Owner string `bun:"owner"`
			N     int    `bun:"n"`
		}
		if err := s.db.NewSelect().Model((*models.Ticket)(nil)).ColumnExpr("? AS owner, COUNT(*) AS n", bun.Safe(column)).
			Apply(narrow).GroupExpr(column).Scan(ctx, &counts); err != nil {
			return nil, nil, fmt.Errorf("count tickets: %w", err)
		}
		for _, c := range counts {
			totals[c.Owner] = c.N
		}
	}
	columns := append(slices.Clip(ticketPageColumns), "current_due_at")
	inner, err := ks.within(s.db.NewSelect().Model((*models.Ticket)(nil)).Column(columns...).
		ColumnExpr("ROW_NUMBER() OVER (PARTITION BY "+column+" ORDER BY "+ks.order(backward)+") AS rn").Apply(narrow), span)
	if err != nil {
		return nil, nil, err
	}
	var rows []*models.Ticket
	if err := s.db.NewSelect().Model(&rows).ModelTableExpr("(?) AS t", inner).Column(columns...).
		Where("t.rn <= ?", size+1).OrderExpr(column + ", t.rn").Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("find tickets: %w", err)
	}
	byOwner := make(map[string][]*models.Ticket)
	for _, t := range rows {
		byOwner[ownerOf(t)] = append(byOwner[ownerOf(t)], t)
	}
	all = &TicketPage{}
	pages = make([]*TicketPage, len(ids))
	for i, id := range ids {
		p := &TicketPage{TotalCount: totals[id]}
		p.Tickets, p.HasNextPage, p.HasPreviousPage = pageOf(byOwner[id], span, size, backward)
		p.Cursors = make([]string, len(p.Tickets))
		for j, t := range p.Tickets {
			p.Cursors[j] = ks.cursor([]time.Time{key(t)}, t.ID)
		}
		all.Tickets = append(all.Tickets, p.Tickets...)
		pages[i] = p
	}
	if err := s.readTicketPage(ctx, scope, all, reads); err != nil {
		return nil, nil, err
	}
	return pages, all, nil
}
