package billing_test

import (
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/prioritysupport/backend/billing"
)

func TestUnusedDaysAndProRataRefund(t *testing.T) {
	const annual = 960000 // 12 × 800 USD
	utc := time.UTC
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	day := func(loc *time.Location, y int, m time.Month, d, h int) time.Time {
		return time.Date(y, m, d, h, 0, 0, 0, loc)
	}
	tests := []struct {
		name           string
		start, end, at time.Time
		loc            *time.Location
		unused, total  int64
		refund         int64
	}{
		{"first day refunds everything", day(utc, 2026, 1, 1, 0), day(utc, 2027, 1, 1, 0), day(utc, 2026, 1, 1, 10), utc, 365, 365, annual},
		{"last day refunds one day, rounded up", day(utc, 2026, 1, 1, 0), day(utc, 2027, 1, 1, 0), day(utc, 2026, 12, 31, 23), utc, 1, 365, 2631}, // 2630.13…
		{"mid-year", day(utc, 2026, 1, 1, 0), day(utc, 2027, 1, 1, 0), day(utc, 2026, 7, 2, 12), utc, 183, 365, 481316},                           // 481315.07…
		{"leap year: first day", day(utc, 2028, 1, 1, 0), day(utc, 2029, 1, 1, 0), day(utc, 2028, 1, 1, 0), utc, 366, 366, annual},
		{"leap year: last day", day(utc, 2028, 1, 1, 0), day(utc, 2029, 1, 1, 0), day(utc, 2028, 12, 31, 12), utc, 1, 366, 2623},       // 2622.95…
		{"leap year: 29 February", day(utc, 2028, 1, 1, 0), day(utc, 2029, 1, 1, 0), day(utc, 2028, 2, 29, 12), utc, 307, 366, 805246}, // 805245.90…
		{"local date, not UTC date", day(ny, 2026, 1, 1, 0), day(ny, 2027, 1, 1, 0), time.Date(2027, 1, 1, 3, 0, 0, 0, utc), ny, 1, 365, 2631},
		{"daylight saving does not change day counts", day(berlin, 2026, 3, 1, 0), day(berlin, 2027, 3, 1, 0), day(berlin, 2026, 10, 26, 0), berlin, 126, 365, 331398}, // 331397.26…
		{"after the period", day(utc, 2026, 1, 1, 0), day(utc, 2027, 1, 1, 0), day(utc, 2027, 2, 1, 0), utc, 0, 365, 0},
		{"before the period", day(utc, 2026, 1, 1, 0), day(utc, 2027, 1, 1, 0), day(utc, 2025, 6, 1, 0), utc, 365, 365, annual},
		{"nil location is UTC", day(utc, 2026, 1, 1, 0), day(utc, 2027, 1, 1, 0), day(utc, 2026, 12, 31, 23), nil, 1, 365, 2631},
		// New York: bounds stored as UTC midnights name their dates, so a
		// period ending 2028-03-01T00:00Z ends on 1 March and 29 February
		// is its last day, as it is with bounds at local midnights.
		{"New York, UTC-midnight bounds: 29 February is the last day", day(utc, 2027, 3, 1, 0), day(utc, 2028, 3, 1, 0), time.Date(2028, 2, 29, 14, 0, 0, 0, utc), ny, 1, 366, 2623}, // 2622.95…
		{"New York, UTC-midnight bounds: 1 March is the first day", day(utc, 2027, 3, 1, 0), day(utc, 2028, 3, 1, 0), time.Date(2027, 3, 1, 5, 0, 0, 0, utc), ny, 366, 366, annual},
		{"New York, local-midnight bounds: 29 February is the last day", day(ny, 2027, 3, 1, 0), day(ny, 2028, 3, 1, 0), time.Date(2028, 2, 29, 14, 0, 0, 0, utc), ny, 1, 366, 2623}, // 2622.95…
		{"New York, local-midnight bounds: 1 March is the first day", day(ny, 2027, 3, 1, 0), day(ny, 2028, 3, 1, 0), time.Date(2027, 3, 1, 5, 0, 0, 0, utc), ny, 366, 366, annual},
		// A New York period that starts on the day summer time ends (25
		// hours) and ends on it a year later: first and last local day.
		{"New York, first day is the 25-hour day", day(ny, 2026, 11, 1, 0), day(ny, 2027, 11, 1, 0), time.Date(2026, 11, 1, 6, 30, 0, 0, utc), ny, 365, 365, annual}, // 01:30 EST, the second 01:30
		{"New York, last day before summer time ends", day(ny, 2026, 11, 1, 0), day(ny, 2027, 11, 1, 0), time.Date(2027, 11, 1, 3, 30, 0, 0, utc), ny, 1, 365, 2631}, // 23:30 EDT on 31 October
		// One that starts on the day summer time begins (23 hours).
		{"New York, first day is the 23-hour day", day(ny, 2027, 3, 14, 0), day(ny, 2028, 3, 14, 0), time.Date(2027, 3, 14, 5, 30, 0, 0, utc), ny, 366, 366, annual}, // 00:30 EST
		{"New York, last day in summer time", day(ny, 2027, 3, 14, 0), day(ny, 2028, 3, 14, 0), time.Date(2028, 3, 14, 3, 59, 0, 0, utc), ny, 1, 366, 2623},          // 23:59 EDT on 13 March
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unused, total := billing.UnusedDays(tt.start, tt.end, tt.at, tt.loc)
			if unused != tt.unused || total != tt.total {
				t.Fatalf("UnusedDays = %d, %d; want %d, %d", unused, total, tt.unused, tt.total)
			}
			if got := billing.ProRataRefund(annual, unused, total); got != tt.refund {
				t.Errorf("ProRataRefund(%d, %d, %d) = %d, want %d", annual, unused, total, got, tt.refund)
			}
		})
	}
}

func TestProRataRefundEdges(t *testing.T) {
	// ceil(MaxInt64 × 364 / 365) computed with big integers: the 128-bit
	// product must not overflow.
	want := new(big.Int).Mul(big.NewInt(math.MaxInt64), big.NewInt(364))
	want.Add(want, big.NewInt(364))
	want.Quo(want, big.NewInt(365))
	tests := []struct {
		name                  string
		annual, unused, total int64
		want                  int64
	}{
		{"exact division", 365, 1, 365, 1},
		{"one cent over rounds up", 366, 1, 365, 2},
		{"fraction of a cent rounds up", 1, 1, 365, 1},
		{"960000 × 1 / 365", 960000, 1, 365, 2631},
		{"unused above total is the whole fee", 960000, 400, 365, 960000},
		{"no unused days", 960000, 0, 365, 0},
		{"zero-day period", 960000, 1, 0, 0},
		{"negative inputs", -960000, 10, 365, 0},
		{"negative unused", 960000, -1, 365, 0},
		{"no overflow", math.MaxInt64, 364, 365, want.Int64()},
		{"no overflow at the top", math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64, math.MaxInt64 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := billing.ProRataRefund(tt.annual, tt.unused, tt.total); got != tt.want {
				t.Errorf("ProRataRefund(%d, %d, %d) = %d, want %d", tt.annual, tt.unused, tt.total, got, tt.want)
			}
		})
	}
}
