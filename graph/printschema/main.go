// Command printschema writes the executable GraphQL schema, as the server
// serves it, to schema.graphql at the repository root, for client code
// generators (graphql-codegen, relay-compiler) and reviewers. go generate runs
// it after gqlgen, so the committed file cannot drift from the server.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/prioritysupport/backend/graph/generated"
)

func main() {
	out := flag.String("o", "schema.graphql", "the file to write")
	flag.Parse()
	if err := os.WriteFile(*out, Print(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "printschema:", err)
		os.Exit(1)
	}
}

// Print returns the executable schema in SDL: every type, field, argument,
// enum value and directive with its description, types sorted by name,
// built-in types and directives left out.
func Print() []byte {
	var buf bytes.Buffer
	buf.WriteString("# The GraphQL schema the server serves, printed by graph/printschema (go generate ./...). Do not edit.\n\n")
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	var sdl bytes.Buffer
	formatter.NewFormatter(&sdl, formatter.WithIndent("  ")).FormatSchema(schema)
	// The formatter writes definitions back to back; a blank line after
	// each top-level one keeps the file readable.
	lines := strings.Split(strings.TrimRight(sdl.String(), "\n"), "\n")
	for i, line := range lines {
		buf.WriteString(line)
		buf.WriteByte('\n')
		if i+1 < len(lines) && endsDefinition(line) {
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

// endsDefinition reports whether a printed line is the last of a top-level
// definition: its closing brace, or a definition that has no body.
func endsDefinition(line string) bool {
	if line == "}" {
		return true
	}
	for _, prefix := range []string{"scalar ", "directive ", "union "} {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

// undescribed returns the elements of the schema, built-ins and
// introspection aside, that have no description: types, fields, arguments,
// input fields, enum values and directives, each named as Type.field,
// Type.field(arg:), Enum.VALUE or @directive(arg:), sorted.
func undescribed(schema *ast.Schema) []string {
	var out []string
	for name, def := range schema.Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		if strings.TrimSpace(def.Description) == "" {
			out = append(out, name)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if strings.TrimSpace(f.Description) == "" {
				out = append(out, name+"."+f.Name)
			}
			for _, a := range f.Arguments {
				if strings.TrimSpace(a.Description) == "" {
					out = append(out, name+"."+f.Name+"("+a.Name+":)")
				}
			}
		}
		for _, v := range def.EnumValues {
			if strings.TrimSpace(v.Description) == "" {
				out = append(out, name+"."+v.Name)
			}
		}
	}
	for name, d := range schema.Directives {
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn {
			continue
		}
		if strings.TrimSpace(d.Description) == "" {
			out = append(out, "@"+name)
		}
		for _, a := range d.Arguments {
			if strings.TrimSpace(a.Description) == "" {
				out = append(out, "@"+name+"("+a.Name+":)")
			}
		}
	}
	sort.Strings(out)
	return out
}
