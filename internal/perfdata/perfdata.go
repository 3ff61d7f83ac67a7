// Package perfdata fills a migrated database (SQLite or PostgreSQL) with a
// realistic data set for benchmarks and load tests: customers with paid
// licenses, live subscriptions and covered domains, created through the
// store; then tickets, their messages, message references, resolutions and
// SLA clocks, written in bulk (multi-row INSERTs on SQLite, COPY on
// PostgreSQL). The bulk rows are the ones ingestion would write for the
// same mail: each ticket's clocks come from sla.Replay over its messages and
// resolution, with the subscription's terms, exactly as the store replays a
// ticket, so reads return real SLA states. It also holds the workloads'
// requests (P1Query, P2Query, MailStream), shared by the benchmarks and
// cmd/loadtest.
package perfdata

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
	"github.com/prioritysupport/backend/store"
)

// Size is how much to generate.
type Size struct {
	Customers int // each with a paid license and an active subscription
	Tickets   int // spread evenly over the customers, a tenth from uncovered senders
	Messages  int // at least Tickets: every ticket has its opening message
}

// Full is the data set the performance figures are measured on: 20
// customers, 20,000 tickets, 90,000 messages.
var Full = Size{Customers: 20, Tickets: 20_000, Messages: 90_000}

// Small is a data set of the same shape for quick runs (CI, -short).
var Small = Size{Customers: 4, Tickets: 400, Messages: 1_800}

// Options configure Generate.
type Options struct {
	Size Size
	// Now is the time the data set ends at: every message is received
	// before it. Zero means time.Now.
	Now time.Time
	// SupportDomain is the vendor's support domain (PS_SUPPORT_DOMAIN) the
	// support replies come from; empty means "vendor.test".
	SupportDomain string
	// Seed makes the data set repeatable.
	Seed uint64
}

// Customer is one generated customer.
type Customer struct {
	ID             string
	Name           string
	SubscriptionID string
	Domains        []string
}

// Thread is a generated ticket a reply can be sent to.
type Thread struct {
	TicketID      string
	Customer      int    // index into Dataset.Customers; -1 for an uncovered sender
	LastMessageID string // the Message-ID of the ticket's newest message
	Requester     string // the customer's address
	Subject       string
}

// Dataset is what Generate wrote.
type Dataset struct {
	Now           time.Time
	SupportDomain string
	Customers     []Customer
	Threads       []Thread
	Tickets       int
	Messages      int
	Clocks        int
}

// maxThreadRefs is how many message ids of a message the store keeps as
// references (store.maxThreadRefs).
const maxThreadRefs = 50

// batch is how many rows one INSERT writes.
const batch = 500

// Generate writes a data set into db, which must be migrated and hold no
// data set already (its domains and Message-IDs would collide). It returns
// what it wrote, or an error when the size is inconsistent or a write
// fails.
func Generate(ctx context.Context, db *bun.DB, opts Options) (*Dataset, error) {
	size := opts.Size
	if size.Customers < 1 || size.Tickets < size.Customers || size.Messages < size.Tickets {
		return nil, fmt.Errorf("perfdata: size %+v: want customers ≥ 1, tickets ≥ customers, messages ≥ tickets", size)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Second)
	supportDomain := opts.SupportDomain
	if supportDomain == "" {
		supportDomain = "vendor.test"
	}
	st := store.New(db, store.Options{
		Now:          func() time.Time { return now },
		DomainPolicy: models.DomainPolicy{SupportDomain: supportDomain},
	})
	ds := &Dataset{Now: now, SupportDomain: supportDomain}
	subs, err := createCustomers(ctx, st, ds, size.Customers)
	if err != nil {
		return nil, err
	}
	g := &generator{ds: ds, st: st, subs: subs, rng: rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))}
	if err := g.tickets(size); err != nil {
		return nil, err
	}
	write := func() error { return store.InTx(ctx, db, func(tx bun.Tx) error { return g.write(ctx, tx) }) }
	if store.IsPostgres(db) {
		write = func() error { return g.copy(ctx, db) }
	}
	if err := write(); err != nil {
		return nil, fmt.Errorf("perfdata: write: %w", err)
	}
	// A bulk load leaves PostgreSQL without statistics until autovacuum
	// analyzes the tables, and a server with autovacuum off never does:
	// the planner then guessed a sequential scan of every clock for the
	// dashboard page's clocks (13 ms instead of 0.1). Production's
	// autovacuum analyzes tables that grow; the set is analyzed as it would
	// be. SQLite keeps no statistics unless told to, and is left so.
	if store.IsPostgres(db) {
		if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
			return nil, fmt.Errorf("perfdata: analyze: %w", err)
		}
	}
	return ds, nil
}

