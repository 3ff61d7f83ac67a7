// Package graph is the GraphQL transport: the schema in schema/, thin
// resolvers that call the store or a per-request dataloader, the role
// directive, and the error presenter that turns application errors into
// extensions.code. Business rules never live here.
package graph

import (
	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/events"
	"github.com/prioritysupport/backend/store"
)

// Resolver holds the services the resolvers call. It is built once, at
// start, by the server.
type Resolver struct {
	Store     *store.Store
	Events    events.Bus
	Ledger    *billing.Ledger
	Evaluator *billing.Evaluator
	Billing   *billing.Service
}
