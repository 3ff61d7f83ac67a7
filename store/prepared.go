package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/prioritysupport/backend/telemetry"
)

// Prepared is a fixed statement with bound parameters that each pooled
// connection parses and plans once, for the hottest reads. Bun writes
// every value into a statement's text, so the database parses and plans
// every statement it runs again; for a point read that is most of its
// cost (on PostgreSQL a prepared balance read takes a third of the CPU of
// the same read with its value inlined).
//
// The statement is prepared on first use, not when it is declared, so
// declaring one needs no database round trip; a failed preparation is not
// remembered and the next call tries again. With tracing on, each run gets
// a client span named name, with the statement's text (placeholders, no
// values).
type Prepared struct {
	db    *bun.DB
	name  string
	query string // in the database's placeholder style

	mu   sync.Mutex // held while preparing
	stmt atomic.Pointer[sql.Stmt]
}

// Prepare declares query, written with ? placeholders (none inside string
// literals), as a statement prepared on db's connections. On PostgreSQL
// the placeholders become $1, $2, ….
func Prepare(db *bun.DB, name, query string) *Prepared {
	if db.Dialect().Name() == dialect.PG {
		query = numberPlaceholders(query)
	}
	return &Prepared{db: db, name: name, query: query}
}

// numberPlaceholders rewrites each ? of query as $1, $2, ….
func numberPlaceholders(query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		n++
		b.WriteString("$" + strconv.Itoa(n))
	}
	return b.String()
}

// statement returns the prepared statement, preparing it first if need be.
func (p *Prepared) statement(ctx context.Context) (*sql.Stmt, error) {
	if stmt := p.stmt.Load(); stmt != nil {
		return stmt, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if stmt := p.stmt.Load(); stmt != nil {
		return stmt, nil
	}
	stmt, err := p.db.DB.PrepareContext(ctx, p.query)
	if err != nil {
		return nil, fmt.Errorf("prepare %s: %w", p.name, err)
	}
	p.stmt.Store(stmt)
	return stmt, nil
}

// QueryRow runs the statement with args and scans its one row into dest. It
// returns sql.ErrNoRows (wrapped) when there is no row.
func (p *Prepared) QueryRow(ctx context.Context, args []any, dest ...any) (err error) {
	ctx, end := telemetry.StartStatement(ctx, p.name, p.db.Dialect().Name(), p.query)
	defer func() { end(err) }()
	stmt, err := p.statement(ctx)
	if err != nil {
		return err
	}
	return stmt.QueryRowContext(ctx, args...).Scan(dest...)
}
