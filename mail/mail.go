// Package mail owns the reading of one raw RFC 5322 support email: it turns
// the bytes the helpdesk forwards into the facts ticketing needs (who sent it,
// which thread it belongs to, when the vendor's relay received it, whether a
// machine sent it, its text and attachments). MIME decoding (multipart,
// quoted-printable, base64, RFC 2047 encoded words, charsets) is done by
// enmime; this package adds the support-specific rules on top.
package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/textproto"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"

	"github.com/prioritysupport/backend/models"
)

// Message is what ingestion needs from one raw email.
type Message struct {
	// MessageID is the Message-ID without angle brackets, whitespace and
	// control characters, e.g. "abc@example.com". When the header is
	// missing, empty or longer than an RFC 5322 line, it is derived (see
	// DerivedID).
	MessageID string
	// DerivedID is true when MessageID was derived rather than read: it is then
	// "derived-" + the first 32 hex digits of a SHA-256 over the From, To,
	// Date and Subject header values (unfolded, not decoded) and the body bytes
	// after the header section (CRLF read as LF) + "@prioritysupport.invalid".
	// Received headers are left out, so a re-delivery of the same message
	// derives the same id.
	DerivedID bool
	// From is the first address of the From header, normalised: the local
	// part lower-cased and the domain in lower-case A-label form (FromDomain),
	// e.g. "Jane@Bücher.example" -> "jane@xn--bcher-kva.example".
	From string
	// FromName is the display name of From, RFC 2047-decoded, as one line
	// of text (see Subject).
	FromName string
	// FromDomain is the domain of From: lower case, no trailing dot, IDNA
	// A-label (punycode) form, e.g. "xn--bcher-kva.example".
	FromDomain string
	// To holds the addresses of the To and Cc headers, normalised like From,
	// without duplicates, in header order.
	To []string
	// Subject is the RFC 2047-decoded, trimmed Subject header as one line
	// of valid UTF-8 text: every run of control characters (CR and LF that
	// an encoded word can smuggle in, tab, NUL, DEL, C1) and of Unicode line
	// and paragraph separators is replaced by one space.
	Subject string
	// Date is the Date header as the sender wrote it, in the sender's zone;
	// zero when absent, unparseable or outside the window of accepted times
	// (models.TimeWindow). It is informational only: the sender's clock
	// decides nothing.
	Date time.Time
	// ReceivedAt is the date of the topmost Received header (after its last
	// ';'), in UTC; zero when that header is absent or carries no parseable
	// date in the window of accepted times. Lower Received headers are
	// deliberately not consulted: the topmost is added by the vendor's own
	// relay, the others by machines the sender controls.
	ReceivedAt time.Time
	// InReplyTo holds the message ids of In-Reply-To, without angle brackets
	// (cleaned like MessageID).
	InReplyTo []string
	// References holds the message ids of References, without angle
	// brackets (cleaned like MessageID), in header order.
	References []string
	// AutoReply reports mail that a program wrote, whoever sent it (RFC
	// 3834): Auto-Submitted with a value other than "no", Precedence
	// auto_reply (or auto-reply), or an X-Autoreply or X-Autorespond header.
	// X-Auto-Response-Suppress is not a signal: Outlook sets it on ordinary
	// mail. Neither are a mailing list's marks (List-Id, List-Unsubscribe,
	// Precedence list): a person's message that reached support through a
	// list (a Google Group, say) is still that person's.
	AutoReply bool
	// Bulk reports Precedence bulk or junk: the sender marked the message
	// as mass mail. That says how it was sent, not who wrote it (list
	// servers such as Mailman mark every post bulk), so whether it counts
	// as machine-sent depends on who sent it, which this package does not
	// know: ingestion decides it once the direction is known.
	Bulk bool
	// Bounce reports a delivery status notification: a multipart/report with
	// report-type=delivery-status, or a From local part of MAILER-DAEMON or
	// postmaster (any case).
	Bounce bool
	// Text is the plain-text body with CRLF line ends turned into LF; when
	// the message has only HTML, enmime's conversion of it to text; when the
	// MIME structure exceeds Parse's limits, the raw body.
	Text string
	// HTML is the HTML body, if any.
	HTML string
	// Attachments lists the attachment and inline parts.
	Attachments []Attachment
	// Warnings lists, as short strings, the problems the parse recovered
	// from: enmime's non-fatal MIME errors (malformed base64, bad charset,
	// unclosed boundary, ...), unreadable To/Cc headers, and a MIME
	// structure too deep or too large to decode in full (see Parse).
	Warnings []string
}

