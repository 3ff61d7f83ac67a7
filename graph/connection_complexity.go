package graph

import (
	"github.com/prioritysupport/backend/bizhours"
	"github.com/prioritysupport/backend/graph/generated"
	"github.com/prioritysupport/backend/graph/model"
	"github.com/prioritysupport/backend/store"
)

// spanSize is the most items a connection page of first or last may hold,
// clamped to the store's page sizes as pageSize does: the larger of the
// two, since the store refuses a page that gives both.
func spanSize(first, last *int) int {
	if last == nil || *last <= 0 {
		return pageSize(first)
	}
	return max(pageSize(first), min(*last, store.MaxPageSize))
}

// connectionComplexity sets the cost of the connections and batch lookups
// that NewHandler does not: each list costs its page size (or the number
// of ids or months it asks for, clamped to its maximum) times its children,
// so a request cannot ask for more than the complexity limit allows.
func connectionComplexity(cfg *generated.Config) {
	c := &cfg.Complexity
	span := func(child int, first *int, _ *string, last *int, _ *string) int {
		return listCost(spanSize(first, last), child)
	}
	c.Query.PriorityQueueConnection = span
	c.Ticket.MessagesConnection = span
	c.Customer.SettlementsConnection = span
	c.Customer.Tickets = func(child int, _ *model.TicketFilter, _ *model.TicketOrder, first *int, _ *string, last *int, _ *string) int {
		return listCost(spanSize(first, last), child)
	}
	c.SupportSubscription.Tickets = c.Customer.Tickets
	c.Query.Nodes = func(child int, ids []string) int {
		return listCost(min(len(ids), store.MaxPageSize), child)
	}
	c.Customer.SLASummary = func(child int, from, to string) int {
		return listCost(monthsBetween(from, to), child)
	}
	c.CustomerSlaMonth.Reports = func(child int) int { return listCost(3, child) }
}

// monthsBetween is the number of months from..to, both included, clamped to
// 1..store.MaxSummaryMonths (a bad range is refused when resolved).
func monthsBetween(from, to string) int {
	fy, fm, err1 := bizhours.ParseMonth(from)
	ty, tm, err2 := bizhours.ParseMonth(to)
	if err1 != nil || err2 != nil {
		return 1
	}
	return min(max((ty-fy)*12+int(tm-fm)+1, 1), store.MaxSummaryMonths)
}
