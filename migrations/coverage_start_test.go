package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/prioritysupport/backend/migrations"
)

// TestDomainCoverageStartBackfill checks that the migration moving the
// added_at of domains to when they begin to cover does so on both dialects:
// a subscription's initial domains to its start (past or future), domains
// added to a subscription before its start to the start, and domains added
// later left alone.
func TestDomainCoverageStartBackfill(t *testing.T) {
	for name, databaseURL := range emptyDatabases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := migratedBefore(t, databaseURL(t), "20261202110000")

			created := time.Date(2026, 11, 2, 9, 0, 0, 123456000, time.UTC)
			later := created.Add(48 * time.Hour)
			past := time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC)
			future := time.Date(2027, 1, 1, 5, 0, 0, 0, time.UTC)
			exec := func(query string, args ...any) {
				t.Helper()
				if _, err := db.NewRaw(query, args...).Exec(ctx); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
			}
			for _, c := range []string{"c1", "c2"} {
				exec("INSERT INTO customers (id, name, search_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)", c, c, c, created, created)
			}
			for _, s := range []struct {
				id, customer, status string
				starts               time.Time
			}{{"imported", "c1", "active", past}, {"pending", "c2", "pending", future}} {
				exec(`INSERT INTO support_subscriptions (id, customer_id, status, early_access, monthly_fee_cents, currency, starts_at,
					first_response_target_seconds, follow_up_target_seconds, sla_timezone, created_at, updated_at)
					VALUES (?, ?, ?, ?, 80000, 'USD', ?, 3600, 3600, 'UTC', ?, ?)`, s.id, s.customer, s.status, false, s.starts, created, created)
			}
			for _, d := range []struct {
				id, sub, customer string
				added             time.Time
			}{
				{"initial-imported", "imported", "c1", created},
				{"later-imported", "imported", "c1", later},
				{"initial-pending", "pending", "c2", created},
				{"later-pending", "pending", "c2", later},
			} {
				exec("INSERT INTO subscription_domains (id, subscription_id, customer_id, domain, live, added_at) VALUES (?, ?, ?, ?, ?, ?)",
					d.id, d.sub, d.customer, d.id+".example", true, d.added)
			}
			if _, err := migrations.Up(ctx, db); err != nil {
				t.Fatal(err)
			}
			want := map[string]time.Time{"initial-imported": past, "later-imported": later, "initial-pending": future, "later-pending": future}
			for id, at := range want {
				var got time.Time
				if err := db.NewSelect().Table("subscription_domains").Column("added_at").Where("id = ?", id).Scan(ctx, &got); err != nil {
					t.Fatal(err)
				}
				if !got.Equal(at) {
					t.Errorf("%s: added_at %s, want %s", id, got.UTC(), at)
				}
			}
		})
	}
}
