package migrations_test

import (
	"context"
	"testing"

	"github.com/prioritysupport/backend/migrations"
)

// TestSLAMonthFirstResponseCountsBackfill checks the migration adding the
// first-response counts to sla_months on both dialects: a month frozen
// before it gets its missed count (in a final report every first response
// is met or missed) and keeps NULL for the counts its row cannot tell.
func TestSLAMonthFirstResponseCountsBackfill(t *testing.T) {
	for name, databaseURL := range emptyDatabases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := migratedBefore(t, databaseURL(t), "20261202000001")
			now := "2026-12-02T00:00:00Z"
			for _, st := range []struct {
				query string
				args  []any
			}{
				{`INSERT INTO customers (id, name, search_name, created_at, updated_at) VALUES ('c1', 'C', 'c', ?, ?)`, []any{now, now}},
				{`INSERT INTO support_subscriptions (id, customer_id, status, early_access, monthly_fee_cents, currency, starts_at,
					first_response_target_seconds, follow_up_target_seconds, sla_timezone, created_at, updated_at)
					VALUES ('s1', 'c1', 'active', false, 80000, 'USD', ?, 3600, 3600, 'UTC', ?, ?)`, []any{now, now, now}},
				{`INSERT INTO sla_months (subscription_id, month, customer_id, met, tickets_received, first_responses, first_responses_met,
					follow_ups, evaluated_at) VALUES ('s1', '2026-11', 'c1', false, 3, 3, 1, 0, ?)`, []any{now}},
			} {
				if _, err := db.ExecContext(ctx, st.query, st.args...); err != nil {
					t.Fatalf("%s: %v", st.query, err)
				}
			}
			if _, err := migrations.Up(ctx, db); err != nil {
				t.Fatal(err)
			}
			var row struct {
				Missed       int    `bun:"first_responses_missed"`
				Answered     *int   `bun:"first_responses_answered"`
				Running      *int   `bun:"first_responses_running"`
				ByResolution *int   `bun:"first_responses_by_resolution"`
				Average      *int64 `bun:"average_first_response_seconds"`
			}
			if err := db.NewSelect().Table("sla_months").Column("first_responses_missed", "first_responses_answered", "first_responses_running",
				"first_responses_by_resolution", "average_first_response_seconds").Where("subscription_id = 's1'").Scan(ctx, &row); err != nil {
				t.Fatal(err)
			}
			if row.Missed != 2 || row.Answered != nil || row.Running != nil || row.ByResolution != nil || row.Average != nil {
				t.Fatalf("frozen month after the migration = %+v, want 2 missed and the rest NULL", row)
			}
		})
	}
}
