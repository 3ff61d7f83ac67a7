package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/prioritysupport/backend/store"
)

// ticketReads returns what the selection of a field returning a
// TicketConnection needs beside the page itself, so that the store reads
// it with the page: the clocks and subscriptions of the parts its tickets'
// views select (ticketParts), and what its other fields need.
func ticketReads(ctx context.Context) store.TicketReads {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return store.TicketReads{Total: true}
	}
	doc := graphql.GetOperationContext(ctx).Doc
	set := fc.Field.Selections
	node := selected(doc, set, "edges", "node")
	parts := ticketParts(doc, node)
	return store.TicketReads{
		Total:         selected(doc, set, "totalCount") != nil,
		Clocks:        parts.sla || selected(doc, node, "clocks") != nil,
		Subscriptions: parts.sla || parts.subscription,
		Domains:       parts.domains,
		Customers:     selected(doc, node, "customer") != nil,
	}
}

// selected returns the selections under the fields named by path, below
// set, fragments expanded (and @skip and @include ignored: reading a little
// more than asked for is harmless); nil when no field answers path.
func selected(doc *ast.QueryDocument, set ast.SelectionSet, path ...string) ast.SelectionSet {
	for _, name := range path {
		var next ast.SelectionSet
		found := false
		collect(doc, set, name, &next, &found, 0)
		if !found {
			return nil
		}
		if next == nil {
			next = ast.SelectionSet{}
		}
		set = next
	}
	return set
}

// maxFragmentDepth stops following fragment spreads that nest deeper than
// any valid document can (validation refuses cycles; the limits, depth).
const maxFragmentDepth = 32

// collect appends to out the selections of the fields named name in set,
// fragments expanded, and sets found when there is one.
func collect(doc *ast.QueryDocument, set ast.SelectionSet, name string, out *ast.SelectionSet, found *bool, depth int) {
	if depth > maxFragmentDepth {
		return
	}
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == name {
				*found = true
				*out = append(*out, sel.SelectionSet...)
			}
		case *ast.InlineFragment:
			collect(doc, sel.SelectionSet, name, out, found, depth+1)
		case *ast.FragmentSpread:
			if f := doc.Fragments.ForName(sel.Name); f != nil {
				collect(doc, f.SelectionSet, name, out, found, depth+1)
			}
		}
	}
}
