package models_test

import (
	"testing"
	"time"

	"github.com/prioritysupport/backend/models"
)

// TestPlanSubscriptionInZone: a start given as a UTC midnight names a date,
// which begins at midnight in the subscription's SLA zone; periods are
// whole years of that zone's calendar; any other instant is kept.
func TestPlanSubscriptionInZone(t *testing.T) {
	ny, berlin := mustZone(t, "America/New_York"), mustZone(t, "Europe/Berlin")
	at := func(t time.Time) *time.Time { return &t }
	license := &models.License{Key: "L", Paid: true, ValidFrom: utcDay(2026, 1, 1), ValidUntil: utcDay(2027, 3, 1)}
	tests := []struct {
		name     string
		loc      *time.Location
		startsAt *time.Time
		now      time.Time
		want     models.SubscriptionTerms
	}{
		{
			name: "1 September UTC is 1 September in New York, not four hours of August", loc: ny,
			startsAt: at(utcDay(2026, 9, 1)), now: utcDay(2026, 8, 1),
			want: models.SubscriptionTerms{StartsAt: time.Date(2026, 9, 1, 0, 0, 0, 0, ny), Status: models.StatusPending,
				PeriodStart: time.Date(2026, 9, 1, 0, 0, 0, 0, ny), PeriodEnd: time.Date(2027, 9, 1, 0, 0, 0, 0, ny)},
		},
		{
			name: "the license renewal at a UTC midnight is that date in New York", loc: ny, now: utcDay(2026, 11, 1),
			want: models.SubscriptionTerms{StartsAt: time.Date(2027, 3, 1, 0, 0, 0, 0, ny), Status: models.StatusPending,
				PeriodStart: time.Date(2027, 3, 1, 0, 0, 0, 0, ny), PeriodEnd: time.Date(2028, 3, 1, 0, 0, 0, 0, ny)},
		},
		{
			name: "an imported start in winter: the current period keeps local midnights across summer time", loc: ny,
			startsAt: at(utcDay(2025, 1, 15)), now: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC),
			want: models.SubscriptionTerms{StartsAt: time.Date(2025, 1, 15, 0, 0, 0, 0, ny), Status: models.StatusActive,
				PeriodStart: time.Date(2026, 1, 15, 0, 0, 0, 0, ny), PeriodEnd: time.Date(2027, 1, 15, 0, 0, 0, 0, ny)},
		},
		{
			name: "east of UTC the date begins before the UTC midnight", loc: berlin,
			startsAt: at(utcDay(2026, 9, 1)), now: utcDay(2026, 11, 1),
			want: models.SubscriptionTerms{StartsAt: time.Date(2026, 8, 31, 22, 0, 0, 0, time.UTC), Status: models.StatusActive,
				PeriodStart: time.Date(2026, 8, 31, 22, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2027, 8, 31, 22, 0, 0, 0, time.UTC)},
		},
		{
			name: "a local midnight written with its offset is kept", loc: ny,
			startsAt: at(time.Date(2026, 9, 1, 0, 0, 0, 0, time.FixedZone("EDT", -4*3600))), now: utcDay(2026, 8, 1),
			want: models.SubscriptionTerms{StartsAt: time.Date(2026, 9, 1, 4, 0, 0, 0, time.UTC), Status: models.StatusPending,
				PeriodStart: time.Date(2026, 9, 1, 4, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2027, 9, 1, 4, 0, 0, 0, time.UTC)},
		},
		{
			name: "an instant with a time of day is kept", loc: ny,
			startsAt: at(time.Date(2026, 9, 1, 13, 30, 0, 0, time.UTC)), now: utcDay(2026, 8, 1),
			want: models.SubscriptionTerms{StartsAt: time.Date(2026, 9, 1, 13, 30, 0, 0, time.UTC), Status: models.StatusPending,
				PeriodStart: time.Date(2026, 9, 1, 13, 30, 0, 0, time.UTC), PeriodEnd: time.Date(2027, 9, 1, 13, 30, 0, 0, time.UTC)},
		},
		{
			name: "UTC is unchanged", loc: time.UTC,
			startsAt: at(utcDay(2026, 9, 1)), now: utcDay(2026, 8, 1),
			want: models.SubscriptionTerms{StartsAt: utcDay(2026, 9, 1), Status: models.StatusPending, PeriodStart: utcDay(2026, 9, 1), PeriodEnd: utcDay(2027, 9, 1)},
		},
		{
			name: "nil is UTC", startsAt: at(utcDay(2026, 9, 1)), now: utcDay(2026, 8, 1),
			want: models.SubscriptionTerms{StartsAt: utcDay(2026, 9, 1), Status: models.StatusPending, PeriodStart: utcDay(2026, 9, 1), PeriodEnd: utcDay(2027, 9, 1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := models.PlanSubscription(license, tt.startsAt, tt.now, tt.loc)
			if got.Status != tt.want.Status || !got.StartsAt.Equal(tt.want.StartsAt) ||
				!got.PeriodStart.Equal(tt.want.PeriodStart) || !got.PeriodEnd.Equal(tt.want.PeriodEnd) {
				t.Fatalf("PlanSubscription =\n  %s %s [%s, %s)\nwant\n  %s %s [%s, %s)",
					got.Status, got.StartsAt, got.PeriodStart, got.PeriodEnd,
					tt.want.Status, tt.want.StartsAt.UTC(), tt.want.PeriodStart.UTC(), tt.want.PeriodEnd.UTC())
			}
			for name, v := range map[string]time.Time{"StartsAt": got.StartsAt, "PeriodStart": got.PeriodStart, "PeriodEnd": got.PeriodEnd} {
				if v.Location() != time.UTC {
					t.Errorf("%s = %s, want it in UTC", name, v)
				}
			}
		})
	}
}

func TestSubscriptionDate(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	tests := []struct {
		name string
		t    time.Time
		loc  *time.Location
		want time.Time
	}{
		{"a UTC midnight names its UTC date", utcDay(2028, 3, 1), ny, utcDay(2028, 3, 1)},
		{"a local midnight names its local date", time.Date(2028, 3, 1, 0, 0, 0, 0, ny), ny, utcDay(2028, 3, 1)},
		{"another instant names its local date", time.Date(2028, 3, 1, 3, 0, 0, 0, time.UTC), ny, utcDay(2028, 2, 29)},
		{"nil is UTC", time.Date(2028, 3, 1, 3, 0, 0, 0, time.UTC), nil, utcDay(2028, 3, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.SubscriptionDate(tt.t, tt.loc); !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Fatalf("SubscriptionDate(%s) = %s, want %s", tt.t, got, tt.want)
			}
		})
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