// createCustomers creates n customers through the store, as sales would:
// a paid license valid two years either side of now, and a subscription
// started thirteen months ago (imported history) covering two domains.
func createCustomers(ctx context.Context, st *store.Store, ds *Dataset, n int) ([]*models.SupportSubscription, error) {
	ctx = auth.WithCaller(ctx, auth.Caller{Subject: "perfdata", Roles: []auth.Role{auth.RoleSales}})
	start := ds.Now.AddDate(0, -13, 0)
	subs := make([]*models.SupportSubscription, n)
	for i := range n {
		name := fmt.Sprintf("Perf Customer %02d", i)
		c, err := st.CreateCustomer(ctx, models.CustomerInput{Name: name})
		if err != nil {
			return nil, fmt.Errorf("perfdata: create customer: %w", err)
		}
		if _, err := st.RecordLicense(ctx, models.LicenseInput{CustomerID: c.ID, Key: fmt.Sprintf("PERF-%02d-%s", i, c.ID[len(c.ID)-8:]), Paid: true,
			ValidFrom: ds.Now.AddDate(-2, 0, 0), ValidUntil: ds.Now.AddDate(2, 0, 0)}); err != nil {
			return nil, fmt.Errorf("perfdata: record license: %w", err)
		}
		domains := []string{fmt.Sprintf("perf%02d.example", i), fmt.Sprintf("eu.perf%02d-group.example", i)}
		sub, err := st.CreateSubscription(ctx, models.SubscriptionInput{CustomerID: c.ID, Domains: domains, StartsAt: &start})
		if err != nil {
			return nil, fmt.Errorf("perfdata: create subscription: %w", err)
		}
		subs[i] = sub
		ds.Customers = append(ds.Customers, Customer{ID: c.ID, Name: name, SubscriptionID: sub.ID, Domains: domains})
	}
	return subs, nil
}

// messageRef is a row of ticket_message_refs.
type messageRef struct {
	bun.BaseModel `bun:"table:ticket_message_refs,alias:r"`

	Ref       string `bun:"ref,pk"`
	MessageID string `bun:"message_id,pk"`
	TicketID  string `bun:"ticket_id,notnull"`
}

// generator holds the rows being generated.
type generator struct {
	ds   *Dataset
	st   *store.Store
	subs []*models.SupportSubscription
	rng  *rand.Rand

	ticketRows []models.Ticket
	messages   []models.Message
	refs       []messageRef
	actions    []models.TicketAction
	clocks     []models.Clock
}

// counts returns how many messages each of n tickets gets: total in all,
// at least one each, at most 12, spread unevenly.
func (g *generator) counts(n, total int) []int {
	c := make([]int, n)
	for i := range c {
		c[i] = total / n
	}
	for i := range total % n {
		c[i]++
	}
	for range 2 * n {
		i, j := g.rng.IntN(n), g.rng.IntN(n)
		if c[i] > 1 && c[j] < 12 {
			c[i]--
			c[j]++
		}
	}
	return c
}

// subjects are the subjects tickets are given.
var subjects = []string{"Cannot sign in", "Nightly export times out", "API rate limits", "Audit log retention", "Invoice seat count"}

// bodies are the texts messages are built from.
var bodies = []string{
	"Since this morning our users cannot sign in to the dashboard; the login page reloads without an error.",
	"We upgraded to the latest release and the nightly export now fails with a timeout after about ten minutes.",
	"Could you confirm whether the API rate limit applies per key or per account? We are planning a migration.",
	"Thanks, that worked. One more question: is there a way to keep the audit log for longer than 90 days?",
	"The invoice for last month shows two seats more than we have; can you check and send a corrected one?",
}

