package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// permutations returns every order of the indexes 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// TestRepliesBeforeTheirParent checks SPEC §2's out-of-order threading:
// messages that refer to the same id not yet received belong to one ticket,
// whichever arrives first, and the parent joins it when it comes; the
// ticket's clocks then replay from the parent.
func TestRepliesBeforeTheirParent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-02 20:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, newYorkHolidays)
		f := s.mustPriorityCustomer("Thread Ltd", utc(t, "2026-01-01 05:00"), "thread.example")

		// Monday 2 November, the day after daylight saving time ended: the
		// question at 09:00 EST, the acknowledgement robot a minute later,
		// the engineer's answer at 09:40.
		question := utc(t, "2026-11-02 14:00")
		answer := utc(t, "2026-11-02 14:40")
		thread := func(tag string) []email {
			parent := "q-" + tag + "@thread.example"
			return []email{
				{From: "noreply@support.vendor.test", Subject: "Re: Sync stalls [received]", MessageID: "ack-" + tag + "@support.vendor.test", InReplyTo: parent,
					Received: question.Add(time.Minute), Extra: []string{"Auto-Submitted: auto-replied"}},
				{From: "bob@support.vendor.test", Subject: "Re: Sync stalls", MessageID: "re-" + tag + "@support.vendor.test", InReplyTo: parent, Received: answer},
				{From: "ann@thread.example", Subject: "Sync stalls", MessageID: parent, Received: question},
			}
		}
		names := []string{"ack", "reply", "question"}
		// wantOneAnsweredTicket fails the test unless id is the customer's
		// priority ticket holding the three messages, answered by the
		// engineer 40 business minutes after the question.
		wantOneAnsweredTicket := func(t *testing.T, id string) {
			t.Helper()
			tk := s.mustTicket(id)
			if len(tk.Messages) != 3 || !tk.Priority || tk.Customer == nil || tk.Customer.ID != f.CustomerID || tk.Subject != "Sync stalls" || tk.RequesterEmail != "ann@thread.example" {
				t.Fatalf("ticket %q (%s) priority %v, customer %+v, %d messages; want Ann's priority ticket with all three", tk.Subject, tk.RequesterEmail, tk.Priority, tk.Customer, len(tk.Messages))
			}
			sla := tk.Sla
			if sla == nil || sla.Breached || sla.FirstRespondedAt == nil || !sla.FirstRespondedAt.Equal(answer) ||
				sla.FirstResponseBusinessSeconds == nil || *sla.FirstResponseBusinessSeconds != 2400 || !sla.FirstResponseDueAt.Equal(question.Add(time.Hour)) {
				t.Fatalf("sla = %+v, want the first response at %s after 2400 business seconds, not breached", sla, answer)
			}
			if len(tk.Clocks) != 1 || !tk.Clocks[0].StartedAt.Equal(question) || tk.Clocks[0].Met == nil || !*tk.Clocks[0].Met {
				t.Fatalf("clocks = %+v, want one met clock from the question", tk.Clocks)
			}
			// The messages stored before the question became Ann's with it:
			// a message's customer is what scopes it to her users.
			var others int
			if err := s.App.Store.DB().NewSelect().TableExpr("ticket_messages").
				Where("ticket_id = ? AND (customer_id IS NULL OR customer_id <> ?)", id, f.CustomerID).
				ColumnExpr("count(*)").Scan(context.Background(), &others); err != nil {
				t.Fatal(err)
			}
			if others != 0 {
				t.Fatalf("%d of the ticket's messages are not its customer's", others)
			}
		}

		orders := permutations(3)
		for i, order := range orders {
			var label []string
			for _, k := range order {
				label = append(label, names[k])
			}
			t.Run(strings.Join(label, ", "), func(t *testing.T) {
				before := ticketCount(t, s)
				msgs := thread(fmt.Sprint(i))
				tickets := map[string]bool{}
				for _, k := range order {
					tickets[s.mustIngest(msgs[k]).TicketID] = true
				}
				if len(tickets) != 1 || ticketCount(t, s)-before != 1 {
					t.Fatalf("%d tickets answered, %d stored; want one", len(tickets), ticketCount(t, s)-before)
				}
				for id := range tickets {
					wantOneAnsweredTicket(t, id)
				}
			})
		}

		t.Run("a customer follow-up and a reply to a question never received", func(t *testing.T) {
			// Ann's follow-up and the engineer's answer both refer to a
			// question that never reaches the backend: whichever arrives
			// first, Ann's follow-up opens the ticket and the answer stops its
			// clock.
			for i, supportFirst := range []bool{true, false} {
				parent := fmt.Sprintf("lost-%d@thread.example", i)
				follow := email{From: "ann@thread.example", Subject: "Re: Lost", MessageID: fmt.Sprintf("follow-%d@thread.example", i), InReplyTo: parent, Received: question}
				reply := email{From: "bob@support.vendor.test", Subject: "Re: Lost", MessageID: fmt.Sprintf("lost-re-%d@support.vendor.test", i), InReplyTo: parent, Received: answer}
				order := []email{follow, reply}
				if supportFirst {
					order = []email{reply, follow}
				}
				a, b := s.mustIngest(order[0]), s.mustIngest(order[1])
				if a.TicketID != b.TicketID {
					t.Fatalf("support first %v: two tickets", supportFirst)
				}
				tk := s.mustTicket(a.TicketID)
				if !tk.Priority || tk.Customer == nil || tk.Customer.ID != f.CustomerID || tk.Sla == nil || tk.Sla.FirstResponseBusinessSeconds == nil || *tk.Sla.FirstResponseBusinessSeconds != 2400 {
					t.Fatalf("support first %v: priority %v, customer %+v, sla %+v; want Ann's priority ticket answered in 2400 business seconds", supportFirst, tk.Priority, tk.Customer, tk.Sla)
				}
			}
		})

		t.Run("delivered at once", func(t *testing.T) {
			before := ticketCount(t, s)
			const threads = 8
			var wg sync.WaitGroup
			ids := make([]chan string, threads)
			for i := range threads {
				ids[i] = make(chan string, 3)
				for _, e := range thread(fmt.Sprintf("par-%d", i)) {
					wg.Go(func() {
						r := s.ingest(e.raw())
						if r.Status != http.StatusOK {
							t.Errorf("ingest %s: %d %s", e.MessageID, r.Status, r.Raw)
						}
						ids[i] <- r.TicketID
					})
				}
			}
			wg.Wait()
			if got := ticketCount(t, s) - before; got != threads {
				t.Fatalf("%d threads delivered at once made %d tickets, want %d", threads, got, threads)
			}
			for i := range threads {
				a, b, c := <-ids[i], <-ids[i], <-ids[i]
				if a != b || b != c {
					t.Fatalf("thread %d split over %s, %s, %s", i, a, b, c)
				}
				wantOneAnsweredTicket(t, a)
			}
		})

		t.Run("the month is met", func(t *testing.T) {
			clock.Set(utc(t, "2026-12-02 15:00"))
			r := s.mustReport(s.customerToken(f), f.SubscriptionID, "2026-11")
			n := len(orders) + 2 + 8
			want := reportView{Month: "2026-11", Final: true, Met: true, Status: "MET", TicketsReceived: n, FirstResponses: n, FirstResponsesMet: n}
			if r != want {
				t.Fatalf("November = %+v, want %+v", r, want)
			}
		})
	})
}
