package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/prioritysupport/backend/graph/loaders"
	"github.com/prioritysupport/backend/graph/model"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
	"github.com/prioritysupport/backend/store"
)

// The views, model.Ticket and model.SupportSubscription, answer the fields
// that would otherwise each be a resolver run by gqlgen in a goroutine of
// its own, per list item: a Ticket's subscription, sla and slaStatus, a
// SupportSubscription's status and domains. Every resolver that returns a
// Ticket or a SupportSubscription makes its views here, for its whole list
// at once, reading only the parts the query selects.

// viewParts says which parts of the views a query selects.
type viewParts struct {
	sla          bool // Ticket.sla or Ticket.slaStatus
	subscription bool // Ticket.subscription
	domains      bool // SupportSubscription.domains (of Ticket.subscription below a Ticket)
}

// allParts is what is read for a call outside a query (no field context).
var allParts = viewParts{sla: true, subscription: true, domains: true}

// ticketPartsAt returns the parts the Tickets at path below the current
// field select.
func ticketPartsAt(ctx context.Context, path ...string) viewParts {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return allParts
	}
	doc := graphql.GetOperationContext(ctx).Doc
	return ticketParts(doc, selected(doc, fc.Field.Selections, path...))
}

// ticketParts returns the parts a Ticket's selection set selects.
func ticketParts(doc *ast.QueryDocument, ticket ast.SelectionSet) viewParts {
	sub := selected(doc, ticket, "subscription")
	return viewParts{
		sla:          selected(doc, ticket, "sla") != nil || selected(doc, ticket, "slaStatus") != nil,
		subscription: sub != nil,
		domains:      selected(doc, sub, "domains") != nil,
	}
}

// subscriptionPartsAt returns the parts the SupportSubscriptions the
// current field returns select.
func subscriptionPartsAt(ctx context.Context) viewParts {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return allParts
	}
	doc := graphql.GetOperationContext(ctx).Doc
	return viewParts{domains: selected(doc, fc.Field.Selections, "domains") != nil}
}

// ticketView returns the view of t, nil for nil (see ticketViews).
func (r *Resolver) ticketView(ctx context.Context, t *models.Ticket, want viewParts) *model.Ticket {
	if t == nil {
		return nil
	}
	return r.ticketViews(ctx, []*models.Ticket{t}, want)[0]
}

// ticketViews returns the views of tickets, in order, with the parts want
// asks for, read through the request's loaders in one batch each: the
// subscriptions with the priority tickets' clocks, then the domains. A page
// primed the loaders with what it read, so for its tickets none of them
// waits. A part that could not be read holds its error, so that only its
// own field fails.
func (r *Resolver) ticketViews(ctx context.Context, tickets []*models.Ticket, want viewParts) []*model.Ticket {
	out := make([]*model.Ticket, len(tickets))
	if !want.sla && !want.subscription {
		for i, t := range tickets {
			out[i] = model.NewTicket(t, model.TicketParts{})
		}
		return out
	}
	l := loaders.For(ctx)
	subIndex := make(map[string]int)
	var subThunks []func() (*models.SupportSubscription, error)
	clockThunks := make([]func() ([]*models.Clock, error), len(tickets))
	for i, t := range tickets {
		if _, seen := subIndex[t.SubscriptionID]; t.SubscriptionID != "" && !seen && (want.subscription || want.sla && t.Priority) {
			subIndex[t.SubscriptionID] = len(subThunks)
			subThunks = append(subThunks, l.SubscriptionByID.LoadThunk(ctx, t.SubscriptionID))
		}
		if want.sla && t.Priority {
			clockThunks[i] = l.ClocksByTicketID.LoadThunk(ctx, t.ID)
		}
	}
	subs := make([]*models.SupportSubscription, len(subThunks))
	subErrs := make([]error, len(subThunks))
	for j, load := range subThunks {
		subs[j], subErrs[j] = load()
	}
	var subViews []*model.SupportSubscription
	if want.subscription {
		subViews = r.subscriptionViews(ctx, subs, viewParts{domains: want.domains})
	}
	for i, t := range tickets {
		var parts model.TicketParts
		var sub *models.SupportSubscription
		var subView *model.SupportSubscription
		var subErr error
		if j, ok := subIndex[t.SubscriptionID]; ok {
			sub, subErr = subs[j], subErrs[j]
			if want.subscription {
				subView = subViews[j]
			}
		}
		if want.subscription {
			parts.Subscription = model.PartOf(subView, subErr)
		}
		if want.sla {
			st, err := r.ticketSLA(t, sub, subErr, clockThunks[i])
			parts.SLA, parts.SLAStatus = model.PartOf(st, err), model.PartOf(store.SLAStatusOf(st), err)
		}
		out[i] = model.NewTicket(t, parts)
	}
	return out
}

