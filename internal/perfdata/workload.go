package perfdata

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"time"
)

// P1Query is the P1 workload: one customer's credit balance, a point read.
// Variables: {"c": customer id}.
const P1Query = `query($c: ID) { creditBalance(customerId: $c) { cents currency } }`

// P2Query is the P2 workload: the dashboard's ticket page, a customer
// token's 50 newest tickets with their SLA state and subscription.
const P2Query = `query { tickets(first: 50) { edges { node { ` + P2Ticket + ` } } } }`

// P2Ticket is the selection of one ticket of the P2 page.
const P2Ticket = `id subject status priority createdAt lastMessageAt
  sla { firstResponseDueAt firstRespondedAt breached currentDueAt businessSecondsLeft }
  subscription { id status domains }`

// MailStream makes the P4 workload: raw inbound messages, a mix of new
// tickets from covered domains (two in five), customers' follow-ups and
// support replies on open threads. It is safe for concurrent use.
type MailStream struct {
	mu            sync.Mutex
	run           string
	domains       []string
	supportDomain string
	threads       []Thread
	n             int
}

// NewMailStream returns a stream of messages from domains, whose replies go
// to threads (and to the tickets the stream opens). run makes its Message-IDs
// unique across runs against one database.
func NewMailStream(run string, domains []string, supportDomain string, threads []Thread) *MailStream {
	return &MailStream{run: run, domains: domains, supportDomain: supportDomain, threads: slices.Clone(threads)}
}

// Next returns the next message, received at now.
func (s *MailStream) Next(now time.Time) []byte {
	s.mu.Lock()
	i := s.n
	s.n++
	id := fmt.Sprintf("load-%s-%d@", s.run, i)
	var e rawEmail
	switch {
	case i%5 < 2 || len(s.threads) == 0:
		d := s.domains[i%len(s.domains)]
		e = rawEmail{From: fmt.Sprintf("user%d@%s", i%37, d), Subject: fmt.Sprintf("%s (load %d)", subjects[i%len(subjects)], i), MessageID: id + d}
		s.threads = append(s.threads, Thread{Customer: -1, LastMessageID: e.MessageID, Requester: e.From, Subject: e.Subject})
	default:
		// Spread the replies over the threads, newest most often.
		k := len(s.threads) - 1 - (i*7919)%min(len(s.threads), 500)
		th := &s.threads[k]
		e = rawEmail{From: th.Requester, Subject: "Re: " + th.Subject, InReplyTo: th.LastMessageID}
		if i%5 == 2 {
			e.From, e.To = "agent@"+s.supportDomain, th.Requester
		}
		e.MessageID = id + "reply.example"
		th.LastMessageID = e.MessageID
	}
	s.mu.Unlock()
	e.Received = now
	e.Body = bodies[i%len(bodies)] + "\r\n\r\n> quoted earlier text\r\n"
	return e.raw()
}

// rawEmail is a message as the vendor's relay hands it on: the topmost
// Received header carries the time the SLA counts from.
type rawEmail struct {
	From, To, Subject, MessageID, InReplyTo string
	Received                                time.Time
	Body                                    string
}

func (e rawEmail) raw() []byte {
	to := e.To
	if to == "" {
		to = "help@support.example"
	}
	date := e.Received.Add(-time.Minute).Format(time.RFC1123Z)
	var b bytes.Buffer
	fmt.Fprintf(&b, "Received: from mail.sender.example (mail.sender.example [203.0.113.7])\r\n\tby mx.support.example with ESMTPS id 4Xq; %s\r\n", e.Received.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n", e.From, to, e.Subject, date, e.MessageID)
	if e.InReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", e.InReplyTo, e.InReplyTo)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(e.Body + "\r\n")
	return b.Bytes()
}

// Latencies collects request durations.
type Latencies []time.Duration

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of l, sorting l; zero when
// empty.
func (l Latencies) Quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	return l[min(len(l)-1, int(q*float64(len(l))))]
}
