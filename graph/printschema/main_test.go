package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/prioritysupport/backend/graph/generated"
)

// TestSchemaFileIsCurrent: the committed schema.graphql is what the
// server serves; go generate ./... rewrites it.
func TestSchemaFileIsCurrent(t *testing.T) {
	committed, err := os.ReadFile("../../schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, Print()) {
		t.Fatal("schema.graphql differs from the executable schema: run go generate ./...")
	}
}

// TestEverythingIsDescribed: every type, field, argument, input field,
// enum value and directive the schema defines has a description, so that
// clients' generated code and GraphiQL document the whole API.
func TestEverythingIsDescribed(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	missing := undescribed(schema)
	if len(missing) > 0 {
		t.Fatalf("%d schema elements lack a description:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// TestUndescribedIsFound: the check finds a missing description of each
// kind of element.
func TestUndescribedIsFound(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	ticket, status := schema.Types["Ticket"], schema.Types["TicketStatus"]
	filter, query := schema.Types["TicketFilter"], schema.Types["Query"]
	for name, clear := range map[string]func(){
		"Ticket":              func() { ticket.Description = "" },
		"Ticket.subject":      func() { ticket.Fields.ForName("subject").Description = "" },
		"TicketStatus.OPEN":   func() { status.EnumValues.ForName("OPEN").Description = "" },
		"TicketFilter.search": func() { filter.Fields.ForName("search").Description = "" },
		"Query.ticket(id:)":   func() { query.Fields.ForName("ticket").Arguments.ForName("id").Description = "" },
		"@hasRole":            func() { schema.Directives["hasRole"].Description = "" },
		"@hasRole(roles:)":    func() { schema.Directives["hasRole"].Arguments.ForName("roles").Description = "" },
		"nothing":             func() {},
	} {
		saved := snapshot(schema)
		clear()
		got := undescribed(schema)
		restore(saved)
		if name == "nothing" {
			if len(got) != 0 {
				t.Errorf("nothing cleared, yet %v", got)
			}
			continue
		}
		if len(got) != 1 || got[0] != name {
			t.Errorf("clearing %s finds %v", name, got)
		}
	}
}

// snapshot and restore save and put back every description of a schema.
func snapshot(s *ast.Schema) map[*string]string {
	out := map[*string]string{}
	for _, d := range s.Types {
		out[&d.Description] = d.Description
		for _, f := range d.Fields {
			out[&f.Description] = f.Description
			for _, a := range f.Arguments {
				out[&a.Description] = a.Description
			}
		}
		for _, v := range d.EnumValues {
			out[&v.Description] = v.Description
		}
	}
	for _, d := range s.Directives {
		out[&d.Description] = d.Description
		for _, a := range d.Arguments {
			out[&a.Description] = a.Description
		}
	}
	return out
}

func restore(saved map[*string]string) {
	for p, v := range saved {
		*p = v
	}
}
