package mail

import (
	"net/mail"
	"strings"
	"time"

	"github.com/prioritysupport/backend/models"
)

// fallbackLayouts are date forms that mail programs and relays write but
// net/mail.ParseDate refuses: no comma after the weekday, asctime/ctime
// forms, a colon in the offset, ISO 8601.
var fallbackLayouts = []string{
	"Mon 2 Jan 2006 15:04:05 -0700",
	"Mon 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04:05 -07:00",
	"2 Jan 2006 15:04:05 -07:00",
	"Mon, 2 Jan 2006 15:04:05.999999999 -0700",
	"Mon, 2 Jan 2006 15:04:05", // no zone: read as UTC
	"2 Jan 2006 15:04:05",
	time.UnixDate, // "Mon Jan 2 15:04:05 MST 2006"
	time.RubyDate, // "Mon Jan 02 15:04:05 -0700 2006"
	"Mon Jan 2 15:04:05 -0700 2006",
	time.ANSIC, // "Mon Jan _2 15:04:05 2006", read as UTC
	"Mon Jan 2 15:04:05 2006",
	time.RFC3339,
	"2006-01-02 15:04:05 -0700",
}

// obsoleteZones are the zone names RFC 5322 §4.3 gives offsets for; Go's
// time.Parse knows them only as names with offset zero.
var obsoleteZones = map[string]int{
	"UT": 0, "GMT": 0, "UTC": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
	"MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}

// receivedDate returns the date of one Received header value, the part after
// its last ';', in UTC; zero when there is none or it does not parse.
func receivedDate(value string) time.Time {
	i := strings.LastIndexByte(value, ';')
	if i < 0 {
		return time.Time{}
	}
	t := parseDate(value[i+1:])
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// parseDate returns the RFC 5322 date in s (obsolete forms included) in the
// zone it was written in, or zero when s holds none or one outside the
// window of accepted times (models.TimeWindow: a year past 9999 in UTC could
// not even be read back from SQLite). Runs of whitespace and folding are
// collapsed and trailing "(comments)" ignored.
func parseDate(s string) time.Time {
	if t := parseAnyDate(s); models.InTimeWindow(t) {
		return t
	}
	return time.Time{}
}

// parseAnyDate is parseDate without the window.
func parseAnyDate(s string) time.Time {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return time.Time{}
	}
	if t, err := mail.ParseDate(s); err == nil {
		return fixZone(t)
	}
	s = strings.Join(strings.Fields(stripComments(s)), " ")
	if t, err := mail.ParseDate(s); err == nil {
		return fixZone(t)
	}
	for _, layout := range fallbackLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return fixZone(t)
		}
	}
	return time.Time{}
}

// fixZone gives a time parsed with an obsolete zone name ("EST") the offset
// RFC 5322 assigns it; time.Parse leaves unknown names at offset zero. Other
// names (military zones, unknown abbreviations) stay at zero, which RFC 5322
// says to read as "-0000", an unknown zone.
func fixZone(t time.Time) time.Time {
	name, offset := t.Zone()
	hours, known := obsoleteZones[strings.ToUpper(name)]
	if !known || offset == hours*3600 {
		return t
	}
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, mo, d, h, mi, sec, t.Nanosecond(), time.FixedZone(strings.ToUpper(name), hours*3600))
}