// ticketSLA returns the live SLA state of t from its subscription (or the
// error reading it) and its clocks: nil for an ordinary ticket or one whose
// clock has not started.
func (r *Resolver) ticketSLA(t *models.Ticket, sub *models.SupportSubscription, subErr error, clocks func() ([]*models.Clock, error)) (*sla.TicketSLA, error) {
	if !t.Priority {
		return nil, nil
	}
	rows, err := clocks()
	if err != nil {
		return nil, err
	}
	if subErr != nil {
		return nil, subErr
	}
	return r.Store.TicketSLA(t, sub, rows)
}

// subscriptionView returns the view of s, nil for nil (see
// subscriptionViews).
func (r *Resolver) subscriptionView(ctx context.Context, s *models.SupportSubscription, want viewParts) *model.SupportSubscription {
	if s == nil {
		return nil
	}
	return r.subscriptionViews(ctx, []*models.SupportSubscription{s}, want)[0]
}

// subscriptionViews returns the views of subs, in order (nil for nil), with
// their status at the store's clock and, when want asks for them, their
// domains, read through the request's loader in one batch.
func (r *Resolver) subscriptionViews(ctx context.Context, subs []*models.SupportSubscription, want viewParts) []*model.SupportSubscription {
	out := make([]*model.SupportSubscription, len(subs))
	var domains []func() ([]string, error)
	if want.domains {
		l := loaders.For(ctx)
		domains = make([]func() ([]string, error), len(subs))
		for i, s := range subs {
			if s != nil {
				domains[i] = l.DomainsBySubscriptionID.LoadThunk(ctx, s.ID)
			}
		}
	}
	now := r.Store.Now()
	for i, s := range subs {
		if s == nil {
			continue
		}
		var d model.Part[[]string]
		if want.domains {
			d = model.PartOf(domains[i]())
		}
		out[i] = model.NewSupportSubscription(s, now, d)
	}
	return out
}

// nodeViews returns nodes (store.Nodes) with their tickets and
// subscriptions replaced by their views, the parts the current field
// selects read for all of them at once.
func (r *Resolver) nodeViews(ctx context.Context, nodes []any) []model.Node {
	out := make([]model.Node, len(nodes))
	var tickets []*models.Ticket
	var subs []*models.SupportSubscription
	var ticketAt, subAt []int
	for i, n := range nodes {
		switch n := n.(type) {
		case *models.Ticket:
			tickets, ticketAt = append(tickets, n), append(ticketAt, i)
		case *models.SupportSubscription:
			subs, subAt = append(subs, n), append(subAt, i)
		default:
			out[i] = n
		}
	}
	if len(tickets) > 0 {
		for k, v := range r.ticketViews(ctx, tickets, ticketPartsAt(ctx)) {
			out[ticketAt[k]] = v
		}
	}
	if len(subs) > 0 {
		for k, v := range r.subscriptionViews(ctx, subs, subscriptionPartsAt(ctx)) {
			out[subAt[k]] = v
		}
	}
	return out
}

// ticketStream returns the views of the tickets in as they arrive, each
// with the parts want asks for, until in closes or ctx ends.
func (r *Resolver) ticketStream(ctx context.Context, in <-chan *models.Ticket, want viewParts) <-chan *model.Ticket {
	return stream(ctx, in, func(t *models.Ticket) *model.Ticket { return r.ticketView(ctx, t, want) })
}

// stream returns the values of in passed through f as they arrive, until in
// closes or ctx ends.
func stream[T, V any](ctx context.Context, in <-chan T, f func(T) V) <-chan V {
	out := make(chan V)
	go func() {
		defer close(out)
		for v := range in {
			select {
			case out <- f(v):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
