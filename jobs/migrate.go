package jobs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/store"
)

// migrateLockKey serialises River's migrations between replicas that start
// at the same time against one PostgreSQL database. It differs from the
// application's own migration lock (migrations.advisoryLockKey).
const migrateLockKey = 7243_1126_0002

// Migrate applies River's own schema migrations (rivermigrate, line "main")
// to the database db is open on; databaseURL, as given to store.Open, picks
// the driver. It is safe to run on every start and from several replicas at
// once: rivermigrate itself takes no lock, so on PostgreSQL Migrate holds an
// advisory lock meanwhile, and on SQLite it applies them in one immediate
// (write-locked) transaction. rivermigrate logs each version it applies to
// slog.Default() at info level. It returns an error when the database
// cannot be reached or a migration fails.
func Migrate(ctx context.Context, db *bun.DB, databaseURL string) error {
	if store.IsPostgresURL(databaseURL) {
		if err := migratePostgres(ctx, db, databaseURL); err != nil {
			return fmt.Errorf("migrate river: %w", err)
		}
		return nil
	}
	if err := migrateSQLite(ctx, db); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}

// migratePostgres runs rivermigrate on a pgxpool of its own while db's
// session holds migrateLockKey.
func migratePostgres(ctx context.Context, db *bun.DB, databaseURL string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrateLockKey); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrateLockKey) //nolint:errcheck // the lock also ends with the session

	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("open pool: %w", err)
	}
	defer pool.Close()
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.Default()})
	if err != nil {
		return err
	}
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// migrateSQLite runs rivermigrate inside one transaction on db. store.Open
// sets _txlock=immediate, so the transaction takes SQLite's write lock at
// BEGIN and a second migrator waits (busy_timeout) and then finds every
// version applied. MigrateTx is deprecated because some PostgreSQL
// migrations cannot share a transaction; River's SQLite migrations are
// plain transactional DDL.
func migrateSQLite(ctx context.Context, db *bun.DB) error {
	migrator, err := rivermigrate.New(riversqlite.New(db.DB), &rivermigrate.Config{Logger: slog.Default()})
	if err != nil {
		return err
	}
	tx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	if _, err := migrator.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil { //nolint:staticcheck // see above
		return err
	}
	return tx.Commit()
}
