package store

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
)

// Span asks for one page of a keyset-paginated list, in either direction:
// forwards, the First items after the cursor After (from the start without
// one), or backwards, the Last items before the cursor Before (up to the end
// without one). Cursors are opaque and belong to one order of one list.
type Span struct {
	First  int
	After  string
	Last   int
	Before string
}

// check returns the page size and whether the page is read backwards, or
// BAD_USER_INPUT for a size outside 1 to MaxPageSize or for mixing the two
// directions (first with last or before, last with after). Without First
// and Last the page is the first DefaultPageSize items.
func (p Span) check() (size int, backward bool, err error) {
	switch {
	case p.First != 0 && (p.Last != 0 || p.Before != ""), p.Last != 0 && p.After != "":
		return 0, false, models.Errorf(models.CodeBadUserInput, "page forwards (first, after) or backwards (last, before), not both")
	case p.First < 0 || p.First > MaxPageSize:
		return 0, false, models.Errorf(models.CodeBadUserInput, "first must be between 1 and %d", MaxPageSize)
	case p.Last < 0 || p.Last > MaxPageSize:
		return 0, false, models.Errorf(models.CodeBadUserInput, "last must be between 1 and %d", MaxPageSize)
	case p.First != 0:
		return p.First, false, nil
	case p.Last != 0:
		return p.Last, true, nil
	case p.Before != "":
		return DefaultPageSize, true, nil
	}
	return DefaultPageSize, false, nil
}

// keyColumn is one column of a keyset order: a timestamp, sorted
// descending or not; a nullable column sorts its nulls last, whichever the
// direction.
type keyColumn struct {
	expr     string
	nullable bool
	desc     bool
}

// keyset is the order of a paginated list: its columns, then the row's
// id in the direction of the last column, which makes every position
// unique. Its name is written into its cursors, so a cursor of another
// order is refused rather than misread.
type keyset struct {
	name    string
	columns []keyColumn
	id      string
}

// keysetCursor is what an opaque keyset cursor holds: the order's name, the
// row's key values (RFC 3339, "" for null) and its id.
type keysetCursor struct {
	Order  string   `json:"o"`
	Values []string `json:"v"`
	ID     string   `json:"i"`
}

