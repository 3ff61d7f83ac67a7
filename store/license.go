package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
)

// RecordLicense records a customer's license (sales, admin). A key the
// customer already has is updated in place (paid flag and validity), so a
// renewal or a payment can be recorded again without a duplicate. It returns
// BAD_USER_INPUT for a bad key or window, NOT_FOUND for an unknown customer,
// CONFLICT when the key belongs to another customer, UNAUTHENTICATED or
// FORBIDDEN.
func (s *Store) RecordLicense(ctx context.Context, in models.LicenseInput) (*models.License, error) {
	if _, err := requireSales(ctx); err != nil {
		return nil, err
	}
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	now := s.Now()
	l := &models.License{
		ID: newID(), CustomerID: in.CustomerID, Key: in.Key, Paid: in.Paid,
		ValidFrom: in.ValidFrom.UTC(), ValidUntil: in.ValidUntil.UTC(), CreatedAt: now, UpdatedAt: now,
	}
	err := s.inTx(ctx, func(tx bun.Tx) error {
		if err := customerExists(ctx, tx, in.CustomerID); err != nil {
			return err
		}
		existing := new(models.License)
		err := tx.NewSelect().Model(existing).Where("l.key = ?", l.Key).Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.NewInsert().Model(l).Exec(ctx)
			return err
		case err != nil:
			return err
		case existing.CustomerID != l.CustomerID:
			return models.Errorf(models.CodeConflict, "license key %q belongs to another customer", l.Key)
		}
		l.ID, l.CreatedAt = existing.ID, existing.CreatedAt
		_, err = tx.NewUpdate().Model(l).Column("paid", "valid_from", "valid_until", "updated_at").WherePK().Exec(ctx)
		return err
	})
	if IsUniqueViolation(err) {
		return nil, models.Errorf(models.CodeConflict, "license key %q was recorded at the same time; try again", l.Key)
	}
	if err != nil {
		return nil, fmt.Errorf("record license: %w", err)
	}
	return l, nil
}

// customerExists returns NOT_FOUND unless the customer exists.
func customerExists(ctx context.Context, tx bun.Tx, id string) error {
	ok, err := tx.NewSelect().Model((*models.Customer)(nil)).Where("c.id = ?", id).Exists(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("customer", id)
	}
	return nil
}

// LicensesByCustomerIDs returns, for each customer id in order, the licenses
// the caller may see, newest validity first.
func (s *Store) LicensesByCustomerIDs(ctx context.Context, ids []string) ([][]*models.License, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.License
	q := s.db.NewSelect().Model(&rows).Where("l.customer_id IN (?)", bun.In(ids)).OrderExpr("l.valid_until DESC, l.id ASC")
	if err := scoped(q, "l.customer_id", scope).Scan(ctx); err != nil {
		return nil, fmt.Errorf("licenses by customer: %w", err)
	}
	return groupBy(ids, rows, func(l *models.License) string { return l.CustomerID }), nil
}

// groupBy returns rows grouped under the keys they belong to, in the order
// of keys, keeping the order of rows within a group.
func groupBy[T any](keys []string, rows []T, key func(T) string) [][]T {
	groups := make(map[string][]T, len(keys))
	for _, r := range rows {
		k := key(r)
		groups[k] = append(groups[k], r)
	}
	out := make([][]T, len(keys))
	for i, k := range keys {
		out[i] = groups[k]
	}
	return out
}
