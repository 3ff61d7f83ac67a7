package bizhours_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/bizhours"
)

const h = time.Hour

// utc parses an RFC 3339 instant.
func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// allWeek is one interval covering the whole week (7×24).
var allWeek = []bizhours.Interval{{Day: time.Monday, Length: 7 * 24 * h}}

// ukHolidays2026 are England's 2026 bank holidays plus two company days.
var ukHolidays2026 = []string{
	"2026-01-01", "2026-01-02", "2026-04-03", "2026-04-06", "2026-05-04",
	"2026-05-25", "2026-08-31", "2026-12-24", "2026-12-25", "2026-12-28",
}

// laWeek is a custom Los Angeles week: weekdays 08:00–17:00, Saturday 22:00
// to Sunday 04:00 (across both DST changes, which happen Sunday 02:00) and
// Sunday 12:00–14:30.
var laWeek = []bizhours.Interval{
	{Day: time.Monday, Start: 8 * h, Length: 9 * h},
	{Day: time.Tuesday, Start: 8 * h, Length: 9 * h},
	{Day: time.Wednesday, Start: 8 * h, Length: 9 * h},
	{Day: time.Thursday, Start: 8 * h, Length: 9 * h},
	{Day: time.Friday, Start: 8 * h, Length: 9 * h},
	{Day: time.Saturday, Start: 22 * h, Length: 6 * h},
	{Day: time.Sunday, Start: 12 * h, Length: 150 * time.Minute},
}

func TestDefaultAddBusiness(t *testing.T) {
	cal := bizhours.Default()
	tests := []struct {
		name string
		from string
		d    time.Duration
		want string
	}{
		{"friday 23:30 plus 1h is monday 00:30", "2026-01-09T23:30:00Z", h, "2026-01-12T00:30:00Z"},
		{"saturday 10:00 plus 1h is monday 01:00", "2026-01-10T10:00:00Z", h, "2026-01-12T01:00:00Z"},
		{"sunday 23:59:59 plus 1h is monday 01:00", "2026-01-11T23:59:59Z", h, "2026-01-12T01:00:00Z"},
		{"monday 09:00 plus 1h is 10:00", "2026-01-12T09:00:00Z", h, "2026-01-12T10:00:00Z"},
		{"friday 23:00 plus 1h ends at the close, not monday", "2026-01-09T23:00:00Z", h, "2026-01-10T00:00:00Z"},
		{"monday 00:00 plus 120h is saturday 00:00", "2026-01-12T00:00:00Z", 120 * h, "2026-01-17T00:00:00Z"},
		{"nanosecond target", "2026-01-10T10:00:00Z", 1, "2026-01-12T00:00:00.000000001Z"},
		{"zero target stays on saturday", "2026-01-10T10:00:00Z", 0, "2026-01-10T10:00:00Z"},
		{"negative target returns from", "2026-01-10T10:00:00Z", -h, "2026-01-10T10:00:00Z"},
		{"2000 business hours from new year", "2026-01-01T00:00:00Z", 2000 * h, "2026-04-28T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := utc(t, tt.from)
			got := cal.AddBusiness(from, tt.d)
			if want := utc(t, tt.want); !got.Equal(want) {
				t.Errorf("AddBusiness(%v, %v) = %v, want %v", from, tt.d, got, want)
			}
			if got.Location() != from.Location() {
				t.Errorf("location %v, want from's %v", got.Location(), from.Location())
			}
		})
	}
}

