package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// TestMailingListMailIsAPersons checks SPEC §2's machine-sent rule by
// direction, through /inbound/email: a customer's request that reached
// support through a mailing list (a Google Group: List-Id, Precedence list,
// List-Unsubscribe, Mailing-list) or that its list server marked bulk or
// junk is a person's message and starts a first-response clock; only a
// program's marks (Auto-Submitted, X-Autoreply) make customer mail
// machine-sent. From the support domain, Precedence bulk is an
// acknowledgement robot's and stops nothing, while an engineer's reply that
// came through a list stops the clock.
func TestMailingListMailIsAPersons(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(time.Date(2024, 5, 16, 14, 30, 0, 0, time.UTC))
		s := newTestServerAt(t, databaseURL, clock.Now, map[string]string{"PS_SUPPORT_DOMAIN": "vendor.test"})
		s.mustPriorityCustomer("Acme", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "acme.example")
		// 16 May 2024 is a Thursday; support hours are 24×5 UTC.
		at := func(hm string) time.Time { return utc(t, "2024-05-16 "+hm) }

		// running asserts that the ticket is priority, its one message a
		// person's, and a first-response clock runs from received, due an
		// hour later.
		running := func(t *testing.T, id string, received time.Time) {
			t.Helper()
			tk := s.mustTicket(id)
			if !tk.Priority || len(tk.Messages) != 1 || tk.Messages[0].MachineSent || tk.Messages[0].Direction != "CUSTOMER" {
				t.Fatalf("ticket priority %v, messages %+v: want a priority ticket opened by a person's message", tk.Priority, tk.Messages)
			}
			if len(tk.Clocks) != 1 || tk.Clocks[0].Kind != "FIRST_RESPONSE" || !tk.Clocks[0].StartedAt.Equal(received) || tk.Clocks[0].StoppedAt != nil {
				t.Fatalf("clocks = %+v, want one running first-response clock from %s", tk.Clocks, received)
			}
			if tk.Sla == nil || tk.Sla.CurrentDueAt == nil || !tk.Sla.CurrentDueAt.Equal(received.Add(time.Hour)) {
				t.Fatalf("sla = %+v, want due at %s", tk.Sla, received.Add(time.Hour))
			}
		}

		t.Run("a Google Groups post from a covered domain starts a first-response clock", func(t *testing.T) {
			r := s.ingest(readMail(t, "customer-via-google-group.eml"))
			if r.Status != http.StatusOK || !r.Priority || r.Duplicate {
				t.Fatalf("answer %d %s", r.Status, r.Raw)
			}
			running(t, r.TicketID, time.Date(2024, 5, 16, 14, 2, 11, 0, time.UTC))
		})

		for i, tc := range []struct{ name, header string }{
			{"Precedence junk", "Precedence: junk"},
			{"Precedence bulk", "Precedence: bulk"},
			{"a bare List-Id", "List-Id: Acme IT <it.acme.example>"},
		} {
			t.Run("a customer's message with "+tc.name+" starts a first-response clock", func(t *testing.T) {
				r := s.mustIngest(email{From: "ben@acme.example", Subject: "Help with " + tc.name, MessageID: fmt.Sprintf("list-%d@acme.example", i),
					Received: at("09:00"), Extra: []string{tc.header}})
				if !r.Priority {
					t.Fatalf("answer %+v, want priority", r)
				}
				running(t, r.TicketID, at("09:00"))
			})
		}

		for i, tc := range []struct{ name string }{
			{"Auto-Submitted: auto-replied"},
			{"X-Autoreply: yes"},
		} {
			t.Run("a customer's message with "+tc.name+" starts no clock, through a list or not", func(t *testing.T) {
				for j, extra := range [][]string{{tc.name}, {tc.name, "Precedence: list", "List-Id: <vendor-support.acme.example>"}} {
					r := s.mustIngest(email{From: "ooo@acme.example", Subject: "Automatic reply: Help", MessageID: fmt.Sprintf("auto-%d-%d@acme.example", i, j),
						Received: at("10:00"), Extra: extra})
					tk := s.mustTicket(r.TicketID)
					if len(tk.Messages) != 1 || !tk.Messages[0].MachineSent || len(tk.Clocks) != 0 || (tk.Sla != nil && tk.Sla.CurrentDueAt != nil) {
						t.Fatalf("%v: messages %+v, clocks %+v, sla %+v; want a machine-sent message and no clock", extra, tk.Messages, tk.Clocks, tk.Sla)
					}
				}
			})
		}

		t.Run("support-domain mail with Precedence bulk stops no clock; an engineer's reply through a list does", func(t *testing.T) {
			open := s.mustIngest(email{From: "cleo@acme.example", Subject: "Crash on start", MessageID: "crash-1@acme.example", Received: at("11:00")})
			ack := s.mustIngest(email{From: "helpdesk@vendor.test", Subject: "Re: Crash on start [received]", MessageID: "crash-2@vendor.test",
				InReplyTo: "crash-1@acme.example", Received: at("11:01"), Extra: []string{"Precedence: bulk"}})
			if ack.TicketID != open.TicketID {
				t.Fatal("the acknowledgement opened another ticket")
			}
			tk := s.mustTicket(open.TicketID)
			if len(tk.Messages) != 2 || !tk.Messages[1].MachineSent || tk.Messages[1].Direction != "SUPPORT" {
				t.Fatalf("acknowledgement stored as %+v, want machine-sent support mail", tk.Messages)
			}
			if len(tk.Clocks) != 1 || tk.Clocks[0].StoppedAt != nil || tk.Sla == nil || tk.Sla.CurrentDueAt == nil || !tk.Sla.CurrentDueAt.Equal(at("12:00")) {
				t.Fatalf("after a bulk acknowledgement: clocks %+v, sla %+v; want the clock still running, due 12:00", tk.Clocks, tk.Sla)
			}
			s.mustIngest(email{From: "jane@vendor.test", Subject: "Re: Crash on start", MessageID: "crash-3@vendor.test", InReplyTo: "crash-1@acme.example",
				Received: at("11:20"), Extra: []string{"Precedence: list", "List-Id: <vendor-support.acme.example>"}})
			tk = s.mustTicket(open.TicketID)
			if len(tk.Clocks) != 1 || tk.Clocks[0].StoppedAt == nil || !tk.Clocks[0].StoppedAt.Equal(at("11:20")) || tk.Messages[2].MachineSent {
				t.Fatalf("after an engineer's reply through a list: clocks %+v, messages %+v; want the clock stopped at 11:20", tk.Clocks, tk.Messages)
			}
		})
	})
}
