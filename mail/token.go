package mail

import "strings"

// tokenPrefix opens the ticket token support places in subjects:
// "[PS-<ticket id>]".
const tokenPrefix = "[PS-"

// uuidLen is the length of a ticket id in its canonical text form.
const uuidLen = 36

// tokenLen is the length of a whole token, brackets included.
const tokenLen = len(tokenPrefix) + uuidLen + 1

// FindTicketToken returns the ticket id inside the first "[PS-<id>]" token of
// subject, lower-cased, and true; or "" and false when subject carries none.
// The id must be a UUID in canonical form (8-4-4-4-12 hex digits); prefix and
// hex digits match in any case, since some mail programs change the case of
// subjects.
func FindTicketToken(subject string) (string, bool) {
	id, _, ok := findToken(subject)
	return id, ok
}

// SubjectWithToken returns subject with " [PS-<ticketID>]" appended (its
// trailing whitespace trimmed first), or subject unchanged when it already
// carries a token for ticketID (compared case-insensitively). Tokens for
// other tickets are left in place; since FindTicketToken returns the first
// token, a caller moving a thread to another ticket must remove them.
func SubjectWithToken(subject, ticketID string) string {
	for rest := subject; ; {
		id, end, ok := findToken(rest)
		if !ok {
			break
		}
		if strings.EqualFold(id, ticketID) {
			return subject
		}
		rest = rest[end:]
	}
	token := tokenPrefix + ticketID + "]"
	if subject = strings.TrimRight(subject, " \t"); subject == "" {
		return token
	}
	return subject + " " + token
}

// findToken returns the lower-cased id of the first valid token in s and the
// offset just after it.
func findToken(s string) (id string, end int, ok bool) {
	for i := 0; i+tokenLen <= len(s); i++ {
		if s[i] != '[' || !strings.EqualFold(s[i:i+len(tokenPrefix)], tokenPrefix) || s[i+tokenLen-1] != ']' {
			continue
		}
		if id := s[i+len(tokenPrefix) : i+tokenLen-1]; isUUID(id) {
			return strings.ToLower(id), i + tokenLen, true
		}
	}
	return "", 0, false
}

// isUUID reports whether s is a UUID in canonical 8-4-4-4-12 form.
func isUUID(s string) bool {
	if len(s) != uuidLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
