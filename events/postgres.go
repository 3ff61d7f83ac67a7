package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// channel is the PostgreSQL notification channel the replicas share.
const channel = "ps_events"

// Listener timings. healthInterval is how long the listener waits for a
// notification before it pings the connection, so that a connection that
// died silently (no FIN, no error) is noticed too.
const (
	healthInterval = 30 * time.Second
	pingTimeout    = 5 * time.Second
	connectTimeout = 10 * time.Second
	minBackoff     = 250 * time.Millisecond
	maxBackoff     = 30 * time.Second
)

// execer is what Publish needs of the application's database handle.
type execer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

// postgresBus publishes with pg_notify and delivers what its listener
// connection receives to this replica's subscribers.
type postgresBus struct {
	*hub
	db     execer
	log    *slog.Logger
	config *pgx.ConnConfig
	health time.Duration

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	pid       atomic.Uint32 // backend pid of the current listener connection, 0 while reconnecting
}

// NewPostgres returns a Bus that publishes with pg_notify on channel
// "ps_events" through db (a *sql.DB, *bun.DB or anything with ExecContext;
// no placeholders are used, so any dialect's handle works) and listens on a
// dedicated pgx connection to databaseURL.
//
// ctx bounds the first connection and LISTEN only; the bus then runs until
// Close. When the listener connection drops, the bus reconnects with
// backoff and LISTENs again; events published meanwhile do not reach this
// replica's subscribers. It logs through log (nil discards), never logging
// databaseURL.
//
// Events published on this replica reach local subscribers exactly once,
// through the NOTIFY round trip. It returns an error when databaseURL
// cannot be parsed (without repeating it) or the first connection or
// LISTEN fails.
func NewPostgres(ctx context.Context, databaseURL string, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, log *slog.Logger) (Bus, error) {
	b, err := newPostgres(ctx, databaseURL, db, log, healthInterval)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// newPostgres is NewPostgres with the health interval as a parameter, so
// tests can exercise the ping path.
func newPostgres(ctx context.Context, databaseURL string, db execer, log *slog.Logger, health time.Duration) (*postgresBus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	config, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		// pgx's error repeats the connection string (password redacted on a
		// best-effort basis only), so it is not passed on.
		return nil, errors.New("listen for events: invalid database url")
	}
	if _, ok := config.RuntimeParams["application_name"]; !ok {
		config.RuntimeParams["application_name"] = "ps_events_listener"
	}
	b := &postgresBus{
		hub:    newHub(log),
		db:     db,
		log:    log,
		config: config,
		health: health,
		done:   make(chan struct{}),
	}
	conn, err := b.connect(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.Background())
	b.stop = stop
	go b.run(runCtx, conn)
	return b, nil
}

// Publish sends e to every replica's listener with pg_notify. It returns
// ErrClosed after Close, ErrTooLarge for an event that does not fit a
// NOTIFY payload, and the database's error otherwise. Called inside a
// transaction, the event goes out when it commits.
func (b *postgresBus) Publish(ctx context.Context, e Event) error {
	if b.isClosed() {
		return ErrClosed
	}
	payload, err := encode(e)
	if err != nil {
		return fmt.Errorf("publish event: %w", err)
	}
	if _, err := b.db.ExecContext(ctx, notifySQL(payload)); err != nil {
		return fmt.Errorf("publish event: %w", err)
	}
	return nil
}

// NotifyStatement returns the pg_notify statement that publishes e when
// the transaction it runs in commits (see TxPublisher). It returns
// ErrClosed after Close and ErrTooLarge for an event that does not fit a
// NOTIFY payload.
func (b *postgresBus) NotifyStatement(e Event) (string, error) {
	_, payload, err := b.Notification(e)
	if err != nil {
		return "", err
	}
	return notifySQL([]byte(payload)), nil
}

