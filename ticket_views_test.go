package main

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/store"
)

// viewTicket is what TestTicketFieldsAgreeOnEveryPath reads of a ticket:
// the fields graph answers from its views rather than from resolvers.
type viewTicket struct {
	ID        string
	SlaStatus *string
	Sla       *struct {
		Breached            bool
		CurrentDueAt        *time.Time
		BusinessSecondsLeft *int
	}
	Subscription *viewSubscription
}

// viewSubscription is what the test reads of a subscription.
type viewSubscription struct {
	ID      string
	Status  string
	Domains []string
}

// viewFragments select viewTicket and viewSubscription.
const viewFragments = `
	fragment T on Ticket { id slaStatus sla { breached currentDueAt businessSecondsLeft } subscription { ...S } }
	fragment S on SupportSubscription { id status domains }`

// TestTicketFieldsAgreeOnEveryPath: a ticket's slaStatus, sla and
// subscription (with its status and domains), which are read with the
// ticket's list rather than by a resolver each, answer the same through
// every field that returns tickets or subscriptions, for staff and for the
// owner; a subscription's status follows the store's clock; and a query
// that does not select them reads no clocks nor subscriptions.
func TestTicketFieldsAgreeOnEveryPath(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		w := newRelayWorld(t, databaseURL)
		s := w.s
		var page struct {
			Tickets struct{ Edges []struct{ Node viewTicket } }
		}
		s.gql(s.support(), `{ tickets(first: 10) { edges { node { ...T } } } }`+viewFragments, nil).decode(t, &page)
		want := map[string]viewTicket{}
		for _, e := range page.Tickets.Edges {
			want[e.Node.ID] = e.Node
		}
		if len(want) != len(w.ticket) {
			t.Fatalf("the page has %d tickets, want %d", len(want), len(w.ticket))
		}
		alphaSub := viewSubscription{ID: w.a.SubscriptionID, Status: "ACTIVE", Domains: []string{"alpha.example"}}
		for subject, status := range map[string]string{"met": "MET", "ontrack": "ON_TRACK", "atrisk": "AT_RISK", "overdue": "BREACHED", "late": "BREACHED"} {
			got := want[w.ticket[subject]]
			if got.SlaStatus == nil || *got.SlaStatus != status || got.Sla == nil || got.Subscription == nil || !reflect.DeepEqual(*got.Subscription, alphaSub) {
				t.Errorf("%s on the page: %+v, want %s with subscription %+v", subject, got, status, alphaSub)
			}
		}
		if got := want[w.ticket["ordinary"]]; got.SlaStatus != nil || got.Sla != nil || got.Subscription != nil {
			t.Errorf("the ordinary ticket on the page: %+v", got)
		}
		check := func(t *testing.T, path string, got []viewTicket) {
			t.Helper()
			if len(got) == 0 {
				t.Fatalf("%s: no tickets", path)
			}
			for _, g := range got {
				if w, ok := want[g.ID]; !ok || !reflect.DeepEqual(g, w) {
					t.Errorf("%s: %s reads %+v, the page %+v", path, g.ID, g, w)
				}
			}
		}
		ids := make([]string, 0, len(want))
		for id := range want {
			ids = append(ids, id)
		}

		t.Run("every path that returns tickets", func(t *testing.T) {
			for _, id := range ids {
				var one struct {
					Ticket viewTicket
					Node   viewTicket
				}
				s.gql(s.support(), `query($id: ID!) { ticket(id: $id) { ...T } node(id: $id) { ... on Ticket { ...T } } }`+viewFragments,
					map[string]any{"id": id}).decode(t, &one)
				check(t, "ticket and node", []viewTicket{one.Ticket, one.Node})
			}
			var lists struct {
				Nodes                   []viewTicket
				PriorityQueue           []viewTicket
				PriorityQueueConnection struct{ Edges []struct{ Node viewTicket } }
				Customers               struct {
					Edges []struct {
						Node struct {
							Tickets              struct{ Edges []struct{ Node viewTicket } }
							SupportSubscriptions []struct {
								Tickets struct{ Edges []struct{ Node viewTicket } }
							}
						}
					}
				}
			}
			s.gql(s.support(), `query($ids: [ID!]!) { nodes(ids: $ids) { ...T } priorityQueue(first: 10) { ...T }
				priorityQueueConnection(first: 10) { edges { node { ...T } } }
				customers(first: 2) { edges { node { tickets(first: 10) { edges { node { ...T } } }
					supportSubscriptions { tickets(first: 10) { edges { node { ...T } } } } } } } }`+viewFragments,
				map[string]any{"ids": ids}).decode(t, &lists)
			if len(lists.Nodes) != len(ids) {
				t.Errorf("nodes gives %d tickets for %d ids", len(lists.Nodes), len(ids))
			}
			check(t, "nodes", lists.Nodes)
			check(t, "priorityQueue", lists.PriorityQueue)
			var conn, owned []viewTicket
			for _, e := range lists.PriorityQueueConnection.Edges {
				conn = append(conn, e.Node)
			}
			check(t, "priorityQueueConnection", conn)
			for _, c := range lists.Customers.Edges {
				for _, e := range c.Node.Tickets.Edges {
					owned = append(owned, e.Node)
				}
				for _, sub := range c.Node.SupportSubscriptions {
					for _, e := range sub.Tickets.Edges {
						owned = append(owned, e.Node)
					}
				}
			}
			if len(owned) != 2*(len(ids)-1) {
				t.Errorf("customers' and subscriptions' tickets: %d, want each attributed ticket twice", len(owned))
			}
			check(t, "Customer.tickets and SupportSubscription.tickets", owned)

			var mine struct {
				Tickets struct{ Edges []struct{ Node viewTicket } }
			}
			s.gql(s.customerToken(w.a), `{ tickets(first: 10) { edges { node { ...T } } } }`+viewFragments, nil).decode(t, &mine)
			var own []viewTicket
			for _, e := range mine.Tickets.Edges {
				own = append(own, e.Node)
			}
			check(t, "the owner's page", own)

			var resolved struct{ ResolveTicket viewTicket }
			s.gql(s.support(), `mutation($id: ID!) { resolveTicket(id: $id) { ...T } }`+viewFragments, map[string]any{"id": w.ticket["overdue"]}).decode(t, &resolved)
			var after struct{ Ticket viewTicket }
			s.gql(s.support(), `query($id: ID!) { ticket(id: $id) { ...T } }`+viewFragments, map[string]any{"id": w.ticket["overdue"]}).decode(t, &after)
			if !reflect.DeepEqual(resolved.ResolveTicket, after.Ticket) || after.Ticket.Sla == nil {
				t.Errorf("resolveTicket answers %+v, then ticket reads %+v", resolved.ResolveTicket, after.Ticket)
			}
		})

		t.Run("every path that returns subscriptions follows the clock", func(t *testing.T) {
			start := w.clock.Now().Add(48 * time.Hour)
			c := s.mustPriorityCustomer("Later Ltd", start, "later.example")
			read := func() []viewSubscription {
				var out struct {
					SupportSubscription viewSubscription
					Node                viewSubscription
					Customer            struct{ SupportSubscriptions []viewSubscription }
				}
				s.gql(s.support(), `query($s: ID!, $c: ID!) { supportSubscription(id: $s) { ...S } node(id: $s) { ...S }
					customer(id: $c) { supportSubscriptions { ...S } } }
					fragment S on SupportSubscription { id status domains }`,
					map[string]any{"s": c.SubscriptionID, "c": c.CustomerID}).decode(t, &out)
				return append([]viewSubscription{out.SupportSubscription, out.Node}, out.Customer.SupportSubscriptions...)
			}
			for _, at := range []struct {
				now    time.Time
				status string
			}{{w.clock.Now(), "PENDING"}, {start, "ACTIVE"}} {
				w.clock.Set(at.now)
				for _, got := range read() {
					if want := (viewSubscription{ID: c.SubscriptionID, Status: at.status, Domains: []string{"later.example"}}); !reflect.DeepEqual(got, want) {
						t.Errorf("at %s: %+v, want %+v", at.now, got, want)
					}
				}
			}
		})

		t.Run("what is not selected is not read", func(t *testing.T) {
			counter := &queryCounter{}
			store.AddQueryHook(s.App.Store.DB(), counter)
			count := func(selection string) int64 {
				counter.n.Store(0)
				q := fmt.Sprintf(`query($id: ID!) { ticket(id: $id) { %s } }`, selection)
				s.gql(s.support(), q, map[string]any{"id": w.ticket["met"]}).decode(t, &struct{}{})
				return counter.n.Load()
			}
			plain := count("id subject")
			withSLA, withSub, withDomains := count("id slaStatus"), count("id subscription { id }"), count("id subscription { domains }")
			if withSLA != plain+2 || withSub != plain+1 || withDomains != plain+2 {
				t.Errorf("queries: plain %d, with slaStatus %d, subscription %d, its domains %d; want plain+2, +1, +2", plain, withSLA, withSub, withDomains)
			}
		})
	})
}
