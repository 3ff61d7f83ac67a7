package model

import "fmt"

// Part is the answer of one field of a view (Ticket, SupportSubscription),
// read with the view's whole list before gqlgen walks it, so that gqlgen
// resolves the field in place instead of in a goroutine of its own. The
// zero Part was never read: its field was not selected when the view was
// made.
type Part[T any] struct {
	value T
	err   error
	read  bool
}

// PartOf returns the Part whose answer is v, or err when it could not be
// read (then only its own field fails, as a resolver's error would).
func PartOf[T any](v T, err error) Part[T] {
	return Part[T]{value: v, err: err, read: true}
}

// get returns the answer, or, for a Part never read, an error (INTERNAL to
// the client) naming field: a view never answers a field with data it was
// not given.
func (p Part[T]) get(field string) (T, error) {
	if !p.read {
		var zero T
		return zero, fmt.Errorf("%s was resolved but not read with its object", field)
	}
	return p.value, p.err
}
