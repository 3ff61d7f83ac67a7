package main

import (
	"testing"

	"github.com/prioritysupport/backend/internal/testdb"
)

// TestCustomersPageBackwards: customers(last:, before:) through the API
// gives the customers before a cursor in name order, with pageInfo saying
// which sides have more.
func TestCustomersPageBackwards(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		for _, name := range []string{"Cedar Ltd", "Alder Ltd", "Birch Ltd"} {
			s.mustCustomer(name)
		}
		type page struct {
			Customers struct {
				PageInfo struct {
					HasNextPage, HasPreviousPage bool
					StartCursor                  string
				}
				Edges []struct{ Node struct{ Name string } }
			}
		}
		const q = `query($last: Int, $before: String) { customers(last: $last, before: $before) {
			pageInfo { hasNextPage hasPreviousPage startCursor } edges { node { name } } } }`
		var last page
		s.gql(s.sales(), q, map[string]any{"last": 2}).decode(t, &last)
		if c := last.Customers; len(c.Edges) != 2 || c.Edges[0].Node.Name != "Birch Ltd" || c.Edges[1].Node.Name != "Cedar Ltd" ||
			!c.PageInfo.HasPreviousPage || c.PageInfo.HasNextPage {
			t.Fatalf("last 2 = %+v", c)
		}
		var before page
		s.gql(s.sales(), q, map[string]any{"last": 2, "before": last.Customers.PageInfo.StartCursor}).decode(t, &before)
		if c := before.Customers; len(c.Edges) != 1 || c.Edges[0].Node.Name != "Alder Ltd" || c.PageInfo.HasPreviousPage || !c.PageInfo.HasNextPage {
			t.Fatalf("before Birch = %+v", c)
		}
		if r := s.gql(s.sales(), `{ customers(first: 2, last: 2) { totalCount } }`, nil); r.code() != "BAD_USER_INPUT" {
			t.Fatalf("first with last: %s", r.Raw)
		}
	})
}