func TestBusinessDuration(t *testing.T) {
	london := bizhours.MustNew("Europe/London", nil, ukHolidays2026)
	tests := []struct {
		name     string
		cal      *bizhours.Calendar
		from, to string
		want     time.Duration
	}{
		{"inside one day", bizhours.Default(), "2026-01-12T09:15:00Z", "2026-01-12T17:45:00Z", 8*h + 30*time.Minute},
		{"across a weekend", bizhours.Default(), "2026-01-09T23:00:00Z", "2026-01-12T01:00:00Z", 2 * h},
		{"inside a weekend", bizhours.Default(), "2026-01-10T01:00:00Z", "2026-01-11T23:00:00Z", 0},
		{"to before from", bizhours.Default(), "2026-01-12T10:00:00Z", "2026-01-12T09:00:00Z", 0},
		{"to equals from", bizhours.Default(), "2026-01-12T10:00:00Z", "2026-01-12T10:00:00Z", 0},
		{"a week", bizhours.Default(), "2026-01-07T13:00:00Z", "2026-01-14T13:00:00Z", 120 * h},
		{"year 2026 has 261 weekdays", bizhours.Default(), "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", 261 * 24 * h},
		// London 24×5 over the spring-forward weekend: the change is on a
		// closed Sunday, so Friday noon to Monday noon is 24h of 71h.
		{"london over spring forward", london, "2026-03-27T12:00:00Z", "2026-03-30T11:00:00Z", 24 * h},
		{"london over fall back", london, "2026-10-23T11:00:00Z", "2026-10-26T12:00:00Z", 24 * h},
		{"london 2026 less 10 holidays", london, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", 251 * 24 * h},
		{"far past and future are clamped", bizhours.Default(), "0001-01-01T00:00:00Z", "9999-01-01T00:00:00Z",
			bizhours.Default().BusinessDuration(utc(t, "1900-01-01T00:00:00Z"), utc(t, "2190-01-01T00:00:00Z"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cal.BusinessDuration(utc(t, tt.from), utc(t, tt.to)); got != tt.want {
				t.Errorf("BusinessDuration(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestIsOpen(t *testing.T) {
	def := bizhours.Default()
	late := bizhours.MustNew("", []bizhours.Interval{{Day: time.Thursday, Start: 20 * h, Length: 8 * h}}, nil)
	tests := []struct {
		name string
		cal  *bizhours.Calendar
		at   string
		want bool
	}{
		{"monday 00:00 opens", def, "2026-01-12T00:00:00Z", true},
		{"friday 23:59:59.999999999", def, "2026-01-09T23:59:59.999999999Z", true},
		{"saturday 00:00 closes", def, "2026-01-10T00:00:00Z", false},
		{"sunday 23:59:59.999999999", def, "2026-01-11T23:59:59.999999999Z", false},
		{"interval across midnight, before", late, "2026-01-08T19:59:59Z", false},
		{"interval across midnight, thursday", late, "2026-01-08T23:00:00Z", true},
		{"interval across midnight, friday", late, "2026-01-09T03:59:59Z", true},
		{"interval across midnight, after", late, "2026-01-09T04:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cal.IsOpen(utc(t, tt.at)); got != tt.want {
				t.Errorf("IsOpen(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestHolidays(t *testing.T) {
	xmas := bizhours.MustNew("", nil, []string{"2026-12-25"})
	// Thursday 20:00 to Friday 04:00 UTC, and Friday 2026-12-25 a holiday.
	late := bizhours.MustNew("", []bizhours.Interval{{Day: time.Thursday, Start: 20 * h, Length: 8 * h}}, []string{"2026-12-25"})
	london := bizhours.MustNew("Europe/London", nil, ukHolidays2026)
	t.Run("add", func(t *testing.T) {
		tests := []struct {
			name string
			cal  *bizhours.Calendar
			from string
			d    time.Duration
			want string
		}{
			{"thursday 23:30 plus 1h skips friday holiday", xmas, "2026-12-24T23:30:00Z", h, "2026-12-28T00:30:00Z"},
			{"from inside the holiday", xmas, "2026-12-25T09:00:00Z", h, "2026-12-28T01:00:00Z"},
			{"midnight-crossing interval stops at the holiday", late, "2026-12-24T23:30:00Z", h, "2026-12-31T20:30:00Z"},
			{"london good friday and easter monday", london, "2026-04-02T22:30:00Z", h, "2026-04-06T23:30:00Z"},
			{"london christmas run", london, "2026-12-23T23:30:00Z", h, "2026-12-29T00:30:00Z"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got, want := tt.cal.AddBusiness(utc(t, tt.from), tt.d), utc(t, tt.want); !got.Equal(want) {
					t.Errorf("AddBusiness(%s, %v) = %v, want %v", tt.from, tt.d, got.UTC(), want)
				}
			})
		}
	})
	t.Run("duration", func(t *testing.T) {
		tests := []struct {
			name     string
			cal      *bizhours.Calendar
			from, to string
			want     time.Duration
		}{
			{"across christmas", xmas, "2026-12-24T23:00:00Z", "2026-12-28T01:00:00Z", 2 * h},
			{"whole holiday", xmas, "2026-12-25T00:00:00Z", "2026-12-26T00:00:00Z", 0},
			{"midnight-crossing interval keeps its thursday part", late, "2026-12-24T00:00:00Z", "2026-12-26T00:00:00Z", 4 * h},
			{"holiday in BST is 23:00 to 23:00 UTC", london, "2026-05-03T22:00:00Z", "2026-05-05T00:00:00Z", h},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := tt.cal.BusinessDuration(utc(t, tt.from), utc(t, tt.to)); got != tt.want {
					t.Errorf("BusinessDuration(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
				}
			})
		}
	})
	t.Run("closed", func(t *testing.T) {
		for _, at := range []string{"2026-12-25T00:00:00Z", "2026-12-25T03:00:00Z", "2026-12-25T23:59:59Z"} {
			if xmas.IsOpen(utc(t, at)) || late.IsOpen(utc(t, at)) {
				t.Errorf("open at %s on a holiday", at)
			}
		}
	})
}

// TestDST checks real elapsed time over daylight-saving changes, with
// calendars whose open hours include the change.
func TestDST(t *testing.T) {
	london7 := bizhours.MustNew("Europe/London", allWeek, nil)
	la7 := bizhours.MustNew("America/Los_Angeles", allWeek, nil)
	sydney7 := bizhours.MustNew("Australia/Sydney", allWeek, nil)
	laSunday := bizhours.MustNew("America/Los_Angeles", []bizhours.Interval{{Day: time.Sunday, Length: 24 * h}}, nil)
	laNight := bizhours.MustNew("America/Los_Angeles", []bizhours.Interval{{Day: time.Sunday, Start: 1 * h, Length: 3 * h}}, nil)
	laOneToTwo := bizhours.MustNew("America/Los_Angeles", []bizhours.Interval{{Day: time.Sunday, Start: 1 * h, Length: h}}, nil)
	laTwoToThree := bizhours.MustNew("America/Los_Angeles", []bizhours.Interval{{Day: time.Sunday, Start: 2 * h, Length: h}}, nil)
	laSkipped := bizhours.MustNew("America/Los_Angeles", []bizhours.Interval{{Day: time.Sunday, Start: 150 * time.Minute, Length: h}}, nil)
	sydney := bizhours.MustNew("Australia/Sydney", nil, nil)
	// Santiago changes at midnight: the repeated hour after 2026-04-05 00:00
	// belongs to the holiday on that date; 2026-09-06 00:00 does not exist.
	santiago := bizhours.MustNew("America/Santiago", allWeek, []string{"2026-04-05", "2026-09-06"})

	t.Run("duration", func(t *testing.T) {
		tests := []struct {
			name     string
			cal      *bizhours.Calendar
			from, to string
			want     time.Duration
		}{
			{"london spring forward day is 23h", london7, "2026-03-29T00:00:00Z", "2026-03-29T23:00:00Z", 23 * h},
			{"london fall back day is 25h", london7, "2026-10-24T23:00:00Z", "2026-10-26T00:00:00Z", 25 * h},
			{"la spring forward day is 23h", la7, "2026-03-08T08:00:00Z", "2026-03-09T07:00:00Z", 23 * h},
			{"la fall back day is 25h", la7, "2026-11-01T07:00:00Z", "2026-11-02T08:00:00Z", 25 * h},
			{"sydney fall back day is 25h", sydney7, "2026-04-04T13:00:00Z", "2026-04-05T14:00:00Z", 25 * h},
			{"sydney spring forward day is 23h", sydney7, "2026-10-03T14:00:00Z", "2026-10-04T13:00:00Z", 23 * h},
			{"la sunday-only week in march", laSunday, "2026-03-02T08:00:00Z", "2026-03-09T07:00:00Z", 23 * h},
			{"la sunday-only week in november", laSunday, "2026-10-26T07:00:00Z", "2026-11-02T08:00:00Z", 25 * h},
			{"la sunday 01:00-04:00 in march", laNight, "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", 2 * h},
			{"la sunday 01:00-04:00 in november", laNight, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", 4 * h},
			{"la sunday 01:00-04:00 ordinary", laNight, "2026-11-08T00:00:00Z", "2026-11-09T00:00:00Z", 3 * h},
			{"la 01:00-02:00 on fall back day", laOneToTwo, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", h},
			{"la 02:00-03:00 on fall back day", laTwoToThree, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", 2 * h},
			{"la 02:30-03:30 on spring forward day", laSkipped, "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", 30 * time.Minute},
			{"sydney 24x5 weekend over fall back", sydney, "2026-04-03T12:00:00Z", "2026-04-05T15:00:00Z", 2 * h},
			{"sydney 24x5 weekend over spring forward", sydney, "2026-10-02T13:00:00Z", "2026-10-04T14:00:00Z", 2 * h},
			{"sydney 24x5 week after fall back", sydney, "2026-04-05T14:00:00Z", "2026-04-10T14:00:00Z", 120 * h},
			{"santiago saturday keeps 24h, the holiday gets the repeated hour", santiago, "2026-04-04T03:00:00Z", "2026-04-06T04:00:00Z", 24 * h},
			{"santiago holiday on a day without midnight", santiago, "2026-09-05T04:00:00Z", "2026-09-08T03:00:00Z", 48 * h},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := tt.cal.BusinessDuration(utc(t, tt.from), utc(t, tt.to)); got != tt.want {
					t.Errorf("BusinessDuration(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
				}
			})
		}
	})
	t.Run("add", func(t *testing.T) {
		tests := []struct {
			name string
			cal  *bizhours.Calendar
			from string
			d    time.Duration
			want string
		}{
			{"la 01:30 pst plus 1h is 03:30 pdt", la7, "2026-03-08T09:30:00Z", h, "2026-03-08T10:30:00Z"},
			{"la 01:30 pdt plus 1h is 01:30 pst", la7, "2026-11-01T08:30:00Z", h, "2026-11-01T09:30:00Z"},
			{"la sunday-only, whole spring forward sunday", laSunday, "2026-03-07T20:00:00Z", 23 * h, "2026-03-09T07:00:00Z"},
			{"la sunday-only, next sunday", laSunday, "2026-03-07T20:00:00Z", 23*h + 30*time.Minute, "2026-03-15T07:30:00Z"},
			{"sydney friday 23:30 aedt plus 1h is monday 00:30 aest", sydney, "2026-04-03T12:30:00Z", h, "2026-04-05T14:30:00Z"},
			{"sydney friday 23:30 aest plus 1h is monday 00:30 aedt", sydney, "2026-10-02T13:30:00Z", h, "2026-10-04T13:30:00Z"},
			{"sydney saturday plus 0 stays", sydney, "2026-10-03T02:00:00Z", 0, "2026-10-03T02:00:00Z"},
			{"santiago skips the holiday and its repeated hour", santiago, "2026-04-05T02:30:00Z", h, "2026-04-06T04:30:00Z"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got, want := tt.cal.AddBusiness(utc(t, tt.from), tt.d), utc(t, tt.want); !got.Equal(want) {
					t.Errorf("AddBusiness(%s, %v) = %v, want %v", tt.from, tt.d, got.UTC(), want)
				}
			})
		}
	})
	t.Run("open", func(t *testing.T) {
		tests := []struct {
			name string
			cal  *bizhours.Calendar
			at   string
			want bool
		}{
			{"sydney monday 00:00 aest opens at sunday 14:00 utc", sydney, "2026-04-05T14:00:00Z", true},
			{"sydney sunday 23:59:59 aest", sydney, "2026-04-05T13:59:59Z", false},
			{"sydney monday 00:00 aedt opens at sunday 13:00 utc", sydney, "2026-10-04T13:00:00Z", true},
			{"sydney sunday 23:59:59 aedt", sydney, "2026-10-04T12:59:59Z", false},
			{"sydney saturday 00:00 aedt closes at friday 13:00 utc", sydney, "2026-04-03T13:00:00Z", false},
			{"la 01:30 pdt, first pass, in 01:00-02:00", laOneToTwo, "2026-11-01T08:30:00Z", true},
			{"la 01:30 pst, repeat held at 02:00, not in 01:00-02:00", laOneToTwo, "2026-11-01T09:30:00Z", false},
			{"la 01:30 pst, repeat held at 02:00, in 02:00-03:00", laTwoToThree, "2026-11-01T09:30:00Z", true},
			{"la 03:00 pdt, skipped 02:30 starts at the change", laSkipped, "2026-03-08T10:00:00Z", true},
			{"santiago saturday 23:30 first pass", santiago, "2026-04-05T02:30:00Z", true},
			{"santiago saturday 23:30 repeat is the holiday", santiago, "2026-04-05T03:30:00Z", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := tt.cal.IsOpen(utc(t, tt.at)); got != tt.want {
					t.Errorf("IsOpen(%s) = %v, want %v", tt.at, got, tt.want)
				}
			})
		}
	})
}

func TestMonth(t *testing.T) {
	sydney := bizhours.MustNew("Australia/Sydney", nil, nil)
	la := bizhours.MustNew("America/Los_Angeles", nil, nil)
	santiago := bizhours.MustNew("America/Santiago", nil, nil)
	t.Run("bounds", func(t *testing.T) {
		tests := []struct {
			name       string
			cal        *bizhours.Calendar
			month      string
			start, end string
		}{
			{"utc", bizhours.Default(), "2026-02", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
			{"december", bizhours.Default(), "2026-12", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
			{"sydney april, aedt to aest", sydney, "2026-04", "2026-03-31T13:00:00Z", "2026-04-30T14:00:00Z"},
			{"la november, pdt to pst", la, "2026-11", "2026-11-01T07:00:00Z", "2026-12-01T08:00:00Z"},
			{"santiago september", santiago, "2026-09", "2026-09-01T04:00:00Z", "2026-10-01T03:00:00Z"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				start, end, err := tt.cal.MonthBounds(tt.month)
				if err != nil {
					t.Fatal(err)
				}
				if !start.Equal(utc(t, tt.start)) || !end.Equal(utc(t, tt.end)) {
					t.Errorf("MonthBounds(%s) = %v, %v, want %s, %s", tt.month, start.UTC(), end.UTC(), tt.start, tt.end)
				}
				if start.Location() != tt.cal.Location() {
					t.Errorf("location %v, want %v", start.Location(), tt.cal.Location())
				}
				if got := tt.cal.Month(start); got != tt.month {
					t.Errorf("Month(start) = %s, want %s", got, tt.month)
				}
				if got := tt.cal.Month(end.Add(-1)); got != tt.month {
					t.Errorf("Month(end-1ns) = %s, want %s", got, tt.month)
				}
				if got := tt.cal.Month(end); got == tt.month {
					t.Errorf("Month(end) = %s, want the next month", got)
				}
			})
		}
	})
	t.Run("month", func(t *testing.T) {
		tests := []struct {
			name string
			cal  *bizhours.Calendar
			at   string
			want string
		}{
			{"utc last instant", bizhours.Default(), "2026-01-31T23:59:59.999999999Z", "2026-01"},
			{"sydney is ahead", sydney, "2026-03-31T13:00:00Z", "2026-04"},
			{"sydney just before", sydney, "2026-03-31T12:59:59Z", "2026-03"},
			{"la is behind", la, "2026-12-01T07:59:59Z", "2026-11"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := tt.cal.Month(utc(t, tt.at)); got != tt.want {
					t.Errorf("Month(%s) = %s, want %s", tt.at, got, tt.want)
				}
			})
		}
	})
}

func TestParseMonth(t *testing.T) {
	tests := []struct {
		month string
		year  int
		m     time.Month
		ok    bool
	}{
		{"2026-01", 2026, time.January, true},
		{"2026-12", 2026, time.December, true},
		{"0999-09", 999, time.September, true},
		{"2026-13", 0, 0, false},
		{"2026-00", 0, 0, false},
		{"2026-1", 0, 0, false},
		{"26-01", 0, 0, false},
		{"2026/01", 0, 0, false},
		{"2026-01-01", 0, 0, false},
		{" 2026-01", 0, 0, false},
		{"2026-+1", 0, 0, false},
		{"２０２６-01", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.month, func(t *testing.T) {
			year, m, err := bizhours.ParseMonth(tt.month)
			if (err == nil) != tt.ok || year != tt.year || m != tt.m {
				t.Errorf("ParseMonth(%q) = %d, %v, %v; want %d, %v, ok %v", tt.month, year, m, err, tt.year, tt.m, tt.ok)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	iv := func(d time.Weekday, start, length time.Duration) bizhours.Interval {
		return bizhours.Interval{Day: d, Start: start, Length: length}
	}
	tests := []struct {
		name     string
		zone     string
		weekly   []bizhours.Interval
		holidays []string
		want     string // in the error; "" means no error
	}{
		{"utc by name", "UTC", nil, nil, ""},
		{"touching intervals", "", []bizhours.Interval{iv(time.Monday, 0, 12*h), iv(time.Monday, 12*h, 12*h)}, nil, ""},
		{"wrapping interval touching", "", []bizhours.Interval{iv(time.Saturday, 12*h, 36*h), iv(time.Monday, 0, 12*h)}, nil, ""},
		{"whole week", "Europe/London", allWeek, nil, ""},
		{"bad zone", "Mars/Olympus_Mons", nil, nil, "calendar zone"},
		{"local zone", "Local", nil, nil, "not an IANA zone"},
		{"bad holiday", "", nil, []string{"2026-12-25", "2026-02-30"}, `holiday "2026-02-30"`},
		{"short holiday", "", nil, []string{"2026-1-5"}, "want YYYY-MM-DD"},
		{"european holiday", "", nil, []string{"25/12/2026"}, "want YYYY-MM-DD"},
		{"overlap", "", []bizhours.Interval{iv(time.Monday, 9*h, 8*h), iv(time.Monday, 16*h, 2*h)}, nil, "interval 0 overlaps interval 1"},
		{"overlap across the week end", "", []bizhours.Interval{iv(time.Saturday, 12*h, 37*h), iv(time.Monday, 0, h)}, nil, "overlaps"},
		{"duplicate", "", []bizhours.Interval{iv(time.Friday, 0, h), iv(time.Friday, 0, h)}, nil, "overlaps"},
		{"start 24h", "", []bizhours.Interval{iv(time.Monday, 24*h, h)}, nil, "outside [0, 24h)"},
		{"negative start", "", []bizhours.Interval{iv(time.Monday, -1, h)}, nil, "outside [0, 24h)"},
		{"zero length", "", []bizhours.Interval{iv(time.Monday, 0, 0)}, nil, "not positive"},
		{"longer than a week", "", []bizhours.Interval{iv(time.Monday, 0, 7*24*h+1)}, nil, "longer than a week"},
		{"bad weekday", "", []bizhours.Interval{iv(7, 0, h)}, nil, "not a weekday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bizhours.New(tt.zone, tt.weekly, tt.holidays)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("month bounds", func(t *testing.T) {
		for _, m := range []string{"2026-13", "2026-1", "26-01", "1899-12", "2190-01"} {
			if _, _, err := bizhours.Default().MonthBounds(m); err == nil {
				t.Errorf("MonthBounds(%q): no error", m)
			}
		}
	})
	t.Run("must new panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("MustNew did not panic")
			}
		}()
		bizhours.MustNew("Nowhere/Special", nil, nil)
	})
}

// testCal is a calendar for property tests, with its definition for the
// wall-clock oracle.
type testCal struct {
	name     string
	zone     string
	weekly   []bizhours.Interval
	holidays []string
	cal      *bizhours.Calendar
}

func propertyCalendars() []testCal {
	cals := []testCal{
		{name: "default"},
		{name: "london-holidays", zone: "Europe/London", holidays: append([]string{"2027-03-28", "2025-10-26"}, ukHolidays2026...)},
		{name: "sydney", zone: "Australia/Sydney", holidays: []string{"2026-04-06", "2026-10-05"}},
		{name: "la-custom", zone: "America/Los_Angeles", weekly: laWeek, holidays: []string{"2026-03-08", "2026-07-03", "2026-11-26"}},
		{name: "la-7x24", zone: "America/Los_Angeles", weekly: allWeek},
		{name: "santiago-7x24", zone: "America/Santiago", weekly: allWeek, holidays: []string{"2026-04-05", "2026-09-06"}},
	}
	for i := range cals {
		cals[i].cal = bizhours.MustNew(cals[i].zone, cals[i].weekly, cals[i].holidays)
	}
	return cals
}

// transitions returns the zone changes of loc from 2025 to 2028.
func transitions(loc *time.Location) []time.Time {
	var ts []time.Time
	for t := time.Date(2025, 1, 1, 0, 0, 0, 0, loc); t.Year() < 2028; {
		_, end := t.ZoneBounds()
		if end.IsZero() {
			break
		}
		ts = append(ts, end)
		t = end
	}
	return ts
}

// randomInstant returns an instant in 2025–2027, often near a zone change.
func randomInstant(r *rand.Rand, near []time.Time) time.Time {
	if len(near) > 0 && r.IntN(2) == 0 {
		t := near[r.IntN(len(near))]
		return t.Add(time.Duration(r.Int64N(int64(96*h))) - 48*h)
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * h))))
}

// checkProperties checks the calendar laws for a <= b <= c and target d.
func checkProperties(t *testing.T, cal *bizhours.Calendar, a, b, c time.Time, d time.Duration) {
	t.Helper()
	ab, bc, ac := cal.BusinessDuration(a, b), cal.BusinessDuration(b, c), cal.BusinessDuration(a, c)
	if ac != ab+bc {
		t.Fatalf("duration(%v, %v) = %v, want %v + %v", a, c, ac, ab, bc)
	}
	if ab < 0 || ab > b.Sub(a) {
		t.Fatalf("duration(%v, %v) = %v, outside [0, %v]", a, b, ab, b.Sub(a))
	}
	due := cal.AddBusiness(a, d)
	if got := cal.BusinessDuration(a, due); got != d {
		t.Fatalf("duration(%v, AddBusiness(%v)) = %v", a, d, got)
	}
	if d > 0 {
		if !due.After(a) {
			t.Fatalf("AddBusiness(%v, %v) = %v, not after from", a, d, due)
		}
		last := due.Add(-1)
		if got := cal.BusinessDuration(a, last); got >= d {
			t.Fatalf("AddBusiness(%v, %v) = %v is not the earliest: %v already at %v", a, d, due, got, last)
		}
		if !cal.IsOpen(last) {
			t.Fatalf("AddBusiness(%v, %v) = %v, but %v is closed", a, d, due, last)
		}
	} else if !due.Equal(a) {
		t.Fatalf("AddBusiness(%v, 0) = %v", a, due)
	}
	if open, got := cal.IsOpen(a), cal.BusinessDuration(a, a.Add(1)); open != (got == 1) {
		t.Fatalf("IsOpen(%v) = %v, but duration of its nanosecond is %v", a, open, got)
	}
	month := cal.Month(b)
	start, end, err := cal.MonthBounds(month)
	if err != nil {
		t.Fatal(err)
	}
	if b.Before(start) || !b.Before(end) {
		t.Fatalf("%v outside MonthBounds(Month = %s) = [%v, %v)", b, month, start, end)
	}
}

// TestProperties runs the calendar laws on fixed pseudo-random inputs.
func TestProperties(t *testing.T) {
	for _, tc := range propertyCalendars() {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(tc.name))))
			near := transitions(tc.cal.Location())
			for range 3000 {
				ts := []time.Time{randomInstant(r, near), randomInstant(r, near), randomInstant(r, near)}
				if r.IntN(3) == 0 { // short spans too
					ts[1] = ts[0].Add(time.Duration(r.Int64N(int64(3 * h))))
					ts[2] = ts[1].Add(time.Duration(r.Int64N(int64(3 * h))))
				}
				sortTimes(ts)
				var d time.Duration
				switch r.IntN(4) {
				case 0:
					d = time.Duration(r.Int64N(int64(time.Minute)))
				case 1:
					d = time.Duration(r.Int64N(int64(8 * h)))
				case 2:
					d = time.Duration(r.Int64N(int64(2500 * h)))
				}
				checkProperties(t, tc.cal, ts[0], ts[1], ts[2], d)
			}
		})
	}
}

func sortTimes(ts []time.Time) {
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			if ts[j].Before(ts[i]) {
				ts[i], ts[j] = ts[j], ts[i]
			}
		}
	}
}

