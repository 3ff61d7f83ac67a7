package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/inbound"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/store"
)

// statementLog is a Bun query hook that records the statements sent to the
// database. The Rollback a committed transaction defers never reaches the
// database (database/sql answers ErrTxDone), so it is not counted.
type statementLog struct {
	mu    sync.Mutex
	on    bool
	stmts []string
}

func (l *statementLog) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (l *statementLog) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if errors.Is(e.Err, sql.ErrTxDone) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.on {
		l.stmts = append(l.stmts, e.Query)
	}
}

// record runs fn and returns the statements it sent.
func (l *statementLog) record(fn func()) []string {
	l.mu.Lock()
	l.on, l.stmts = true, nil
	l.mu.Unlock()
	fn()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.stmts
}

// ingestStatementBudget is the most statements (BEGIN and COMMIT included)
// that storing one email may send: an email that opens a priority ticket, a
// support reply on it, and a second delivery of a stored message. On
// PostgreSQL the thread lock is one statement and every write, with the
// NOTIFY of the ticket_updated event, is one more; SQLite runs its writes
// one by one but has no lock to take; PostgreSQL sends its statements in
// three round trips (two for a duplicate; see store.pgSession). They were
// 15, 14 and 3 on SQLite, and 17, 17 and 4 on PostgreSQL plus a transaction
// of its own for the NOTIFY.
var ingestStatementBudget = map[string]struct{ open, reply, duplicate int }{
	"sqlite":   {open: 7, reply: 9, duplicate: 3},
	"postgres": {open: 6, reply: 7, duplicate: 4},
}

// TestIngestStatementBudget counts the statements one email costs, for a
// new priority ticket and for a reply on it, and fails when they grow past
// the budget: every statement is work inside the transaction that holds
// the thread's locks (and, on SQLite, the one write lock), and on SQLite a
// round trip of its own.
func TestIngestStatementBudget(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		clock := newClock(utc(t, "2026-11-10 08:00"))
		s := newTestServerAt(t, databaseURL, clock.Now, nil)
		s.mustPriorityCustomer("Budget Ltd", utc(t, "2026-01-01 00:00"), "budget.example")
		log := &statementLog{}
		store.AddQueryHook(s.App.Store.DB(), log)
		budget := ingestStatementBudget[dbName(databaseURL)]
		at := utc(t, "2026-11-10 09:00")
		for i := range 3 {
			q := email{From: "ann@budget.example", Subject: "Budget", MessageID: fmt.Sprintf("q%d@budget.example", i), Received: at.Add(time.Duration(i) * time.Hour)}
			var r inboundResult
			open := log.record(func() { r = s.mustIngest(q) })
			if !r.Priority {
				t.Fatalf("opening email is not priority: %s", r.Raw)
			}
			a := email{From: "bob@support.vendor.test", Subject: "Re: Budget", MessageID: fmt.Sprintf("a%d@support.vendor.test", i),
				InReplyTo: q.MessageID, Received: q.Received.Add(10 * time.Minute)}
			var rr inboundResult
			reply := log.record(func() { rr = s.ingest(a.raw()) })
			if rr.Status != http.StatusOK {
				t.Fatalf("reply: %s\n%s", rr.Raw, s.Logs.String())
			}
			if rr.TicketID != r.TicketID {
				t.Fatalf("reply on ticket %s, want %s", rr.TicketID, r.TicketID)
			}
			t.Logf("open: %d statements, reply: %d statements", len(open), len(reply))
			if testing.Verbose() && i == 0 {
				t.Logf("open:\n  %s", strings.Join(open, "\n  "))
				t.Logf("reply:\n  %s", strings.Join(reply, "\n  "))
			}
			for what, stmts := range map[string][]string{"new ticket": open, "reply": reply} {
				if err := oneTransaction(stmts, dbName(databaseURL) == "postgres"); err != nil {
					t.Errorf("%s: %v:\n  %s", what, err, strings.Join(stmts, "\n  "))
				}
			}
			if len(open) > budget.open {
				t.Errorf("a new ticket took %d statements, budget %d:\n  %s", len(open), budget.open, strings.Join(open, "\n  "))
			}
			if len(reply) > budget.reply {
				t.Errorf("a reply took %d statements, budget %d:\n  %s", len(reply), budget.reply, strings.Join(reply, "\n  "))
			}
		}
		dup := log.record(func() {
			if r := s.ingest(email{From: "ann@budget.example", Subject: "Budget", MessageID: "q0@budget.example", Received: at}.raw()); !r.Duplicate {
				t.Errorf("second delivery is not a duplicate: %s", r.Raw)
			}
		})
		t.Logf("duplicate: %d statements", len(dup))
		if len(dup) > budget.duplicate {
			t.Errorf("a duplicate took %d statements, budget %d:\n  %s", len(dup), budget.duplicate, strings.Join(dup, "\n  "))
		}
	})
}

