package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
)

// ingestDB is the database one ingestion talks to, through the reads it
// needs in the order it needs them. Each call holds what can be sent
// without waiting for another's answer: on PostgreSQL it is one round trip
// (pgSession); on SQLite a transaction of Bun's runs its statements one by
// one (txDB).
type ingestDB interface {
	// candidates takes the thread's advisory locks (keys, sorted; on
	// PostgreSQL) and then reads threadOf's one row with args.
	candidates(ctx context.Context, keys []int64, args []any) ([]candidates, error)
	// ticket locks ticket id for change and reads it with its
	// subscription's terms, then reads its history. The history is a
	// statement of its own after the lock, so it sees every change
	// committed before the lock was granted. No row: the ticket does not
	// exist.
	ticket(ctx context.Context, id string) ([]ticketRow, []historyRow, error)
	// coverage reads coverageAt's rows with args.
	coverage(ctx context.Context, args []any) ([]coverage, error)
	// write stores w, with the ticket_updated notification on channel ch
	// when ch is not "" (PostgreSQL).
	write(ctx context.Context, w *ticketWrite, ch, payload string) error
}

// txDB is ingestDB on a transaction of Bun's, one statement at a time: an
// ingestion on SQLite, and a resolution or reopening on either database.
type txDB struct {
	st *ingestStatements
	tx bun.Tx
}

// candidates reads threadOf's row (SQLite, whose write transactions are
// serial: keys is nil and no lock is taken).
func (d txDB) candidates(ctx context.Context, _ []int64, args []any) ([]candidates, error) {
	var found []candidates
	err := d.st.thread.Scan(ctx, d.tx, args, &found)
	return found, err
}

func (d txDB) ticket(ctx context.Context, id string) ([]ticketRow, []historyRow, error) {
	var rows []ticketRow
	if err := d.st.ticketTerms.Scan(ctx, d.tx, []any{id}, &rows); err != nil || len(rows) == 0 {
		return nil, nil, err
	}
	var hist []historyRow
	err := d.st.history.Scan(ctx, d.tx, []any{id, id, id}, &hist)
	return rows, hist, err
}

func (d txDB) coverage(ctx context.Context, args []any) ([]coverage, error) {
	var rows []coverage
	err := d.st.coverage.Scan(ctx, d.tx, args, &rows)
	return rows, err
}

// write runs w's statements one by one (SQLite: an ingestion on PostgreSQL
// is a pgSession, and ch is always "" here).
func (d txDB) write(ctx context.Context, w *ticketWrite, _, _ string) error {
	return w.exec(ctx, d.tx, "")
}

// pgSession is an ingestion's transaction on PostgreSQL, run through pgx on
// one connection of the pool so that statements go out together: BEGIN,
// the thread locks and the threading read in one round trip; the ticket's
// row lock and its history (or the sender's coverage) in a second; the
// write and COMMIT in a third. Statements in one round trip still run one
// after the other, each with its own snapshot, so a read sent behind a lock
// sees what was committed before the lock was granted, as when they were
// sent apart. Through database/sql the same ingestion took seven round
// trips, each a write and a wake-up on both sides: about half of the
// server's CPU per message.
//
// The statements are prepared on the connection, once, before the
// transaction begins; they reach the query hooks of AddQueryHook as the
// other statements do, BEGIN and COMMIT included. The connection leaves
// the session outside any transaction, or is closed.
type pgSession struct {
	st   *ingestStatements
	conn bun.Conn
	// commitWithWrite sends COMMIT in the write's round trip: nothing
	// else runs in the transaction after the write.
	commitWithWrite bool
	begun, done     bool // BEGIN sent; COMMIT or ROLLBACK done
}

// pgStatement is one statement of a round trip, scan reading its rows (nil:
// none are read).
type pgStatement struct {
	sql  string
	args []any
	scan func(pgx.Rows) error
}

// newPgSession takes a connection of db's pool for one ingestion.
func newPgSession(ctx context.Context, db *bun.DB, st *ingestStatements, commitWithWrite bool) (*pgSession, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connection: %w", err)
	}
	return &pgSession{st: st, conn: conn, commitWithWrite: commitWithWrite}, nil
}

// roundTrip sends stmts in one round trip, after BEGIN when the transaction
// has not begun and before COMMIT when commit is set, and reads their
// results. The first error is returned; the statements after it did not
// run.
func (p *pgSession) roundTrip(ctx context.Context, commit bool, stmts ...pgStatement) error {
	var all []pgStatement
	if !p.begun {
		all = append(all, pgStatement{sql: "BEGIN"})
	}
	all = append(all, stmts...)
	if commit {
		all = append(all, pgStatement{sql: "COMMIT"})
	}
	events := beforeQueries(ctx, p.st.db, all)
	ran := 0 // statements that ran without error
	err := p.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("ingest: a %T is not a pgx connection", dc)
		}
		pc := c.Conn()
		if !p.begun {
			// Prepared outside the transaction: a failed preparation
			// aborts nothing. A no-op once the connection has them.
			for _, s := range p.st.pgStatements() {
				if _, err := pc.Prepare(ctx, s, s); err != nil {
					return fmt.Errorf("prepare: %w", err)
				}
			}
		}
		var b pgx.Batch
		for _, s := range all {
			b.Queue(s.sql, s.args...)
		}
		p.begun = true
		br := pc.SendBatch(ctx, &b)
		var err error
		ran, err = readBatch(br, all)
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if commit && err == nil {
		p.done = true
	}
	afterQueries(events, ran, err)
	return err
}