// Attachment is one attachment or inline part of a message.
type Attachment struct {
	Filename    string // as the sender named it; may be empty
	ContentType string // media type without parameters, e.g. "application/pdf"
	Size        int    // decoded size in bytes
}

// ParseError is returned for a message that cannot be ingested. Reason is a
// short explanation that is safe to show to the client, e.g. "no From
// address".
type ParseError struct {
	Reason string
}

// Error returns the reason with a "parse mail: " prefix.
func (e *ParseError) Error() string { return "parse mail: " + e.Reason }

// maxIDLen bounds a message id: RFC 5322 lines are at most 998 characters,
// so a longer id is not one a mail program wrote.
const maxIDLen = 998

// maxWarningLen bounds one warning; enmime's details can quote whole lines.
const maxWarningLen = 160

// maxWarnings bounds the Warnings of one message; a broken message can have
// one per part.
const maxWarnings = 20

// Parse reads one raw message. Every error it returns is a *ParseError (use
// errors.As), for input that cannot be ingested: an empty input, a header
// section that does not parse or holds no header field, or a From header that
// is missing, empty or unparseable. A message with headers and no body is
// ingestible. Malformed MIME parts that enmime recovers from are not errors:
// they land in Warnings.
//
// Two limits keep one hostile message from tying up the parser (enmime's
// time grows exponentially with the depth of unclosed nested multiparts and
// quadratically with the number of parts): multiparts beyond the first 8
// distinct boundaries are kept as undecoded leaves, and a body with more than
// 5000 lines containing "--" (the lines that can delimit a part) is not
// MIME-decoded at all; Text is then the raw body. Both add a warning.
func Parse(raw []byte) (*Message, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, &ParseError{Reason: "empty message"}
	}
	env, warnings, err := readEnvelope(raw)
	if err != nil {
		// enmime's error quotes the offending input; the client gets a fixed reason.
		reason := "not an RFC 5322 message: MIME structure does not parse"
		if strings.Contains(err.Error(), "MIME header") {
			reason = "not an RFC 5322 message: header section does not parse"
		}
		return nil, &ParseError{Reason: reason}
	}
	h := env.Root.Header
	if len(h) == 0 {
		return nil, &ParseError{Reason: "not an RFC 5322 message: no header fields"}
	}

	m := &Message{}
	if err := m.setFrom(h.Get("From")); err != nil {
		return nil, err
	}
	m.To = m.recipients(h)
	m.Subject = oneLine(env.GetHeader("Subject"))
	m.Date = headerDate(h.Get("Date"))
	if received := h.Values("Received"); len(received) > 0 {
		m.ReceivedAt = receivedHeaderDate(received[0])
	}
	m.MessageID = messageID(h.Get("Message-ID"))
	if m.MessageID == "" {
		m.MessageID, m.DerivedID = derivedID(h, raw), true
	}
	m.InReplyTo = messageIDs(h.Values("In-Reply-To"))
	m.References = messageIDs(h.Values("References"))
	m.AutoReply, m.Bulk = autoReply(h), bulk(h)
	m.Bounce = bounce(h.Get("Content-Type"), m.From)
	m.Text, m.HTML = strings.ReplaceAll(env.Text, "\r\n", "\n"), env.HTML
	for _, parts := range [][]*enmime.Part{env.Attachments, env.Inlines} {
		for _, p := range parts {
			m.Attachments = append(m.Attachments, Attachment{Filename: p.FileName, ContentType: p.ContentType, Size: len(p.Content)})
		}
	}
	for _, e := range env.Errors {
		m.Warnings = append(m.Warnings, shorten(e.Name+": "+e.Detail))
	}
	m.Warnings = append(m.Warnings, warnings...)
	if n := len(m.Warnings); n > maxWarnings {
		m.Warnings = append(m.Warnings[:maxWarnings-1], fmt.Sprintf("%d more warnings", n-maxWarnings+1))
	}
	return m, nil
}

