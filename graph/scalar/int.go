package scalar

import (
	"math"

	"github.com/99designs/gqlgen/graphql"

	"github.com/prioritysupport/backend/models"
)

// The range of a GraphQL Int: a signed 32-bit integer, as the GraphQL
// specification defines it. Inputs outside it are refused before they reach
// a resolver or a complexity function, so that no amount, page size or
// month count can be larger than the schema's own limits allow for.
const (
	MinInt = math.MinInt32
	MaxInt = math.MaxInt32
)

// MarshalInt writes an Int held in a Go int, exactly as gqlgen's
// graphql.MarshalInt does.
func MarshalInt(i int) graphql.Marshaler { return graphql.MarshalInt(i) }

// UnmarshalInt reads an Int into a Go int. It returns a BAD_USER_INPUT
// *models.Error for anything but a whole number in [MinInt, MaxInt].
func UnmarshalInt(v any) (int, error) {
	n, err := unmarshalInt32(v)
	return int(n), err
}

// MarshalInt64 writes an Int held in a Go int64, exactly as gqlgen's
// graphql.MarshalInt64 does.
func MarshalInt64(i int64) graphql.Marshaler { return graphql.MarshalInt64(i) }

// UnmarshalInt64 reads an Int into a Go int64, with UnmarshalInt's range and
// errors.
func UnmarshalInt64(v any) (int64, error) { return unmarshalInt32(v) }

// unmarshalInt32 reads a whole number as gqlgen does (a number, or a
// string of digits) and refuses one outside [MinInt, MaxInt].
func unmarshalInt32(v any) (int64, error) {
	n, err := graphql.UnmarshalInt64(v)
	if err != nil {
		return 0, models.Errorf(models.CodeBadUserInput, "an Int must be a whole number from %d to %d", MinInt, MaxInt)
	}
	if n < MinInt || n > MaxInt {
		return 0, models.Errorf(models.CodeBadUserInput, "%d is not an Int: an Int is a 32-bit whole number from %d to %d", n, MinInt, MaxInt)
	}
	return n, nil
}
