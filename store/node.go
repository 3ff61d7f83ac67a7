package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
)

// nodeTables are the tables of the objects with a global id, each with the
// column that holds the customer it belongs to (a customer's own id for
// customers) and the name a lookup reports its rows under. Ids are UUIDv7
// strings made by newID (and by the ledger and settlements the same way),
// so an id names at most one row of all these tables.
var nodeTables = []struct{ kind, table, customer string }{
	{"ticket", "tickets", "customer_id"},
	{"customer", "customers", "id"},
	{"subscription", "support_subscriptions", "customer_id"},
	{"message", "ticket_messages", "customer_id"},
	{"license", "licenses", "customer_id"},
	{"credit", "credit_entries", "customer_id"},
	{"settlement", "settlements", "customer_id"},
}

// Nodes returns the objects with the given global ids that the caller may
// see, in the order of ids, nil where none exists or the caller may not
// see it (a customer user sees its own customer's only; staff see all):
// *models.Ticket, *models.Customer, *models.SupportSubscription,
// *models.Message, *models.License, *models.CreditEntry or
// *models.Settlement. One query finds which table holds each id (scoped
// like the typed lookups), then one query per type found reads the rows:
// at most eight, whatever the number of ids. The caller bounds len(ids).
// It returns UNAUTHENTICATED or FORBIDDEN.
func (s *Store) Nodes(ctx context.Context, ids []string) ([]any, error) {
	scope, err := ReadScope(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var parts []string
	var args []any
	for _, t := range nodeTables {
		part := "SELECT ? AS kind, id FROM " + t.table + " WHERE id IN (?)"
		args = append(args, t.kind, bun.In(ids))
		if scope != "" {
			part += " AND " + t.customer + " = ?"
			args = append(args, scope)
		}
		parts = append(parts, part)
	}
	var found []struct {
		Kind string `bun:"kind"`
		ID   string `bun:"id"`
	}
	if err := s.db.NewRaw(strings.Join(parts, " UNION ALL "), args...).Scan(ctx, &found); err != nil {
		return nil, fmt.Errorf("find nodes: %w", err)
	}
	byKind := make(map[string][]string)
	for _, f := range found {
		byKind[f.Kind] = append(byKind[f.Kind], f.ID)
	}
	objects := make(map[string]any, len(found))
	for kind, kindIDs := range byKind {
		rows, err := s.nodesOf(ctx, scope, kind, kindIDs)
		if err != nil {
			return nil, err
		}
		for id, o := range rows {
			objects[id] = o
		}
	}
	for i, id := range ids {
		out[i] = objects[id]
	}
	return out, nil
}

// nodesOf reads the rows of one kind of node by id, scoped to the caller
// (scope is ReadScope's answer), by id.
func (s *Store) nodesOf(ctx context.Context, scope, kind string, ids []string) (map[string]any, error) {
	out := make(map[string]any, len(ids))
	var err error
	switch kind {
	case "ticket":
		err = readNodes(ctx, s.db, scope, "t", ids, out, func(t *models.Ticket) string { return t.ID })
	case "customer":
		var rows []*models.Customer
		if err = scoped(s.db.NewSelect().Model(&rows).Where("c.id IN (?)", bun.In(ids)), "c.id", scope).Scan(ctx); err == nil {
			for _, r := range rows {
				out[r.ID] = r
			}
		}
	case "subscription":
		err = readNodes(ctx, s.db, scope, "s", ids, out, func(r *models.SupportSubscription) string { return r.ID })
	case "message":
		err = readNodes(ctx, s.db, scope, "m", ids, out, func(r *models.Message) string { return r.ID })
	case "license":
		err = readNodes(ctx, s.db, scope, "l", ids, out, func(r *models.License) string { return r.ID })
	case "credit":
		err = readNodes(ctx, s.db, scope, "ce", ids, out, func(r *models.CreditEntry) string { return r.ID })
	case "settlement":
		err = readNodes(ctx, s.db, scope, "st", ids, out, func(r *models.Settlement) string { return r.ID })
	}
	if err != nil {
		return nil, fmt.Errorf("read %s nodes: %w", kind, err)
	}
	return out, nil
}

// readNodes reads the rows of model T (table alias alias, with a
// customer_id column) with the given ids, scoped, into out by id.
func readNodes[T any](ctx context.Context, db bun.IDB, scope, alias string, ids []string, out map[string]any, id func(*T) string) error {
	var rows []*T
	q := db.NewSelect().Model(&rows).Where("?.id IN (?)", bun.Ident(alias), bun.In(ids))
	if err := scoped(q, alias+".customer_id", scope).Scan(ctx); err != nil {
		return err
	}
	for _, r := range rows {
		out[id(r)] = r
	}
	return nil
}
