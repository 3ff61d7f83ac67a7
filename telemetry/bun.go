package telemetry

import (
	"context"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/extra/bunotel"
	"go.opentelemetry.io/otel/trace"
)

// QueryHook returns, when tracing is on, bunotel's query hook: a client
// span per SQL statement named after its operation and table ("SELECT
// customers"), with the statement's text with each string literal replaced
// by ? (Bun writes the values into the text: they are names, addresses,
// message bodies) and the rows it affected. Only statements run inside a
// traced operation (an HTTP request, a resolver, a job) get a span. With
// tracing off, and so when called before Setup, it returns nil, and a
// query pays nothing for it.
func QueryHook() bun.QueryHook {
	if !On() {
		return nil
	}
	return queryHook{bunotel.NewQueryHook(
		bunotel.WithFormattedQueries(false),
		bunotel.WithSpanNameQueryGen(func(e *bun.QueryEvent) string {
			if name, ok := e.Stash[spanNameKey{}].(string); ok {
				return name
			}
			return e.Operation()
		}),
	)}
}

// spanNameKey stashes a statement's span name in the redacted event
// bunotel sees.
type spanNameKey struct{}

// querySpanName names a statement's span after its operation and table.
func querySpanName(e *bun.QueryEvent) string {
	op := e.Operation()
	if e.IQuery != nil {
		// The table without its alias: "customers AS c".
		if table, _, _ := strings.Cut(e.IQuery.GetTableName(), " "); table != "" {
			return op + " " + strings.Trim(table, `"`)
		}
	}
	return op
}

// queryHook is bunotel's hook for the statements whose context has a
// recording span, fed the statement's text without its values.
type queryHook struct{ inner *bunotel.QueryHook }

func (h queryHook) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	return h.inner.BeforeQuery(ctx, e)
}

func (h queryHook) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return
	}
	// Without the query object bunotel records QueryTemplate as it is.
	redacted := *e
	redacted.IQuery = nil
	redacted.Query = RedactSQL(e.Query)
	redacted.QueryTemplate = redacted.Query
	redacted.QueryArgs = nil
	redacted.Stash = map[any]any{spanNameKey{}: querySpanName(e)}
	h.inner.AfterQuery(ctx, &redacted)
}

// RedactSQL returns query with each string literal ('…', E'…' with its
// backslash escapes, X'…') replaced by ?, so what is left is the
// statement's shape: names, keywords, numbers and placeholders.
func RedactSQL(query string) string {
	out := make([]byte, 0, len(query))
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c != '\'' {
			out = append(out, c)
			continue
		}
		// A prefix letter (E, X, B, N, U&) belongs to the literal.
		escapes := false
		if n := len(out); n > 0 && isPrefix(out[n-1]) && (n == 1 || !isIdent(out[n-2])) {
			escapes = out[n-1] == 'E' || out[n-1] == 'e'
			out = out[:n-1]
		}
		for i++; i < len(query); i++ {
			if escapes && query[i] == '\\' {
				i++
				continue
			}
			if query[i] == '\'' {
				if i+1 < len(query) && query[i+1] == '\'' {
					i++
					continue
				}
				break
			}
		}
		out = append(out, '?')
	}
	return string(out)
}

// isPrefix reports whether c may prefix a string literal.
func isPrefix(c byte) bool {
	switch c {
	case 'E', 'e', 'X', 'x', 'B', 'b', 'N', 'n':
		return true
	}
	return false
}

// isIdent reports whether c may be part of an identifier or keyword.
func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
