package events

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// wait bounds every wait for something that should happen promptly; it is
// generous so a loaded machine does not fail the tests.
const wait = 5 * time.Second

var (
	t0 = time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)

	c1Update = Event{Kind: TicketUpdated, CustomerID: "c-1", TicketID: "t-1", At: t0}
	c2Update = Event{Kind: TicketUpdated, CustomerID: "c-2", TicketID: "t-2", At: t0.Add(time.Second)}
	c2Alert  = Event{Kind: SLAAlert, CustomerID: "c-2", TicketID: "t-2", Level: "at_risk", DueAt: t0.Add(time.Hour), At: t0.Add(2 * time.Second)}
	c1Breach = Event{Kind: SLAAlert, CustomerID: "c-1", TicketID: "t-1", Level: "breached", DueAt: t0, At: t0.Add(3 * time.Second)}
	unknown  = Event{Kind: TicketUpdated, TicketID: "t-3", At: t0.Add(4 * time.Second)}
)

func ofCustomer(id string) func(Event) bool { return func(e Event) bool { return e.CustomerID == id } }
func ofKind(k Kind) func(Event) bool        { return func(e Event) bool { return e.Kind == k } }

func TestMemory(t *testing.T) {
	ctx := context.Background()

	t.Run("subscribers receive only their events, in order", func(t *testing.T) {
		b := NewMemory()
		defer b.Close()
		c1, cancel1 := b.Subscribe(ctx, ofCustomer("c-1"))
		alerts, cancel2 := b.Subscribe(ctx, ofKind(SLAAlert))
		all, cancel3 := b.Subscribe(ctx, nil)
		published := []Event{c1Update, c2Update, c2Alert, c1Breach, unknown}
		for _, e := range published {
			if err := b.Publish(ctx, e); err != nil {
				t.Fatalf("Publish: %v", err)
			}
		}
		// Cancelling closes the channels; what was buffered can still be read.
		cancel1()
		cancel2()
		cancel3()
		checkEvents(t, "customer c-1", drain(t, c1), []Event{c1Update, c1Breach})
		checkEvents(t, "SLA alerts", drain(t, alerts), []Event{c2Alert, c1Breach})
		checkEvents(t, "all", drain(t, all), published)
	})

	t.Run("cancel closes the channel", func(t *testing.T) {
		b := NewMemory()
		defer b.Close()
		ch, cancel := b.Subscribe(ctx, nil)
		cancel()
		waitClosed(t, ch)
		cancel() // a second call does nothing
		if err := b.Publish(ctx, c1Update); err != nil {
			t.Fatalf("Publish after a subscriber left: %v", err)
		}
	})

	t.Run("context cancel closes the channel", func(t *testing.T) {
		b := NewMemory()
		defer b.Close()
		subCtx, stop := context.WithCancel(ctx)
		ch, cancel := b.Subscribe(subCtx, nil)
		defer cancel()
		stop()
		waitClosed(t, ch)
	})

	t.Run("a done context gives a closed channel", func(t *testing.T) {
		b := NewMemory()
		defer b.Close()
		done, stop := context.WithCancel(ctx)
		stop()
		ch, cancel := b.Subscribe(done, nil)
		defer cancel()
		waitClosed(t, ch)
	})

	t.Run("a slow subscriber does not block Publish", func(t *testing.T) {
		b := NewMemory()
		defer b.Close()
		slow, cancel := b.Subscribe(ctx, nil) // never read until the end
		defer cancel()
		n := 3 * subscriberBuffer
		errc := make(chan error, 1)
		go func() {
			for i := range n {
				if err := b.Publish(ctx, Event{Kind: TicketUpdated, TicketID: fmt.Sprint(i), At: t0}); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
		case <-time.After(wait):
			go func() { // unblock the bus so the test can end
				for range slow {
				}
			}()
			t.Fatalf("Publish blocked on a subscriber whose buffer is full")
		}
		if got, want := Dropped(b), uint64(n-subscriberBuffer); got != want {
			t.Errorf("Dropped = %d, want %d", got, want)
		}
		cancel()
		got := drain(t, slow)
		if len(got) != subscriberBuffer {
			t.Fatalf("slow subscriber got %d events, want its buffer's %d", len(got), subscriberBuffer)
		}
		for i, e := range got {
			if e.TicketID != fmt.Sprint(i) {
				t.Fatalf("slow subscriber's event %d is ticket %q, want the oldest events kept in order", i, e.TicketID)
			}
		}
	})

	t.Run("close closes subscribers and refuses publishing", func(t *testing.T) {
		b := NewMemory()
		ch, cancel := b.Subscribe(ctx, nil)
		defer cancel()
		if err := b.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		waitClosed(t, ch)
		if err := b.Publish(ctx, c1Update); !errors.Is(err, ErrClosed) {
			t.Fatalf("Publish after Close = %v, want ErrClosed", err)
		}
		late, cancelLate := b.Subscribe(ctx, nil)
		defer cancelLate()
		waitClosed(t, late)
		if err := b.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	})

	t.Run("an event too large for NOTIFY is refused", func(t *testing.T) {
		b := NewMemory()
		defer b.Close()
		err := b.Publish(ctx, Event{Kind: TicketUpdated, TicketID: strings.Repeat("x", 8000), At: t0})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Publish = %v, want ErrTooLarge", err)
		}
	})
}

