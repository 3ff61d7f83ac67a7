package models_test

import (
	"testing"
	"time"

	"github.com/prioritysupport/backend/models"
)

func TestPlanSubscription(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	license := &models.License{Key: "L", Paid: true, ValidFrom: utcDay(2026, 1, 1), ValidUntil: utcDay(2027, 1, 1)}
	at := func(t time.Time) *time.Time { return &t }
	tests := []struct {
		name     string
		startsAt *time.Time
		want     models.SubscriptionTerms
	}{
		{
			name: "no start date starts at the license renewal",
			want: models.SubscriptionTerms{StartsAt: utcDay(2027, 1, 1), Status: models.StatusPending, PeriodStart: utcDay(2027, 1, 1), PeriodEnd: utcDay(2028, 1, 1)},
		},
		{
			name:     "future start date is pending",
			startsAt: at(utcDay(2026, 12, 15)),
			want:     models.SubscriptionTerms{StartsAt: utcDay(2026, 12, 15), Status: models.StatusPending, PeriodStart: utcDay(2026, 12, 15), PeriodEnd: utcDay(2027, 12, 15)},
		},
		{
			name:     "a moment from now is still pending",
			startsAt: at(now.Add(time.Nanosecond)),
			want:     models.SubscriptionTerms{StartsAt: now.Add(time.Nanosecond), Status: models.StatusPending, PeriodStart: now.Add(time.Nanosecond), PeriodEnd: now.AddDate(1, 0, 0).Add(time.Nanosecond)},
		},
		{
			name:     "start exactly now is active",
			startsAt: at(now),
			want:     models.SubscriptionTerms{StartsAt: now, Status: models.StatusActive, PeriodStart: now, PeriodEnd: now.AddDate(1, 0, 0)},
		},
		{
			name:     "past start date within the first year",
			startsAt: at(utcDay(2026, 3, 1)),
			want:     models.SubscriptionTerms{StartsAt: utcDay(2026, 3, 1), Status: models.StatusActive, PeriodStart: utcDay(2026, 3, 1), PeriodEnd: utcDay(2027, 3, 1)},
		},
		{
			name:     "past start date picks the yearly period containing now",
			startsAt: at(utcDay(2025, 3, 1)),
			want:     models.SubscriptionTerms{StartsAt: utcDay(2025, 3, 1), Status: models.StatusActive, PeriodStart: utcDay(2026, 3, 1), PeriodEnd: utcDay(2027, 3, 1)},
		},
		{
			name:     "several years back",
			startsAt: at(utcDay(2019, 12, 1)),
			want:     models.SubscriptionTerms{StartsAt: utcDay(2019, 12, 1), Status: models.StatusActive, PeriodStart: utcDay(2025, 12, 1), PeriodEnd: utcDay(2026, 12, 1)},
		},
		{
			name:     "a period ending exactly now is over",
			startsAt: at(now.AddDate(-1, 0, 0)),
			want:     models.SubscriptionTerms{StartsAt: now.AddDate(-1, 0, 0), Status: models.StatusActive, PeriodStart: now, PeriodEnd: now.AddDate(1, 0, 0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := models.PlanSubscription(license, tt.startsAt, now, time.UTC)
			if got.Status != tt.want.Status ||
				!got.StartsAt.Equal(tt.want.StartsAt) ||
				!got.PeriodStart.Equal(tt.want.PeriodStart) ||
				!got.PeriodEnd.Equal(tt.want.PeriodEnd) {
				t.Fatalf("PlanSubscription =\n  %s %s [%s, %s)\nwant\n  %s %s [%s, %s)",
					got.Status, got.StartsAt, got.PeriodStart, got.PeriodEnd,
					tt.want.Status, tt.want.StartsAt, tt.want.PeriodStart, tt.want.PeriodEnd)
			}
		})
	}
}

func TestSubscriptionStatusLive(t *testing.T) {
	tests := []struct {
		status models.SubscriptionStatus
		want   bool
	}{
		{models.StatusPending, true},
		{models.StatusActive, true},
		{models.StatusCanceled, false},
		{models.StatusExpired, false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			if got := tt.status.Live(); got != tt.want {
				t.Fatalf("%q.Live() = %v, want %v", tt.status, got, tt.want)
			}
		})
	}
}

func TestSubscriptionEffectiveStatus(t *testing.T) {
	start := utcDay(2027, 1, 1)
	tests := []struct {
		name   string
		status models.SubscriptionStatus
		now    time.Time
		want   models.SubscriptionStatus
	}{
		{"pending before its start", models.StatusPending, start.Add(-time.Microsecond), models.StatusPending},
		{"pending at its start reads active", models.StatusPending, start, models.StatusActive},
		{"pending after its start reads active", models.StatusPending, start.AddDate(0, 1, 0), models.StatusActive},
		{"active stays active", models.StatusActive, start.AddDate(0, 1, 0), models.StatusActive},
		{"canceled stays canceled after the start", models.StatusCanceled, start.AddDate(0, 1, 0), models.StatusCanceled},
		{"expired stays expired", models.StatusExpired, start.AddDate(2, 0, 0), models.StatusExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &models.SupportSubscription{Status: tt.status, StartsAt: start}
			if got := s.EffectiveStatus(tt.now); got != tt.want {
				t.Fatalf("EffectiveStatus = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSubscriptionMonthlyFee(t *testing.T) {
	s := &models.SupportSubscription{MonthlyFeeCents: 80000, Currency: "USD"}
	if got, want := s.MonthlyFee(), (models.Money{Cents: 80000, Currency: "USD"}); got != want {
		t.Fatalf("MonthlyFee = %+v, want %+v", got, want)
	}
}

func TestMoneyString(t *testing.T) {
	tests := []struct {
		money models.Money
		want  string
	}{
		{models.Money{Cents: 80000, Currency: "USD"}, "USD 800.00"},
		{models.Money{Cents: 960000, Currency: "USD"}, "USD 9600.00"},
		{models.Money{Cents: 5, Currency: "EUR"}, "EUR 0.05"},
		{models.Money{Cents: 0, Currency: "USD"}, "USD 0.00"},
		{models.Money{Cents: -12345, Currency: "USD"}, "USD -123.45"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.money.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
