package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestSelectedFollowsFragments: the fields a page reads beside its rows are
// found through aliases, named and inline fragments, at any depth.
func TestSelectedFollowsFragments(t *testing.T) {
	for _, tc := range []struct {
		name, query      string
		sla, sub, domain bool
	}{
		{"plain", `{ tickets { edges { node { id sla { breached } subscription { domains } } } } }`, true, true, true},
		{"none", `{ tickets { totalCount edges { node { id subject } } } }`, false, false, false},
		{"aliased", `{ tickets { e: edges { n: node { s: subscription { id } } } } }`, false, true, false},
		{"named fragment", `{ tickets { ...Page } } fragment Page on TicketConnection { edges { node { ...Row } } }
			fragment Row on Ticket { sla { breached } }`, true, false, false},
		{"inline fragment", `{ tickets { edges { node { ... on Ticket { subscription { ... { domains } } } } } } }`, false, true, true},
		{"split over two", `{ tickets { edges { node { id } } edges { node { sla { breached } } } } }`, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parser.ParseQuery(&ast.Source{Input: tc.query})
			if err != nil {
				t.Fatal(err)
			}
			page := doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet
			node := selected(doc, page, "edges", "node")
			if got := selected(doc, node, "sla") != nil; got != tc.sla {
				t.Errorf("sla selected = %v, want %v", got, tc.sla)
			}
			if got := selected(doc, node, "subscription") != nil; got != tc.sub {
				t.Errorf("subscription selected = %v, want %v", got, tc.sub)
			}
			if got := selected(doc, node, "subscription", "domains") != nil; got != tc.domain {
				t.Errorf("domains selected = %v, want %v", got, tc.domain)
			}
		})
	}
}