// readBatch reads the results of stmts from br, in order, until the first
// error, and returns how many it read without one.
func readBatch(br pgx.BatchResults, stmts []pgStatement) (int, error) {
	for i, s := range stmts {
		if s.scan == nil {
			if _, err := br.Exec(); err != nil {
				return i, err
			}
			continue
		}
		rows, err := br.Query()
		if err != nil {
			return i, err
		}
		err = s.scan(rows)
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return i, err
		}
	}
	return len(stmts), nil
}

func (p *pgSession) candidates(ctx context.Context, keys []int64, args []any) ([]candidates, error) {
	var found []candidates
	err := p.roundTrip(ctx, false,
		pgStatement{sql: p.st.lockThread, args: []any{keys}},
		pgStatement{sql: p.st.thread.query, args: args, scan: scanAll(p.st.db, &found)})
	return found, err
}

func (p *pgSession) ticket(ctx context.Context, id string) ([]ticketRow, []historyRow, error) {
	var (
		rows []ticketRow
		hist []historyRow
	)
	err := p.roundTrip(ctx, false,
		pgStatement{sql: p.st.ticketTerms.query, args: []any{id}, scan: scanAll(p.st.db, &rows)},
		pgStatement{sql: p.st.history.query, args: []any{id, id, id}, scan: scanAll(p.st.db, &hist)})
	if len(rows) == 0 {
		hist = nil
	}
	return rows, hist, err
}

func (p *pgSession) coverage(ctx context.Context, args []any) ([]coverage, error) {
	var rows []coverage
	err := p.roundTrip(ctx, false, pgStatement{sql: p.st.coverage.query, args: args, scan: scanAll(p.st.db, &rows)})
	return rows, err
}

func (p *pgSession) write(ctx context.Context, w *ticketWrite, ch, payload string) error {
	return p.roundTrip(ctx, p.commitWithWrite, pgStatement{sql: p.st.ticketWrite, args: p.st.writeArgs(w, ch, payload)})
}

// commit commits the transaction unless the write did.
func (p *pgSession) commit(ctx context.Context) error {
	if p.done {
		return nil
	}
	if err := p.roundTrip(ctx, true); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// close rolls back what was not committed and hands the connection back to
// the pool, closing it when the rollback fails: it may still hold the
// thread's locks.
func (p *pgSession) close(ctx context.Context) {
	if p.begun && !p.done {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		events := beforeQueries(ctx, p.st.db, []pgStatement{{sql: "ROLLBACK"}})
		err := p.conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok || c.Conn().IsClosed() {
				return driver.ErrBadConn
			}
			if _, err := c.Conn().Exec(ctx, "ROLLBACK"); err != nil {
				return errors.Join(driver.ErrBadConn, err)
			}
			return nil
		})
		afterQueries(events, 0, err)
	}
	p.conn.Close() //nolint:errcheck // closed already when the rollback failed
}

// scanAll returns a scan that reads every row into *dest, a slice of
// structs, by column name as Bun would: each value goes through the Bun
// field's scanner, so NULL reads as a zero value where Bun's would.
func scanAll[T any](db *bun.DB, dest *[]T) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		table := db.Table(reflect.TypeFor[T]())
		fds := rows.FieldDescriptions()
		for rows.Next() {
			values, err := rows.Values()
			if err != nil {
				return err
			}
			var v T
			rv := reflect.ValueOf(&v).Elem()
			for i, fd := range fds {
				f := table.LookupField(fd.Name)
				if f == nil {
					return fmt.Errorf("scan %s: no field for column %q", rv.Type(), fd.Name)
				}
				if err := f.ScanValue(rv, driverValue(values[i])); err != nil {
					return fmt.Errorf("scan %s.%s: %w", rv.Type(), fd.Name, err)
				}
			}
			*dest = append(*dest, v)
		}
		return nil
	}
}

// driverValue is v, decoded by pgx, as database/sql would hand it to a
// scanner: integers as int64, floats as float64.
func driverValue(v any) any {
	switch v := v.(type) {
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case float32:
		return float64(v)
	}
	return v
}

// beforeQueries runs db's query hooks' BeforeQuery for each of stmts, sent
// together (each from ctx: none is inside another).
func beforeQueries(ctx context.Context, db *bun.DB, stmts []pgStatement) []*hookedQuery {
	hooks := hooksOf(db)
	if len(hooks) == 0 {
		return nil
	}
	out := make([]*hookedQuery, len(stmts))
	for i, s := range stmts {
		_, out[i] = beforeQuery(ctx, db, hooks, s.sql, s.args)
	}
	return out
}

// errNotRun is the error of a statement that did not run because one sent
// before it in its round trip failed.
var errNotRun = errors.New("not run: an earlier statement of its round trip failed")

// afterQueries runs the hooks' AfterQuery for statements sent together, of
// which the first ran did so without error: the next one failed with err
// (when not nil), and those after it did not run.
func afterQueries(qs []*hookedQuery, ran int, err error) {
	for i, q := range qs {
		switch {
		case i < ran || err == nil:
			q.after(nil)
		case i == ran:
			q.after(err)
		default:
			q.after(errNotRun)
		}
	}
}
