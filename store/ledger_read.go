package store

import (
	"context"
	"fmt"
	"time"

	"github.com/prioritysupport/backend/models"
)

// creditKeyset is the credit ledger's order: newest first.
var creditKeyset = keyset{name: "credit-ledger", columns: []keyColumn{{expr: "ce.created_at", desc: true}}, id: "ce.id"}

// CreditEntryPage is one page of a customer's credit ledger, newest first.
type CreditEntryPage struct {
	Entries         []*models.CreditEntry
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// CreditEntries returns one page of span of a customer's credit ledger,
// newest first (by creation time, then id), counted. A customer user may
// omit customerID (its own) and reads only its own; staff must name one. It
// returns NOT_FOUND for a customer that does not exist or that the caller
// may not see, BAD_USER_INPUT for a missing customer id, a bad page size or
// cursor, UNAUTHENTICATED or FORBIDDEN.
func (s *Store) CreditEntries(ctx context.Context, customerID string, span Span) (*CreditEntryPage, error) {
	scope, err := ReadScope(ctx)
	switch {
	case err != nil:
		return nil, err
	case scope != "" && (customerID == "" || customerID == scope):
		customerID = scope
	case scope != "":
		return nil, notFound("customer", customerID)
	case customerID == "":
		return nil, models.Errorf(models.CodeBadUserInput, "customer id is required")
	}
	size, backward, err := span.check()
	if err != nil {
		return nil, err
	}
	if ok, err := s.db.NewSelect().Model((*models.Customer)(nil)).Where("c.id = ?", customerID).Exists(ctx); err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	} else if !ok {
		return nil, notFound("customer", customerID)
	}
	total, err := s.db.NewSelect().Model((*models.CreditEntry)(nil)).Where("ce.customer_id = ?", customerID).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count credit entries: %w", err)
	}
	q, err := creditKeyset.apply(s.db.NewSelect().Model((*models.CreditEntry)(nil)).Where("ce.customer_id = ?", customerID), span, size, backward)
	if err != nil {
		return nil, err
	}
	var rows []*models.CreditEntry
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("credit entries: %w", err)
	}
	p := &CreditEntryPage{TotalCount: int(total)}
	p.Entries, p.HasNextPage, p.HasPreviousPage = pageOf(rows, span, size, backward)
	for _, e := range p.Entries {
		p.Cursors = append(p.Cursors, creditKeyset.cursor([]time.Time{e.CreatedAt}, e.ID))
	}
	return p, nil
}
