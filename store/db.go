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
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
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

// Open connects to the database a DATABASE_URL names (see SQLitePath and
// IsPostgresURL), creating a SQLite file and its folder when missing, and
// checks that it answers.
func Open(ctx context.Context, databaseURL string) (*bun.DB, error) {
	var db *bun.DB
	if IsPostgresURL(databaseURL) {
		sqldb, err := sql.Open("pgx", databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqldb.SetMaxOpenConns(20)
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
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ping database: %w", redact(err, databaseURL))
	}
	return db, nil
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
