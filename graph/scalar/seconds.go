package scalar

import (
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalSeconds writes a duration as an Int of whole seconds, cut toward
// zero (a negative duration, such as the time past a due date, stays
// negative).
func MarshalSeconds(d time.Duration) graphql.Marshaler {
	return graphql.MarshalInt64(int64(d / time.Second))
}

// UnmarshalSeconds reads an Int of seconds into a duration, with
// UnmarshalInt's range and errors.
func UnmarshalSeconds(v any) (time.Duration, error) {
	n, err := unmarshalInt32(v)
	return time.Duration(n) * time.Second, err
}