// oneTransaction checks that stmts are one transaction and, with notify,
// that the ticket_updated event's NOTIFY went out inside it, once.
func oneTransaction(stmts []string, notify bool) error {
	if len(stmts) < 2 || stmts[0] != "BEGIN" || stmts[len(stmts)-1] != "COMMIT" ||
		slices.Contains(stmts[1:], "BEGIN") || slices.Contains(stmts[:len(stmts)-1], "COMMIT") {
		return errors.New("not one transaction")
	}
	n := 0
	for _, q := range stmts {
		n += strings.Count(q, "pg_notify(")
	}
	if want := map[bool]int{true: 1, false: 0}[notify]; n != want {
		return fmt.Errorf("%d NOTIFY statements inside the transaction, want %d", n, want)
	}
	return nil
}

// dbName returns "postgres" or "sqlite" for a database URL.
func dbName(databaseURL string) string {
	if strings.HasPrefix(databaseURL, "postgres") {
		return "postgres"
	}
	return "sqlite"
}

// BenchmarkIngestEmailParallel is BenchmarkIngestEmail with concurrent
// deliveries (b.RunParallel: as many goroutines as -cpu says, -cpu 8 for
// eight at once), on SQLite and, when PS_TEST_DATABASE_URL is set, on
// PostgreSQL. Each goroutine sends a question that opens a priority ticket
// and then a support reply on it, so half the messages reply on a ticket
// and replay its clocks. Two variants compare connection settings:
// sqlite/one_conn runs the pool on one connection, postgres/simple_protocol
// adds default_query_exec_mode=simple_protocol to the database URL.
func BenchmarkIngestEmailParallel(b *testing.B) {
	for _, name := range []string{"sqlite", "sqlite/one_conn", "postgres", "postgres/simple_protocol"} {
		b.Run(name, func(b *testing.B) {
			var databaseURL string
			if strings.HasPrefix(name, "sqlite") {
				databaseURL = testdb.SQLite(b)
			} else {
				databaseURL = testdb.Postgres(b)
			}
			if strings.HasSuffix(name, "/simple_protocol") {
				// Bun writes every value into the statement text, so pgx's
				// default statement cache never hits: each statement is
				// prepared (one round trip) and then run (another).
				sep := "?"
				if strings.Contains(databaseURL, "?") {
					sep = "&"
				}
				databaseURL += sep + "default_query_exec_mode=simple_protocol"
			}
			clock := newClock(utc(b, "2026-11-10 08:00"))
			s := newTestServerAt(b, databaseURL, clock.Now, nil)
			if strings.HasSuffix(name, "/one_conn") {
				// The whole pool on one connection, to compare with the
				// default pool: every statement then queues in Go.
				s.App.Store.DB().SetMaxOpenConns(1)
			}
			s.mustPriorityCustomer("Bench Ingest", utc(b, "2026-01-01 00:00"), "ingest.example")
			at := utc(b, "2026-11-10 09:00")
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var seq atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var parent string
				for i := 0; pb.Next(); i++ {
					n := seq.Add(1)
					e := email{From: "a@ingest.example", Subject: "Bench", MessageID: fmt.Sprintf("pbench-%d@ingest.example", n),
						Received: at.Add(time.Duration(n) * time.Second), Body: "A question with some text in it.\r\n\r\n> quoted earlier text\r\n"}
					if i%2 == 1 {
						e.From, e.InReplyTo = "s@support.vendor.test", parent
					} else {
						parent = e.MessageID
					}
					if status, body := postSigned(client, s.URL, e.raw()); status != http.StatusOK {
						b.Errorf("status %d: %s", status, body)
						return
					}
				}
			})
		})
	}
}

// postSigned posts a raw message signed with the test secret from any
// goroutine and returns the status and body.
func postSigned(client *http.Client, url string, raw []byte) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, url+"/inbound/email", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "message/rfc822")
	req.Header.Set(inbound.SignatureHeader, "sha256="+hex.EncodeToString(inbound.Sign([]byte(testInboundSecret), raw)))
	res, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}
