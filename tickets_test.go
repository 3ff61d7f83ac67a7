package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/prioritysupport/backend/internal/testdb"
)

// November 2026 starts on a Sunday; the 2nd is a Monday and the 30th a
// Monday. Support hours are 24×5 UTC.

// TestMonthReportScenarios runs a month of mail through the inbound endpoint
// and reads the reports through GraphQL, live and final.
func TestMonthReportScenarios(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-01 00:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		start := utc(t, "2026-01-01 00:00")

		t.Run("all first responses in time and follow-ups averaging 59 minutes is met", func(t *testing.T) {
			f := s.mustPriorityCustomer("Met Ltd", start, "met.example")
			open := s.mustIngest(email{From: "ann@met.example", Subject: "Cannot log in", MessageID: "met-1@met.example", Received: utc(t, "2026-11-02 09:00")})
			if !open.Priority || open.Duplicate {
				t.Fatalf("opening message: %+v", open)
			}
			thread := []email{
				{From: "bob@support.vendor.test", Subject: "Re: Cannot log in", MessageID: "met-2@support.vendor.test", InReplyTo: "met-1@met.example", Received: utc(t, "2026-11-02 09:50")},
				{From: "ann@met.example", Subject: "Re: Cannot log in", MessageID: "met-3@met.example", InReplyTo: "met-2@support.vendor.test", Received: utc(t, "2026-11-02 11:00")},
				{From: "bob@support.vendor.test", Subject: "Re: Cannot log in", MessageID: "met-4@support.vendor.test", InReplyTo: "met-3@met.example", Received: utc(t, "2026-11-02 11:58")},
				{From: "ann@met.example", Subject: "Re: Cannot log in", MessageID: "met-5@met.example", InReplyTo: "met-4@support.vendor.test", Received: utc(t, "2026-11-02 13:00")},
				{From: "bob@support.vendor.test", Subject: "Re: Cannot log in", MessageID: "met-6@support.vendor.test", InReplyTo: "met-5@met.example", Received: utc(t, "2026-11-02 14:00")},
			}
			for _, e := range thread {
				if r := s.mustIngest(e); r.TicketID != open.TicketID {
					t.Fatalf("%s threaded to %s, want %s", e.MessageID, r.TicketID, open.TicketID)
				}
			}
			second := s.mustIngest(email{From: "cy@met.example", Subject: "Licence question", MessageID: "met-7@met.example", Received: utc(t, "2026-11-03 09:00")})
			s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Licence question", MessageID: "met-8@support.vendor.test", InReplyTo: "met-7@met.example", Received: utc(t, "2026-11-03 09:30")})
			if second.TicketID == open.TicketID {
				t.Fatal("a new conversation joined the first ticket")
			}

			clock.Set(utc(t, "2026-11-20 12:00"))
			live := s.mustReport(s.customerToken(f), f.SubscriptionID, "2026-11")
			if live.Final || live.Status != "ON_TRACK" || !live.Met {
				t.Errorf("live report = %+v, want ON_TRACK, not final", live)
			}
			clock.Set(utc(t, "2026-12-01 00:59"))
			if r := s.mustReport(s.support(), f.SubscriptionID, "2026-11"); r.Final {
				t.Errorf("report is final before the cutoff (end of month plus one business hour): %+v", r)
			}
			clock.Set(utc(t, "2026-12-01 01:00"))
			r := s.mustReport(s.customerToken(f), f.SubscriptionID, "2026-11")
			want := reportView{Month: "2026-11", Final: true, Met: true, Status: "MET", TicketsReceived: 2, FirstResponses: 2, FirstResponsesMet: 2, FollowUps: 2}
			avg := r.AverageFollowUpResponseSeconds
			r.AverageFollowUpResponseSeconds = nil
			if r != want || avg == nil || *avg != 59*60 {
				t.Errorf("final report = %+v (average %v), want %+v with average 3540", r, avg, want)
			}
		})

		t.Run("one first response at 61 business minutes breaches the month", func(t *testing.T) {
			clock.Set(utc(t, "2026-11-04 08:00"))
			f := s.mustPriorityCustomer("Late Ltd", start, "late.example")
			s.mustIngest(email{From: "dee@late.example", Subject: "Export fails", MessageID: "late-1@late.example", Received: utc(t, "2026-11-04 09:00")})
			clock.Set(utc(t, "2026-11-04 09:50"))
			if r := s.mustReport(s.customerToken(f), f.SubscriptionID, "2026-11"); r.Status != "AT_RISK" {
				t.Errorf("10 minutes before due: %s, want AT_RISK", r.Status)
			}
			s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Export fails", MessageID: "late-2@support.vendor.test", InReplyTo: "late-1@late.example", Received: utc(t, "2026-11-04 10:01")})
			clock.Set(utc(t, "2026-11-05 09:00"))
			if r := s.mustReport(s.customerToken(f), f.SubscriptionID, "2026-11"); r.Status != "BREACHED" || r.Final {
				t.Errorf("live report after a late first response: %+v, want BREACHED", r)
			}
			clock.Set(utc(t, "2026-12-02 00:00"))
			r := s.mustReport(s.customerToken(f), f.SubscriptionID, "2026-11")
			if !r.Final || r.Met || r.Status != "BREACHED" || r.FirstResponses != 1 || r.FirstResponsesMet != 0 {
				t.Errorf("final report = %+v, want BREACHED", r)
			}
		})

		t.Run("several customer emails before one reply make one clock", func(t *testing.T) {
			clock.Set(utc(t, "2026-11-05 08:00"))
			s.mustPriorityCustomer("Chatty Ltd", start, "chatty.example")
			open := s.mustIngest(email{From: "eve@chatty.example", Subject: "Crash", MessageID: "chat-1@chatty.example", Received: utc(t, "2026-11-05 09:00")})
			s.mustIngest(email{From: "eve@chatty.example", Subject: "Re: Crash", MessageID: "chat-2@chatty.example", InReplyTo: "chat-1@chatty.example", Received: utc(t, "2026-11-05 09:10")})
			s.mustIngest(email{From: "fay@chatty.example", Subject: "Re: Crash", MessageID: "chat-3@chatty.example", InReplyTo: "chat-2@chatty.example", Received: utc(t, "2026-11-05 09:20")})
			s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Crash", MessageID: "chat-4@support.vendor.test", InReplyTo: "chat-3@chatty.example", Received: utc(t, "2026-11-05 09:45")})
			tk := s.mustTicket(open.TicketID)
			if len(tk.Messages) != 4 || len(tk.Clocks) != 1 || *tk.Clocks[0].BusinessSeconds != 45*60 || tk.Clocks[0].Kind != "FIRST_RESPONSE" {
				t.Fatalf("ticket = %d messages, clocks %+v; want 4 messages and one 45-minute clock", len(tk.Messages), tk.Clocks)
			}
		})

		t.Run("a resolution stops a clock and a reopen starts a follow-up", func(t *testing.T) {
			clock.Set(utc(t, "2026-11-06 08:00"))
			f := s.mustPriorityCustomer("Resolve Ltd", start, "resolve.example")
			open := s.mustIngest(email{From: "gus@resolve.example", Subject: "Typo in docs", MessageID: "res-1@resolve.example", Received: utc(t, "2026-11-06 09:00")})
			clock.Set(utc(t, "2026-11-06 09:20"))
			var res struct{ ResolveTicket struct{ Status string } }
			s.gql(s.support(), `mutation($id: ID!) { resolveTicket(id: $id) { status } }`, map[string]any{"id": open.TicketID}).decode(t, &res)
			if res.ResolveTicket.Status != "RESOLVED" {
				t.Fatalf("status = %s", res.ResolveTicket.Status)
			}
			tk := s.mustTicket(open.TicketID)
			if len(tk.Clocks) != 1 || tk.Clocks[0].StoppedBy == nil || *tk.Clocks[0].StoppedBy != "resolution" || *tk.Clocks[0].BusinessSeconds != 20*60 {
				t.Fatalf("clocks after resolution = %+v", tk.Clocks)
			}
			if r := s.gql(s.support(), `mutation($id: ID!) { resolveTicket(id: $id) { id } }`, map[string]any{"id": open.TicketID}); r.code() != "CONFLICT" {
				t.Errorf("resolving twice: %s", r.Raw)
			}
			if r := s.gql(s.customerToken(f), `mutation($id: ID!) { reopenTicket(id: $id) { id } }`, map[string]any{"id": open.TicketID}); r.code() != "FORBIDDEN" {
				t.Errorf("a customer reopening: %s", r.Raw)
			}

			// A customer message on the resolved ticket reopens it.
			s.mustIngest(email{From: "gus@resolve.example", Subject: "Re: Typo in docs", MessageID: "res-2@resolve.example", InReplyTo: "res-1@resolve.example", Received: utc(t, "2026-11-09 10:00")})
			tk = s.mustTicket(open.TicketID)
			if tk.Status != "OPEN" || len(tk.Clocks) != 2 || tk.Clocks[1].Kind != "FOLLOW_UP" || tk.Clocks[1].StoppedAt != nil {
				t.Fatalf("after a customer reply to a resolved ticket: %s, clocks %+v", tk.Status, tk.Clocks)
			}

			// A manual reopen starts a follow-up too.
			clock.Set(utc(t, "2026-11-09 10:30"))
			s.gql(s.support(), `mutation($id: ID!) { resolveTicket(id: $id) { id } }`, map[string]any{"id": open.TicketID}).decode(t, &struct{}{})
			clock.Set(utc(t, "2026-11-09 11:00"))
			var re struct{ ReopenTicket struct{ Status string } }
			s.gql(s.support(), `mutation($id: ID!) { reopenTicket(id: $id) { status } }`, map[string]any{"id": open.TicketID}).decode(t, &re)
			tk = s.mustTicket(open.TicketID)
			if re.ReopenTicket.Status != "OPEN" || len(tk.Clocks) != 3 || tk.Clocks[2].Kind != "FOLLOW_UP" || !tk.Clocks[2].StartedAt.Equal(utc(t, "2026-11-09 11:00")) {
				t.Fatalf("after a manual reopen: %s, clocks %+v", re.ReopenTicket.Status, tk.Clocks)
			}
		})

		t.Run("a clock straddling the month end belongs to the month it started in", func(t *testing.T) {
			clock.Set(utc(t, "2026-11-30 08:00"))
			f := s.mustPriorityCustomer("Midnight Ltd", start, "midnight.example")
			s.mustIngest(email{From: "hal@midnight.example", Subject: "Outage", MessageID: "mid-1@midnight.example", Received: utc(t, "2026-11-30 23:30")})
			s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Outage", MessageID: "mid-2@support.vendor.test", InReplyTo: "mid-1@midnight.example", Received: utc(t, "2026-12-01 00:20")})
			clock.Set(utc(t, "2027-01-05 00:00"))
			nov, dec := s.mustReport(s.support(), f.SubscriptionID, "2026-11"), s.mustReport(s.support(), f.SubscriptionID, "2026-12")
			if nov.FirstResponses != 1 || nov.FirstResponsesMet != 1 || nov.TicketsReceived != 1 || nov.Status != "MET" {
				t.Errorf("November = %+v, want the clock", nov)
			}
			if dec.FirstResponses != 0 || dec.TicketsReceived != 0 || dec.Status != "MET" {
				t.Errorf("December = %+v, want nothing", dec)
			}
		})
	})
}

