package graph

import (
	"context"
	"strings"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/billing"
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
	conn := &model.CustomerConnection{PageInfo: &model.PageInfo{HasNextPage: p.HasNextPage}, TotalCount: p.TotalCount}
	for i, c := range p.Customers {
		conn.Edges = append(conn.Edges, &model.CustomerEdge{Cursor: p.Cursors[i], Node: c})
	}
	if n := len(p.Cursors); n > 0 {
		conn.PageInfo.EndCursor = &p.Cursors[n-1]
	}
	if conn.Edges == nil {
		conn.Edges = []*model.CustomerEdge{}
	}
	return conn
}

// creditConnection returns the Relay connection of a page of ledger
// entries.
func creditConnection(p *billing.EntryPage) *model.CreditEntryConnection {
	conn := &model.CreditEntryConnection{PageInfo: &model.PageInfo{HasNextPage: p.HasNextPage}, TotalCount: p.TotalCount, Edges: []*model.CreditEntryEdge{}}
	for i, e := range p.Entries {
		conn.Edges = append(conn.Edges, &model.CreditEntryEdge{Cursor: p.Cursors[i], Node: e})
	}
	if n := len(p.Cursors); n > 0 {
		conn.PageInfo.EndCursor = &p.Cursors[n-1]
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

// ticketConnection returns the Relay connection of a page of tickets.
func ticketConnection(p *store.TicketPage) *model.TicketConnection {
	conn := &model.TicketConnection{PageInfo: &model.PageInfo{HasNextPage: p.HasNextPage}, TotalCount: p.TotalCount,
		Edges: make([]*model.TicketEdge, len(p.Tickets))}
	edges := make([]model.TicketEdge, len(p.Tickets))
	for i, t := range p.Tickets {
		edges[i] = model.TicketEdge{Cursor: p.Cursors[i], Node: t}
		conn.Edges[i] = &edges[i]
	}
	if n := len(p.Cursors); n > 0 {
		conn.PageInfo.EndCursor = &p.Cursors[n-1]
	}
	return conn
}

// alertStream turns the store's alerts into the schema's.
func alertStream(in <-chan *store.SLAAlert) <-chan *model.SLAAlert {
	out := make(chan *model.SLAAlert)
	go func() {
		defer close(out)
		for a := range in {
			level := model.SLAAlertLevelAtRisk
			if a.Level == store.AlertBreached {
				level = model.SLAAlertLevelBreached
			}
			out <- &model.SLAAlert{Ticket: a.Ticket, Level: level, DueAt: a.DueAt, At: a.At}
		}
	}()
	return out
}