// tickets generates every ticket with its messages, references, resolution
// and clocks.
func (g *generator) tickets(size Size) error {
	counts := g.counts(size.Tickets, size.Messages)
	// Tickets arrive at a steady ~55 a day: the full set spans a year,
	// smaller ones the last weeks (at least 30 days).
	window := min(max(time.Duration(size.Tickets)*26*time.Minute, 30*24*time.Hour), 365*24*time.Hour)
	covered := 0
	for i, n := range counts {
		cust := -1 // an uncovered sender: an ordinary ticket
		if i%10 != 9 {
			cust = covered % size.Customers
			covered++
		}
		// The thread's timing: support answers within minutes to a few
		// hours (some miss the one-hour target), the customer writes
		// again within hours to days.
		delays := make([]time.Duration, n)
		var span time.Duration
		for k := 1; k < n; k++ {
			if k%2 == 1 {
				delays[k] = time.Duration(5+g.rng.IntN(150)) * time.Minute
			} else {
				delays[k] = time.Duration(1+g.rng.IntN(60)) * time.Hour
			}
			span += delays[k]
		}
		latest := g.ds.Now.Add(-span - time.Minute)
		opened := latest.Add(-time.Duration(g.rng.Int64N(int64(window)))).Truncate(time.Second)
		if err := g.ticket(i, cust, opened, delays); err != nil {
			return err
		}
	}
	return nil
}

// ticket generates one ticket whose messages arrive at opened plus delays.
func (g *generator) ticket(i, cust int, opened time.Time, delays []time.Duration) error {
	var domain, requester string
	var sub *models.SupportSubscription
	if cust >= 0 {
		c := g.ds.Customers[cust]
		domain = c.Domains[i%len(c.Domains)]
		sub = g.subs[cust]
	} else {
		domain = fmt.Sprintf("unrelated%02d.example", i%7)
	}
	requester = fmt.Sprintf("user%d@%s", i%37, domain)
	agent := fmt.Sprintf("agent%d@%s", i%5, g.ds.SupportDomain)
	subject := fmt.Sprintf("%s (#%d)", subjects[i%len(subjects)], i)
	t := models.Ticket{
		ID: newID(), Status: models.TicketOpen, Subject: subject, RequesterEmail: requester,
		OpenedAt: opened, LastMessageAt: opened, CreatedAt: opened, UpdatedAt: opened,
	}
	if sub != nil {
		t.CustomerID, t.SubscriptionID, t.Priority = sub.CustomerID, sub.ID, true
	}
	evs := make([]sla.Event, 0, len(delays)+1)
	var ids []string
	at := opened
	for k, d := range delays {
		at = at.Add(d)
		m := models.Message{
			ID: newID(), TicketID: t.ID, CustomerID: t.CustomerID, MessageID: fmt.Sprintf("perf-%d-%d@%s", i, k, domain),
			Direction: models.FromCustomer, Machine: models.MachineNone, FromAddress: requester, FromName: fmt.Sprintf("User %d", i%37),
			ToAddresses: "help@" + g.ds.SupportDomain, Subject: subject, ReceivedAt: at, SentAt: at.Add(-time.Minute),
			BodyText:  bodies[(i+k)%len(bodies)] + "\n\n" + strings.Repeat("> earlier text of the thread, quoted.\n", 1+k%4),
			CreatedAt: at,
		}
		if k%2 == 1 {
			m.MessageID = fmt.Sprintf("perf-%d-%d@%s", i, k, g.ds.SupportDomain)
			m.Direction, m.FromAddress, m.FromName, m.ToAddresses = models.FromSupport, agent, "Support", requester
		}
		if k > 0 {
			m.Subject = "Re: " + subject
			m.InReplyTo = ids[len(ids)-1]
			m.References = strings.Join(ids, " ")
			// The ids the store keeps for it: In-Reply-To, then References
			// newest first, each once, at most maxThreadRefs.
			for j := len(ids) - 1; j >= 0 && len(ids)-j <= maxThreadRefs; j-- {
				g.refs = append(g.refs, messageRef{Ref: ids[j], MessageID: m.MessageID, TicketID: t.ID})
			}
		}
		m.SizeBytes = len(m.BodyText) + 600
		ids = append(ids, m.MessageID)
		g.messages = append(g.messages, m)
		kind := sla.CustomerMessage
		if m.Direction == models.FromSupport {
			kind = sla.SupportReply
		}
		evs = append(evs, sla.Event{At: m.ReceivedAt, Kind: kind})
	}
	t.LastMessageAt = at
	// Threads answered by support and quiet for three days were resolved a
	// day after the answer; so were unanswered ones older than a week.
	lastFromSupport := len(delays)%2 == 0
	quiet := g.ds.Now.Sub(at)
	if (lastFromSupport && quiet > 3*24*time.Hour) || quiet > 7*24*time.Hour {
		a := models.TicketAction{ID: newID(), TicketID: t.ID, Kind: models.ActionResolve, At: at.Add(24 * time.Hour), Actor: "perfdata-agent"}
		g.actions = append(g.actions, a)
		evs = append(evs, sla.Event{At: a.At, Kind: sla.Resolve})
		t.UpdatedAt = a.At
	}
	var terms sla.Terms
	if t.Priority {
		cal, err := g.st.Calendar(sub.SLATimezone)
		if err != nil {
			return err
		}
		terms = sla.Terms{Calendar: cal, FirstResponse: time.Duration(sub.FirstResponseTargetSeconds) * time.Second,
			FollowUp: time.Duration(sub.FollowUpTargetSeconds) * time.Second}
	}
	// As the store's replay: status, resolution and the running clock's
	// due time from the outcome; clock rows as it stores them.
	out := sla.Replay(evs, terms, t.Priority)
	if out.Resolved {
		t.Status, t.ResolvedAt = models.TicketResolved, out.ResolvedAt.UTC()
	}
	for _, c := range out.Clocks {
		if c.Running() {
			t.CurrentDueAt = c.DueAt.UTC()
		}
		g.clocks = append(g.clocks, clockRow(&t, c, t.UpdatedAt))
	}
	g.ticketRows = append(g.ticketRows, t)
	if t.Status == models.TicketOpen {
		g.ds.Threads = append(g.ds.Threads, Thread{TicketID: t.ID, Customer: cust, LastMessageID: ids[len(ids)-1], Requester: requester, Subject: subject})
	}
	return nil
}

