package mail

import (
	"bytes"
	"errors"
	"fmt"

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