// Notification returns the channel and payload that publish e (see
// TxPublisher).
func (b *postgresBus) Notification(e Event) (string, string, error) {
	if b.isClosed() {
		return "", "", ErrClosed
	}
	payload, err := encode(e)
	if err != nil {
		return "", "", fmt.Errorf("publish event: %w", err)
	}
	return channel, string(payload), nil
}

// Subscribe returns the events that match filter (nil matches all); see
// Bus.Subscribe.
func (b *postgresBus) Subscribe(ctx context.Context, filter func(Event) bool) (<-chan Event, func()) {
	return b.subscribe(ctx, filter)
}

// Close stops the listener, closes its connection and every subscriber's
// channel. It returns nil.
func (b *postgresBus) Close() error {
	b.closeOnce.Do(func() {
		b.close()
		b.stop()
		<-b.done
	})
	return nil
}

// notifySQL returns the statement that sends payload on channel. The
// payload is written as an escape string literal rather than passed as a
// parameter, because placeholders differ between handles (database/sql
// with pgx wants $1, bun wants ?); in E'...' only the backslash and the
// single quote need escaping, whatever standard_conforming_strings says.
func notifySQL(payload []byte) string {
	var sb strings.Builder
	sb.Grow(len(payload) + 64)
	sb.WriteString("SELECT pg_notify('" + channel + "', E'")
	for _, c := range payload {
		switch c {
		case '\\':
			sb.WriteString(`\\`)
		case '\'':
			sb.WriteString(`''`)
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteString("')")
	return sb.String()
}

// connect opens a listener connection and LISTENs on channel.
func (b *postgresBus) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, b.config)
	if err != nil {
		return nil, fmt.Errorf("connect event listener: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		closeConn(conn)
		return nil, fmt.Errorf("listen for events: %w", err)
	}
	b.pid.Store(conn.PgConn().PID())
	return conn, nil
}

// run receives notifications until ctx is done, reconnecting whenever the
// connection fails, and closes the last connection on the way out.
func (b *postgresBus) run(ctx context.Context, conn *pgx.Conn) {
	defer close(b.done)
	defer func() {
		if conn != nil {
			closeConn(conn)
		}
	}()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, b.health)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		if n != nil {
			b.receive(n)
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if pgconn.Timeout(err) && !conn.IsClosed() {
			pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
			err = conn.Ping(pingCtx)
			cancel()
			if err == nil {
				continue
			}
			if ctx.Err() != nil {
				return
			}
		}
		b.pid.Store(0)
		b.log.Warn("events: listener connection lost; reconnecting", "err", err)
		closeConn(conn)
		conn = b.reconnect(ctx)
		if conn == nil {
			return
		}
	}
}

// reconnect connects again with exponential backoff and jitter. It returns
// nil when ctx is done first.
func (b *postgresBus) reconnect(ctx context.Context) *pgx.Conn {
	delay := minBackoff
	for attempt := 1; ; attempt++ {
		wait := delay/2 + rand.N(delay/2+1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		conn, err := b.connect(ctx)
		if err == nil {
			b.log.Info("events: listener reconnected", "attempts", attempt)
			return conn
		}
		if ctx.Err() != nil {
			return nil
		}
		delay = min(2*delay, maxBackoff)
		b.log.Warn("events: listener reconnect failed", "attempt", attempt, "backoff", delay, "err", err)
	}
}

// receive decodes a notification and delivers it to local subscribers.
func (b *postgresBus) receive(n *pgconn.Notification) {
	if n.Channel != channel {
		return
	}
	var e Event
	if err := json.Unmarshal([]byte(n.Payload), &e); err != nil {
		b.log.Warn("events: undecodable notification ignored", "bytes", len(n.Payload), "err", err)
		return
	}
	b.deliver(e)
}

// listenerPID returns the backend pid of the listener connection, or 0
// while it is reconnecting.
func (b *postgresBus) listenerPID() uint32 { return b.pid.Load() }

// closeConn closes conn, giving the server a moment to hear the goodbye.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}
