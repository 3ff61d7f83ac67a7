package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/inbound"
)

// testInboundSecret is the helpdesk's signing secret in tests.
const testInboundSecret = "test-inbound-secret-0123456789"

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// utc parses "2006-01-02 15:04" as UTC.
func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// email is a raw RFC 5322 message as the vendor's relay hands it on: the
// topmost Received header carries the time the SLA counts from.
type email struct {
	From, To, Subject, MessageID string
	InReplyTo                    string // a message id without brackets
	Received                     time.Time
	Date                         time.Time // zero: Received minus a minute
	Extra                        []string  // more header lines
	Body                         string
}

func (e email) raw() []byte {
	date := e.Date
	if date.IsZero() {
		date = e.Received.Add(-time.Minute)
	}
	to := e.To
	if to == "" {
		to = "help@support.vendor.test"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Received: from mail.sender.example (mail.sender.example [203.0.113.7])\r\n\tby mx.support.vendor.test with ESMTPS id 4Xq; %s\r\n", e.Received.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Received: from [10.0.0.2] by mail.sender.example; %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n", e.From, to, e.Subject, date.Format(time.RFC1123Z))
	if e.MessageID != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", e.MessageID)
	}
	if e.InReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", e.InReplyTo, e.InReplyTo)
	}
	for _, h := range e.Extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	body := e.Body
	if body == "" {
		body = "Hello, " + e.Subject
	}
	b.WriteString(body + "\r\n")
	return b.Bytes()
}

// inboundResult is the answer of POST /inbound/email.
type inboundResult struct {
	Status int
	inbound.Response
	Code string
	Raw  string
}

// ingest posts a raw message signed with the test secret.
func (s *testServer) ingest(raw []byte) inboundResult {
	s.t.Helper()
	return s.ingestSigned(raw, "sha256="+hex.EncodeToString(inbound.Sign([]byte(testInboundSecret), raw)))
}

// ingestSigned posts a raw message with the given X-Signature.
func (s *testServer) ingestSigned(raw []byte, signature string) inboundResult {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/inbound/email", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "message/rfc822")
	if signature != "" {
		req.Header.Set(inbound.SignatureHeader, signature)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	out := inboundResult{Status: res.StatusCode, Raw: string(body)}
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &out.Response); err != nil {
			s.t.Fatalf("inbound answer is not JSON: %s", body)
		}
	} else {
		var e gqlResponse
		if json.Unmarshal(body, &e) == nil {
			out.Code = e.code()
		}
	}
	return out
}

// mustIngest posts a message and fails the test unless it is stored.
func (s *testServer) mustIngest(e email) inboundResult {
	s.t.Helper()
	r := s.ingest(e.raw())
	if r.Status != http.StatusOK || r.TicketID == "" {
		s.t.Fatalf("ingest %q: %d %s", e.Subject, r.Status, r.Raw)
	}
	return r
}

// mustPriorityCustomer creates a customer with a paid license valid from a
// year before start to two years after it, and a subscription that started
// at start covering domains. The server's clock must lie inside the license.
func (s *testServer) mustPriorityCustomer(name string, start time.Time, domains ...string) fixture {
	s.t.Helper()
	var c struct{ CreateCustomer struct{ ID string } }
	s.gql(s.sales(), `mutation($n: String!) { createCustomer(input: {name: $n}) { id } }`, map[string]any{"n": name}).decode(s.t, &c)
	f := fixture{CustomerID: c.CreateCustomer.ID}
	s.mustLicense(f.CustomerID, name+"-KEY", true, start.AddDate(-1, 0, 0), start.AddDate(2, 0, 0))
	var sub struct{ CreateSupportSubscription struct{ ID string } }
	s.gql(s.sales(), `mutation($c: ID!, $d: [String!]!, $s: Time) { createSupportSubscription(input: {customerId: $c, domains: $d, startsAt: $s}) { id } }`,
		map[string]any{"c": f.CustomerID, "d": domains, "s": start.Format(time.RFC3339)}).decode(s.t, &sub)
	f.SubscriptionID = sub.CreateSupportSubscription.ID
	return f
}