// TestMachineMailAndClocks checks SPEC §2's machine mail: an
// acknowledgement robot on the support domain does not stop a clock, and a
// customer's out-of-office reply does not start one.
func TestMachineMailAndClocks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-10 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		s.mustPriorityCustomer("Robot Ltd", utc(t, "2026-01-01 00:00"), "robot.example")
		open := s.mustIngest(email{From: "ida@robot.example", Subject: "Help", MessageID: "rob-1@robot.example", Received: utc(t, "2026-11-10 09:00")})
		ack := s.mustIngest(email{From: "noreply@support.vendor.test", Subject: "Re: Help [received]", MessageID: "rob-2@support.vendor.test", InReplyTo: "rob-1@robot.example",
			Received: utc(t, "2026-11-10 09:00"), Extra: []string{"Auto-Submitted: auto-replied"}})
		if ack.TicketID != open.TicketID {
			t.Fatal("the acknowledgement opened another ticket")
		}
		clock.Set(utc(t, "2026-11-10 09:30"))
		tk := s.mustTicket(open.TicketID)
		if tk.Sla == nil || tk.Sla.FirstRespondedAt != nil || tk.Sla.CurrentDueAt == nil || !tk.Sla.CurrentDueAt.Equal(utc(t, "2026-11-10 10:00")) {
			t.Fatalf("after an auto-acknowledgement the clock must still run: %+v", tk.Sla)
		}
		if *tk.Sla.BusinessSecondsLeft != 30*60 {
			t.Errorf("business seconds left = %d, want 1800", *tk.Sla.BusinessSecondsLeft)
		}
		if !tk.Messages[1].MachineSent || tk.Messages[1].Direction != "SUPPORT" {
			t.Errorf("acknowledgement stored as %+v", tk.Messages[1])
		}
		s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Help", MessageID: "rob-3@support.vendor.test", InReplyTo: "rob-1@robot.example", Received: utc(t, "2026-11-10 09:40")})
		s.mustIngest(email{From: "ida@robot.example", Subject: "Automatic reply: Re: Help", MessageID: "rob-4@robot.example", InReplyTo: "rob-3@support.vendor.test",
			Received: utc(t, "2026-11-10 09:41"), Extra: []string{"Auto-Submitted: auto-replied", "X-Autoreply: yes"}})
		tk = s.mustTicket(open.TicketID)
		if len(tk.Messages) != 4 || len(tk.Clocks) != 1 || tk.Sla.CurrentDueAt != nil || *tk.Sla.FirstResponseBusinessSeconds != 40*60 {
			t.Fatalf("after an out-of-office reply: %d messages, clocks %+v, sla %+v", len(tk.Messages), tk.Clocks, tk.Sla)
		}
	})
}