// cursor returns the opaque cursor of a row whose key values are values
// (zero times for nulls) and whose id is id.
func (k keyset) cursor(values []time.Time, id string) string {
	c := keysetCursor{Order: k.name, ID: id, Values: make([]string, len(values))}
	for i, v := range values {
		if !v.IsZero() {
			c.Values[i] = v.UTC().Format(time.RFC3339Nano)
		}
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decode returns the key values (zero for null) and id of a cursor of this
// order, or BAD_USER_INPUT for anything else; arg names the argument.
func (k keyset) decode(arg, s string) ([]time.Time, string, error) {
	bad := models.Errorf(models.CodeBadUserInput, "%s is not a valid cursor of this list and order", arg)
	var c keysetCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" || c.Order != k.name || len(c.Values) != len(k.columns) {
		return nil, "", bad
	}
	values := make([]time.Time, len(c.Values))
	for i, v := range c.Values {
		if v == "" {
			if !k.columns[i].nullable {
				return nil, "", bad
			}
			continue
		}
		if values[i], err = time.Parse(time.RFC3339Nano, v); err != nil {
			return nil, "", bad
		}
		values[i] = values[i].UTC()
	}
	return values, c.ID, nil
}

// apply narrows q to the page span asks for (whose size and direction
// check returned), in the order the page is read: the list's order, or its
// reverse for a backward page, whose rows the caller reverses after the
// scan. It reads one row more than size, so that the caller can tell
// whether more follow. It returns BAD_USER_INPUT for a bad cursor.
func (k keyset) apply(q *bun.SelectQuery, span Span, size int, backward bool) (*bun.SelectQuery, error) {
	q, err := k.within(q, span)
	if err != nil {
		return nil, err
	}
	return q.OrderExpr(k.order(backward)).Limit(int64(size) + 1), nil
}

// within narrows q to the rows between span's cursors, or BAD_USER_INPUT
// for a bad cursor.
func (k keyset) within(q *bun.SelectQuery, span Span) (*bun.SelectQuery, error) {
	if span.After != "" {
		values, id, err := k.decode("after", span.After)
		if err != nil {
			return nil, err
		}
		cond, args := k.beyond(values, id, false)
		q = q.Where(cond, args...)
	}
	if span.Before != "" {
		values, id, err := k.decode("before", span.Before)
		if err != nil {
			return nil, err
		}
		cond, args := k.beyond(values, id, true)
		q = q.Where(cond, args...)
	}
	return q, nil
}

// order returns the ORDER BY list of the keyset, or of its reverse.
func (k keyset) order(backward bool) string {
	var parts []string
	for _, c := range k.columns {
		if c.nullable {
			parts = append(parts, "("+c.expr+" IS NULL) "+dir(backward))
		}
		parts = append(parts, c.expr+" "+dir(c.desc != backward))
	}
	last := k.columns[len(k.columns)-1]
	return strings.Join(append(parts, k.id+" "+dir(last.desc != backward)), ", ")
}

// dir returns the SQL sort direction.
func dir(desc bool) string {
	if desc {
		return "DESC"
	}
	return "ASC"
}

// beyond returns the condition (with its arguments bound) that holds for
// the rows after the position (values, id) in the list's order, or before
// it when before is set: the rows that differ from it first at some column
// and lie on that side there.
func (k keyset) beyond(values []time.Time, id string, before bool) (string, []any) {
	var ors []string
	var args []any
	var eq []string
	var eqArgs []any
	for i, c := range k.columns {
		cond, condArgs := c.side(values[i], before)
		if cond != "" {
			ors = append(ors, "("+strings.Join(append(append([]string{}, eq...), cond), " AND ")+")")
			args = append(append(args, eqArgs...), condArgs...)
		}
		if values[i].IsZero() {
			eq = append(eq, c.expr+" IS NULL")
		} else {
			eq = append(eq, c.expr+" = ?")
			eqArgs = append(eqArgs, values[i])
		}
	}
	op := ">"
	if k.columns[len(k.columns)-1].desc != before {
		op = "<"
	}
	ors = append(ors, "("+strings.Join(append(eq, k.id+" "+op+" ?"), " AND ")+")")
	args = append(append(args, eqArgs...), id)
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// side returns the condition under which the column lies after v (before v
// when before is set) in its order, nulls last; "" when no value can.
func (c keyColumn) side(v time.Time, before bool) (string, []any) {
	op := ">"
	if c.desc != before {
		op = "<"
	}
	switch {
	case !c.nullable:
		return c.expr + " " + op + " ?", []any{v}
	case v.IsZero() && before:
		return c.expr + " IS NOT NULL", nil
	case v.IsZero():
		return "", nil
	case before:
		return c.expr + " IS NOT NULL AND " + c.expr + " " + op + " ?", []any{v}
	}
	return "(" + c.expr + " IS NULL OR " + c.expr + " " + op + " ?)", []any{v}
}

// pageOf trims rows read by apply to the page: it drops the extra row,
// puts a backward page back in the list's order and says which sides have
// more. A page read after a cursor has items before it (the cursor's own
// at least), and one read before a cursor has items after it.
func pageOf[T any](rows []T, span Span, size int, backward bool) (page []T, hasNext, hasPrev bool) {
	more := len(rows) > size
	if more {
		rows = rows[:size]
	}
	if backward {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
		return rows, span.Before != "", more
	}
	return rows, more, span.After != ""
}

// Window is one page of a list held in memory (a ticket's messages, a
// customer's settlements, read whole by a batch loader), with each item's
// cursor and which sides have more.
type Window[T any] struct {
	Items           []T
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// WindowOf returns the page of span of items, a list in its order whose
// items id names uniquely, with Span's rules and errors: BAD_USER_INPUT for
// a bad size, a cursor this list did not make or one whose item has gone.
// A cursor names the item's id under the list's name.
func WindowOf[T any](list string, items []T, id func(T) string, span Span) (*Window[T], error) {
	size, backward, err := span.check()
	if err != nil {
		return nil, err
	}
	ks := keyset{name: list, columns: []keyColumn{}}
	lo, hi := 0, len(items)
	find := func(arg, cur string) (int, error) {
		_, want, err := ks.decode(arg, cur)
		if err != nil {
			return 0, err
		}
		for i, it := range items {
			if id(it) == want {
				return i, nil
			}
		}
		return 0, models.Errorf(models.CodeBadUserInput, "%s names an item that is no longer in the list", arg)
	}
	if span.After != "" {
		i, err := find("after", span.After)
		if err != nil {
			return nil, err
		}
		lo = i + 1
	}
	if span.Before != "" {
		i, err := find("before", span.Before)
		if err != nil {
			return nil, err
		}
		hi = max(i, lo)
	}
	w := &Window[T]{TotalCount: len(items)}
	if backward {
		from := max(lo, hi-size)
		w.Items, w.HasPreviousPage, w.HasNextPage = items[from:hi], from > lo, hi < len(items)
	} else {
		to := min(hi, lo+size)
		w.Items, w.HasNextPage, w.HasPreviousPage = items[lo:to], to < hi, lo > 0
	}
	w.Cursors = make([]string, len(w.Items))
	for i, it := range w.Items {
		w.Cursors[i] = ks.cursor(nil, id(it))
	}
	return w, nil
}