// headerDate is parseDate with a fast path for the form nearly every mail
// program and relay writes, "Mon, 02 Jan 2006 15:04:05 -0700": that is one
// of net/mail.ParseDate's layouts, which it reaches only after failing many
// others (each failure allocates an error), so the result is the same.
func headerDate(s string) time.Time {
	if t, err := time.Parse(time.RFC1123Z, strings.TrimSpace(s)); err == nil {
		if t = fixZone(t); models.InTimeWindow(t) {
			return t
		}
		return time.Time{}
	}
	return parseDate(s)
}

// receivedHeaderDate is receivedDate with headerDate's fast path.
func receivedHeaderDate(value string) time.Time {
	i := strings.LastIndexByte(value, ';')
	if i < 0 {
		return time.Time{}
	}
	if t := headerDate(value[i+1:]); !t.IsZero() {
		return t.UTC()
	}
	return time.Time{}
}

// setFrom fills From, FromName and FromDomain from the From header value. It
// returns a *ParseError when the header is empty or does not parse.
func (m *Message) setFrom(value string) error {
	if strings.TrimSpace(value) == "" {
		return &ParseError{Reason: "no From address"}
	}
	list, err := parseAddressList(value)
	if err != nil || len(list) == 0 {
		return &ParseError{Reason: "unparseable From address"}
	}
	addr, domain, ok := normaliseAddress(list[0].Address)
	if !ok {
		return &ParseError{Reason: "unparseable From address"}
	}
	m.From, m.FromDomain, m.FromName = addr, domain, oneLine(list[0].Name)
	return nil
}

// recipients returns the normalised, de-duplicated addresses of every To and
// Cc header; a header that does not parse adds a warning.
func (m *Message) recipients(h textproto.MIMEHeader) []string {
	var out []string
	seen := map[string]bool{}
	for _, name := range []string{"To", "Cc"} {
		for _, value := range h.Values(name) {
			if strings.TrimSpace(value) == "" {
				continue
			}
			list, err := parseAddressList(value)
			if err != nil {
				m.Warnings = append(m.Warnings, "unparseable "+name+" header")
				continue
			}
			for _, a := range list {
				addr, _, ok := normaliseAddress(a.Address)
				if !ok {
					addr = strings.ToLower(strings.TrimSpace(a.Address))
				}
				if addr != "" && !seen[addr] {
					seen[addr] = true
					out = append(out, addr)
				}
			}
		}
	}
	return out
}

// derivedID returns the stable substitute for a missing Message-ID: a hash of
// the From, To, Date and Subject header values (unfolded by the header
// reader, not decoded) and of the body, with CRLF read as LF so that a
// relay's line-ending conversion does not change it. Received headers are
// left out: they differ on every delivery.
func derivedID(h textproto.MIMEHeader, raw []byte) string {
	sum := sha256.New()
	for _, name := range []string{"From", "To", "Date", "Subject"} {
		for _, v := range h.Values(name) {
			fmt.Fprintf(sum, "%s:%s\n", name, v)
		}
	}
	sum.Write([]byte{'\n'})
	sum.Write(bytes.ReplaceAll(raw[headerEnd(raw):], []byte("\r\n"), []byte("\n")))
	return "derived-" + hex.EncodeToString(sum.Sum(nil))[:32] + "@prioritysupport.invalid"
}

// headerEnd returns the offset of the body in raw: just after the first empty
// line (LF or CRLF), or len(raw) when there is none.
func headerEnd(raw []byte) int {
	for start := 0; start < len(raw); {
		n := bytes.IndexByte(raw[start:], '\n')
		if n < 0 {
			return len(raw)
		}
		line := bytes.TrimSuffix(raw[start:start+n], []byte{'\r'})
		start += n + 1
		if len(line) == 0 {
			return start
		}
	}
	return len(raw)
}