// TestIngestion covers the endpoint's contract: signatures, duplicates,
// the Received time over Date, priority rules, and bad input.
func TestIngestion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-10 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		s.mustPriorityCustomer("Acme", utc(t, "2026-01-01 00:00"), "acme.example")
		msg := email{From: "Jo <jo@eu.acme.example>", Subject: "Sub-domain mail", MessageID: "ing-1@eu.acme.example", Received: utc(t, "2026-11-10 09:00"),
			Date: utc(t, "2001-01-01 00:00")}

		t.Run("a bad or missing signature is refused and stores nothing", func(t *testing.T) {
			for name, sig := range map[string]string{"missing": "", "wrong": "sha256=" + hexOf("nope"), "not hex": "sha256=zz", "no prefix": hexOf("x")} {
				if r := s.ingestSigned(msg.raw(), sig); r.Status != http.StatusUnauthorized || r.Code != "UNAUTHENTICATED" {
					t.Errorf("%s signature: %d %s", name, r.Status, r.Raw)
				}
			}
			assertTicketCount(t, s, 0)
		})

		t.Run("a subdomain of a covered domain is priority; Received, not Date, is its time", func(t *testing.T) {
			r := s.mustIngest(msg)
			if !r.Priority || r.Duplicate {
				t.Fatalf("answer = %+v", r)
			}
			tk := s.mustTicket(r.TicketID)
			if !tk.CreatedAt.Equal(utc(t, "2026-11-10 09:00")) || tk.Sla == nil || !tk.Sla.FirstResponseDueAt.Equal(utc(t, "2026-11-10 10:00")) {
				t.Errorf("ticket created %s, sla %+v: the forged Date must not count", tk.CreatedAt, tk.Sla)
			}
			if tk.Messages[0].SentAt == nil || !tk.Messages[0].SentAt.Equal(utc(t, "2001-01-01 00:00")) || tk.RequesterEmail != "jo@eu.acme.example" {
				t.Errorf("message = %+v, requester %q", tk.Messages[0], tk.RequesterEmail)
			}
		})

		t.Run("the same Message-ID twice is stored once", func(t *testing.T) {
			first := s.mustIngest(msg)
			if !first.Duplicate {
				t.Fatalf("second delivery: %+v", first)
			}
			if n := len(s.mustTicket(first.TicketID).Messages); n != 1 {
				t.Fatalf("%d messages after a duplicate", n)
			}
		})

		t.Run("concurrent deliveries of one new message store it once", func(t *testing.T) {
			m := email{From: "kim@acme.example", Subject: "Race", MessageID: "race@acme.example", Received: utc(t, "2026-11-10 10:00")}
			results := make(chan inboundResult, 6)
			for range 6 {
				go func() { results <- s.ingest(m.raw()) }()
			}
			fresh, tickets := 0, map[string]bool{}
			for range 6 {
				r := <-results
				if r.Status != http.StatusOK {
					t.Fatalf("concurrent delivery: %d %s", r.Status, r.Raw)
				}
				if !r.Duplicate {
					fresh++
				}
				tickets[r.TicketID] = true
			}
			if fresh != 1 || len(tickets) != 1 {
				t.Fatalf("%d fresh answers over %d tickets, want 1 and 1", fresh, len(tickets))
			}
		})

		t.Run("other senders are not priority", func(t *testing.T) {
			for _, from := range []string{"x@notacme.example", "x@acme.example.evil.test", "x@gmail.com"} {
				if r := s.mustIngest(email{From: from, Subject: "Hi", MessageID: "other-" + from, Received: utc(t, "2026-11-10 09:00")}); r.Priority {
					t.Errorf("%s flagged priority", from)
				}
			}
		})

		t.Run("unparseable input is a 400 with a reason and stores nothing", func(t *testing.T) {
			before := ticketCount(t, s)
			for name, raw := range map[string]string{
				"empty":     "",
				"no header": "just some words\r\n",
				"no from":   "Subject: hi\r\nMessage-ID: <nofrom@x>\r\n\r\nbody\r\n",
				"bad from":  "From: not an address\r\nSubject: hi\r\n\r\nbody\r\n",
			} {
				r := s.ingest([]byte(raw))
				if r.Status != http.StatusBadRequest || r.Code != "BAD_USER_INPUT" {
					t.Errorf("%s: %d %s", name, r.Status, r.Raw)
				}
			}
			if after := ticketCount(t, s); after != before {
				t.Errorf("tickets %d → %d after refused messages", before, after)
			}
		})

		t.Run("a message over the size cap is refused", func(t *testing.T) {
			big := email{From: "x@acme.example", Subject: "Big", MessageID: "big@acme.example", Received: utc(t, "2026-11-10 09:00"), Body: strings.Repeat("a", 2<<20)}
			small := newTestServerAt(t, databaseURL, clock.Now, map[string]string{"PS_INBOUND_MAX_BYTES": "1048576"})
			if r := small.ingest(big.raw()); r.Status != http.StatusRequestEntityTooLarge {
				t.Errorf("big message: %d %s", r.Status, r.Raw)
			}
		})

		t.Run("a ticket token in the subject threads a message without references", func(t *testing.T) {
			open := s.mustIngest(email{From: "lou@acme.example", Subject: "Token", MessageID: "tok-1@acme.example", Received: utc(t, "2026-11-10 11:00")})
			r := s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Token [PS-" + open.TicketID + "]", MessageID: "tok-2@support.vendor.test", Received: utc(t, "2026-11-10 11:10")})
			if r.TicketID != open.TicketID {
				t.Fatalf("token reply went to %s, want %s", r.TicketID, open.TicketID)
			}
		})

		t.Run("mail before the subscription starts is neither priority nor the customer's", func(t *testing.T) {
			// Coverage has a history: the domain covers mail from the
			// subscription's start on, so earlier mail is an ordinary
			// ticket only staff see.
			s.mustPriorityCustomer("Later Ltd", utc(t, "2026-12-01 00:00"), "later.example")
			if r := s.mustIngest(email{From: "x@later.example", Subject: "Early", MessageID: "later-1@later.example", Received: utc(t, "2026-11-10 09:00")}); r.Priority {
				t.Error("mail before the subscription started flagged priority")
			} else if tk := s.mustTicket(r.TicketID); tk.Customer != nil {
				t.Errorf("mail from before the coverage belongs to %+v, want no customer", tk.Customer)
			}
		})
	})
}

