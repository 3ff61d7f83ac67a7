// Package store keeps the domain in a SQL database through Bun: SQLite (the
// embedded default, pure Go) or PostgreSQL (production). Every read is scoped
// to the caller's customer inside its query; every write is one transaction.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/prioritysupport/backend/telemetry"
)

// DefaultSQLitePath is where the embedded database lives when DATABASE_URL
// is empty.
const DefaultSQLitePath = "data/priority-support.db"

// IsPostgresURL reports whether a DATABASE_URL names a PostgreSQL server.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// SQLitePath returns the file a DATABASE_URL names for SQLite: empty means
// DefaultSQLitePath, and "sqlite:PATH", "sqlite://PATH" and "file:PATH" name
// PATH. Anything else is an error that says which forms are understood.
func SQLitePath(u string) (string, error) {
	switch {
	case u == "":
		return DefaultSQLitePath, nil
	case strings.HasPrefix(u, "sqlite://"):
		u = strings.TrimPrefix(u, "sqlite://")
	case strings.HasPrefix(u, "sqlite:"):
		u = strings.TrimPrefix(u, "sqlite:")
	case strings.HasPrefix(u, "file:"):
		u = strings.TrimPrefix(u, "file:")
	default:
		return "", errors.New(`want "postgres://…", "sqlite:PATH" or "file:PATH"`)
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if u == "" || u == ":memory:" {
		return "", errors.New("a SQLite database needs a file path")
	}
	return u, nil
}

// PoolOptions size the connection pool Open keeps. A zero field takes its
// default (see DefaultPoolOptions).
type PoolOptions struct {
	// MaxOpenConns caps the connections open at once; requests beyond it
	// wait for one to be returned.
	MaxOpenConns int
	// MaxIdleConns is how many returned connections are kept open for the
	// next request; the default is MaxOpenConns, so a burst does not close
	// connections that the next burst has to open again (about 30 ms each
	// on PostgreSQL, with TLS and authentication).
	MaxIdleConns int
	// ConnMaxLifetime closes a connection this long after it was opened,
	// so connections move to a restarted or failed-over server and
	// server-side memory a session accumulates is released.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes a connection idle this long, so a quiet
	// replica gives its connections back to the server.
	ConnMaxIdleTime time.Duration
}

// The pool's default lifetimes.
const (
	DefaultConnMaxLifetime = 30 * time.Minute
	DefaultConnMaxIdleTime = 5 * time.Minute
)

// DefaultMaxOpenConns returns the default cap on open connections:
// 4 × GOMAXPROCS, at least 8. A request holds a connection only while its
// queries or its transaction run and spends the rest of its time in Go
// (HTTP, GraphQL, JSON), so a few connections per core keep this process's
// cores and the database busy; many more only queue inside the database,
// where each connection costs memory and lock traffic (PostgreSQL's
// throughput peaks at a small multiple of its own cores). The floor of 8
// serves a replica given one or two cores in front of a larger database
// server; several replicas together must stay under the server's
// max_connections (100 by default).
func DefaultMaxOpenConns() int {
	return max(8, 4*runtime.GOMAXPROCS(0))
}

// DefaultPoolOptions returns the pool settings Open uses for zero fields.
func DefaultPoolOptions() PoolOptions {
	n := DefaultMaxOpenConns()
	return PoolOptions{MaxOpenConns: n, MaxIdleConns: n, ConnMaxLifetime: DefaultConnMaxLifetime, ConnMaxIdleTime: DefaultConnMaxIdleTime}
}

// withDefaults returns o with each zero field set to its default; idle
// connections never exceed open ones.
func (o PoolOptions) withDefaults() PoolOptions {
	def := DefaultPoolOptions()
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = def.MaxOpenConns
	}
	if o.MaxIdleConns <= 0 || o.MaxIdleConns > o.MaxOpenConns {
		o.MaxIdleConns = o.MaxOpenConns
	}
	if o.ConnMaxLifetime <= 0 {
		o.ConnMaxLifetime = def.ConnMaxLifetime
	}
	if o.ConnMaxIdleTime <= 0 {
		o.ConnMaxIdleTime = def.ConnMaxIdleTime
	}
	return o
}

// Open connects to the database a DATABASE_URL names (see SQLitePath and
// IsPostgresURL) with the default pool, creating a SQLite file and its
// folder when missing, and checks that it answers.
func Open(ctx context.Context, databaseURL string) (*bun.DB, error) {
	return OpenWith(ctx, databaseURL, PoolOptions{})
}

// OpenWith is Open with the pool sized by pool (zero fields take their
// defaults). The same settings apply to SQLite: its connections are cheap
// to keep but not to open (each runs the pragmas below and reads the
// schema), and writers wait for each other on SQLite's lock anyway
// (busy_timeout, BEGIN IMMEDIATE), so more connections than the cap would
// only add waiters. With tracing on (telemetry.Setup ran before) each
// statement run in a traced operation gets a span.
func OpenWith(ctx context.Context, databaseURL string, pool PoolOptions) (*bun.DB, error) {
	var db *bun.DB
	if IsPostgresURL(databaseURL) {
		sqldb, err := sql.Open("pgx", withExecMode(databaseURL))
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db = bun.NewDB(sqldb, pgdialect.New())
	} else {
		path, err := SQLitePath(databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		q := url.Values{}
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		sqldb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db = bun.NewDB(sqldb, sqlitedialect.New())
	}
	pool = pool.withDefaults()
	db.SetMaxOpenConns(pool.MaxOpenConns)
	db.SetMaxIdleConns(pool.MaxIdleConns)
	db.SetConnMaxLifetime(pool.ConnMaxLifetime)
	db.SetConnMaxIdleTime(pool.ConnMaxIdleTime)
	if h := telemetry.QueryHook(); h != nil {
		AddQueryHook(db, h)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ping database: %w", redact(err, databaseURL))
	}
	return db, nil
}

// withExecMode returns a PostgreSQL URL that sends each statement in one
// round trip (pgx's "exec" mode: the unnamed prepared statement, parsed,
// bound and run together) unless it chooses a mode itself. Bun writes every
// value into the statement's text, so pgx's default, which prepares and
// caches each distinct text on the connection first, would cost a second
// round trip per statement and a cache that never hits.
//
// It also asks for generic plans of named prepared statements
// (plan_cache_mode), unless the URL sets that itself. Only the statements
// of Prepare are named; each is a lookup by key whose best plan does not
// depend on the values, but PostgreSQL's default keeps planning a
// statement for each execution when the generic plan's estimate comes out
// higher, as it does for the threading read with its lists: 0.8 ms of
// planning for 0.06 ms of execution, every message.
func withExecMode(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return databaseURL
	}
	q := u.Query()
	if !q.Has("default_query_exec_mode") {
		q.Set("default_query_exec_mode", "exec")
	}
	if !q.Has("plan_cache_mode") {
		q.Set("plan_cache_mode", "force_generic_plan")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// redact removes a database URL (which may hold a password) from an error's
// text.
func redact(err error, databaseURL string) error {
	if databaseURL == "" || !strings.Contains(err.Error(), databaseURL) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), databaseURL, "[DATABASE_URL]"))
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either database.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsPostgres reports whether db (a database, connection or transaction)
// speaks PostgreSQL rather than SQLite.
func IsPostgres(db bun.IDB) bool {
	return db.Dialect().Name() == dialect.PG
}
