package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/store"
)

// TestOpenSizesThePool: the pool has the configured cap, and connections
// opened by a burst stay open for the next one instead of being closed down
// to database/sql's default of two idle connections.
func TestOpenSizesThePool(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ctx := context.Background()
		t.Run("defaults", func(t *testing.T) {
			db, err := store.Open(ctx, databaseURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got, want := db.Stats().MaxOpenConnections, store.DefaultMaxOpenConns(); got != want {
				t.Fatalf("MaxOpenConnections = %d, want %d", got, want)
			}
		})
		t.Run("configured", func(t *testing.T) {
			const conns = 6
			db, err := store.OpenWith(ctx, databaseURL, store.PoolOptions{MaxOpenConns: conns, ConnMaxLifetime: time.Hour, ConnMaxIdleTime: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got := db.Stats().MaxOpenConnections; got != conns {
				t.Fatalf("MaxOpenConnections = %d, want %d", got, conns)
			}
			// A burst that holds every connection at once: each goroutine
			// keeps its connection until all have one.
			var ready, done sync.WaitGroup
			ready.Add(conns)
			done.Add(conns)
			release := make(chan struct{})
			errs := make(chan error, conns)
			for range conns {
				go func() {
					defer done.Done()
					conn, err := db.Conn(ctx)
					ready.Done()
					if err != nil {
						errs <- err
						return
					}
					defer conn.Close()
					<-release
					var one int
					errs <- conn.QueryRowContext(ctx, "SELECT 1").Scan(&one)
				}()
			}
			ready.Wait()
			if open := db.Stats().OpenConnections; open != conns {
				t.Fatalf("the burst holds %d connections, want %d", open, conns)
			}
			close(release)
			done.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			st := db.Stats()
			if st.Idle != conns || st.MaxIdleClosed != 0 {
				t.Fatalf("after the burst: %d idle, %d closed as surplus idle; want all %d kept", st.Idle, st.MaxIdleClosed, conns)
			}
		})
	})
}

// TestPostgresSendsEachStatementOnce: the PostgreSQL connections use pgx's
// exec mode (one round trip per statement) unless the URL picks a mode.
func TestPostgresSendsEachStatementOnce(t *testing.T) {
	databaseURL := testdb.Postgres(t)
	ctx := context.Background()
	for _, c := range []struct {
		url  string
		want pgx.QueryExecMode
	}{
		{databaseURL, pgx.QueryExecModeExec},
		{databaseURL + "&default_query_exec_mode=simple_protocol", pgx.QueryExecModeSimpleProtocol},
	} {
		db, err := store.Open(ctx, c.url)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got pgx.QueryExecMode
		if err := conn.Raw(func(dc any) error {
			got = dc.(*stdlib.Conn).Conn().Config().DefaultQueryExecMode
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		db.Close()
		if got != c.want {
			t.Errorf("%s: mode %v, want %v", c.url, got, c.want)
		}
	}
}

// TestPostgresPlansPreparedStatementsOnce: the connections ask PostgreSQL
// for generic plans of prepared statements (planned once per connection,
// not per execution) unless the URL says otherwise.
func TestPostgresPlansPreparedStatementsOnce(t *testing.T) {
	databaseURL := testdb.Postgres(t)
	ctx := context.Background()
	for _, c := range []struct{ url, want string }{
		{databaseURL, "force_generic_plan"},
		{databaseURL + "&plan_cache_mode=auto", "auto"},
	} {
		db, err := store.Open(ctx, c.url)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = db.QueryRowContext(ctx, "SHOW plan_cache_mode").Scan(&got)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: plan_cache_mode %q, want %q", c.url, got, c.want)
		}
	}
}
