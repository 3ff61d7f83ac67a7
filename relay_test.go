package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/store"
)

// connPage is one page of a Relay connection as the tests read it.
type connPage struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   struct {
			ID        string
			Subject   string
			SlaStatus *string
		}
	}
}

// ids returns the node ids of a page, in order.
func (p connPage) ids() []string {
	out := make([]string, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Node.ID
	}
	return out
}

// subjects returns the node subjects of a page, sorted.
func (p connPage) subjects() []string {
	out := make([]string, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Node.Subject
	}
	sort.Strings(out)
	return out
}

// connection runs query (whose one top-level field, or the field at path
// under it, is a connection) and returns the page.
func (s *testServer) connection(t *testing.T, token, query string, vars map[string]any, path ...string) connPage {
	t.Helper()
	var data map[string]json.RawMessage
	s.gql(token, query, vars).decode(t, &data)
	if len(data) != 1 {
		t.Fatalf("want one top-level field, got %d", len(data))
	}
	var raw json.RawMessage
	for _, v := range data {
		raw = v
	}
	for _, p := range path {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		raw = m[p]
	}
	var page connPage
	if err := json.Unmarshal(raw, &page); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return page
}

// walk pages through a connection forwards (first/after) and backwards
// (last/before) in pages of size, checks the page info of every page and
// that both walks meet the same list, and returns it.
func (s *testServer) walk(t *testing.T, token, query string, vars map[string]any, size int, path ...string) []string {
	t.Helper()
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range vars {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	var forward []string
	var after any
	for i := 0; ; i++ {
		if i > 50 {
			t.Fatal("forward walk does not end")
		}
		p := s.connection(t, token, query, with(map[string]any{"first": size, "after": after, "last": nil, "before": nil}), path...)
		forward = append(forward, p.ids()...)
		if p.PageInfo.HasPreviousPage != (after != nil) {
			t.Fatalf("forward page %d: hasPreviousPage %v", i, p.PageInfo.HasPreviousPage)
		}
		if len(p.Edges) > 0 && (*p.PageInfo.StartCursor != p.Edges[0].Cursor || *p.PageInfo.EndCursor != p.Edges[len(p.Edges)-1].Cursor) {
			t.Fatalf("forward page %d: start/end cursors do not match the edges", i)
		}
		if len(p.Edges) == 0 && (p.PageInfo.StartCursor != nil || p.PageInfo.EndCursor != nil) {
			t.Fatalf("an empty page has cursors")
		}
		if !p.PageInfo.HasNextPage {
			if p.TotalCount != len(forward) {
				t.Fatalf("totalCount %d, walked %d", p.TotalCount, len(forward))
			}
			break
		}
		if len(p.Edges) != size {
			t.Fatalf("forward page %d has %d edges and more follow", i, len(p.Edges))
		}
		after = *p.PageInfo.EndCursor
	}
	var backward []string
	var before any
	for i := 0; ; i++ {
		if i > 50 {
			t.Fatal("backward walk does not end")
		}
		p := s.connection(t, token, query, with(map[string]any{"first": nil, "after": nil, "last": size, "before": before}), path...)
		backward = append(p.ids(), backward...)
		if p.PageInfo.HasNextPage != (before != nil) {
			t.Fatalf("backward page %d: hasNextPage %v", i, p.PageInfo.HasNextPage)
		}
		if !p.PageInfo.HasPreviousPage {
			break
		}
		before = *p.PageInfo.StartCursor
	}
	if !slices.Equal(forward, backward) {
		t.Fatalf("walking forwards gives %v, backwards %v", forward, backward)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(forward)))) != len(forward) {
		t.Fatalf("the walk repeats items: %v", forward)
	}
	return forward
}

// relayWorld is two customers with priority subscriptions, tickets,
// messages and ledger entries, at a fixed time.
type relayWorld struct {
	s      *testServer
	clock  *testClock
	a, b   fixture
	ticket map[string]string // subject → id
}