// support is a support engineer's token.
func (s *testServer) support() string { return s.token("", auth.RoleSupport) }

// customerToken is a customer user's token.
func (s *testServer) customerToken(f fixture) string { return s.token(f.CustomerID, auth.RoleCustomer) }

// ticketView is what the tests read of a ticket.
type ticketView struct {
	ID             string
	Subject        string
	Priority       bool
	Status         string
	RequesterEmail string
	CreatedAt      time.Time
	Customer       *struct{ ID string }
	Subscription   *struct{ ID string }
	Sla            *struct {
		FirstResponseDueAt           time.Time
		FirstRespondedAt             *time.Time
		FirstResponseBusinessSeconds *int
		Breached                     bool
		CurrentDueAt                 *time.Time
		BusinessSecondsLeft          *int
	}
	Messages []struct {
		MessageID   string
		Direction   string
		MachineSent bool
		Bounce      bool
		From        string
		Subject     string
		ReceivedAt  time.Time
		SentAt      *time.Time
		Attachments int
		Body        string
	}
	Clocks []struct {
		Kind            string
		Month           string
		StartedAt       time.Time
		StoppedAt       *time.Time
		StoppedBy       *string
		BusinessSeconds *int
		Met             *bool
	}
}

// ticketFields selects every field of ticketView.
const ticketFields = `id subject priority status requesterEmail createdAt customer { id } subscription { id }
	sla { firstResponseDueAt firstRespondedAt firstResponseBusinessSeconds breached currentDueAt businessSecondsLeft }
	messages { messageId direction machineSent bounce from subject receivedAt sentAt attachments body }
	clocks { kind month startedAt stoppedAt stoppedBy businessSeconds met }`

// mustTicket reads a ticket as staff.
func (s *testServer) mustTicket(id string) ticketView {
	s.t.Helper()
	var out struct{ Ticket *ticketView }
	s.gql(s.support(), `query($id: ID!) { ticket(id: $id) { `+ticketFields+` } }`, map[string]any{"id": id}).decode(s.t, &out)
	if out.Ticket == nil {
		s.t.Fatalf("ticket %s not found", id)
	}
	return *out.Ticket
}

// reportView is what the tests read of a month report.
type reportView struct {
	Month                          string
	Final                          bool
	Met                            bool
	Status                         string
	TicketsReceived                int
	FirstResponses                 int
	FirstResponsesMet              int
	FollowUps                      int
	AverageFollowUpResponseSeconds *int
}

const reportFields = `month final met status ticketsReceived firstResponses firstResponsesMet followUps averageFollowUpResponseSeconds`

// mustReport reads a subscription's month report with token.
func (s *testServer) mustReport(token, subscriptionID, month string) reportView {
	s.t.Helper()
	var out struct{ SlaReport *reportView }
	s.gql(token, `query($s: ID!, $m: String!) { slaReport(subscriptionId: $s, month: $m) { `+reportFields+` } }`,
		map[string]any{"s": subscriptionID, "m": month}).decode(s.t, &out)
	if out.SlaReport == nil {
		s.t.Fatalf("no report for %s %s", subscriptionID, month)
	}
	return *out.SlaReport
}

// hexOf returns the hex form of s.
func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }

// ticketCount returns how many tickets the database holds.
func ticketCount(t testing.TB, s *testServer) int {
	t.Helper()
	n, err := s.App.Store.DB().NewSelect().Table("tickets").Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// assertTicketCount fails the test unless the database holds want tickets.
func assertTicketCount(t testing.TB, s *testServer, want int) {
	t.Helper()
	if got := ticketCount(t, s); got != want {
		t.Fatalf("%d tickets stored, want %d", got, want)
	}
}