// messageID returns the first message id of a Message-ID value without its
// angle brackets, or "" when there is none or it is implausibly long. A value
// written without brackets counts as one id.
func messageID(value string) string {
	ids := splitIDs(value, false)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// messageIDs returns the message ids of In-Reply-To or References values
// without angle brackets, in order and without duplicates.
func messageIDs(values []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		for _, id := range splitIDs(v, true) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// splitIDs returns the "<...>" ids in value with whitespace and control
// characters removed. When value has no bracketed id (some mail programs
// omit them), its whitespace-separated words are taken instead; with needAt
// only those with an '@', so that the obsolete free-text phrases of
// In-Reply-To are skipped.
// Ids longer than maxIDLen are dropped.
func splitIDs(value string, needAt bool) []string {
	var ids []string
	keep := func(id string) {
		id = strings.Map(dropControl, id)
		if id != "" && len(id) <= maxIDLen && (!needAt || strings.Contains(id, "@")) {
			ids = append(ids, id)
		}
	}
	rest := value
	for {
		open := strings.IndexByte(rest, '<')
		if open < 0 {
			break
		}
		rest = rest[open+1:]
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			end = len(rest)
		}
		keep(strings.Join(strings.Fields(rest[:end]), ""))
		rest = rest[min(end+1, len(rest)):]
	}
	if strings.IndexByte(value, '<') >= 0 {
		return ids
	}
	for _, w := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n' }) {
		keep(w)
	}
	return ids
}

// autoReply reports whether the headers say a program wrote the message
// (RFC 3834 and the common vendor headers; see Message.AutoReply).
func autoReply(h textproto.MIMEHeader) bool {
	for _, v := range h.Values("Auto-Submitted") {
		// auto-submitted-field = "auto-submitted:" [CFWS] auto-submitted [CFWS] *(";" parameter)
		token, _, _ := strings.Cut(stripComments(v), ";")
		if token = strings.ToLower(strings.TrimSpace(token)); token != "" && token != "no" {
			return true
		}
	}
	if precedence(h, "auto_reply", "auto-reply") {
		return true
	}
	return len(h.Values("X-Autoreply")) > 0 || len(h.Values("X-Autorespond")) > 0
}

// bulk reports whether the headers mark the message as mass mail
// (Precedence bulk or junk; see Message.Bulk).
func bulk(h textproto.MIMEHeader) bool {
	return precedence(h, "bulk", "junk")
}

// precedence reports whether a Precedence header, without comments and
// case-insensitively, is one of values.
func precedence(h textproto.MIMEHeader, values ...string) bool {
	for _, v := range h.Values("Precedence") {
		for _, want := range values {
			if strings.EqualFold(strings.TrimSpace(stripComments(v)), want) {
				return true
			}
		}
	}
	return false
}

// bounce reports whether a message with this Content-Type value and
// normalised sender is a delivery status notification.
func bounce(contentType, from string) bool {
	local, _, _ := strings.Cut(from, "@")
	if local == "mailer-daemon" || local == "postmaster" {
		return true
	}
	mtype, params, _, err := mediatype.Parse(contentType)
	return err == nil && strings.EqualFold(mtype, "multipart/report") &&
		strings.EqualFold(strings.TrimSpace(params["report-type"]), "delivery-status")
}

// stripComments returns s without its RFC 5322 "(comments)", nested or not.
// An unclosed comment runs to the end.
func stripComments(s string) string {
	if strings.IndexByte(s, '(') < 0 {
		return s
	}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && depth > 0:
			i++
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// oneLine returns header text as one trimmed line of valid UTF-8 (invalid
// bytes become U+FFFD): every run of control characters (C0 including tab,
// CR and LF; DEL; C1) and Unicode line or paragraph separators becomes a
// single space. Decoded encoded words can carry any of them, and a stored
// subject or name with a line break could forge a header wherever it is
// echoed.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, isBreak) < 0 {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	inRun := false
	for _, r := range s {
		if isBreak(r) {
			if !inRun {
				b.WriteByte(' ')
			}
			inRun = true
			continue
		}
		inRun = false
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// isBreak reports whether r is a control character or a Unicode line or
// paragraph separator.
func isBreak(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// dropControl is a strings.Map function that removes control characters
// and Unicode line or paragraph separators.
func dropControl(r rune) rune {
	if isBreak(r) {
		return -1
	}
	return r
}

// shorten returns the first line of s as valid UTF-8 with control
// characters replaced by '?', cut to maxWarningLen bytes on a rune boundary.
func shorten(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= maxWarningLen {
		return s
	}
	cut := maxWarningLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