func TestNewPostgresErrorsHideURL(t *testing.T) {
	const secret = "pstest-secret-3f9a"
	for name, u := range map[string]string{
		"unparsable":  "postgres://app:" + secret + "@127.0.0.1:notaport/app",
		"unreachable": "postgres://app:" + secret + "@127.0.0.1:1/app?sslmode=disable&connect_timeout=2",
	} {
		t.Run(name, func(t *testing.T) {
			var logs syncBuffer
			b, err := NewPostgres(context.Background(), u, nopExecer{}, slog.New(slog.NewTextHandler(&logs, nil)))
			if err == nil {
				b.Close()
				t.Fatalf("NewPostgres succeeded")
			}
			if b != nil {
				t.Errorf("NewPostgres returned a non-nil Bus with its error")
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
				t.Fatalf("the password leaked: error %q, logs %q", err, logs.String())
			}
		})
	}
}

func TestPostgres(t *testing.T) {
	ctx := context.Background()
	dbURL, password, admin := postgresDatabase(t)
	sqlDB, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	bunSQL, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	bunDB := bun.NewDB(bunSQL, pgdialect.New())
	t.Cleanup(func() { bunDB.Close() })

	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bus logs:\n%s", logs.String())
		}
	})
	// Two replicas on one database. A publishes through *sql.DB, B through
	// *bun.DB, whose placeholders differ. B pings its listener connection
	// between notifications every 50ms, so that path runs throughout.
	a, err := newPostgres(ctx, dbURL, sqlDB, log.With("replica", "a"), healthInterval)
	if err != nil {
		t.Fatalf("NewPostgres a: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := newPostgres(ctx, dbURL, bunDB, log.With("replica", "b"), 50*time.Millisecond)
	if err != nil {
		t.Fatalf("NewPostgres b: %v", err)
	}
	t.Cleanup(func() { b.Close() })

	publish := func(t *testing.T, bus Bus, e Event) {
		t.Helper()
		if err := bus.Publish(ctx, e); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}

	t.Run("events reach subscribers on both replicas exactly once", func(t *testing.T) {
		onA, cancelA := a.Subscribe(ctx, nil)
		defer cancelA()
		onB, cancelB := b.Subscribe(ctx, nil)
		defer cancelB()
		publish(t, a, c1Update)
		publish(t, b, c2Alert)
		publish(t, a, unknown)
		// unknown is published last: anything delivered twice, locally or
		// through NOTIFY, shows up before it or right after it.
		want := []Event{c1Update, c2Alert, unknown}
		checkEvents(t, "subscriber on A", receiveN(t, onA, len(want)), want)
		checkEvents(t, "subscriber on B", receiveN(t, onB, len(want)), want)
		expectQuiet(t, "subscriber on A", onA)
		expectQuiet(t, "subscriber on B", onB)
	})

	t.Run("filters", func(t *testing.T) {
		c1OnB, cancelB := b.Subscribe(ctx, ofCustomer("c-1"))
		defer cancelB()
		alertsOnA, cancelA := a.Subscribe(ctx, ofKind(SLAAlert))
		defer cancelA()
		for _, e := range []Event{c2Update, c1Update, c2Alert, unknown, c1Breach} {
			publish(t, a, e)
		}
		// c1Breach, published last, matches both filters.
		checkEvents(t, "customer c-1 on B", receiveN(t, c1OnB, 2), []Event{c1Update, c1Breach})
		checkEvents(t, "SLA alerts on A", receiveN(t, alertsOnA, 2), []Event{c2Alert, c1Breach})
		expectQuiet(t, "customer c-1 on B", c1OnB)
		expectQuiet(t, "SLA alerts on A", alertsOnA)
	})

	t.Run("quotes, backslashes and placeholders survive both handles", func(t *testing.T) {
		tricky := Event{
			Kind:       TicketUpdated,
			CustomerID: `O'Brien \ "quoted" ? $1 '' \' E'x' -- ; ünïcødé` + "\x00\n",
			TicketID:   `t-?-$2-\\`,
			At:         t0,
		}
		onA, cancelA := a.Subscribe(ctx, nil)
		defer cancelA()
		// B receives them too; waiting for them there keeps them from
		// reaching a later subtest's subscriber on B.
		onB, cancelB := b.Subscribe(ctx, nil)
		defer cancelB()
		publish(t, a, tricky)
		publish(t, b, tricky)
		checkEvents(t, "subscriber on A", receiveN(t, onA, 2), []Event{tricky, tricky})
		checkEvents(t, "subscriber on B", receiveN(t, onB, 2), []Event{tricky, tricky})
	})

	t.Run("an event too large for NOTIFY is refused", func(t *testing.T) {
		err := a.Publish(ctx, Event{Kind: TicketUpdated, TicketID: strings.Repeat("x", 8000), At: t0})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Publish = %v, want ErrTooLarge", err)
		}
	})

	t.Run("reconnects after the listener connection is killed", func(t *testing.T) {
		onA, cancelA := a.Subscribe(ctx, nil)
		defer cancelA()
		onB, cancelB := b.Subscribe(ctx, nil)
		defer cancelB()
		old := b.listenerPID()
		var killed bool
		if err := admin.QueryRowContext(ctx, "SELECT pg_terminate_backend($1)", int64(old)).Scan(&killed); err != nil || !killed {
			t.Fatalf("terminate listener backend %d: killed=%v err=%v", old, killed, err)
		}
		deadline := time.Now().Add(wait)
		for pid := b.listenerPID(); pid == old || pid == 0; pid = b.listenerPID() {
			if time.Now().After(deadline) {
				t.Fatalf("listener did not reconnect within %v (pid %d)", wait, pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
		publish(t, a, c1Breach)
		checkEvents(t, "subscriber on B after reconnecting", receiveN(t, onB, 1), []Event{c1Breach})
		checkEvents(t, "subscriber on A", receiveN(t, onA, 1), []Event{c1Breach})
		expectQuiet(t, "subscriber on B", onB)

		got := logs.String()
		if !strings.Contains(got, "listener reconnected") {
			t.Errorf("the reconnection was not logged:\n%s", got)
		}
		if strings.Contains(got, dbURL) || (password != "" && strings.Contains(got, password)) {
			t.Errorf("the logs contain the database URL or its password:\n%s", got)
		}
	})

	t.Run("close closes subscribers and the listener connection", func(t *testing.T) {
		c, err := newPostgres(ctx, dbURL, sqlDB, log.With("replica", "c"), healthInterval)
		if err != nil {
			t.Fatalf("NewPostgres: %v", err)
		}
		ch, cancel := c.Subscribe(ctx, nil)
		defer cancel()
		pid := c.listenerPID()
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		waitClosed(t, ch)
		if err := c.Publish(ctx, c1Update); !errors.Is(err, ErrClosed) {
			t.Fatalf("Publish after Close = %v, want ErrClosed", err)
		}
		deadline := time.Now().Add(wait)
		for {
			var n int
			if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", int64(pid)).Scan(&n); err != nil {
				t.Fatalf("pg_stat_activity: %v", err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("listener backend %d still connected after Close", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	})
}

// postgresDatabase creates a database of the test's own on the server
// PS_TEST_DATABASE_URL names, dropped when the test ends, or skips the test
// when that is unset. It returns the database's URL (with a password added
// when the admin URL has none, which trust authentication ignores, so the
// tests can check it never shows), that password, and the admin connection.
func postgresDatabase(t *testing.T) (dbURL, password string, admin *sql.DB) {
	t.Helper()
	adminURL := os.Getenv("PS_TEST_DATABASE_URL")
	if adminURL == "" {
		t.Skip("PS_TEST_DATABASE_URL is not set; set it to an admin PostgreSQL URL such as postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to test the PostgreSQL bus")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		t.Fatalf("open PS_TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	random := make([]byte, 6)
	rand.Read(random)
	name := "pstest_events_" + hex.EncodeToString(random)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatalf("parse PS_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	if u.User != nil {
		var ok bool
		if password, ok = u.User.Password(); !ok {
			password = "pstest-secret-" + hex.EncodeToString(random)
			u.User = url.UserPassword(u.User.Username(), password)
		}
	}
	return u.String(), password, admin
}

// receiveN returns the next n events on ch, failing the test when they do
// not all arrive within wait or the channel closes.
func receiveN(t *testing.T, ch <-chan Event, n int) []Event {
	t.Helper()
	var got []Event
	timeout := time.After(wait)
	for len(got) < n {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed after %d of %d events: %v", len(got), n, got)
			}
			got = append(got, e)
		case <-timeout:
			t.Fatalf("got %d of %d events within %v: %v", len(got), n, wait, got)
		}
	}
	return got
}

// expectQuiet fails the test when another event arrives on ch shortly.
func expectQuiet(t *testing.T, who string, ch <-chan Event) {
	t.Helper()
	select {
	case e, ok := <-ch:
		if ok {
			t.Fatalf("%s got an extra event: %+v", who, e)
		}
		t.Fatalf("%s: channel closed", who)
	case <-time.After(300 * time.Millisecond):
	}
}

// drain returns what is left on a channel that is closing.
func drain(t *testing.T, ch <-chan Event) []Event {
	t.Helper()
	var got []Event
	timeout := time.After(wait)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, e)
		case <-timeout:
			t.Fatalf("channel not closed within %v", wait)
		}
	}
}

// waitClosed fails the test unless ch is closed (and empty) within wait.
func waitClosed(t *testing.T, ch <-chan Event) {
	t.Helper()
	if got := drain(t, ch); len(got) > 0 {
		t.Fatalf("closed channel held events: %v", got)
	}
}

// checkEvents compares events field by field, times with Equal, since the
// NOTIFY round trip drops monotonic readings and locations.
func checkEvents(t *testing.T, who string, got, want []Event) {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		g, w := got[i], want[i]
		same = g.Kind == w.Kind && g.CustomerID == w.CustomerID && g.TicketID == w.TicketID &&
			g.Level == w.Level && g.DueAt.Equal(w.DueAt) && g.At.Equal(w.At)
	}
	if !same {
		t.Fatalf("%s got\n\t%+v\nwant\n\t%+v", who, got, want)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger on another goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// nopExecer stands in for the database handle where publishing is not
// reached.
type nopExecer struct{}

func (nopExecer) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, errors.New("nopExecer")
}