// TestOutOfOrderThreads checks threading when mail arrives out of order or
// at once: a reply stored before the message it answers still ends up on
// one ticket, measured from the real opening message, whichever of the two
// the endpoint sees first.
func TestOutOfOrderThreads(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-09 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		s.mustPriorityCustomer("Order Ltd", utc(t, "2026-01-01 00:00"), "order.example")

		t.Run("a support reply delivered before the question", func(t *testing.T) {
			reply := s.mustIngest(email{From: "bob@support.vendor.test", To: "ann@order.example", Subject: "Re: Sync stalls", MessageID: "ooo-2@support.vendor.test", InReplyTo: "ooo-1@order.example", Received: utc(t, "2026-11-09 10:30")})
			question := s.mustIngest(email{From: "ann@order.example", Subject: "Sync stalls", MessageID: "ooo-1@order.example", Received: utc(t, "2026-11-09 10:00")})
			if question.TicketID != reply.TicketID || !question.Priority {
				t.Fatalf("question %+v, reply %+v: want one priority ticket", question, reply)
			}
			tk := s.mustTicket(question.TicketID)
			if tk.Subject != "Sync stalls" || tk.RequesterEmail != "ann@order.example" || !tk.Priority || tk.Customer == nil || len(tk.Messages) != 2 {
				t.Fatalf("ticket = %+v, want Ann's priority ticket with both messages", tk)
			}
			if sla := tk.Sla; sla == nil || sla.FirstResponseBusinessSeconds == nil || *sla.FirstResponseBusinessSeconds != 1800 || sla.Breached {
				t.Fatalf("sla = %+v, want a first response in 1800 business seconds", tk.Sla)
			}
		})

		t.Run("a follow-up delivered before the message it follows", func(t *testing.T) {
			follow := s.mustIngest(email{From: "cy@order.example", Subject: "Re: Export fails", MessageID: "ooo-4@order.example", InReplyTo: "ooo-3@order.example", Received: utc(t, "2026-11-09 11:05")})
			first := s.mustIngest(email{From: "cy@order.example", Subject: "Export fails", MessageID: "ooo-3@order.example", Received: utc(t, "2026-11-09 11:00")})
			s.mustIngest(email{From: "bob@support.vendor.test", Subject: "Re: Export fails", MessageID: "ooo-5@support.vendor.test", InReplyTo: "ooo-4@order.example", Received: utc(t, "2026-11-09 11:50")})
			if first.TicketID != follow.TicketID {
				t.Fatalf("the follow-up opened %s, the message it follows %s: want one ticket", follow.TicketID, first.TicketID)
			}
			tk := s.mustTicket(first.TicketID)
			if len(tk.Clocks) != 1 || tk.Clocks[0].BusinessSeconds == nil || *tk.Clocks[0].BusinessSeconds != 3000 {
				t.Fatalf("clocks = %+v, want one first response of 3000 business seconds from the first message", tk.Clocks)
			}
		})

		t.Run("a message and its reply delivered at once", func(t *testing.T) {
			before := ticketCount(t, s)
			const pairs = 12
			var wg sync.WaitGroup
			for i := range pairs {
				opening := email{From: "dee@order.example", Subject: fmt.Sprintf("Question %d", i), MessageID: fmt.Sprintf("par-%d-a@order.example", i), Received: utc(t, "2026-11-09 13:00")}
				reply := email{From: "bob@support.vendor.test", Subject: fmt.Sprintf("Re: Question %d", i), MessageID: fmt.Sprintf("par-%d-b@support.vendor.test", i), InReplyTo: opening.MessageID, Received: utc(t, "2026-11-09 13:20")}
				for _, e := range []email{opening, reply} {
					wg.Go(func() {
						if r := s.ingest(e.raw()); r.Status != http.StatusOK {
							t.Errorf("ingest %s: %d %s", e.MessageID, r.Status, r.Raw)
						}
					})
				}
			}
			wg.Wait()
			if got := ticketCount(t, s) - before; got != pairs {
				t.Fatalf("%d message-and-reply pairs made %d tickets, want %d", pairs, got, pairs)
			}
		})
	})
}
