package bizhours_test

import (
	"testing"
	"time"

	"github.com/prioritysupport/backend/bizhours"
)

// benchCalendars are the default calendar and London 24×5 with 10 holidays.
func benchCalendars() []struct {
	name string
	cal  *bizhours.Calendar
} {
	return []struct {
		name string
		cal  *bizhours.Calendar
	}{
		{"default", bizhours.Default()},
		{"london-10-holidays", bizhours.MustNew("Europe/London", nil, ukHolidays2026)},
	}
}

var (
	sinkDuration time.Duration
	sinkTime     time.Time
)

func BenchmarkBusinessDurationYear(b *testing.B) {
	from := time.Date(2026, 1, 1, 9, 30, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	for _, bc := range benchCalendars() {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				sinkDuration = bc.cal.BusinessDuration(from, to)
			}
		})
	}
}

func BenchmarkAddBusinessYear(b *testing.B) {
	from := time.Date(2026, 1, 1, 9, 30, 0, 0, time.UTC)
	for _, bc := range benchCalendars() {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				sinkTime = bc.cal.AddBusiness(from, 2000*time.Hour)
			}
		})
	}
}

func BenchmarkBusinessDurationHour(b *testing.B) {
	from := time.Date(2026, 6, 10, 9, 30, 0, 0, time.UTC)
	to := from.Add(time.Hour)
	for _, bc := range benchCalendars() {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				sinkDuration = bc.cal.BusinessDuration(from, to)
			}
		})
	}
}
