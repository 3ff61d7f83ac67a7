// Package events owns the fan-out of live events to GraphQL subscription
// streams: a change commits, the service publishes a small Event, and every
// subscriber on every server replica whose filter matches receives it and
// reloads what it shows. A bus that is a TxPublisher (PostgreSQL) lets the
// service publish inside the change's own transaction instead: the event is
// delivered when it commits and never when it rolls back.
//
// One process on SQLite uses NewMemory. Several replicas on PostgreSQL use
// NewPostgres, which carries events through LISTEN/NOTIFY so that a
// subscriber connected to one replica sees events published on another.
//
// Delivery is best effort: a subscriber whose buffer is full loses events
// rather than holding up the bus (see Dropped), and a replica whose listener
// connection dropped misses the events published until it has reconnected.
// Subscribers should treat an event as "reload now", not as the change
// itself.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Kind names what happened.
type Kind string

// The kinds of event.
const (
	TicketUpdated Kind = "ticket_updated" // a ticket changed: new message, status, clock
	SLAAlert      Kind = "sla_alert"      // a running clock is close to breaching or has breached
)

// Event is small on purpose (NOTIFY payloads are capped at 8000 bytes):
// subscribers reload what they show.
type Event struct {
	Kind       Kind      `json:"kind"`
	CustomerID string    `json:"customerId,omitempty"` // the customer the ticket belongs to ("" for tickets of unknown senders)
	TicketID   string    `json:"ticketId"`
	Level      string    `json:"level,omitempty"` // for SLAAlert: "at_risk" or "breached"
	DueAt      time.Time `json:"dueAt,omitzero"`
	At         time.Time `json:"at"`
}

// Bus publishes events and lets subscribers receive them.
type Bus interface {
	// Publish delivers e to every current subscriber of every replica. Call
	// it after the change committed. It does not wait for subscribers: one
	// that is not keeping up loses e (see Dropped). It returns ErrClosed
	// after Close, ErrTooLarge for an event whose encoding exceeds the
	// NOTIFY payload limit, and the context's or database's error otherwise.
	Publish(ctx context.Context, e Event) error

	// Subscribe returns a channel of the events that match filter (nil
	// matches all), in the order they were published, and a cancel func
	// that closes it. The channel is buffered; when a subscriber does not
	// keep up, further events are dropped for it (and counted, see Dropped)
	// rather than blocking the bus. The channel closes when ctx is done,
	// cancel is called or the bus is closed; events already buffered can
	// still be read. cancel may be called more than once. filter runs on the
	// publishing goroutine: it must be quick, must not block and must not
	// call the bus.
	Subscribe(ctx context.Context, filter func(Event) bool) (<-chan Event, func())

	// Close stops the bus and closes every subscriber's channel. It returns
	// nil; calling it again does nothing.
	Close() error
}

// TxPublisher is implemented by a Bus that can publish an event as part of
// the database transaction that makes the change: the event is then
// delivered when that transaction commits, never when it rolls back, and
// costs no transaction of its own. The PostgreSQL bus is one (NOTIFY is
// transactional); the memory bus is not, and its events are published with
// Publish after the commit.
type TxPublisher interface {
	// NotifyStatement returns one SQL statement, a SELECT without
	// placeholders, that publishes e when it runs inside a transaction on
	// the bus's database and that transaction commits. It returns
	// ErrClosed after Close and ErrTooLarge for an event whose encoding
	// exceeds the NOTIFY payload limit.
	NotifyStatement(e Event) (string, error)
	// Notification returns the channel and payload of the pg_notify call
	// that NotifyStatement makes, for a statement that binds them as
	// parameters; same errors.
	Notification(e Event) (channel, payload string, err error)
}

// ErrClosed is returned by Publish on a closed bus.
var ErrClosed = errors.New("events: bus closed")

// ErrTooLarge is returned by Publish for an event whose JSON encoding does
// not fit a NOTIFY payload. Both buses reject it, so that an event that
// works on SQLite also works on PostgreSQL.
var ErrTooLarge = errors.New("events: event too large")

// maxPayload is the largest NOTIFY payload PostgreSQL accepts by default:
// it must be shorter than 8000 bytes.
const maxPayload = 7999

// subscriberBuffer is how many events a subscriber's channel holds before
// further events are dropped for it.
const subscriberBuffer = 64

// Dropped returns how many events b has dropped, summed over its
// subscribers, because a subscriber's buffer was full; 0 for a Bus this
// package did not make. It is meant for a metric or a health check.
func Dropped(b Bus) uint64 {
	if c, ok := b.(interface{ droppedEvents() uint64 }); ok {
		return c.droppedEvents()
	}
	return 0
}

// encode returns the JSON payload of e, or ErrTooLarge.
func encode(e Event) ([]byte, error) {
	payload, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	if len(payload) > maxPayload {
		return nil, fmt.Errorf("encode event: %d bytes, limit %d: %w", len(payload), maxPayload, ErrTooLarge)
	}
	return payload, nil
}

// hub is the in-process fan-out both buses share: it holds this replica's
// subscribers and hands each event to those whose filter matches.
type hub struct {
	log *slog.Logger // may be nil

	mu     sync.RWMutex
	subs   map[*subscription]struct{}
	closed bool

	dropped atomic.Uint64
}

// subscription is one subscriber's channel and filter.
type subscription struct {
	ch      chan Event
	filter  func(Event) bool
	dropped atomic.Uint64
}

func newHub(log *slog.Logger) *hub {
	return &hub{log: log, subs: make(map[*subscription]struct{})}
}

// subscribe registers a subscriber until ctx is done, cancel is called or
// the hub closes. On a closed hub or a done ctx it returns a closed channel.
func (h *hub) subscribe(ctx context.Context, filter func(Event) bool) (<-chan Event, func()) {
	s := &subscription{ch: make(chan Event, subscriberBuffer), filter: filter}
	h.mu.Lock()
	if h.closed || ctx.Err() != nil {
		h.mu.Unlock()
		close(s.ch)
		return s.ch, func() {}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { h.unsubscribe(s) })
	return s.ch, func() {
		stop()
		h.unsubscribe(s)
	}
}

// unsubscribe removes s and closes its channel; it does nothing when s was
// already removed.
func (h *hub) unsubscribe(s *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.ch)
	}
}

// deliver hands e to every matching subscriber without blocking: a full
// buffer drops e for that subscriber. Channels are only closed under the
// write lock, so sending under the read lock is safe.
func (h *hub) deliver(e Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		if s.filter != nil && !s.filter(e) {
			continue
		}
		select {
		case s.ch <- e:
		default:
			h.dropped.Add(1)
			if s.dropped.Add(1) == 1 && h.log != nil {
				h.log.Warn("events: subscriber is not keeping up; dropping events for it", "kind", string(e.Kind))
			}
		}
	}
}

// isClosed reports whether close was called.
func (h *hub) isClosed() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.closed
}

// close closes every subscriber's channel and refuses new subscribers. It
// reports whether this call closed the hub.
func (h *hub) close() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.closed = true
	for s := range h.subs {
		delete(h.subs, s)
		close(s.ch)
	}
	return true
}

func (h *hub) droppedEvents() uint64 { return h.dropped.Load() }
