package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/store"
)

// dashboardTicketsQuery is the dashboard's ticket page: a customer's newest
// tickets with their SLA state and subscription.
const dashboardTicketsQuery = `{ tickets(first: 50) { edges { node { id subject status priority requesterEmail createdAt lastMessageAt
	sla { firstResponseDueAt firstRespondedAt firstResponseBusinessSeconds breached currentDueAt businessSecondsLeft }
	subscription { id status domains } } } } }`

// TestDashboardTicketPageNeedsNoBatch: the dashboard's ticket page, as a
// customer user, runs four queries whatever its size (page, clocks,
// subscriptions, domains: no count, which it does not ask for) and none of
// its fields waits for a loader batch, shown by a batch window so long
// that one wait would be seen. It lists only the customer's own tickets.
func TestDashboardTicketPageNeedsNoBatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-20 12:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil, func(a *App) { a.LoaderWait = 2 * time.Second })
		mine := s.mustPriorityCustomer("Own Ltd", utc(t, "2026-01-01 00:00"), "own.example")
		s.mustPriorityCustomer("Other Ltd", utc(t, "2026-01-01 00:00"), "other.example")
		for i := range 60 {
			at := utc(t, "2026-11-02 09:00").Add(time.Duration(i) * time.Hour)
			s.mustIngest(email{From: "a@own.example", Subject: fmt.Sprintf("Own %d", i), MessageID: fmt.Sprintf("own-%d@x", i), Received: at})
			s.mustIngest(email{From: "b@other.example", Subject: fmt.Sprintf("Other %d", i), MessageID: fmt.Sprintf("other-%d@x", i), Received: at.Add(time.Minute)})
		}
		counter := &queryCounter{}
		store.AddQueryHook(s.App.Store.DB(), counter)
		tok := s.customerToken(mine)
		query := strings.Replace(dashboardTicketsQuery, "first: 50", "first: $n", 1)
		query = "query($n: Int) " + query
		for _, n := range []int{5, 50} {
			counter.n.Store(0)
			start := time.Now()
			var out struct {
				Tickets struct {
					Edges []struct {
						Node struct {
							Subject      string
							Sla          *struct{ FirstResponseDueAt time.Time }
							Subscription *struct {
								ID      string
								Domains []string
							}
						}
					}
				}
			}
			s.gql(tok, query, map[string]any{"n": n}).decode(t, &out)
			if took := time.Since(start); took > time.Second {
				t.Errorf("a page of %d took %v: a field waited for a batch", n, took)
			}
			if q := counter.n.Load(); q != 4 {
				t.Errorf("a page of %d ran %d queries, want 4", n, q)
			}
			if len(out.Tickets.Edges) != n {
				t.Fatalf("a page of %d has %d edges", n, len(out.Tickets.Edges))
			}
			for _, e := range out.Tickets.Edges {
				if !strings.HasPrefix(e.Node.Subject, "Own ") || e.Node.Sla == nil || e.Node.Subscription == nil ||
					e.Node.Subscription.ID != mine.SubscriptionID || len(e.Node.Subscription.Domains) != 1 {
					t.Fatalf("ticket on the page: %+v", e.Node)
				}
			}
		}
	})
}

// BenchmarkDashboardTickets measures the dashboard's ticket page through the
// real HTTP server, as a customer user with 1000 tickets (another customer
// has 200 more): 50 rows with SLA state and subscription. Besides time and
// allocations it reports the queries and the process CPU time of one page
// (client, server and, on SQLite, the database).
func BenchmarkDashboardTickets(b *testing.B) {
	for _, db := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", testdb.SQLite}, {"postgres", testdb.Postgres}} {
		b.Run(db.name, func(b *testing.B) {
			s, tok := dashboardFixture(b, db.url(b), 1000)
			counter := &queryCounter{}
			store.AddQueryHook(s.App.Store.DB(), counter)
			body, _ := json.Marshal(map[string]any{"query": dashboardTicketsQuery})
			page := func() {
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) || bytes.Count(raw, []byte(`"businessSecondsLeft"`)) != 50 {
					b.Fatalf("status %d: %.500s", res.StatusCode, raw)
				}
			}
			page() // warm the query cache and the connection pool
			counter.n.Store(0)
			cpu := processCPU()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				page()
			}
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(counter.n.Load())/float64(b.N), "queries/op")
		})
	}
}

// dashboardFixture returns a server with a priority customer that has n
// tickets (every other one of the newest 200 answered by support, so its
// first-response clock stopped and a follow-up may run) and another
// customer with 200 tickets, and a token of the first customer's user.
func dashboardFixture(b *testing.B, databaseURL string, n int) (*testServer, string) {
	b.Helper()
	clock := newClock(utc(b, "2026-11-20 12:00"))
	s := newTestServerAt(b, databaseURL, clock.Now, nil)
	mine := s.mustPriorityCustomer("Dashboard Ltd", utc(b, "2026-01-01 00:00"), "dash.example", "eu.dash.example")
	s.mustPriorityCustomer("Other Ltd", utc(b, "2026-01-01 00:00"), "other.example")
	start := utc(b, "2026-11-01 08:00")
	for i := range n {
		at := start.Add(time.Duration(i) * 15 * time.Minute)
		id := fmt.Sprintf("dash-%d@dash.example", i)
		s.mustIngest(email{From: fmt.Sprintf("user%d@dash.example", i%7), Subject: fmt.Sprintf("Dashboard question %d", i), MessageID: id, Received: at})
		if i >= n-200 && i%2 == 0 {
			s.mustIngest(email{From: "agent@support.vendor.test", Subject: fmt.Sprintf("Re: Dashboard question %d", i), MessageID: "re-" + id, InReplyTo: id,
				Received: at.Add(10 * time.Minute)})
		}
		if i < 200 {
			s.mustIngest(email{From: "someone@other.example", Subject: fmt.Sprintf("Other question %d", i), MessageID: fmt.Sprintf("other-%d@other.example", i),
				Received: at.Add(time.Minute)})
		}
	}
	return s, s.customerToken(mine)
}

// processCPU returns the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
