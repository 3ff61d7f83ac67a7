package graph

import (
	"context"
	"strings"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/graph/loaders"
	"github.com/prioritysupport/backend/graph/model"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// deref returns the value p points to, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// optTime returns nil for the zero time, else a pointer to t.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// isStaff reports whether the caller is staff: Stripe ids and Stripe's
// error messages are shown to staff only.
func isStaff(ctx context.Context) bool {
	c, ok := auth.FromContext(ctx)
	return ok && c.IsStaff()
}

// optString returns nil for "", else a pointer to s.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// customerConnection returns the Relay connection of a page of customers.
func customerConnection(p *store.CustomerPage) *model.CustomerConnection {
	conn := &model.CustomerConnection{PageInfo: pageInfo(p.Cursors, p.HasNextPage, p.HasPreviousPage), TotalCount: p.TotalCount}
	for i, c := range p.Customers {
		conn.Edges = append(conn.Edges, &model.CustomerEdge{Cursor: p.Cursors[i], Node: c})
	}
	if conn.Edges == nil {
		conn.Edges = []*model.CustomerEdge{}
	}
	return conn
}

// creditConnection returns the Relay connection of a page of ledger
// entries.
func creditConnection(p *store.CreditEntryPage) *model.CreditEntryConnection {
	conn := &model.CreditEntryConnection{PageInfo: pageInfo(p.Cursors, p.HasNextPage, p.HasPreviousPage), TotalCount: p.TotalCount, Edges: []*model.CreditEntryEdge{}}
	for i, e := range p.Entries {
		conn.Edges = append(conn.Edges, &model.CreditEntryEdge{Cursor: p.Cursors[i], Node: e})
	}
	return conn
}

// pageInfo returns the PageInfo of a page whose items have cursors.
func pageInfo(cursors []string, hasNext, hasPrevious bool) *model.PageInfo {
	info := &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrevious}
	if n := len(cursors); n > 0 {
		info.StartCursor, info.EndCursor = &cursors[0], &cursors[n-1]
	}
	return info
}

// span returns the store's page request of a connection's arguments.
func span(first *int, after *string, last *int, before *string) store.Span {
	return store.Span{First: deref(first), After: deref(after), Last: deref(last), Before: deref(before)}
}

// ticketSearch returns the store's search of a GraphQL ticket filter and
// order.
func ticketSearch(f *model.TicketFilter, o *model.TicketOrder) store.TicketSearch {
	q := store.TicketSearch{Filter: ticketFilter(f)}
	if f != nil {
		q.CustomerID, q.Text = deref(f.CustomerID), deref(f.Search)
		q.LastFrom, q.LastTo = deref(f.LastMessageFrom), deref(f.LastMessageTo)
		q.Breached, q.AtRisk, q.Running, q.Statuses = f.Breached, f.AtRisk, f.Running, f.SLAStatus
	}
	if o != nil {
		q.Order = store.TicketOrder{Field: store.TicketOrderField(o.Field), Asc: o.Direction == model.OrderDirectionAsc}
	}
	return q
}

// messageConnection returns the Relay connection of a window of a
// ticket's messages.
func messageConnection(w *store.Window[*models.Message]) *model.TicketMessageConnection {
	conn := &model.TicketMessageConnection{PageInfo: pageInfo(w.Cursors, w.HasNextPage, w.HasPreviousPage), TotalCount: w.TotalCount,
		Edges: make([]*model.TicketMessageEdge, len(w.Items))}
	for i, m := range w.Items {
		conn.Edges[i] = &model.TicketMessageEdge{Cursor: w.Cursors[i], Node: m}
	}
	return conn
}

// settlementConnection returns the Relay connection of a window of a
// customer's settlements.
func settlementConnection(w *store.Window[*models.Settlement]) *model.SettlementConnection {
	conn := &model.SettlementConnection{PageInfo: pageInfo(w.Cursors, w.HasNextPage, w.HasPreviousPage), TotalCount: w.TotalCount,
		Edges: make([]*model.SettlementEdge, len(w.Items))}
	for i, st := range w.Items {
		conn.Edges[i] = &model.SettlementEdge{Cursor: w.Cursors[i], Node: st}
	}
	return conn
}