// naiveOpen reads the wall clock of t directly: open when its local date is
// no holiday and its local time falls in an interval started on this or an
// earlier day. It is wrong only in the hour repeated after a fall-back
// change, where the calendar holds its clock at the time of the change.
func naiveOpen(tc testCal, t time.Time) bool {
	l := t.In(tc.cal.Location())
	date := l.Format(time.DateOnly)
	for _, hol := range tc.holidays {
		if hol == date {
			return false
		}
	}
	weekly := tc.weekly
	if len(weekly) == 0 {
		weekly = []bizhours.Interval{{Day: time.Monday, Length: 5 * 24 * h}}
	}
	wall := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
	midnight := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	for back := range 8 {
		d := midnight.AddDate(0, 0, -back)
		for _, iv := range weekly {
			if d.Weekday() != iv.Day {
				continue
			}
			if s := d.Add(iv.Start); !wall.Before(s) && wall.Before(s.Add(iv.Length)) {
				return true
			}
		}
	}
	return false
}

// repeated reports whether t is in the hour repeated after a fall-back change.
func repeated(t time.Time) bool {
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return false
	}
	_, off := t.Zone()
	_, prev := start.Add(-1).Zone()
	return prev > off && t.Before(start.Add(time.Duration(prev-off)*time.Second))
}

