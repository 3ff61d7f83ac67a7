package migrations_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/migrations"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// tables the migrations create.
var tables = []string{"customers", "licenses", "support_subscriptions", "subscription_domains", "subscription_status_changes",
	"tickets", "ticket_messages", "ticket_actions", "sla_clocks", "credit_entries", "sla_months", "stripe_events", "settlements", "ticket_message_refs"}

// emptyDatabases return the URL of a new, empty database of each dialect.
var emptyDatabases = map[string]func(*testing.T) string{
	"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "m.db") },
	"postgres": func(t *testing.T) string { return testdb.EmptyPostgres(t) },
}

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
	for name, databaseURL := range emptyDatabases {
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

// TestMessageRefsBackfill checks that the migration adding
// ticket_message_refs fills it from the messages stored before it, on both
// dialects (each splits the space-separated ids its own way).
func TestMessageRefsBackfill(t *testing.T) {
	for name, databaseURL := range emptyDatabases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := migratedBefore(t, databaseURL(t), "20261126000006")
			now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
			if _, err := db.NewInsert().Model(&models.Ticket{ID: "t1", Status: models.TicketOpen, Subject: "s", OpenedAt: now, LastMessageAt: now, CreatedAt: now, UpdatedAt: now}).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			for _, m := range []*models.Message{
				{ID: "m1", TicketID: "t1", MessageID: "a@x", Direction: models.FromCustomer},
				{ID: "m2", TicketID: "t1", MessageID: "b@x", Direction: models.FromSupport, InReplyTo: "a@x", References: "a@x"},
				{ID: "m3", TicketID: "t1", MessageID: "c@x", Direction: models.FromCustomer, InReplyTo: "b@x", References: "a@x b@x c@x"},
			} {
				m.ReceivedAt, m.CreatedAt = now, now
				if _, err := db.NewInsert().Model(m).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := migrations.Up(ctx, db); err != nil {
				t.Fatal(err)
			}
			var got []string
			if err := db.NewSelect().Table("ticket_message_refs").ColumnExpr("message_id || ' -> ' || ref").Where("ticket_id = ?", "t1").
				OrderExpr("message_id, ref").Scan(ctx, &got); err != nil {
				t.Fatal(err)
			}
			want := []string{"b@x -> a@x", "c@x -> a@x", "c@x -> b@x"}
			if !slices.Equal(got, want) {
				t.Fatalf("backfilled refs %q, want %q", got, want)
			}
		})
	}
}

// migratedBefore opens the empty database at databaseURL and applies the
// migrations named before version, as a database deployed before that
// migration would be; the database is closed when the test ends.
func migratedBefore(t *testing.T, databaseURL, version string) *bun.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	all, err := migrations.For(db)
	if err != nil {
		t.Fatal(err)
	}
	before := migrate.NewMigrations()
	for _, m := range all.Sorted() {
		if m.Name < version {
			before.Add(m)
		}
	}
	old := migrate.NewMigrator(db, before)
	if err := old.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
