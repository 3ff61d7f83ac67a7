package metrics

import (
	"fmt"
	"testing"
)

func TestOperationLabelIsBounded(t *testing.T) {
	m := New()
	cases := map[string]string{"": "anonymous", "ListCustomers": "ListCustomers", "bad name!": "other", "x{y}": "other"}
	for in, want := range cases {
		if got := m.operationLabel(in); got != want {
			t.Errorf("operationLabel(%q) = %q, want %q", in, got, want)
		}
	}
	for i := 0; i < 2*maxOperationNames; i++ {
		m.operationLabel(fmt.Sprintf("Op%d", i))
	}
	if got := m.operationLabel("OneMore"); got != "other" {
		t.Fatalf("a new name past the bound got its own label %q", got)
	}
	if got := m.operationLabel("ListCustomers"); got != "ListCustomers" {
		t.Fatalf("a name seen before the bound lost its label: %q", got)
	}
}
