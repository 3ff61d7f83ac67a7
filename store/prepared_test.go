package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/store"
)

// TestPrepared: a prepared statement binds its arguments in order, reports
// no row as sql.ErrNoRows, and a statement that cannot be prepared yet (its
// table is missing) fails without being remembered as failed.
func TestPrepared(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ctx := context.Background()
		db, err := store.Open(ctx, databaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()

		sum := store.Prepare(db, "SELECT CAST(? AS bigint) * 10 + CAST(? AS bigint)")
		for i := range int64(20) {
			var got int64
			if err := sum.QueryRow(ctx, []any{i, int64(7)}, &got); err != nil {
				t.Fatal(err)
			}
			if want := i*10 + 7; got != want {
				t.Fatalf("sum(%d, 7) = %d, want %d", i, got, want)
			}
		}

		none := store.Prepare(db, "SELECT 1 WHERE CAST(? AS bigint) = 0")
		var one int
		if err := none.QueryRow(ctx, []any{int64(1)}, &one); !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("no row: err = %v, want sql.ErrNoRows", err)
		}

		db.ExecContext(ctx, "DROP TABLE IF EXISTS prepared_probe")
		t.Cleanup(func() { db.ExecContext(context.Background(), "DROP TABLE IF EXISTS prepared_probe") })
		probe := store.Prepare(db, "SELECT v FROM prepared_probe WHERE k = ?")
		if err := probe.QueryRow(ctx, []any{"a"}, &one); err == nil || errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("missing table: err = %v, want a preparation error", err)
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE prepared_probe (k text PRIMARY KEY, v integer NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO prepared_probe (k, v) VALUES ('a', 5)"); err != nil {
			t.Fatal(err)
		}
		if err := probe.QueryRow(ctx, []any{"a"}, &one); err != nil || one != 5 {
			t.Fatalf("after the table exists: %d, %v; want 5", one, err)
		}
	})
}

// countingHook counts the statements whose text holds a marker.
type countingHook struct {
	marker string
	n      atomic.Int64
}

func (h *countingHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (h *countingHook) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if strings.Contains(e.Query, h.marker) {
		h.n.Add(1)
	}
}

// TestPreparedInTransactions: in a transaction a prepared statement runs on
// the transaction's own connection, unprepared until Ready prepared it, and
// never waits for a second connection: with a pool of one, a transaction
// that ran it before it was ready would otherwise wait forever. Each run
// goes through the hooks AddQueryHook added.
func TestPreparedInTransactions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := store.OpenWith(ctx, databaseURL, store.PoolOptions{MaxOpenConns: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		hook := &countingHook{marker: "AS prepared_marker"}
		store.AddQueryHook(db, hook)

		double := store.Prepare(db, "SELECT CAST(? AS bigint) * 2 AS prepared_marker")
		scan := func(tx bun.Tx, in int64) int64 {
			t.Helper()
			var got []int64
			if err := double.Scan(ctx, tx, []any{in}, &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d rows, want 1", len(got))
			}
			return got[0]
		}
		for round, ready := range []bool{false, true} {
			if ready {
				if err := double.Ready(ctx); err != nil {
					t.Fatal(err)
				}
			}
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range int64(3) {
				if got := scan(tx, i+int64(round)*10); got != 2*(i+int64(round)*10) {
					t.Fatalf("ready %v: got %d", ready, got)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		if ctx.Err() != nil {
			t.Fatal("the transactions waited for a second connection")
		}
		if got := hook.n.Load(); got != 6 {
			t.Fatalf("the hook saw %d runs, want 6", got)
		}
	})
}
