package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// readMail returns a file of testdata/mail.
func readMail(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "mail", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRealMailThread posts a real-shaped conversation through the endpoint:
// a Gmail message with an attachment opens a priority ticket, a helpdesk
// acknowledgement does not stop its clock, a support reply does, a
// customer's out-of-office reply starts nothing, and an Outlook reply with
// a quoted thread starts a follow-up. The support domain is vendor.test, as
// in the samples.
func TestRealMailThread(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC))
		s := newTestServerAt(t, databaseURL, clock.Now, map[string]string{"PS_SUPPORT_DOMAIN": "vendor.test"})
		s.mustPriorityCustomer("Acme", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "acme.example")

		post := func(name string) inboundResult {
			t.Helper()
			r := s.ingest(readMail(t, name))
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
			}
			return r
		}
		open := post("gmail-multipart-attachment.eml")
		if !open.Priority || open.Duplicate {
			t.Fatalf("Gmail message: %+v", open)
		}
		for _, name := range []string{"support-auto-ack.eml", "support-reply.eml", "customer-out-of-office.eml", "outlook-reply-quoted-thread.eml"} {
			if r := post(name); r.TicketID != open.TicketID {
				t.Errorf("%s threaded to %s, want %s", name, r.TicketID, open.TicketID)
			}
		}
		if again := post("gmail-multipart-attachment.eml"); !again.Duplicate || again.TicketID != open.TicketID {
			t.Errorf("Gmail message again: %+v", again)
		}

		tk := s.mustTicket(open.TicketID)
		if tk.Subject != "Export to PDF fails with error 0x80040154" || tk.RequesterEmail != "anna.berg@acme.example" {
			t.Errorf("ticket %q from %q", tk.Subject, tk.RequesterEmail)
		}
		if len(tk.Messages) != 5 {
			t.Fatalf("%d messages, want 5", len(tk.Messages))
		}
		first := tk.Messages[0]
		if first.Attachments != 1 || !first.ReceivedAt.Equal(time.Date(2024, 5, 14, 9, 12, 41, 0, time.UTC)) || !strings.Contains(first.Body, "PDF") {
			t.Errorf("Gmail message stored as %+v", first)
		}
		if !tk.Messages[1].MachineSent || tk.Messages[1].Direction != "SUPPORT" || !tk.Messages[3].MachineSent || tk.Messages[3].Direction != "CUSTOMER" {
			t.Errorf("machine mail not marked: %+v / %+v", tk.Messages[1], tk.Messages[3])
		}
		// The acknowledgement at 09:12:46 did not stop the clock; Jane's reply
		// at 11:30:03 did, 2h17m22s later: the first response missed its hour.
		if len(tk.Clocks) != 2 || tk.Clocks[0].StoppedAt == nil || !tk.Clocks[0].StoppedAt.Equal(time.Date(2024, 5, 14, 11, 30, 3, 0, time.UTC)) ||
			*tk.Clocks[0].BusinessSeconds != 2*3600+17*60+22 || *tk.Clocks[0].Met {
			t.Fatalf("clocks = %+v", tk.Clocks)
		}
		if tk.Clocks[1].Kind != "FOLLOW_UP" || !tk.Clocks[1].StartedAt.Equal(time.Date(2024, 5, 15, 8, 3, 19, 0, time.UTC)) || tk.Clocks[1].StoppedAt != nil {
			t.Errorf("the Outlook reply's clock = %+v", tk.Clocks[1])
		}
		if !tk.Sla.Breached {
			t.Error("ticket SLA not breached after a late first response")
		}
	})
}

// TestRealMailShapes: an encoded-word subject is decoded, and a forged
// Date: far in the past does not move the ticket's time.
func TestRealMailShapes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(time.Date(2024, 5, 20, 12, 0, 0, 0, time.UTC))
		s := newTestServerAt(t, databaseURL, clock.Now, map[string]string{"PS_SUPPORT_DOMAIN": "vendor.test"})
		s.mustPriorityCustomer("Acme", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "acme.example")

		enc := s.ingest(readMail(t, "encoded-word-subject.eml"))
		if enc.Status != http.StatusOK || !enc.Priority {
			t.Fatalf("encoded-word message: %d %s", enc.Status, enc.Raw)
		}
		tk := s.mustTicket(enc.TicketID)
		if !strings.HasPrefix(tk.Subject, "Übersetzung fehlt") || strings.Contains(tk.Subject, "=?") {
			t.Errorf("subject %q is not decoded", tk.Subject)
		}

		forged := s.ingest(readMail(t, "forged-date.eml"))
		if forged.Status != http.StatusOK {
			t.Fatalf("forged-date message: %d %s", forged.Status, forged.Raw)
		}
		tk = s.mustTicket(forged.TicketID)
		received := time.Date(2024, 5, 15, 5, 58, 13, 0, time.UTC)
		if !tk.CreatedAt.Equal(received) || !tk.Sla.FirstResponseDueAt.Equal(received.Add(time.Hour)) {
			t.Errorf("ticket created %s due %s, want the Received time %s", tk.CreatedAt, tk.Sla.FirstResponseDueAt, received)
		}
		if sent := tk.Messages[0].SentAt; sent == nil || sent.Year() != 2001 {
			t.Errorf("the Date: header is kept as sentAt: %v", sent)
		}
	})
}

// TestEveryMailSampleGetsADefiniteAnswer posts every sample, malformed ones
// included: each is stored (200) or refused with a reason (400), never a
// 500, and every refused one leaves nothing behind.
func TestEveryMailSampleGetsADefiniteAnswer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, map[string]string{"PS_SUPPORT_DOMAIN": "vendor.test"})
		files, err := filepath.Glob(filepath.Join("testdata", "mail", "*.eml"))
		if err != nil || len(files) < 15 {
			t.Fatalf("samples: %v, %v", files, err)
		}
		stored := map[string]bool{}
		for _, f := range files {
			r := s.ingest(readMail(t, filepath.Base(f)))
			switch r.Status {
			case http.StatusOK:
				stored[r.TicketID] = true
			case http.StatusBadRequest:
				if r.Code != "BAD_USER_INPUT" || !strings.Contains(r.Raw, "unparseable message") {
					t.Errorf("%s: 400 without a reason: %s", f, r.Raw)
				}
			default:
				t.Errorf("%s: %d %s", f, r.Status, r.Raw)
			}
		}
		if n := ticketCount(t, s); n != len(stored) {
			t.Errorf("%d tickets stored for %d stored answers", n, len(stored))
		}
		var messages int
		if err := s.App.Store.DB().NewSelect().Table("ticket_messages").ColumnExpr("count(*)").Scan(t.Context(), &messages); err != nil || messages == 0 {
			t.Fatalf("messages: %d, %v", messages, err)
		}
		bounce := s.ingest(readMail(t, "dsn-simple_dsn.eml"))
		if bounce.Status != http.StatusOK {
			t.Fatalf("bounce: %d %s", bounce.Status, bounce.Raw)
		}
		tk := s.mustTicket(bounce.TicketID)
		if !tk.Messages[0].Bounce || len(tk.Clocks) != 0 {
			t.Errorf("bounce stored as %+v with clocks %+v", tk.Messages[0], tk.Clocks)
		}
	})
}
