package scalar_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/prioritysupport/backend/graph/scalar"
	"github.com/prioritysupport/backend/models"
)

// wantBadInput fails the test unless err is BAD_USER_INPUT with a message
// containing every one of parts.
func wantBadInput(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if code := models.ErrorCode(err); code != models.CodeBadUserInput {
		t.Fatalf("%s: code %q (%v), want BAD_USER_INPUT", what, code, err)
	}
	for _, p := range parts {
		if msg := models.ErrorMessage(err); !strings.Contains(msg, p) {
			t.Fatalf("%s: message %q does not mention %q", what, msg, p)
		}
	}
}

// written returns what a marshaler writes.
func written(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

func TestUnmarshalTimeWindow(t *testing.T) {
	for _, s := range []string{"2000-01-01T00:00:00Z", "2099-12-31T23:59:59.999999999Z", "2000-01-01T01:00:00+01:00", "2026-11-26T09:00:00-05:00"} {
		got, err := scalar.UnmarshalTime(s)
		if err != nil {
			t.Fatalf("UnmarshalTime(%q) = %v", s, err)
		}
		if want, _ := time.Parse(time.RFC3339Nano, s); !got.Equal(want) {
			t.Fatalf("UnmarshalTime(%q) = %s", s, got)
		}
	}
	for _, s := range []string{"9999-12-31T00:00:00Z", "2100-01-01T00:00:00Z", "2099-12-31T23:00:00-05:00", "1999-12-31T23:59:59.999999999Z", "2000-01-01T00:59:59+01:00", "0001-01-01T00:00:00Z"} {
		_, err := scalar.UnmarshalTime(s)
		wantBadInput(t, s, err, `"`+s+`"`, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
	}
	for _, v := range []any{"yesterday", 1700000000, nil, strings.Repeat("9", 1<<16)} {
		_, err := scalar.UnmarshalTime(v)
		wantBadInput(t, "a non-time", err, "RFC 3339")
		if msg := models.ErrorMessage(err); len(msg) > 200 {
			t.Fatalf("message quotes the input in full: %d bytes", len(msg))
		}
	}
}

func TestIntIs32Bit(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int64
	}{
		{int64(0), 0},
		{int64(math.MaxInt32), math.MaxInt32},
		{int64(math.MinInt32), math.MinInt32},
		{json.Number("2147483647"), math.MaxInt32},
		{"-2147483648", math.MinInt32},
		{12, 12},
	} {
		n, err := scalar.UnmarshalInt(tc.in)
		if err != nil || int64(n) != tc.want {
			t.Fatalf("UnmarshalInt(%#v) = %d, %v; want %d", tc.in, n, err, tc.want)
		}
		n64, err := scalar.UnmarshalInt64(tc.in)
		if err != nil || n64 != tc.want {
			t.Fatalf("UnmarshalInt64(%#v) = %d, %v; want %d", tc.in, n64, err, tc.want)
		}
	}
	for _, in := range []any{int64(math.MaxInt32) + 1, int64(math.MinInt32) - 1, int64(1) << 62, int64(6148914691236497202), json.Number("4611686018427387904"), "2147483648"} {
		_, err := scalar.UnmarshalInt(in)
		wantBadInput(t, "UnmarshalInt", err, "2147483647")
		_, err = scalar.UnmarshalInt64(in)
		wantBadInput(t, "UnmarshalInt64", err, "2147483647")
	}
	for _, in := range []any{1.5, "twelve", json.Number("1e3"), true, json.Number("99999999999999999999")} {
		_, err := scalar.UnmarshalInt64(in)
		wantBadInput(t, "UnmarshalInt64", err, "whole number")
	}
	for _, n := range []int{0, -1, math.MaxInt32, math.MaxInt} {
		if got, want := written(scalar.MarshalInt(n)), written(graphql.MarshalInt(n)); got != want {
			t.Fatalf("MarshalInt(%d) = %s, want %s", n, got, want)
		}
		if got, want := written(scalar.MarshalInt64(int64(n))), written(graphql.MarshalInt64(int64(n))); got != want {
			t.Fatalf("MarshalInt64(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestStringAndIDInput(t *testing.T) {
	ok := []string{"", "Acme Corp", "line one\nline two\r\n\tindented", "Ü ✓ 🙂", strings.Repeat("a", scalar.MaxStringBytes)}
	for _, s := range ok {
		got, err := scalar.UnmarshalString(s)
		if err != nil || got != s {
			t.Fatalf("UnmarshalString(%.40q) = %.40q, %v", s, got, err)
		}
	}
	for _, tc := range []struct{ name, s, part string }{
		{"NUL", "a\x00b", "U+0000"},
		{"escape", "a\x1bb", "U+001B"},
		{"vertical tab", "a\vb", "U+000B"},
		{"DEL", "a\x7fb", "U+007F"},
		{"C1 control", "a\u0085b", "U+0085"},
		{"invalid UTF-8", "a\xffb", "UTF-8"},
		{"truncated UTF-8", "\xc3", "UTF-8"},
		{"one byte too long", strings.Repeat("a", scalar.MaxStringBytes+1), "65536"},
	} {
		_, err := scalar.UnmarshalString(tc.s)
		wantBadInput(t, "String "+tc.name, err, tc.part)
		if msg := models.ErrorMessage(err); len(msg) > 200 {
			t.Fatalf("String %s: the message quotes the input: %d bytes", tc.name, len(msg))
		}
	}
	// gqlgen's coercions of other JSON values are kept.
	if got, err := scalar.UnmarshalString(json.Number("12")); err != nil || got != "12" {
		t.Fatalf("UnmarshalString(12) = %q, %v", got, err)
	}
	if _, err := scalar.UnmarshalString([]any{"a"}); models.ErrorCode(err) != models.CodeBadUserInput {
		t.Fatalf("UnmarshalString(list) = %v, want BAD_USER_INPUT", err)
	}

	for _, s := range []string{"01a23657-3b0a-7c8f-b039-0e0e1a78fde7", strings.Repeat("a", scalar.MaxIDBytes), "ü"} {
		if got, err := scalar.UnmarshalID(s); err != nil || got != s {
			t.Fatalf("UnmarshalID(%q) = %q, %v", s, got, err)
		}
	}
	if got, err := scalar.UnmarshalID(json.Number("42")); err != nil || got != "42" {
		t.Fatalf("UnmarshalID(42) = %q, %v", got, err)
	}
	for _, tc := range []struct{ name, s, part string }{
		{"NUL", "id\x00", "U+0000"},
		{"tab", "a\tb", "U+0009"},
		{"line feed", "a\nb", "U+000A"},
		{"invalid UTF-8", "\xff", "UTF-8"},
		{"too long", strings.Repeat("a", scalar.MaxIDBytes+1), "128"},
	} {
		_, err := scalar.UnmarshalID(tc.s)
		wantBadInput(t, "ID "+tc.name, err, tc.part)
	}
}

// TestStringOutputIsGqlgens: output is written byte for byte as gqlgen
// writes it, control characters (which stored mail may hold) included.
func TestStringOutputIsGqlgens(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "a\x00b\x01\t\n\r\x1f\x7f", "Ü ✓ 🙂 \u2028", "\xff invalid"} {
		if got, want := written(scalar.MarshalString(s)), written(graphql.MarshalString(s)); got != want {
			t.Fatalf("MarshalString(%q) = %s, want %s", s, got, want)
		}
		if got, want := written(scalar.MarshalID(s)), written(graphql.MarshalID(s)); got != want {
			t.Fatalf("MarshalID(%q) = %s, want %s", s, got, want)
		}
	}
}