// newRelayWorld builds the world at Tuesday 2026-11-10 12:00 UTC (support
// hours are 24×5): customer A has tickets in every SLA state, B one.
//
//	met      opened 09:00, answered 09:30          → MET
//	ontrack  opened 11:30, due 12:30               → ON_TRACK
//	atrisk   opened 11:05, due 12:05 (5 min left)  → AT_RISK
//	overdue  opened 10:00, due 11:00, unanswered   → BREACHED, running
//	late     opened 08:00, answered 09:30          → BREACHED
//	ordinary from an uncovered domain, 07:00        → no SLA state
func newRelayWorld(t *testing.T, databaseURL string) *relayWorld {
	w := &relayWorld{clock: newClock(utc(t, "2026-11-10 12:00")), ticket: map[string]string{}}
	w.s = newTestServerAt(t, databaseURL, w.clock.Now, nil, func(a *App) { a.LoaderWait = 100 * time.Millisecond })
	start := utc(t, "2026-01-01 00:00")
	w.a = w.s.mustPriorityCustomer("Alpha Ltd", start, "alpha.example")
	w.b = w.s.mustPriorityCustomer("Beta Ltd", start, "beta.example")
	open := func(subject, from, at string) string {
		r := w.s.mustIngest(email{From: from, Subject: subject, MessageID: subject + "-1@x.example", Received: utc(t, at)})
		w.ticket[subject] = r.TicketID
		return r.TicketID
	}
	reply := func(subject, at string) {
		w.s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: " + subject, MessageID: subject + "-2@support.vendor.test",
			InReplyTo: subject + "-1@x.example", Received: utc(t, at)})
	}
	open("late", "ann@alpha.example", "2026-11-10 08:00")
	reply("late", "2026-11-10 09:30")
	open("met", "Bea@Alpha.example", "2026-11-10 09:00")
	reply("met", "2026-11-10 09:30")
	open("overdue", "cy@alpha.example", "2026-11-10 10:00")
	open("atrisk", "dee@alpha.example", "2026-11-10 11:05")
	open("ontrack", "eve@alpha.example", "2026-11-10 11:30")
	open("ordinary", "fay@elsewhere.example", "2026-11-10 07:00")
	open("beta", "gus@beta.example", "2026-11-10 11:40")
	return w
}

