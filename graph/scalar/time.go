// Package scalar holds the GraphQL custom scalars: how they are written to
// and read from clients.
package scalar

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/prioritysupport/backend/models"
)

// MarshalTime writes t in RFC 3339 with as many fractional digits as it
// has, in UTC.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalTime reads an RFC 3339 time in the window of accepted times,
// [2000-01-01T00:00:00Z, 2100-01-01T00:00:00Z) (see models.TimeWindow).
// Anything else is a BAD_USER_INPUT *models.Error that quotes what was sent
// and, for a time outside it, names the window.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, models.Errorf(models.CodeBadUserInput, "a Time must be an RFC 3339 string, like \"2026-01-31T09:00:00Z\"")
	}
	if len(s) > maxTimeLength {
		return time.Time{}, models.Errorf(models.CodeBadUserInput, "a Time must be an RFC 3339 string of at most %d bytes, like \"2026-01-31T09:00:00Z\"", maxTimeLength)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, models.Errorf(models.CodeBadUserInput, "%q is not an RFC 3339 time, like \"2026-01-31T09:00:00Z\"", s)
	}
	if !models.InTimeWindow(t) {
		from, until := models.TimeWindow()
		return time.Time{}, models.Errorf(models.CodeBadUserInput, "the Time %q is outside the accepted window: times must lie from %s up to, not including, %s",
			s, from.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	return t, nil
}

// maxTimeLength bounds a Time as sent: the longest RFC 3339 form with
// nanoseconds and an offset is 35 bytes, so a longer string is not one and
// is not quoted back in full.
const maxTimeLength = 64
