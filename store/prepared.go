package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Prepared is a fixed statement with bound parameters that each pooled
// connection parses and plans once, for the hottest statements. Bun writes
// every value into a statement's text, so the database parses and plans
// every statement it runs again; for a point read that is most of its
// cost (on PostgreSQL a prepared balance read takes a third of the CPU of
// the same read with its value inlined).
//
// The statement is prepared on first use, not when it is declared, so
// declaring one needs no database round trip; a failed preparation is not
// remembered and the next call tries again. Each run goes through the query
// hooks added with AddQueryHook, as Bun's statements do (tracing, and the
// tests that count statements).
type Prepared struct {
	db    *bun.DB
	query string // in the database's placeholder style

	mu   sync.Mutex // held while preparing
	stmt atomic.Pointer[sql.Stmt]
}

// Prepare declares query, written with ? placeholders (none inside string
// literals or quoted names), as a statement prepared on db's connections.
// On PostgreSQL the placeholders become $1, $2, ….
func Prepare(db *bun.DB, query string) *Prepared {
	if db.Dialect().Name() == dialect.PG {
		query = numberPlaceholders(query)
	}
	return &Prepared{db: db, query: query}
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

// Ready prepares the statement if it is not yet. A transaction runs the
// statement prepared only once it is (see run): call Ready before beginning
// one.
func (p *Prepared) Ready(ctx context.Context) error {
	_, err := p.statement(ctx)
	return err
}

// statement returns the prepared statement, preparing it first if need be
// on a connection of the pool.
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
		return nil, fmt.Errorf("prepare: %w", err)
	}
	p.stmt.Store(stmt)
	return stmt, nil
}

// querier is what runs the statement: a prepared *sql.Stmt, or a
// transaction running its text.
type querier interface {
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
}

// unprepared runs the statement's text in a transaction.
type unprepared struct {
	tx    *sql.Tx
	query string
}

func (u unprepared) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return u.tx.QueryContext(ctx, u.query, args...)
}

func (u unprepared) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return u.tx.QueryRowContext(ctx, u.query, args...)
}

func (u unprepared) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return u.tx.ExecContext(ctx, u.query, args...)
}

// run calls fn with the statement as db runs it (db is p's database or a
// transaction of it), between the query hooks. In a transaction the
// statement is prepared on the transaction's connection if it is ready
// (Ready), and else runs unprepared: preparing it first would take a second
// connection while the transaction holds one (and its locks), which can
// wait forever on a pool that those locks' waiters have drained.
func (p *Prepared) run(ctx context.Context, db bun.IDB, args []any, fn func(ctx context.Context, q querier) error) (err error) {
	if hooks := hooksOf(p.db); len(hooks) > 0 {
		var ev *hookedQuery
		ctx, ev = beforeQuery(ctx, p.db, hooks, p.query, args)
		defer func() { ev.after(err) }()
	}
	tx, inTx := db.(bun.Tx)
	if !inTx {
		stmt, err := p.statement(ctx)
		if err != nil {
			return err
		}
		return fn(ctx, stmt)
	}
	stmt := p.stmt.Load()
	if stmt == nil {
		return fn(ctx, unprepared{tx: tx.Tx, query: p.query})
	}
	stmt = tx.Tx.StmtContext(ctx, stmt)
	defer stmt.Close() // the connection keeps the statement prepared
	return fn(ctx, stmt)
}

// QueryRow runs the statement with args on p's database and scans its one
// row into dest. It returns sql.ErrNoRows (wrapped) when there is no row.
func (p *Prepared) QueryRow(ctx context.Context, args []any, dest ...any) error {
	return p.run(ctx, p.db, args, func(ctx context.Context, q querier) error {
		return q.QueryRowContext(ctx, args...).Scan(dest...)
	})
}

// Scan runs the statement with args in db (p's database or a transaction of
// it) and scans every row into dest the way Bun scans a query's result (a
// slice of structs by column names, or scalars).
func (p *Prepared) Scan(ctx context.Context, db bun.IDB, args []any, dest ...any) error {
	return p.run(ctx, db, args, func(ctx context.Context, q querier) error {
		rows, err := q.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		return p.db.ScanRows(ctx, rows, dest...)
	})
}

// Exec runs the statement with args in db, discarding any rows.
func (p *Prepared) Exec(ctx context.Context, db bun.IDB, args ...any) error {
	return p.run(ctx, db, args, func(ctx context.Context, q querier) error {
		_, err := q.ExecContext(ctx, args...)
		return err
	})
}

// queryHooks holds, for each database, the hooks AddQueryHook added
// (copied on write).
var queryHooks = struct {
	sync.Mutex
	m sync.Map // *bun.DB → []bun.QueryHook
}{}

// AddQueryHook adds h to db's query hooks: Bun's statements and the
// Prepared ones on db go through it.
func AddQueryHook(db *bun.DB, h bun.QueryHook) {
	queryHooks.Lock()
	defer queryHooks.Unlock()
	old := hooksOf(db)
	queryHooks.m.Store(db, append(old[:len(old):len(old)], h))
	db.AddQueryHook(h)
}

// hooksOf returns db's hooks added with AddQueryHook.
func hooksOf(db *bun.DB) []bun.QueryHook {
	if v, ok := queryHooks.m.Load(db); ok {
		return v.([]bun.QueryHook)
	}
	return nil
}

// hookedQuery is one statement between its query hooks' BeforeQuery and
// AfterQuery.
type hookedQuery struct {
	ctx   context.Context
	hooks []bun.QueryHook
	ev    *bun.QueryEvent
}

// beforeQuery runs hooks' BeforeQuery for query with args and returns the
// context they made.
func beforeQuery(ctx context.Context, db *bun.DB, hooks []bun.QueryHook, query string, args []any) (context.Context, *hookedQuery) {
	ev := &bun.QueryEvent{DB: db, Query: query, QueryTemplate: query, QueryArgs: args, StartTime: time.Now()}
	for _, h := range hooks {
		ctx = h.BeforeQuery(ctx, ev)
	}
	return ctx, &hookedQuery{ctx: ctx, hooks: hooks, ev: ev}
}

// after runs the hooks' AfterQuery, in reverse order, with the statement's
// error.
func (q *hookedQuery) after(err error) {
	q.ev.Err = err
	for i := len(q.hooks) - 1; i >= 0; i-- {
		q.hooks[i].AfterQuery(q.ctx, q.ev)
	}
}
