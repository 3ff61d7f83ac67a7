// Package migrations owns the database schema: embedded, timestamped SQL
// files, one folder per dialect, applied with bun/migrate.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// advisoryLockKey serialises schema migrations between replicas that start
// at the same time against one PostgreSQL database.
const advisoryLockKey = 7243_1126_0001

// For returns the migrations of db's dialect.
func For(db *bun.DB) (*migrate.Migrations, error) {
	dir := "sqlite"
	if db.Dialect().Name() == dialect.PG {
		dir = "postgres"
	}
	sub, err := fs.Sub(files, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	m := migrate.NewMigrations()
	if err := m.Discover(sub); err != nil {
		return nil, fmt.Errorf("discover migrations: %w", err)
	}
	return m, nil
}

// Up applies every pending migration and returns the names it applied. On
// PostgreSQL it holds an advisory lock meanwhile, so replicas starting
// together migrate once, one after the other.
func Up(ctx context.Context, db *bun.DB) ([]string, error) {
	m, err := For(db)
	if err != nil {
		return nil, err
	}
	if db.Dialect().Name() == dialect.PG {
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", advisoryLockKey); err != nil {
			return nil, fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", advisoryLockKey) //nolint:errcheck // the lock also ends with the session
	}
	migrator := migrate.NewMigrator(db, m)
	if err := migrator.Init(ctx); err != nil {
		return nil, fmt.Errorf("migrate: init: %w", err)
	}
	group, err := migrator.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []string
	for _, mig := range group.Migrations {
		applied = append(applied, mig.Name)
	}
	return applied, nil
}