// optSeconds returns nil for nil, else the duration in whole seconds.
func optSeconds(d *time.Duration) *int {
	if d == nil {
		return nil
	}
	n := int(*d / time.Second)
	return &n
}

// pointers returns pointers to the elements of list.
func pointers[T any](list []T) []*T {
	out := make([]*T, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out
}

// splitAddresses splits a stored comma-separated address list.
func splitAddresses(s string) []string {
	out := []string{}
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// ticketFilter returns the store filter of a GraphQL ticket filter.
func ticketFilter(f *model.TicketFilter) models.TicketFilter {
	if f == nil {
		return models.TicketFilter{}
	}
	return models.TicketFilter{
		Status: deref(f.Status), Priority: f.Priority, SubscriptionID: deref(f.SubscriptionID),
		From: deref(f.From), To: deref(f.To),
	}
}

// ticketConnection returns the Relay connection of a page of tickets,
// whose views are tickets.
func ticketConnection(p *store.TicketPage, tickets []*model.Ticket) *model.TicketConnection {
	conn := &model.TicketConnection{PageInfo: pageInfo(p.Cursors, p.HasNextPage, p.HasPreviousPage), TotalCount: p.TotalCount,
		Edges: make([]*model.TicketEdge, len(tickets))}
	edges := make([]model.TicketEdge, len(tickets))
	for i, t := range tickets {
		edges[i] = model.TicketEdge{Cursor: p.Cursors[i], Node: t}
		conn.Edges[i] = &edges[i]
	}
	return conn
}

// alertStream turns the store's alerts into the schema's, each ticket's
// view with the parts the slaAlerts field selects, until in closes or ctx
// ends.
func (r *Resolver) alertStream(ctx context.Context, in <-chan *store.SLAAlert) <-chan *model.SLAAlert {
	want := ticketPartsAt(ctx, "ticket")
	return stream(ctx, in, func(a *store.SLAAlert) *model.SLAAlert {
		level := model.SLAAlertLevelAtRisk
		if a.Level == store.AlertBreached {
			level = model.SLAAlertLevelBreached
		}
		return &model.SLAAlert{Ticket: r.ticketView(ctx, a.Ticket, want), Level: level, DueAt: a.DueAt, At: a.At}
	})
}

// ticketPage returns one page of the tickets q finds, read with what the
// query selects beside them, the loaders primed with it.
func (r *Resolver) ticketPage(ctx context.Context, q store.TicketSearch, page store.Span) (*model.TicketConnection, error) {
	p, err := r.Store.SearchTickets(ctx, q, page, ticketReads(ctx))
	if err != nil {
		return nil, err
	}
	return r.primedTicketConnection(ctx, p), nil
}

// primedTicketConnection primes the request's loaders with what p read
// beside its tickets and returns its connection, whose views find their
// parts there.
func (r *Resolver) primedTicketConnection(ctx context.Context, p *store.TicketPage) *model.TicketConnection {
	loaders.For(ctx).PrimeTicketPage(p)
	return ticketConnection(p, r.ticketViews(ctx, p.Tickets, ticketPartsAt(ctx, "edges", "node")))
}

// ownerTickets returns one page of the tickets of a customer or a
// subscription through the request's loader, which reads the pages of all
// the list's customers or subscriptions together and primes the loaders
// with what it read beside them.
func (r *Resolver) ownerTickets(ctx context.Context, owner store.TicketOwner, id string, q store.TicketSearch, page store.Span) (*model.TicketConnection, error) {
	p, err := loaders.For(ctx).TicketsByOwner.Load(ctx, loaders.NewTicketsKey(owner, id, loaders.TicketsSearch{Query: q, Span: page, Reads: ticketReads(ctx)}))
	if err != nil {
		return nil, err
	}
	return ticketConnection(p, r.ticketViews(ctx, p.Tickets, ticketPartsAt(ctx, "edges", "node"))), nil
}
