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

// UnmarshalTime reads an RFC 3339 time. Anything else is a BAD_USER_INPUT
// *models.Error that quotes what was sent.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, models.Errorf(models.CodeBadUserInput, "a Time must be an RFC 3339 string, like \"2026-01-31T09:00:00Z\"")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, models.Errorf(models.CodeBadUserInput, "%q is not an RFC 3339 time, like \"2026-01-31T09:00:00Z\"", s)
	}
	return t, nil
}
