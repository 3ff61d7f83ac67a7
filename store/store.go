package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/bizhours"
	"github.com/prioritysupport/backend/events"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/sla"
)

// Store is the service layer over one database. Build it once with New and
// share it: it holds no per-request state.
type Store struct {
	db          *bun.DB
	now         func() time.Time
	policy      models.DomainPolicy
	slaTimezone string
	holidays    []string
	calendars   sync.Map // IANA zone → *bizhours.Calendar
	bus         events.Bus
	log         *slog.Logger
	// ingestMu queues this process's ingestions on SQLite, where write
	// transactions are serial anyway: a waiter then starts as soon as the
	// one before commits, instead of polling SQLite's lock with the
	// growing sleeps of its busy handler.
	ingestMu sync.Mutex
	// leases are the exclusive leases this process holds (TryLease), by
	// name.
	leases sync.Map
	// ing are the prepared reads of an ingestion.
	ing *ingestStatements
	// pageClocks reads the clocks of a page of tickets (readTicketPage).
	pageClocks *Prepared
}

// Options configure a Store.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// DomainPolicy decides which domains a subscription may cover.
	DomainPolicy models.DomainPolicy
	// SLATimezone is the IANA zone new subscriptions measure SLAs in; empty
	// means UTC.
	SLATimezone string
	// Holidays are dates ("YYYY-MM-DD", local to each subscription's SLA
	// zone) on which support hours are closed.
	Holidays []string
	// Events receives ticket changes and SLA alerts after they commit; nil
	// publishes nothing.
	Events events.Bus
	// Log receives what the store cannot return, such as a failed publish.
	Log *slog.Logger
}

// New returns a Store over db.
func New(db *bun.DB, opts Options) *Store {
	s := &Store{db: db, now: opts.Now, policy: opts.DomainPolicy, slaTimezone: opts.SLATimezone,
		holidays: opts.Holidays, bus: opts.Events, log: opts.Log}
	if db != nil {
		s.ing = newIngestStatements(db)
		s.pageClocks = newPageClocks(db)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.slaTimezone == "" {
		s.slaTimezone = "UTC"
	}
	return s
}

// Calendar returns the support calendar of an IANA zone with the store's
// holidays. It returns BAD_USER_INPUT for an unknown zone or a bad holiday.
func (s *Store) Calendar(zone string) (*bizhours.Calendar, error) {
	if c, ok := s.calendars.Load(zone); ok {
		return c.(*bizhours.Calendar), nil
	}
	c, err := bizhours.New(zone, nil, s.holidays)
	if err != nil {
		return nil, models.Errorf(models.CodeBadUserInput, "support calendar: %v", err)
	}
	s.calendars.Store(zone, c)
	return c, nil
}

// terms returns a subscription's SLA terms.
func (s *Store) terms(sub *models.SupportSubscription) (sla.Terms, error) {
	cal, err := s.Calendar(sub.SLATimezone)
	if err != nil {
		return sla.Terms{}, err
	}
	return sla.Terms{
		Calendar:      cal,
		FirstResponse: time.Duration(sub.FirstResponseTargetSeconds) * time.Second,
		FollowUp:      time.Duration(sub.FollowUpTargetSeconds) * time.Second,
	}, nil
}

// DB returns the underlying database handle.
func (s *Store) DB() *bun.DB { return s.db }

// Now returns the store's clock reading in UTC, to the microsecond both
// databases keep.
func (s *Store) Now() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.PingContext(ctx)
}

// newID returns a new opaque, time-ordered identifier.
func newID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// inTx runs fn in one transaction of the store's database (see InTx).
func (s *Store) inTx(ctx context.Context, fn func(tx bun.Tx) error) error {
	return InTx(ctx, s.db, fn)
}

// InTx runs fn in one transaction on db and commits it when fn returns nil;
// fn's error is returned as it is. On SQLite the transaction takes the write
// lock at BEGIN (the DSN asks for immediate transactions), so
// read-check-write sequences cannot interleave.
func InTx(ctx context.Context, db *bun.DB, fn func(tx bun.Tx) error) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// ReadScope returns the customer id a reading caller is confined to: ""
// for staff (support, sales, admin), the caller's own customer id for a
// customer user. It returns UNAUTHENTICATED without a caller and FORBIDDEN
// for a caller with no role that may read.
func ReadScope(ctx context.Context) (string, error) {
	c, err := auth.Require(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case c.IsStaff():
		return "", nil
	case c.Has(auth.RoleCustomer) && c.CustomerID != "":
		return c.CustomerID, nil
	default:
		return "", models.Errorf(models.CodeForbidden, "no role that may read this")
	}
}

