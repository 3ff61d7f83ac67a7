package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
)

// CreateCustomer creates a customer (sales, admin). It returns
// BAD_USER_INPUT for a bad name or Stripe id, CONFLICT when the Stripe
// customer id already belongs to a customer, UNAUTHENTICATED or FORBIDDEN.
func (s *Store) CreateCustomer(ctx context.Context, in models.CustomerInput) (*models.Customer, error) {
	if _, err := requireSales(ctx); err != nil {
		return nil, err
	}
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	now := s.Now()
	c := &models.Customer{ID: newID(), Name: in.Name, SearchName: foldCase(in.Name), StripeCustomerID: in.StripeCustomerID, CreatedAt: now, UpdatedAt: now}
	_, err := s.db.NewInsert().Model(c).Exec(ctx)
	if IsUniqueViolation(err) { // the unique stripe_customer_id index
		return nil, models.Errorf(models.CodeConflict, "stripe customer %q already belongs to another customer", c.StripeCustomerID)
	}
	if err != nil {
		return nil, fmt.Errorf("create customer: %w", err)
	}
	return c, nil
}

// FindCustomer returns one customer the caller may see, or NOT_FOUND (also
// for another customer's id), UNAUTHENTICATED or FORBIDDEN.
func (s *Store) FindCustomer(ctx context.Context, id string) (*models.Customer, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	c := new(models.Customer)
	err = scoped(s.db.NewSelect().Model(c).Where("c.id = ?", id), "c.id", scope).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("customer", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	return c, nil
}

// CustomersByIDs returns the customers with the given ids that the caller
// may see, in the order of ids; a missing or hidden one is nil.
func (s *Store) CustomersByIDs(ctx context.Context, ids []string) ([]*models.Customer, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.Customer
	if err := scoped(s.db.NewSelect().Model(&rows).Where("c.id IN (?)", bun.In(ids)), "c.id", scope).Scan(ctx); err != nil {
		return nil, fmt.Errorf("customers by ids: %w", err)
	}
	return inOrder(ids, rows, func(c *models.Customer) string { return c.ID }), nil
}

// CustomerPage is one page of customers, ordered by name then id.
type CustomerPage struct {
	Customers   []*models.Customer
	Cursors     []string
	HasNextPage bool
	// HasPreviousPage says customers come before the page (see Span).
	HasPreviousPage bool
	TotalCount      int
}

// FindCustomers lists the customers the caller may see (a customer user sees
// only its own), ordered by name, optionally those whose name or one of
// whose subscription domains contains search (case-insensitive). It returns
// BAD_USER_INPUT for a bad page size or cursor, or a search text that
// models.NormalizeSearch refuses (over 256 characters, control characters).
func (s *Store) FindCustomers(ctx context.Context, search string, page Page) (*CustomerPage, error) {
	return s.FindCustomersIn(ctx, search, Span{First: page.First, After: page.After})
}

// FindCustomersIn is FindCustomers for a page read forwards (first, after)
// or backwards (last, before, the page before a cursor, still in name
// order), with Span's rules and errors.
func (s *Store) FindCustomersIn(ctx context.Context, search string, span Span) (*CustomerPage, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	size, backward, err := span.check()
	if err != nil {
		return nil, err
	}
	if search, err = models.NormalizeSearch(search); err != nil {
		return nil, err
	}
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		q = scoped(q, "c.id", scope)
		if search != "" {
			pattern := "%" + escapeLike(foldCase(search)) + "%"
			q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where(`c.search_name LIKE ? ESCAPE '\'`, pattern).
					WhereOr(`EXISTS (SELECT 1 FROM subscription_domains AS sd WHERE sd.customer_id = c.id AND sd.domain LIKE ? ESCAPE '\')`, pattern)
			})
		}
		return q
	}
	total, err := s.db.NewSelect().Model((*models.Customer)(nil)).Apply(filter).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count customers: %w", err)
	}
	order := "c.name ASC, c.id ASC"
	if backward {
		order = "c.name DESC, c.id DESC"
	}
	q := s.db.NewSelect().Model((*models.Customer)(nil)).Apply(filter).OrderExpr(order).Limit(int64(size) + 1)
	if span.After != "" {
		cur, err := decodeCursor(span.After)
		if err != nil {
			return nil, err
		}
		q = q.Where("(c.name > ? OR (c.name = ? AND c.id > ?))", cur.Key, cur.Key, cur.ID)
	}
	if span.Before != "" {
		cur, err := decodeCursor(span.Before)
		if err != nil {
			return nil, models.Errorf(models.CodeBadUserInput, "before is not a valid cursor")
		}
		q = q.Where("(c.name < ? OR (c.name = ? AND c.id < ?))", cur.Key, cur.Key, cur.ID)
	}
	var rows []*models.Customer
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("find customers: %w", err)
	}
	p := &CustomerPage{TotalCount: int(total)}
	rows, p.HasNextPage, p.HasPreviousPage = pageOf(rows, span, size, backward)
	p.Customers = rows
	for _, c := range rows {
		p.Cursors = append(p.Cursors, encodeCursor(c.Name, c.ID))
	}
	return p, nil
}

// foldCase returns s in the case-folded form names are searched in. It is
// done here, not with SQL lower(), because SQLite's lower() folds ASCII only.
func foldCase(s string) string {
	return strings.ToLower(s)
}

// escapeLike escapes the LIKE wildcards in s with a backslash.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