// TestNodeLookups: node and nodes find every kind of object by its id,
// scoped like the typed lookups: a customer user gets null for another
// customer's objects, staff see all, and nodes keeps the order of its ids.
func TestNodeLookups(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		w := newRelayWorld(t, databaseURL)
		s := w.s
		var adj struct{ AdjustCredit struct{ ID string } }
		s.gql(s.admin(), `mutation($c: ID!) { adjustCredit(customerId: $c, amountCents: 500, reason: "goodwill") { id } }`,
			map[string]any{"c": w.a.CustomerID}).decode(t, &adj)
		var objs struct {
			Customer struct {
				Licenses             []struct{ ID string }
				SupportSubscriptions []struct{ ID string }
			}
			Ticket struct {
				MessagesConnection struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
		}
		s.gql(s.support(), `query($c: ID!, $t: ID!) { customer(id: $c) { licenses { id } supportSubscriptions { id } }
			ticket(id: $t) { messagesConnection { edges { node { id } } } } }`,
			map[string]any{"c": w.a.CustomerID, "t": w.ticket["met"]}).decode(t, &objs)
		aIDs := map[string]string{
			w.a.CustomerID:               "Customer",
			w.a.SubscriptionID:           "SupportSubscription",
			w.ticket["met"]:              "Ticket",
			objs.Customer.Licenses[0].ID: "License",
			objs.Ticket.MessagesConnection.Edges[0].Node.ID: "TicketMessage",
			adj.AdjustCredit.ID:                             "CreditEntry",
		}
		bIDs := []string{w.b.CustomerID, w.b.SubscriptionID, w.ticket["beta"]}
		const one = `query($id: ID!) { node(id: $id) { __typename id ... on Ticket { subject } ... on Customer { name } } }`
		type node struct {
			Typename string `json:"__typename"`
			ID       string
			Subject  string
			Name     string
		}
		lookup := func(token, id string) *node {
			var out struct{ Node *node }
			s.gql(token, one, map[string]any{"id": id}).decode(t, &out)
			return out.Node
		}
		aUser, bUser := s.customerToken(w.a), s.customerToken(w.b)
		t.Run("staff and the owner find every type", func(t *testing.T) {
			for id, typ := range aIDs {
				for _, tok := range []string{s.support(), aUser} {
					n := lookup(tok, id)
					if n == nil || n.ID != id || n.Typename != typ {
						t.Errorf("node(%s) = %+v, want a %s", id, n, typ)
					}
				}
			}
			if n := lookup(aUser, w.ticket["met"]); n.Subject != "met" {
				t.Errorf("a fragment on Ticket reads %+v", n)
			}
			if n := lookup(s.support(), w.b.CustomerID); n == nil || n.Name != "Beta Ltd" {
				t.Errorf("staff node(B) = %+v", n)
			}
		})
		t.Run("another customer's objects are null", func(t *testing.T) {
			for id := range aIDs {
				if n := lookup(bUser, id); n != nil {
					t.Errorf("customer B reads A's %s: %+v", id, n)
				}
			}
			for _, id := range bIDs {
				if n := lookup(aUser, id); n != nil {
					t.Errorf("customer A reads B's %s: %+v", id, n)
				}
			}
			if n := lookup(aUser, w.ticket["ordinary"]); n != nil {
				t.Errorf("a customer reads a ticket of no customer: %+v", n)
			}
			if n := lookup(s.support(), "01900000-0000-7000-8000-000000000000"); n != nil {
				t.Errorf("an unknown id: %+v", n)
			}
		})
		t.Run("nodes keeps the order and scopes each id", func(t *testing.T) {
			ids := []string{w.b.CustomerID, w.ticket["met"], "nope", w.a.CustomerID, w.ticket["beta"], w.ticket["met"]}
			var out struct{ Nodes []*node }
			s.gql(aUser, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": ids}).decode(t, &out)
			want := []string{"", w.ticket["met"], "", w.a.CustomerID, "", w.ticket["met"]}
			if len(out.Nodes) != len(want) {
				t.Fatalf("nodes = %d, want %d", len(out.Nodes), len(want))
			}
			for i, n := range out.Nodes {
				if got := ""; n != nil {
					got = n.ID
					if got != want[i] {
						t.Errorf("nodes[%d] = %s, want %q", i, got, want[i])
					}
				} else if want[i] != "" {
					t.Errorf("nodes[%d] = null, want %s", i, want[i])
				}
			}
			s.gql(s.support(), `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": bIDs}).decode(t, &out)
			for i, n := range out.Nodes {
				if n == nil || n.ID != bIDs[i] {
					t.Errorf("staff nodes[%d] = %+v, want %s", i, n, bIDs[i])
				}
			}
		})
		t.Run("nodes refuses more ids than a page holds", func(t *testing.T) {
			ids := make([]string, 101)
			for i := range ids {
				ids[i] = fmt.Sprintf("id-%d", i)
			}
			if r := s.gql(s.support(), `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}); r.code() != "BAD_USER_INPUT" {
				t.Errorf("101 ids: %s", r.Raw)
			}
			var out struct{ Nodes []*node }
			s.gql(s.support(), `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids[:100]}).decode(t, &out)
			if len(out.Nodes) != 100 {
				t.Errorf("100 ids give %d nodes", len(out.Nodes))
			}
		})
	})
}

// TestTicketSLAStatusAndFilters: each ticket's slaStatus follows its SLA
// state; every filter and order narrows and sorts as documented, on the
// SLA states too (computed in SQL), and customer users stay in their own
// tickets.
func TestTicketSLAStatusAndFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		w := newRelayWorld(t, databaseURL)
		s := w.s
		const list = `query($f: TicketFilter, $o: TicketOrder, $first: Int) { tickets(filter: $f, orderBy: $o, first: $first) {
			totalCount edges { cursor node { id subject slaStatus } } } }`
		find := func(token string, f map[string]any) connPage {
			t.Helper()
			return s.connection(t, token, list, map[string]any{"f": f, "first": 100})
		}
		t.Run("slaStatus", func(t *testing.T) {
			want := map[string]string{"met": "MET", "ontrack": "ON_TRACK", "atrisk": "AT_RISK", "overdue": "BREACHED", "late": "BREACHED", "ordinary": "", "beta": "ON_TRACK"}
			for _, e := range find(s.support(), nil).Edges {
				got := ""
				if e.Node.SlaStatus != nil {
					got = *e.Node.SlaStatus
				}
				if got != want[e.Node.Subject] {
					t.Errorf("%s: slaStatus %q, want %q", e.Node.Subject, got, want[e.Node.Subject])
				}
			}
			var one struct{ Ticket struct{ SlaStatus *string } }
			s.gql(s.customerToken(w.a), `query($id: ID!) { ticket(id: $id) { slaStatus } }`, map[string]any{"id": w.ticket["atrisk"]}).decode(t, &one)
			if one.Ticket.SlaStatus == nil || *one.Ticket.SlaStatus != "AT_RISK" {
				t.Errorf("ticket(atrisk).slaStatus = %v", one.Ticket.SlaStatus)
			}
		})
		alphaOnly := func(f map[string]any) map[string]any { f["customerId"] = w.a.CustomerID; return f }
		tests := []struct {
			name   string
			filter map[string]any
			want   []string
		}{
			{"breached", alphaOnly(map[string]any{"breached": true}), []string{"late", "overdue"}},
			{"not breached", alphaOnly(map[string]any{"breached": false}), []string{"atrisk", "met", "ontrack"}},
			{"at risk", map[string]any{"atRisk": true}, []string{"atrisk"}},
			{"not at risk", alphaOnly(map[string]any{"atRisk": false}), []string{"late", "met", "ontrack", "overdue"}},
			{"running", alphaOnly(map[string]any{"running": true}), []string{"atrisk", "ontrack", "overdue"}},
			{"not running", alphaOnly(map[string]any{"running": false}), []string{"late", "met"}},
			{"running and not breached", alphaOnly(map[string]any{"running": true, "breached": false}), []string{"atrisk", "ontrack"}},
			{"statuses", map[string]any{"slaStatus": []string{"MET", "AT_RISK"}}, []string{"atrisk", "met"}},
			{"on track", map[string]any{"slaStatus": []string{"ON_TRACK"}}, []string{"beta", "ontrack"}},
			{"customer", map[string]any{"customerId": w.b.CustomerID}, []string{"beta"}},
			{"subscription", map[string]any{"subscriptionId": w.b.SubscriptionID}, []string{"beta"}},
			{"search subject, any case", map[string]any{"search": "OVER"}, []string{"overdue"}},
			{"search requester, any case", map[string]any{"search": "bea@alpha"}, []string{"met"}},
			{"search domain", map[string]any{"search": "ELSEWHERE.example"}, []string{"ordinary"}},
			{"search wildcards are literal", map[string]any{"search": "%"}, nil},
			{"search underscore is literal", map[string]any{"search": "_"}, nil},
			{"opened in a range", map[string]any{"from": "2026-11-10T09:00:00Z", "to": "2026-11-10T11:06:00Z"}, []string{"atrisk", "met", "overdue"}},
			{"last activity in a range", map[string]any{"lastMessageFrom": "2026-11-10T09:30:00Z", "lastMessageTo": "2026-11-10T10:00:00Z"}, []string{"late", "met"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := find(s.support(), tt.filter)
				want := slices.Clone(tt.want)
				sort.Strings(want)
				if got := p.subjects(); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Errorf("tickets = %v, want %v", got, want)
				}
				if p.TotalCount != len(tt.want) {
					t.Errorf("totalCount = %d, want %d", p.TotalCount, len(tt.want))
				}
			})
		}
		t.Run("a customer user stays in its own tickets", func(t *testing.T) {
			if p := find(s.customerToken(w.a), map[string]any{"customerId": w.b.CustomerID}); len(p.Edges) != 0 || p.TotalCount != 0 {
				t.Errorf("A filtering on B: %v", p.subjects())
			}
			if got := find(s.customerToken(w.a), map[string]any{"slaStatus": []string{"ON_TRACK"}}).subjects(); !slices.Equal(got, []string{"ontrack"}) {
				t.Errorf("A's on-track tickets = %v", got)
			}
		})
		t.Run("bad input", func(t *testing.T) {
			for name, f := range map[string]map[string]any{
				"long search":   {"search": strings.Repeat("x", 257)},
				"control chars": {"search": "a\x01b"},
				"empty range":   {"lastMessageFrom": "2026-11-10T10:00:00Z", "lastMessageTo": "2026-11-10T10:00:00Z"},
			} {
				if r := s.gql(s.support(), list, map[string]any{"f": f}); r.code() != "BAD_USER_INPUT" {
					t.Errorf("%s: %s", name, r.Raw)
				}
			}
		})
		t.Run("at risk counts business time", func(t *testing.T) {
			// Friday 23:05 opens a clock due Monday 00:05; at Friday 23:55
			// it has 10 business minutes left, though two days of wall time.
			w.clock.Set(utc(t, "2026-11-13 23:00"))
			c := s.mustPriorityCustomer("Weekend Ltd", utc(t, "2026-01-01 00:00"), "weekend.example")
			s.mustIngest(email{From: "hal@weekend.example", Subject: "weekend", MessageID: "wk-1@x.example", Received: utc(t, "2026-11-13 23:05")})
			for at, want := range map[string]string{"2026-11-13 23:45": "ON_TRACK", "2026-11-13 23:55": "AT_RISK", "2026-11-15 12:00": "AT_RISK", "2026-11-16 00:05": "BREACHED"} {
				w.clock.Set(utc(t, at))
				p := find(s.support(), map[string]any{"customerId": c.CustomerID, "slaStatus": []string{want}})
				if len(p.Edges) != 1 || *p.Edges[0].Node.SlaStatus != want {
					t.Errorf("at %s: filtering on %s finds %v", at, want, p.subjects())
				}
				all := find(s.support(), map[string]any{"customerId": c.CustomerID, "atRisk": want == "AT_RISK"})
				if len(all.Edges) != 1 {
					t.Errorf("at %s: atRisk=%v finds %v", at, want == "AT_RISK", all.subjects())
				}
			}
			w.clock.Set(utc(t, "2026-11-10 12:00"))
		})
		t.Run("orders", func(t *testing.T) {
			order := func(field, dir string) []string {
				p := s.connection(t, s.support(), list, map[string]any{"f": map[string]any{"customerId": w.a.CustomerID}, "o": map[string]any{"field": field, "direction": dir}, "first": 100})
				out := make([]string, len(p.Edges))
				for i, e := range p.Edges {
					out[i] = e.Node.Subject
				}
				return out
			}
			for _, tt := range []struct{ field, dir, want string }{
				{"CREATED_AT", "DESC", "ontrack atrisk overdue met late"},
				{"CREATED_AT", "ASC", "late met overdue atrisk ontrack"},
				{"DUE_AT", "ASC", "overdue atrisk ontrack"},
				{"DUE_AT", "DESC", "ontrack atrisk overdue"},
				{"LAST_MESSAGE_AT", "DESC", "ontrack atrisk overdue"},
			} {
				got := strings.Join(order(tt.field, tt.dir), " ")
				if !strings.HasPrefix(got, tt.want) {
					t.Errorf("%s %s = %s, want it to begin %s", tt.field, tt.dir, got, tt.want)
				}
			}
			// Tickets without a running clock come last in either direction.
			for _, dir := range []string{"ASC", "DESC"} {
				got := order("DUE_AT", dir)
				if tail := got[3:]; len(tail) != 2 || !slices.Contains(tail, "met") || !slices.Contains(tail, "late") {
					t.Errorf("DUE_AT %s ends %v, want met and late", dir, tail)
				}
			}
			if r := s.gql(s.support(), list, map[string]any{"o": map[string]any{"field": "PRICE"}}); r.code() == "" {
				t.Errorf("an unknown order field: %s", r.Raw)
			}
		})
		t.Run("customer and subscription connections", func(t *testing.T) {
			p := s.connection(t, s.customerToken(w.a), `query($id: ID!) { customer(id: $id) { tickets(filter: {running: true}, orderBy: {field: DUE_AT, direction: ASC}) {
				totalCount edges { cursor node { id subject slaStatus } } } } }`, map[string]any{"id": w.a.CustomerID}, "tickets")
			if got := strings.Join(func() []string {
				var o []string
				for _, e := range p.Edges {
					o = append(o, e.Node.Subject)
				}
				return o
			}(), " "); got != "overdue atrisk ontrack" || p.TotalCount != 3 {
				t.Errorf("Customer.tickets = %s (%d)", got, p.TotalCount)
			}
			p = s.connection(t, s.support(), `query($id: ID!) { supportSubscription(id: $id) { tickets(filter: {subscriptionId: "ignored"}) {
				totalCount edges { cursor node { id subject slaStatus } } } } }`, map[string]any{"id": w.b.SubscriptionID}, "tickets")
			if got := p.subjects(); !slices.Equal(got, []string{"beta"}) {
				t.Errorf("SupportSubscription.tickets = %v", got)
			}
		})
	})
}

// TestConnectionsPageBothWays: every connection pages forwards with
// first/after and backwards with last/before over the same list, with
// exact page info, for every ticket order, the priority queue, a ticket's
// messages, a customer's settlements and the credit ledger; a cursor of
// another order is refused.
func TestConnectionsPageBothWays(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		w := newRelayWorld(t, databaseURL)
		s := w.s
		for i := 0; i < 4; i++ {
			s.gql(s.admin(), `mutation($c: ID!, $a: Int!) { adjustCredit(customerId: $c, amountCents: $a, reason: "goodwill") { id } }`,
				map[string]any{"c": w.a.CustomerID, "a": 100 + i}).decode(t, &struct{}{})
		}
		for i := 3; i <= 6; i++ {
			from, irt := "ann@alpha.example", fmt.Sprintf("late-%d@x.example", i-1)
			if i == 3 {
				irt = "late-2@support.vendor.test"
			}
			if i%2 == 0 {
				from = "bob@support.vendor.test"
			}
			s.mustIngest(email{From: from, Subject: "Re: late", MessageID: fmt.Sprintf("late-%d@x.example", i), InReplyTo: irt, Received: utc(t, fmt.Sprintf("2026-11-10 10:%02d", i))})
		}
		const tickets = `query($first: Int, $after: String, $last: Int, $before: String, $o: TicketOrder) {
			tickets(first: $first, after: $after, last: $last, before: $before, orderBy: $o) {
			totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`
		for _, field := range []string{"CREATED_AT", "DUE_AT", "LAST_MESSAGE_AT"} {
			for _, dir := range []string{"ASC", "DESC"} {
				t.Run("tickets "+field+" "+dir, func(t *testing.T) {
					o := map[string]any{"field": field, "direction": dir}
					full := s.connection(t, s.support(), tickets, map[string]any{"first": 100, "o": o})
					for _, size := range []int{1, 2, 3} {
						if got := s.walk(t, s.support(), tickets, map[string]any{"o": o}, size); !slices.Equal(got, full.ids()) {
							t.Errorf("walking in pages of %d gives %v, want %v", size, got, full.ids())
						}
					}
				})
			}
		}
		t.Run("priority queue", func(t *testing.T) {
			var q struct{ PriorityQueue []struct{ ID string } }
			s.gql(s.support(), `{ priorityQueue(first: 100) { id } }`, nil).decode(t, &q)
			var want []string
			for _, tk := range q.PriorityQueue {
				want = append(want, tk.ID)
			}
			got := s.walk(t, s.support(), `query($first: Int, $after: String, $last: Int, $before: String) {
				priorityQueueConnection(first: $first, after: $after, last: $last, before: $before) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`, nil, 2)
			if !slices.Equal(got, want) || len(want) != 6 {
				t.Errorf("priorityQueueConnection = %v, want the priorityQueue %v", got, want)
			}
			if r := s.gql(s.customerToken(w.a), `{ priorityQueueConnection { totalCount } }`, nil); r.code() != "FORBIDDEN" {
				t.Errorf("a customer reads the queue: %s", r.Raw)
			}
		})
		t.Run("messages", func(t *testing.T) {
			got := s.walk(t, s.customerToken(w.a), `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { ticket(id: $id) {
				messagesConnection(first: $first, after: $after, last: $last, before: $before) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } } }`,
				map[string]any{"id": w.ticket["late"]}, 2, "messagesConnection")
			var old struct {
				Ticket struct{ Messages []struct{ ID string } }
			}
			s.gql(s.support(), `query($id: ID!) { ticket(id: $id) { messages { id } } }`, map[string]any{"id": w.ticket["late"]}).decode(t, &old)
			var want []string
			for _, m := range old.Ticket.Messages {
				want = append(want, m.ID)
			}
			if !slices.Equal(got, want) || len(want) != 6 {
				t.Errorf("messagesConnection = %v, want messages %v", got, want)
			}
		})
		t.Run("credit ledger", func(t *testing.T) {
			got := s.walk(t, s.customerToken(w.a), `query($first: Int, $after: String, $last: Int, $before: String) {
				creditLedger(first: $first, after: $after, last: $last, before: $before) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`, nil, 3)
			if len(got) != 4 {
				t.Errorf("the ledger has %d entries, want 4", len(got))
			}
			if r := s.gql(s.customerToken(w.b), `query($c: ID) { creditLedger(customerId: $c) { totalCount } }`, map[string]any{"c": w.a.CustomerID}); r.code() != "NOT_FOUND" {
				t.Errorf("B reads A's ledger: %s", r.Raw)
			}
		})
		t.Run("settlements", func(t *testing.T) {
			p := s.connection(t, s.customerToken(w.a), `query($id: ID!) { customer(id: $id) { settlementsConnection(last: 5) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } } }`,
				map[string]any{"id": w.a.CustomerID}, "settlementsConnection")
			if p.TotalCount != 0 || len(p.Edges) != 0 || p.PageInfo.HasNextPage || p.PageInfo.HasPreviousPage || p.PageInfo.StartCursor != nil {
				t.Errorf("no settlements: %+v", p)
			}
		})
		t.Run("bad paging", func(t *testing.T) {
			byDue := s.connection(t, s.support(), tickets, map[string]any{"first": 1, "o": map[string]any{"field": "DUE_AT", "direction": "ASC"}})
			for name, vars := range map[string]map[string]any{
				"first and last":          {"first": 2, "last": 2},
				"last with after":         {"last": 2, "after": *byDue.PageInfo.EndCursor},
				"last over the max":       {"last": 101},
				"negative first":          {"first": -1},
				"cursor of another order": {"first": 2, "after": *byDue.PageInfo.EndCursor},
				"garbage cursor":          {"last": 2, "before": "garbage"},
			} {
				if r := s.gql(s.support(), tickets, vars); r.code() != "BAD_USER_INPUT" {
					t.Errorf("%s: %s", name, r.Raw)
				}
			}
		})
	})
}

// TestFilteredTicketPageQueriesDoNotGrowWithPageSize: a filtered, ordered ticket
// page with slaStatus, SLA state, customers and subscriptions runs the same
// number of queries for 2 tickets as for 7, forwards and backwards.
func TestFilteredTicketPageQueriesDoNotGrowWithPageSize(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		w := newRelayWorld(t, databaseURL)
		s := w.s
		counter := &queryCounter{}
		store.AddQueryHook(s.App.Store.DB(), counter)
		query := `query($first: Int, $last: Int) { tickets(first: $first, last: $last, filter: {slaStatus: [MET, ON_TRACK, AT_RISK, BREACHED]},
			orderBy: {field: DUE_AT, direction: ASC}) { totalCount edges { node { id slaStatus sla { breached } customer { name } subscription { id } } } } }`
		once := func(vars map[string]any, n int) int64 {
			counter.n.Store(0)
			var out struct {
				Tickets struct {
					Edges []struct{ Node struct{ SlaStatus *string } }
				}
			}
			s.gql(s.token("", auth.RoleSupport), query, vars).decode(t, &out)
			if len(out.Tickets.Edges) != n {
				t.Fatalf("page of %d has %d edges", n, len(out.Tickets.Edges))
			}
			for _, e := range out.Tickets.Edges {
				if e.Node.SlaStatus == nil {
					t.Fatalf("a page ticket without slaStatus")
				}
			}
			return counter.n.Load()
		}
		// The fewest of three runs, as below for the nested lists.
		count := func(vars map[string]any, n int) int64 {
			return min(once(vars, n), once(vars, n), once(vars, n))
		}
		small, large := count(map[string]any{"first": 2}, 2), count(map[string]any{"first": 100}, 6)
		back := count(map[string]any{"last": 100}, 6)
		if small != large || back != large {
			t.Fatalf("pages of 2, 6 and 6 backwards ran %d, %d and %d queries", small, large, back)
		}
		if large < 4 {
			t.Fatalf("the hook counted only %d queries", large)
		}

		// Customer.tickets and SupportSubscription.tickets of a page of
		// customers: the same queries for one customer as for two.
		nested := `query($n: Int) { customers(first: $n) { edges { node { name
			tickets(first: 2, filter: {priority: true}, orderBy: {field: DUE_AT, direction: ASC}) { totalCount pageInfo { hasNextPage } edges { node { subject slaStatus } } }
			supportSubscriptions { tickets(last: 1) { totalCount edges { node { subject } } } } } } } }`
		// Each count is the fewest of three runs: a batch window split by a
		// stalled goroutine (a busy machine) only ever adds queries, while a
		// per-customer query would add them on every run.
		var pages []int64
		for _, n := range []int{1, 2} {
			fewest := int64(-1)
			for range 3 {
				counter.n.Store(0)
				var out struct {
					Customers struct {
						Edges []struct {
							Node struct {
								Name    string
								Tickets struct {
									TotalCount int
									PageInfo   struct{ HasNextPage bool }
									Edges      []struct {
										Node struct{ Subject, SlaStatus string }
									}
								}
								SupportSubscriptions []struct {
									Tickets struct {
										TotalCount int
										Edges      []struct{ Node struct{ Subject string } }
									}
								}
							}
						}
					}
				}
				s.gql(s.support(), nested, map[string]any{"n": n}).decode(t, &out)
				if got := counter.n.Load(); fewest < 0 || got < fewest {
					fewest = got
				}
				for _, e := range out.Customers.Edges {
					c := e.Node
					switch c.Name {
					case "Alpha Ltd":
						if c.Tickets.TotalCount != 5 || !c.Tickets.PageInfo.HasNextPage || len(c.Tickets.Edges) != 2 ||
							c.Tickets.Edges[0].Node.Subject != "overdue" || c.Tickets.Edges[1].Node.SlaStatus != "AT_RISK" ||
							c.SupportSubscriptions[0].Tickets.TotalCount != 5 || c.SupportSubscriptions[0].Tickets.Edges[0].Node.Subject != "late" {
							t.Errorf("Alpha = %+v", c)
						}
					case "Beta Ltd":
						if c.Tickets.TotalCount != 1 || c.Tickets.PageInfo.HasNextPage || len(c.Tickets.Edges) != 1 || c.Tickets.Edges[0].Node.Subject != "beta" {
							t.Errorf("Beta = %+v", c)
						}
					}
				}
			}
			pages = append(pages, fewest)
		}
		if pages[0] != pages[1] {
			t.Fatalf("the nested ticket lists of 1 and 2 customers ran %d and %d queries", pages[0], pages[1])
		}
	})
}

// TestConnectionCosts: every connection and batch lookup is costed by the
// page it asks for, in either direction, before anything runs: a request
// over the complexity limit is refused whichever way it pages.
func TestConnectionCosts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, map[string]string{"PS_GRAPHQL_COMPLEXITY_LIMIT": "250"})
		f := s.mustPriorityCustomer("Cost Ltd", time.Now().AddDate(0, -1, 0), "cost.example")
		ids := make([]string, 100)
		for i := range ids {
			ids[i] = fmt.Sprintf("id-%d", i)
		}
		for _, tt := range []struct {
			name, over, under string
		}{
			{"tickets", `{ tickets(last: 100) { edges { node { id subject } } } }`, `{ tickets(last: 50) { edges { node { id subject } } } }`},
			{"customer tickets", `query($c: ID!) { customer(id: $c) { tickets(last: 100) { edges { node { id subject } } } } }`,
				`query($c: ID!) { customer(id: $c) { tickets(last: 50) { edges { node { id subject } } } } }`},
			{"subscription tickets", `query($s: ID!) { supportSubscription(id: $s) { tickets(first: 100) { edges { node { id subject } } } } }`,
				`query($s: ID!) { supportSubscription(id: $s) { tickets(first: 50) { edges { node { id subject } } } } }`},
			{"queue", `{ priorityQueueConnection(last: 100) { edges { node { id subject } } } }`, `{ priorityQueueConnection(last: 50) { edges { node { id subject } } } }`},
			{"ledger", `query($c: ID) { creditLedger(customerId: $c, last: 100) { edges { node { id reference } } } }`,
				`query($c: ID) { creditLedger(customerId: $c, last: 50) { edges { node { id reference } } } }`},
			{"nodes", `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Ticket { subject status priority requesterEmail } } }`, `query($few: [ID!]!) { nodes(ids: $few) { id ... on Ticket { subject status priority requesterEmail } } }`},
			{"summary", `query($c: ID!) { customer(id: $c) { slaSummary(from: "2024-01", to: "2026-12") { months { month status reports { month status ticketsReceived } } } } }`,
				`query($c: ID!) { customer(id: $c) { slaSummary(from: "2026-01", to: "2026-06") { months { month status reports { month status ticketsReceived } } } } }`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				vars := map[string]any{"c": f.CustomerID, "s": f.SubscriptionID, "ids": ids, "few": ids[:10]}
				if r := s.gql(s.admin(), tt.over, vars); r.code() != "COMPLEXITY_LIMIT_EXCEEDED" {
					t.Errorf("over the limit: %s", r.Raw)
				}
				if r := s.gql(s.admin(), tt.under, vars); len(r.Errors) > 0 {
					t.Errorf("under the limit: %s", r.Raw)
				}
			})
		}
	})
}
