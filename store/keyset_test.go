package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/models"
)

// TestWindowOf: an in-memory list pages forwards and backwards with exact
// page info, and refuses cursors it did not make.
func TestWindowOf(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	id := func(s string) string { return s }
	cursor := func(item string) string {
		w, err := WindowOf("letters", items, id, Span{First: 5})
		if err != nil {
			t.Fatal(err)
		}
		return w.Cursors[slices.Index(items, item)]
	}
	tests := []struct {
		name           string
		span           Span
		want           string
		next, previous bool
	}{
		{"first page", Span{First: 2}, "ab", true, false},
		{"middle", Span{First: 2, After: cursor("b")}, "cd", true, true},
		{"last page forwards", Span{First: 2, After: cursor("d")}, "e", false, true},
		{"after the last", Span{First: 2, After: cursor("e")}, "", false, true},
		{"last items", Span{Last: 2}, "de", false, true},
		{"before", Span{Last: 2, Before: cursor("d")}, "bc", true, true},
		{"before, short", Span{Last: 2, Before: cursor("b")}, "a", true, false},
		{"before the first", Span{Last: 2, Before: cursor("a")}, "", true, false},
		{"default size", Span{}, "abcde", false, false},
		// Before without first pages backwards: hasPreviousPage looks no
		// further back than after, as Relay's algorithm does.
		{"between", Span{After: cursor("a"), Before: cursor("e")}, "bcd", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := WindowOf("letters", items, id, tt.span)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(w.Items, ""); got != tt.want || w.HasNextPage != tt.next || w.HasPreviousPage != tt.previous || w.TotalCount != 5 {
				t.Errorf("page %q next %v previous %v total %d; want %q %v %v 5", got, w.HasNextPage, w.HasPreviousPage, w.TotalCount, tt.want, tt.next, tt.previous)
			}
			for i, c := range w.Cursors {
				if c != cursor(w.Items[i]) {
					t.Errorf("cursor of %s differs between pages", w.Items[i])
				}
			}
		})
	}
	other, _ := WindowOf("numbers", []string{"a"}, id, Span{})
	for name, span := range map[string]Span{
		"first and last":        {First: 1, Last: 1},
		"last with after":       {Last: 1, After: cursor("a")},
		"first with before":     {First: 1, Before: cursor("a")},
		"too large":             {Last: MaxPageSize + 1},
		"negative":              {First: -1},
		"garbage":               {After: "%%%"},
		"another list's cursor": {After: other.Cursors[0]},
		"a gone item":           {After: keyset{name: "letters"}.cursor(nil, "z")},
	} {
		_, err := WindowOf("letters", items, id, span)
		var e *models.Error
		if !errors.As(err, &e) || e.Code != models.CodeBadUserInput {
			t.Errorf("%s: %v, want BAD_USER_INPUT", name, err)
		}
	}
}

// TestKeysetCursors: a keyset cursor round-trips its values (null as
// zero) and is refused by another order or with a null where the column
// has none.
func TestKeysetCursors(t *testing.T) {
	due := keyset{name: "due", columns: []keyColumn{{expr: "t.current_due_at", nullable: true}, {expr: "t.opened_at"}}, id: "t.id"}
	at := time.Date(2026, 11, 10, 12, 0, 0, 123456000, time.FixedZone("x", 3600))
	c := due.cursor([]time.Time{{}, at}, "id-1")
	values, id, err := due.decode("after", c)
	if err != nil || id != "id-1" || !values[0].IsZero() || !values[1].Equal(at) {
		t.Fatalf("decode = %v %q %v", values, id, err)
	}
	if _, _, err := (keyset{name: "other", columns: due.columns, id: "t.id"}).decode("after", c); err == nil {
		t.Error("another order's cursor is accepted")
	}
	created := keyset{name: "due", columns: []keyColumn{{expr: "t.opened_at"}, {expr: "t.opened_at"}}, id: "t.id"}
	if _, _, err := created.decode("after", c); err == nil {
		t.Error("a null is accepted for a column that has none")
	}
	cond, args := due.beyond([]time.Time{{}, at}, "id-1", false)
	if want := "((t.current_due_at IS NULL AND t.opened_at > ?) OR (t.current_due_at IS NULL AND t.opened_at = ? AND t.id > ?))"; cond != want || len(args) != 3 {
		t.Errorf("after a null due time: %s %v\nwant %s", cond, args, want)
	}
	cond, _ = due.beyond([]time.Time{at, at}, "id-1", true)
	if !strings.HasPrefix(cond, "((t.current_due_at IS NOT NULL AND t.current_due_at < ?)") {
		t.Errorf("before a due time: %s", cond)
	}
}
