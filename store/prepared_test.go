package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

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