// clockRow is a clock as the store keeps it: whole business seconds,
// rounded up, so a stored duration never reads as met when the exact one
// missed.
func clockRow(t *models.Ticket, c sla.Clock, now time.Time) models.Clock {
	row := models.Clock{
		ID: newID(), TicketID: t.ID, Seq: c.Seq, SubscriptionID: t.SubscriptionID, CustomerID: t.CustomerID,
		Kind: string(c.Kind), Month: c.Month, StartedAt: c.StartedAt.UTC(), DueAt: c.DueAt.UTC(),
		TargetSeconds: int64(c.Target / time.Second), UpdatedAt: now,
	}
	if !c.Running() {
		secs, met := int64((c.Business+time.Second-1)/time.Second), c.Met
		row.StoppedAt, row.StoppedBy, row.BusinessSeconds, row.Met = c.StoppedAt.UTC(), c.StoppedBy, &secs, &met
	}
	return row
}

// write inserts the generated rows, parents first, in batches.
func (g *generator) write(ctx context.Context, tx bun.Tx) error {
	if err := insert(ctx, tx, g.ticketRows); err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	if err := insert(ctx, tx, g.messages); err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	if err := insert(ctx, tx, g.refs); err != nil {
		return fmt.Errorf("message refs: %w", err)
	}
	if err := insert(ctx, tx, g.actions); err != nil {
		return fmt.Errorf("actions: %w", err)
	}
	if err := insert(ctx, tx, g.clocks); err != nil {
		return fmt.Errorf("clocks: %w", err)
	}
	g.ds.Tickets, g.ds.Messages, g.ds.Clocks = len(g.ticketRows), len(g.messages), len(g.clocks)
	return nil
}

// insert writes rows in multi-row INSERTs of at most batch rows.
func insert[T any](ctx context.Context, tx bun.Tx, rows []T) error {
	for len(rows) > 0 {
		n := min(batch, len(rows))
		chunk := rows[:n]
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// newID returns an identifier of the form the store gives rows.
func newID() string { return uuid.Must(uuid.NewV7()).String() }