// scoped limits a query to the scope ReadScope returned, by the column that
// holds the customer id (customer_id, or the customers table's own id).
func scoped(q *bun.SelectQuery, column, customerID string) *bun.SelectQuery {
	if customerID == "" {
		return q
	}
	return q.Where("? = ?", bun.Ident(column), customerID)
}

// requireSales returns the caller when it may change customers and
// subscriptions (sales or admin): UNAUTHENTICATED or FORBIDDEN otherwise.
func requireSales(ctx context.Context) (auth.Caller, error) {
	return auth.Require(ctx, auth.RoleSales, auth.RoleAdmin)
}

// notFound is the answer for an object that does not exist or that the
// caller may not see: the two are never told apart.
func notFound(what, id string) error {
	return models.Errorf(models.CodeNotFound, "%s %q not found", what, id)
}

// Page asks for one page of a keyset-paginated list.
type Page struct {
	First int    // page size: 1 to MaxPageSize, 0 means DefaultPageSize
	After string // opaque cursor of the last item of the previous page
}

// Page sizes.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// size returns the checked page size or a BAD_USER_INPUT error.
func (p Page) size() (int, error) {
	switch {
	case p.First == 0:
		return DefaultPageSize, nil
	case p.First < 0 || p.First > MaxPageSize:
		return 0, models.Errorf(models.CodeBadUserInput, "first must be between 1 and %d", MaxPageSize)
	}
	return p.First, nil
}

// cursor is the keyset position an opaque cursor string encodes.
type cursor struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

// encodeCursor returns the opaque form of a keyset position.
func encodeCursor(key, id string) string {
	b, _ := json.Marshal(cursor{Key: key, ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the keyset position of an opaque cursor, or a
// BAD_USER_INPUT error for one this server did not make.
func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		return cursor{}, models.Errorf(models.CodeBadUserInput, "after is not a valid cursor")
	}
	return c, nil
}

// publish hands an event to the bus, if there is one, after the change
// committed. A lost event only delays a dashboard's refresh, so failures
// are logged, not returned.
func (s *Store) publish(ctx context.Context, e events.Event) {
	if s.bus == nil {
		return
	}
	if err := s.bus.Publish(context.WithoutCancel(ctx), e); err != nil && s.log != nil {
		s.log.WarnContext(ctx, "publish event", "kind", e.Kind, "ticket_id", e.TicketID, "err", err)
	}
}

// notifyStatement returns the statement that publishes e as part of tx,
// when the bus can publish inside a transaction on tx's database
// (events.TxPublisher: PostgreSQL's NOTIFY, delivered at commit and never
// after a rollback). It returns "" when there is no such bus or the event
// cannot be encoded (logged): the caller then publishes e after the commit.
func (s *Store) notifyStatement(ctx context.Context, tx bun.IDB, e events.Event) string {
	p, ok := s.bus.(events.TxPublisher)
	if !ok || !IsPostgres(tx) {
		return ""
	}
	q, err := p.NotifyStatement(e)
	if err != nil {
		s.notifyFailed(ctx, e, err)
		return ""
	}
	return q
}

// notification is notifyStatement's channel and payload, for a statement
// that binds them; ch is "" when e goes out after the commit.
func (s *Store) notification(ctx context.Context, e events.Event) (ch, payload string) {
	p, ok := s.bus.(events.TxPublisher)
	if !ok || !IsPostgres(s.db) {
		return "", ""
	}
	ch, payload, err := p.Notification(e)
	if err != nil {
		s.notifyFailed(ctx, e, err)
		return "", ""
	}
	return ch, payload
}

// notifyFailed logs an event that could not be published in its
// transaction; it is published after the commit.
func (s *Store) notifyFailed(ctx context.Context, e events.Event, err error) {
	if s.log != nil {
		s.log.WarnContext(ctx, "publish event", "kind", e.Kind, "ticket_id", e.TicketID, "err", err)
	}
}
