package mail

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
)

// maxBoundaries is how many distinct multipart boundaries a message may use
// before further multiparts are kept as undecoded leaves. Real mail uses up
// to four or five (signed > mixed > alternative > related); enmime's time
// doubles with every level of unclosed nesting.
const maxBoundaries = 8

// maxDelimiterLines is how many body lines containing "--" (the only lines
// that can start a MIME part) a message may have before its body is kept
// undecoded; enmime's time grows with the square of the number of parts.
const maxDelimiterLines = 5000

// readEnvelope runs enmime over raw within the limits above and returns the
// envelope and the warnings for any limit it applied. A panic inside enmime
// (or the HTML to text conversion it calls) becomes an error, so that one
// hostile message cannot take the request down with it.
func readEnvelope(raw []byte) (env *enmime.Envelope, warnings []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			env, warnings, err = nil, nil, errors.New("read mime: mime structure could not be read")
		}
	}()
	budget := &boundaryBudget{allowed: map[string]bool{}}
	parser := enmime.NewParser(
		// Recover from broken parts rather than refuse the message: skip a
		// malformed child part with a warning, read a multipart without
		// boundary as one part, keep what decoded of corrupt base64 text.
		enmime.SkipMalformedParts(true),
		enmime.MultipartWOBoundaryAsSinglePart(true),
		enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
		enmime.MaxStoredPartErrors(20),
		enmime.SetCustomParseMediaType(budget.parseMediaType),
		enmime.DisableCharacterDetection(utf8AsDeclared(raw)),
	)
	end := headerEnd(raw)
	body := raw[end:]
	input := raw
	tooMany := delimiterLines(body) > maxDelimiterLines
	if tooMany {
		input = raw[:end]
	}
	env, err = parser.ReadEnvelope(bytes.NewReader(input))
	if err != nil {
		return nil, nil, fmt.Errorf("read mime: %w", err)
	}
	if tooMany {
		env.Text, env.HTML = string(body), ""
		warnings = append(warnings, fmt.Sprintf("more than %d possible MIME part delimiters: body kept undecoded", maxDelimiterLines))
	}
	if budget.capped {
		warnings = append(warnings, fmt.Sprintf("more than %d MIME boundaries: inner multiparts kept undecoded", maxBoundaries))
	}
	return env, warnings, nil
}

// boundaryBudget lets the first maxBoundaries distinct boundaries of one
// message through enmime's media type parsing and strips any further one,
// which turns that part into a leaf instead of a nested multipart. A
// multipart nested in another needs a boundary of its own (the outer reader
// ends the part at its own delimiter first), so this bounds the depth.
type boundaryBudget struct {
	allowed map[string]bool
	capped  bool
}

// parseMediaType returns enmime's tolerant parse of a Content-Type or
// Content-Disposition value, with the boundary parameter removed once the
// budget is spent.
func (b *boundaryBudget) parseMediaType(value string) (string, map[string]string, []string, error) {
	mtype, params, invalid, err := mediatype.ParseWithOptions(value, mediatype.ParseOptions{StripMediaTypeInvalidCharacters: true})
	boundary := params["boundary"]
	if err != nil || boundary == "" || b.allowed[boundary] {
		return mtype, params, invalid, err
	}
	if len(b.allowed) < maxBoundaries {
		b.allowed[boundary] = true
		return mtype, params, invalid, err
	}
	b.capped = true
	delete(params, "boundary")
	return mtype, params, invalid, err
}

// delimiterLines returns the number of lines of body that contain "--",
// counting no further than maxDelimiterLines+1. Every MIME part starts at
// such a line (enmime finds "--boundary" anywhere in it), so this bounds the
// number of parts.
func delimiterLines(body []byte) int {
	n := 0
	for n <= maxDelimiterLines {
		i := bytes.Index(body, []byte("--"))
		if i < 0 {
			break
		}
		n++
		nl := bytes.IndexByte(body[i:], '\n')
		if nl < 0 {
			break
		}
		body = body[i+nl+1:]
	}
	return n
}

// utf8AsDeclared reports whether raw's text is UTF-8 as it says, so that
// guessing its character set (enmime's detection, a statistical pass over
// every text part, and the costliest step of parsing a short message) can
// be skipped: every charset parameter in it says UTF-8, no part is
// transfer-encoded (quoted-printable or base64, whose decoded bytes cannot
// be vouched for here), and the bytes are valid UTF-8. Detection could
// then only agree, or read plain ASCII as an ASCII-compatible charset
// (the same text), or misread a text with few non-ASCII characters as a
// single-byte charset; the declared reading is right in every case. Any
// other message (a charset that is not UTF-8, us-ascii mislabelling UTF-8,
// no charset at all, an encoded part, invalid bytes, or the words
// "charset", "base64" or "quoted-printable" anywhere, body text included)
// keeps the detection.
func utf8AsDeclared(raw []byte) bool {
	if containsFold(raw, "base64") || containsFold(raw, "quoted-printable") {
		return false
	}
	declared := false
	for rest := raw; ; {
		i := indexFold(rest, "charset")
		if i < 0 {
			break
		}
		rest = rest[i+len("charset"):]
		value, ok := charsetValue(rest)
		if !ok || !strings.EqualFold(value, "utf-8") {
			return false
		}
		declared = true
	}
	return declared && utf8.Valid(raw)
}

// charsetValue returns the value of a charset parameter whose name was just
// read from the start of rest: "=", optional spaces, then a token or a
// quoted string. ok is false when rest does not continue that way.
func charsetValue(rest []byte) (value string, ok bool) {
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) == 0 || rest[0] != '=' {
		return "", false
	}
	rest = bytes.TrimLeft(rest[1:], " \t")
	if len(rest) > 0 && rest[0] == '"' {
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			return "", false
		}
		return string(rest[1 : 1+end]), true
	}
	end := bytes.IndexAny(rest, "; \t\r\n\"")
	if end < 0 {
		end = len(rest)
	}
	return string(rest[:end]), end > 0
}

// containsFold reports whether s contains word, ignoring ASCII case.
func containsFold(s []byte, word string) bool {
	return indexFold(s, word) >= 0
}

// indexFold returns the index of the first occurrence of word (lower-case
// ASCII) in s, ignoring ASCII case, or -1. It reads s once: the next
// position of each case of word's first letter is kept until passed.
func indexFold(s []byte, word string) int {
	lower, upper := word[0], word[0]-'a'+'A'
	next := func(from int, c byte) int {
		if j := bytes.IndexByte(s[from:], c); j >= 0 {
			return from + j
		}
		return len(s)
	}
	nl, nu := next(0, lower), next(0, upper)
	for {
		i := min(nl, nu)
		if i+len(word) > len(s) {
			return -1
		}
		if bytes.EqualFold(s[i:i+len(word)], []byte(word)) {
			return i
		}
		if i == nl {
			nl = next(i+1, lower)
		} else {
			nu = next(i+1, upper)
		}
	}
}