// TestOracle compares the calendar with a minute-by-minute reading of the
// wall clock on spans around zone changes: IsOpen agrees with naiveOpen
// outside repeated hours, and BusinessDuration with the count of open
// minutes.
func TestOracle(t *testing.T) {
	for _, tc := range propertyCalendars() {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(2, uint64(len(tc.name))))
			near := transitions(tc.cal.Location())
			for range 40 {
				from := randomInstant(r, near).Truncate(time.Minute)
				to := from.Add(time.Duration(r.IntN(3*24*60)) * time.Minute)
				var open time.Duration
				for m := from; m.Before(to); m = m.Add(time.Minute) {
					got := tc.cal.IsOpen(m)
					if !repeated(m) && got != naiveOpen(tc, m) {
						t.Fatalf("IsOpen(%v) = %v, wall clock says %v", m.In(tc.cal.Location()), got, !got)
					}
					if got {
						open += time.Minute
					}
				}
				if got := tc.cal.BusinessDuration(from, to); got != open {
					t.Fatalf("BusinessDuration(%v, %v) = %v, minutes say %v", from, to, got, open)
				}
			}
		})
	}
}

// FuzzCalendar checks the calendar laws on fuzzed instants in 2025–2027.
func FuzzCalendar(f *testing.F) {
	f.Add(uint8(0), int64(0), int64(1), int64(2), int64(h))
	f.Add(uint8(1), int64(7366*h), int64(7367*h), int64(7400*h), int64(2000*h))
	f.Add(uint8(3), int64(7400*h), int64(7410*h), int64(7500*h), int64(3*h))
	f.Add(uint8(4), int64(10137*h), int64(10138*h), int64(10140*h), int64(90*time.Minute))
	f.Add(uint8(5), int64(11220*h), int64(11221*h), int64(11300*h), int64(25*h))
	cals := propertyCalendars()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int64(3 * 365 * 24 * h)
	f.Fuzz(func(t *testing.T, which uint8, a, b, c, d int64) {
		mod := func(v, n int64) int64 { return (v%n + n) % n }
		ts := []time.Time{base.Add(time.Duration(mod(a, span))), base.Add(time.Duration(mod(b, span))), base.Add(time.Duration(mod(c, span)))}
		sortTimes(ts)
		tc := cals[int(which)%len(cals)]
		checkProperties(t, tc.cal, ts[0], ts[1], ts[2], time.Duration(mod(d, int64(3000*h))))
	})
}
