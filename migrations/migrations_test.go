package migrations_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/migrations"
	"github.com/prioritysupport/backend/store"
)

// tables the migrations create.
var tables = []string{"customers", "licenses", "support_subscriptions", "subscription_domains", "subscription_status_changes",
	"tickets", "ticket_messages", "ticket_actions", "sla_clocks", "credit_entries", "sla_months", "stripe_events", "settlements"}

// migrationCount returns how many migrations db's dialect has.
func migrationCount(t *testing.T, db *bun.DB) int {
	t.Helper()
	m, err := migrations.For(db)
	if err != nil {
		t.Fatal(err)
	}
	return len(m.Sorted())
}

func TestUpCreatesTheSchemaOnce(t *testing.T) {
	for name, databaseURL := range map[string]func(*testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "m.db") },
		"postgres": func(t *testing.T) string { return testdb.EmptyPostgres(t) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, databaseURL(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			applied, err := migrations.Up(ctx, db)
			if err != nil || len(applied) != migrationCount(t, db) || len(applied) < 3 {
				t.Fatalf("first run applied %v, err %v", applied, err)
			}
			for _, table := range tables {
				if _, err := db.NewSelect().TableExpr(table).ColumnExpr("count(*)").Exec(ctx); err != nil {
					t.Errorf("table %s: %v", table, err)
				}
			}
			applied, err = migrations.Up(ctx, db)
			if err != nil || len(applied) != 0 {
				t.Fatalf("second run applied %v, err %v", applied, err)
			}
		})
	}
}

// TestConcurrentReplicasMigrateOnce starts four "replicas" migrating one
// empty PostgreSQL database at once: the advisory lock lets one apply the
// schema and the others find it done.
func TestConcurrentReplicasMigrateOnce(t *testing.T) {
	databaseURL := testdb.EmptyPostgres(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([][]string, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(ctx, databaseURL)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			results[i], errs[i] = migrations.Up(ctx, db)
		}()
	}
	wg.Wait()
	total := 0
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		total += len(results[i])
	}
	db := testdb.Open(t, databaseURL)
	if total != migrationCount(t, db) {
		t.Fatalf("%d migrations applied across replicas, want each once: %v", total, results)
	}
}
