package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/perfdata"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/store"
)

// queryCounter is a Bun query hook that counts the queries run.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (c *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) { c.n.Add(1) }

// TestListQueriesDoNotGrowWithPageSize asserts that a page of customers with
// their licenses, subscriptions, domains and status history runs the same,
// fixed number of queries whatever the page size: one per list field, not
// one per row.
func TestListQueriesDoNotGrowWithPageSize(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		// A long batch window: this test is about how many queries a page
		// needs, not about timing, so a slow run (race detector, busy
		// machine) must not split a batch in two.
		s := newTestServer(t, databaseURL, map[string]string{}, func(a *App) { a.LoaderWait = 100 * time.Millisecond })
		for i := 0; i < 30; i++ {
			s.mustPriorityCustomer(fmt.Sprintf("Customer %02d", i), time.Now().AddDate(0, -3, 0), fmt.Sprintf("c%02d.example", i), fmt.Sprintf("eu.c%02d-other.example", i))
		}
		counter := &queryCounter{}
		store.AddQueryHook(s.App.Store.DB(), counter)
		query := `query($n: Int) { customers(first: $n) { totalCount edges { node { id licenses { key valid }
			creditBalance { cents } settlements { id status }
			supportSubscriptions { id domains status statusHistory { to at } customer { id name }
				slaHistory(months: 3) { month status credit { id } } } } } } }`
		count := func(n int) int64 {
			counter.n.Store(0)
			var out struct {
				Customers struct {
					Edges []struct {
						Node struct {
							Licenses             []struct{ Key string }
							SupportSubscriptions []struct {
								Domains    []string
								SLAHistory []struct{ Month string } `json:"slaHistory"`
							}
						}
					}
				}
			}
			s.gql(s.token("", auth.RoleSupport), query, map[string]any{"n": n}).decode(t, &out)
			if len(out.Customers.Edges) != n {
				t.Fatalf("page of %d has %d edges", n, len(out.Customers.Edges))
			}
			for _, e := range out.Customers.Edges {
				if len(e.Node.Licenses) != 1 || len(e.Node.SupportSubscriptions) != 1 || len(e.Node.SupportSubscriptions[0].Domains) != 2 ||
					len(e.Node.SupportSubscriptions[0].SLAHistory) != 3 {
					t.Fatalf("incomplete node: %+v", e.Node)
				}
			}
			return counter.n.Load()
		}
		small, large := count(3), count(30)
		if small != large {
			t.Fatalf("a page of 3 ran %d queries, a page of 30 ran %d: a list field queries per row", small, large)
		}
		// count + page + licenses + subscriptions + domains + status history
		// + customers + credit balances + settlements + SLA history (clocks,
		// tickets, frozen months) + month credits
		if large < 12 {
			t.Fatalf("the hook counted only %d queries: it is not counting", large)
		}
		if large > 13 {
			t.Fatalf("a page ran %d queries, want at most 13", large)
		}
	})
}

// TestDashboardPageQueriesDoNotGrowWithPageSize: the customer dashboard's
// ticket page (the P2 workload: a customer user's newest tickets with SLA
// state and subscription, on the perfdata set) runs the same number of
// queries for 5 tickets as for 100.
func TestDashboardPageQueriesDoNotGrowWithPageSize(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil, func(a *App) { a.LoaderWait = 100 * time.Millisecond })
		ds, err := perfdata.Generate(t.Context(), s.App.Store.DB(), perfdata.Options{
			Size: perfdata.Size{Customers: 2, Tickets: 300, Messages: 1000}, SupportDomain: "support.vendor.test", Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		counter := &queryCounter{}
		store.AddQueryHook(s.App.Store.DB(), counter)
		tok := s.token(ds.Customers[0].ID, auth.RoleCustomer)
		query := `query($n: Int) { tickets(first: $n) { edges { node { ` + perfdata.P2Ticket + ` } } } }`
		count := func(n int) int64 {
			counter.n.Store(0)
			var out struct {
				Tickets struct {
					Edges []struct {
						Node struct {
							Sla          *struct{ Breached bool }
							Subscription *struct{ Domains []string }
						}
					}
				}
			}
			s.gql(tok, query, map[string]any{"n": n}).decode(t, &out)
			if len(out.Tickets.Edges) != n {
				t.Fatalf("page of %d has %d edges", n, len(out.Tickets.Edges))
			}
			for _, e := range out.Tickets.Edges {
				if e.Node.Sla == nil || e.Node.Subscription == nil || len(e.Node.Subscription.Domains) != 2 {
					t.Fatalf("incomplete ticket: %+v", e.Node)
				}
			}
			return counter.n.Load()
		}
		small, large := count(5), count(100)
		if small != large {
			t.Fatalf("a page of 5 ran %d queries, a page of 100 ran %d: a field queries per ticket", small, large)
		}
		// At most page + subscriptions + domains + clocks, give or take
		// two; at least one, or the hook is not counting.
		if large < 1 || large > 6 {
			t.Fatalf("a page ran %d queries, want 1 to 6", large)
		}
	})
}
