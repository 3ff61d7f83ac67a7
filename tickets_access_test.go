package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/store"
)

// TestCustomerSeesOnlyItsOwnTickets: by id, list, queue, report and
// subscription stream, another customer's tickets answer as not found or
// not at all.
func TestCustomerSeesOnlyItsOwnTickets(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-10 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		a := s.mustPriorityCustomer("Alpha", utc(t, "2026-01-01 00:00"), "alpha.example")
		b := s.mustPriorityCustomer("Beta", utc(t, "2026-01-01 00:00"), "beta.example")
		ta := s.mustIngest(email{From: "al@alpha.example", Subject: "Alpha's secret", MessageID: "a1@alpha.example", Received: utc(t, "2026-11-10 09:00")})
		tb := s.mustIngest(email{From: "bo@beta.example", Subject: "Beta's secret", MessageID: "b1@beta.example", Received: utc(t, "2026-11-10 09:05")})
		stranger := s.mustIngest(email{From: "x@unknown.example", Subject: "Stranger", MessageID: "x1@unknown.example", Received: utc(t, "2026-11-10 09:06")})
		alpha := s.customerToken(a)

		var one struct{ Ticket *struct{ ID string } }
		r := s.gql(alpha, `query($id: ID!) { ticket(id: $id) { id subject messages { body } } }`, map[string]any{"id": tb.TicketID})
		if r.code() != "NOT_FOUND" || strings.Contains(r.Raw, "secret") {
			t.Errorf("another customer's ticket by id: %s", r.Raw)
		}
		if r := s.gql(alpha, `query($id: ID!) { ticket(id: $id) { id } }`, map[string]any{"id": stranger.TicketID}); r.code() != "NOT_FOUND" {
			t.Errorf("an unattributed ticket by id: %s", r.Raw)
		}
		s.gql(alpha, `query($id: ID!) { ticket(id: $id) { id } }`, map[string]any{"id": ta.TicketID}).decode(t, &one)
		if one.Ticket == nil || one.Ticket.ID != ta.TicketID {
			t.Errorf("own ticket: %+v", one.Ticket)
		}

		var list struct {
			Tickets struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		for _, filter := range []map[string]any{nil, {"subscriptionId": b.SubscriptionID}, {"priority": true}} {
			s.gql(alpha, `query($f: TicketFilter) { tickets(filter: $f) { totalCount edges { node { id } } } }`, map[string]any{"f": filter}).decode(t, &list)
			for _, e := range list.Tickets.Edges {
				if e.Node.ID != ta.TicketID {
					t.Errorf("filter %v lists %s", filter, e.Node.ID)
				}
			}
		}
		var all struct{ Tickets struct{ TotalCount int } }
		s.gql(s.support(), `{ tickets { totalCount } }`, nil).decode(t, &all)
		if all.Tickets.TotalCount != 3 {
			t.Errorf("support sees %d tickets, want 3", all.Tickets.TotalCount)
		}
		if r := s.gql(alpha, `{ priorityQueue { id } }`, nil); r.code() != "FORBIDDEN" {
			t.Errorf("a customer reading the queue: %s", r.Raw)
		}
		if r := s.gql(alpha, `query($s: ID!) { slaReport(subscriptionId: $s, month: "2026-11") { month } }`, map[string]any{"s": b.SubscriptionID}); r.code() != "NOT_FOUND" {
			t.Errorf("another customer's report: %s", r.Raw)
		}

		t.Run("subscription stream", func(t *testing.T) {
			ws := dialGraphQL(t, s, alpha)
			if msg := ws.subscribe(t, "1", `subscription($c: ID) { ticketUpdated(customerId: $c) { id } }`, map[string]any{"c": b.CustomerID}); !refused(msg, "NOT_FOUND") {
				t.Errorf("subscribing to another customer's stream: %s %s", msg.Type, msg.Payload)
			}
			if msg := ws.subscribe(t, "2", `subscription { slaAlerts { level } }`, nil); !refused(msg, "FORBIDDEN") {
				t.Errorf("a customer subscribing to SLA alerts: %s %s", msg.Type, msg.Payload)
			}
			ws.send(t, map[string]any{"id": "3", "type": "subscribe", "payload": map[string]any{"query": `subscription { ticketUpdated { id subject slaStatus subscription { id domains } } }`}})
			// Give the subscription time to register before the events.
			time.Sleep(200 * time.Millisecond)
			s.mustIngest(email{From: "bo@beta.example", Subject: "Re: Beta's secret", MessageID: "b2@beta.example", InReplyTo: "b1@beta.example", Received: utc(t, "2026-11-10 09:10")})
			s.mustIngest(email{From: "al@alpha.example", Subject: "Re: Alpha's secret", MessageID: "a2@alpha.example", InReplyTo: "a1@alpha.example", Received: utc(t, "2026-11-10 09:11")})
			msg := ws.readFor(t, "3")
			if msg.Type != "next" || !strings.Contains(string(msg.Payload), ta.TicketID) || strings.Contains(string(msg.Payload), "Beta") {
				t.Fatalf("first event on Alpha's stream: %s %s", msg.Type, msg.Payload)
			}
			if want := fmt.Sprintf(`"slaStatus":"ON_TRACK","subscription":{"id":%q,"domains":["alpha.example"]}`, a.SubscriptionID); !strings.Contains(string(msg.Payload), want) {
				t.Fatalf("the event's ticket: %s, want %s", msg.Payload, want)
			}
		})
	})
}

