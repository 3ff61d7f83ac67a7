// Package testdb gives tests real, migrated, throw-away databases: a SQLite
// file in the test's temporary folder always, and a PostgreSQL database of
// its own when PS_TEST_DATABASE_URL names a PostgreSQL server. Each database
// is dropped when its test ends, so test packages can run in parallel
// against one server.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/migrations"
	"github.com/prioritysupport/backend/store"
)

// EnvPostgres names the environment variable that points the tests at a
// PostgreSQL server (any database on it; each test creates its own).
const EnvPostgres = "PS_TEST_DATABASE_URL"

// Each runs fn as a subtest "sqlite" and, when PS_TEST_DATABASE_URL is set,
// as a subtest "postgres", each with a database URL of its own that has
// been migrated. Without PS_TEST_DATABASE_URL the postgres subtest is
// skipped and says why.
func Each(t *testing.T, fn func(t *testing.T, databaseURL string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// EachDB is Each with an open *bun.DB, closed when the test ends.
func EachDB(t *testing.T, fn func(t *testing.T, db *bun.DB)) {
	t.Helper()
	Each(t, func(t *testing.T, databaseURL string) { fn(t, Open(t, databaseURL)) })
}

// SQLite returns the URL of a new, migrated SQLite database in the test's
// temporary folder.
func SQLite(t testing.TB) string {
	t.Helper()
	u := "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	Open(t, u)
	return u
}

// Postgres returns the URL of a new, migrated PostgreSQL database that is
// dropped when the test ends, or skips the test when PS_TEST_DATABASE_URL is
// not set. A set but unreachable server fails the test.
func Postgres(t testing.TB) string {
	t.Helper()
	u := EmptyPostgres(t)
	Open(t, u)
	return u
}

// EmptyPostgres is Postgres without the migrations: an empty database.
func EmptyPostgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		t.Skipf("%s is not set; set it to a PostgreSQL URL (postgres://postgres@127.0.0.1:5432/postgres) to run on PostgreSQL too", EnvPostgres)
	}
	ctx := context.Background()
	adminDB, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() { adminDB.Close() })
	b := make([]byte, 8)
	rand.Read(b)
	name := "pstest_" + hex.EncodeToString(b)
	if _, err := adminDB.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database on %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		if _, err := adminDB.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open opens and migrates the database at databaseURL and closes it when the
// test ends.
func Open(t testing.TB, databaseURL string) *bun.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, databaseURL)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrations.Up(ctx, db); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return db
}
