package store_test

import (
	"fmt"
	"testing"
	"time"
)

// TestThreadingWithHostileMessageIDs: message ids are bound, not written
// into the statements, so ids holding quotes, backslashes, placeholders,
// JSON and SQL punctuation thread like any other, and a References header
// longer than the kept limit still finds its parent.
func TestThreadingWithHostileMessageIDs(t *testing.T) {
	ids := []string{
		`a'b@x.example`, `a"b@x.example`, `a\b@x.example`, `?$1@x.example`, `"]},{"x@x.example`,
		`a'); DROP TABLE tickets;--@x.example`, `ünï©ødé@x.example`, `[1,2]@x.example`, `%_*@x.example`,
	}
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.eligibleCustomer("Hostile")
		f.subscribe(c.ID, "hostile.example")
		for i, id := range ids {
			at := testNow.Add(time.Duration(i) * time.Minute)
			open := f.ingest(mail(id, "ann@hostile.example", at))
			if open.TicketID == "" || open.Duplicate {
				t.Fatalf("%q: %+v", id, open)
			}
			if again := f.ingest(mail(id, "ann@hostile.example", at)); !again.Duplicate || again.TicketID != open.TicketID {
				t.Fatalf("%q delivered again: %+v, want a duplicate of %s", id, again, open.TicketID)
			}
			// A reply naming the parent after more references than are kept
			// (newest first): the parent is among the kept ones.
			reply := mail("re-"+fmt.Sprint(i)+"@x.example", "ann@hostile.example", at.Add(time.Second))
			for j := range 60 {
				reply.References = append(reply.References, fmt.Sprintf("gone-%d-%d@x.example", i, j))
			}
			reply.References = append(reply.References, id)
			if r := f.ingest(reply); r.TicketID != open.TicketID {
				t.Fatalf("reply to %q on ticket %s, want %s", id, r.TicketID, open.TicketID)
			}
		}
	})
}