// TestSLAAlertsReachSupport: a running clock with under 15 business minutes
// left raises one AT_RISK alert and, once overdue, one BREACHED alert, on
// the support stream, however often the scan runs; the alert's ticket
// shows its SLA state and subscription as they are then.
func TestSLAAlertsReachSupport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-10 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		s.mustPriorityCustomer("Alert Ltd", utc(t, "2026-01-01 00:00"), "alert.example")
		tk := s.mustIngest(email{From: "al@alert.example", Subject: "Down", MessageID: "al1@alert.example", Received: utc(t, "2026-11-10 09:00")})
		ws := dialGraphQL(t, s, s.support())
		ws.send(t, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { slaAlerts { level dueAt ticket { id slaStatus subscription { status domains } } } }`}})
		time.Sleep(200 * time.Millisecond)
		scan := func() int {
			n, err := s.App.Store.ScanSLAAlerts(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		clock.Set(utc(t, "2026-11-10 09:30"))
		if n := scan(); n != 0 {
			t.Fatalf("%d alerts with 30 minutes left", n)
		}
		clock.Set(utc(t, "2026-11-10 09:50"))
		if n := scan() + scan(); n != 1 {
			t.Fatalf("%d alerts with 10 minutes left, scanned twice; want 1", n)
		}
		assertAlert(t, ws.readFor(t, "1"), "AT_RISK", tk.TicketID)
		clock.Set(utc(t, "2026-11-10 10:05"))
		if n := scan() + scan(); n != 1 {
			t.Fatalf("%d alerts once overdue, scanned twice; want 1", n)
		}
		assertAlert(t, ws.readFor(t, "1"), "BREACHED", tk.TicketID)
	})
}

func assertAlert(t *testing.T, msg wsMessage, level, ticketID string) {
	t.Helper()
	var p struct {
		Data struct {
			SlaAlerts struct {
				Level  string
				DueAt  time.Time
				Ticket struct {
					ID           string
					SlaStatus    string
					Subscription struct {
						Status  string
						Domains []string
					}
				}
			}
		}
	}
	if err := json.Unmarshal(msg.Payload, &p); err != nil || msg.Type != "next" {
		t.Fatalf("alert message %s %s: %v", msg.Type, msg.Payload, err)
	}
	if a := p.Data.SlaAlerts; a.Level != level || a.Ticket.ID != ticketID || !a.DueAt.Equal(time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("alert = %+v, want %s for %s due 10:00", a, level, ticketID)
	}
	if tk := p.Data.SlaAlerts.Ticket; tk.SlaStatus != level || tk.Subscription.Status != "ACTIVE" || !slices.Equal(tk.Subscription.Domains, []string{"alert.example"}) {
		t.Fatalf("the alert's ticket = %+v, want %s with its active subscription", tk, level)
	}
}

// TestTicketPageQueriesDoNotGrowWithPageSize: a page of tickets with their
// subscription, customer, SLA state and clocks runs a fixed number of
// queries, whatever the page size.
func TestTicketPageQueriesDoNotGrowWithPageSize(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-10 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil, func(a *App) { a.LoaderWait = 100 * time.Millisecond })
		for c := range 4 {
			s.mustPriorityCustomer(fmt.Sprintf("Page %d", c), utc(t, "2026-01-01 00:00"), fmt.Sprintf("page%d.example", c))
		}
		for i := range 100 {
			s.mustIngest(email{From: fmt.Sprintf("u%d@page%d.example", i, i%4), Subject: fmt.Sprintf("T%d", i), MessageID: fmt.Sprintf("page-%d@x", i),
				Received: utc(t, "2026-11-09 09:00").Add(time.Duration(i) * time.Minute)})
		}
		counter := &queryCounter{}
		store.AddQueryHook(s.App.Store.DB(), counter)
		query := `query($n: Int) { tickets(first: $n) { totalCount edges { node { id priority customer { name }
			subscription { id status } sla { firstResponseDueAt breached businessSecondsLeft } clocks { kind } } } } }`
		count := func(n int) int64 {
			counter.n.Store(0)
			var out struct {
				Tickets struct {
					Edges []struct {
						Node struct {
							Sla          *struct{ Breached bool }
							Subscription *struct{ ID string }
						}
					}
				}
			}
			s.gql(s.support(), query, map[string]any{"n": n}).decode(t, &out)
			if len(out.Tickets.Edges) != n {
				t.Fatalf("page of %d has %d edges", n, len(out.Tickets.Edges))
			}
			for _, e := range out.Tickets.Edges {
				if e.Node.Sla == nil || e.Node.Subscription == nil {
					t.Fatalf("incomplete ticket: %+v", e.Node)
				}
			}
			return counter.n.Load()
		}
		small, large := count(5), count(100)
		if small != large {
			t.Fatalf("a page of 5 ran %d queries, a page of 100 ran %d", small, large)
		}
		// count + page + customers + subscriptions + clocks
		if large < 4 || large > 5 {
			t.Fatalf("a page ran %d queries, want 4 or 5", large)
		}
	})
}

// wsConn is a graphql-transport-ws client over a real websocket.
type wsConn struct{ c *websocket.Conn }

type wsMessage struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// dialGraphQL opens a websocket to the test server and initialises it with
// token.
func dialGraphQL(t *testing.T, s *testServer, token string) *wsConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	ws := &wsConn{c: c}
	ws.send(t, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	if msg := ws.read(t); msg.Type != "connection_ack" {
		t.Fatalf("connection_init answered %s %s", msg.Type, msg.Payload)
	}
	return ws
}

func (ws *wsConn) send(t *testing.T, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := ws.c.Write(t.Context(), websocket.MessageText, b); err != nil {
		t.Fatalf("websocket write: %v", err)
	}
}

// read returns the next message that is not a keep-alive, waiting up to 10
// seconds.
func (ws *wsConn) read(t *testing.T) wsMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		_, b, err := ws.c.Read(ctx)
		if err != nil {
			t.Fatalf("websocket read: %v", err)
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("websocket message %s: %v", b, err)
		}
		if m.Type != "ping" && m.Type != "pong" && m.Type != "ka" {
			return m
		}
	}
}

// readFor returns the next message about the operation id.
func (ws *wsConn) readFor(t *testing.T, id string) wsMessage {
	t.Helper()
	for {
		if m := ws.read(t); m.ID == id {
			return m
		}
	}
}

// subscribe starts a subscription and returns the first message about it.
func (ws *wsConn) subscribe(t *testing.T, id, query string, vars map[string]any) wsMessage {
	t.Helper()
	ws.send(t, map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
	return ws.readFor(t, id)
}

// refused reports whether a subscription's first message is an error with
// code and no data.
func refused(m wsMessage, code string) bool {
	var p struct {
		Data   json.RawMessage
		Errors []struct{ Extensions struct{ Code string } }
	}
	if m.Type == "error" {
		return strings.Contains(string(m.Payload), code)
	}
	return m.Type == "next" && json.Unmarshal(m.Payload, &p) == nil && string(p.Data) == "null" && len(p.Errors) == 1 && p.Errors[0].Extensions.Code == code
}

// TestSubscriptionEndsWithItsToken checks that a websocket lives no longer
// than the token it was opened with: at the token's exp the server closes
// it, and the client must reconnect with a fresh token.
func TestSubscriptionEndsWithItsToken(t *testing.T) {
	s := newTestServer(t, testdb.SQLite(t), nil)
	tok, err := s.signer.Sign(auth.Claims{Subject: "short-lived", Roles: []auth.Role{auth.RoleSupport}, TTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	caller, err := s.App.Verifier.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	ws := dialGraphQL(t, s, tok) // acknowledged: the token was good
	ws.send(t, map[string]any{"id": "alerts", "type": "subscribe", "payload": map[string]any{"query": `subscription { slaAlerts { level } }`}})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		_, b, err := ws.c.Read(ctx)
		if err == nil {
			continue // keep-alives, the reason
		}
		if ctx.Err() != nil {
			t.Fatal("the websocket outlived its token by 30 seconds")
		}
		if time.Now().Before(caller.ExpiresAt) {
			t.Fatalf("the websocket closed before its token expired: %v (last message %s)", err, b)
		}
		return
	}
}
