package scalar

import (
	"unicode"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/prioritysupport/backend/models"
)

// MaxStringBytes bounds one String argument or input field: 64 KiB, far
// above the longest text any field takes (a 1000-character reason, see
// models.MaxReasonLength), small enough that no request makes the server
// hold or check much. Fields have their own, smaller limits in models.
const MaxStringBytes = 64 << 10

// MaxIDBytes bounds one ID argument or input field: the ids this server
// makes are 36-character UUIDs, so 128 bytes leaves room and refuses
// anything that cannot be one.
const MaxIDBytes = 128

// MarshalString writes a String exactly as gqlgen's graphql.MarshalString
// does.
func MarshalString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalString reads a String as gqlgen does and checks it: at most
// MaxStringBytes bytes of valid UTF-8 without control characters (C0, DEL,
// C1) other than tab, line feed and carriage return. PostgreSQL refuses NUL
// in text, and no field means to hold the others. Anything else is a
// BAD_USER_INPUT *models.Error.
func UnmarshalString(v any) (string, error) {
	s, err := graphql.UnmarshalString(v)
	if err != nil {
		return "", models.Errorf(models.CodeBadUserInput, "a String must be a string")
	}
	return s, checkString("a String", s, MaxStringBytes, true)
}

// MarshalID writes an ID exactly as gqlgen's graphql.MarshalID does.
func MarshalID(s string) graphql.Marshaler { return graphql.MarshalID(s) }

// UnmarshalID reads an ID as gqlgen does and checks it: at most MaxIDBytes
// bytes of valid UTF-8 without any control character, tab and line breaks
// included. Anything else is a BAD_USER_INPUT *models.Error.
func UnmarshalID(v any) (string, error) {
	s, err := graphql.UnmarshalID(v)
	if err != nil {
		return "", models.Errorf(models.CodeBadUserInput, "an ID must be a string or a whole number")
	}
	return s, checkString("an ID", s, MaxIDBytes, false)
}

// checkString returns the BAD_USER_INPUT error for a value of kind (e.g.
// "a String") that is longer than max bytes, not valid UTF-8 or holds a
// control character (tab, line feed and carriage return allowed when
// lines), or nil. The message never quotes the value, which may be long.
func checkString(kind, s string, max int, lines bool) error {
	switch {
	case len(s) > max:
		return models.Errorf(models.CodeBadUserInput, "%s must be at most %d bytes long; this one has %d", kind, max, len(s))
	case !utf8.ValidString(s):
		return models.Errorf(models.CodeBadUserInput, "%s must be valid UTF-8 text", kind)
	}
	for _, r := range s {
		if !unicode.IsControl(r) || lines && (r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		if lines {
			return models.Errorf(models.CodeBadUserInput, "%s must not contain NUL or other control characters (U+%04X); only tab, line feed and carriage return are allowed", kind, r)
		}
		return models.Errorf(models.CodeBadUserInput, "%s must not contain NUL or other control characters (U+%04X)", kind, r)
	}
	return nil
}
