package mail

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prioritysupport/backend/models"
)

// sampleDir holds the raw messages the tests and the fuzz seed corpus read.
const sampleDir = "../testdata/mail"

// want is what one sample must parse to. A non-empty refused means Parse
// must return a *ParseError with that reason; the other fields are then
// unused. Empty strings and nil slices are checked too: they assert absence.
type want struct {
	refused     string
	messageID   string
	derived     bool
	from        string
	fromName    string
	fromDomain  string
	to          []string
	subject     string
	date        time.Time
	receivedAt  time.Time
	inReplyTo   []string
	references  []string
	auto        bool
	bulk        bool
	bounce      bool
	attachments []Attachment
	text        string // a substring of Text
	html        string // a substring of HTML; "" means HTML must be empty
	warnings    []string
}

const (
	thread      = "3f1c2a9e-6b7d-4c1e-9a8f-2d5b7e0c4a13"
	gmailID     = "CAHx3kTq8vW2m9pL0cR4yN7sZ1aB6dE5fG3hJ2kL8mN0pQ@mail.gmail.com"
	janeReplyID = "20240514113002.jane.9c41@vendor.test"
	makitaID    = "07B7061D-2676-487E-942E-C341CE4D13DC@makita.skynet"
	noaID       = "5081A889.3020108@jamehi03lx.noa.com"
)

// date returns the time of an RFC 3339 string; it panics on a typo.
func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// samples is the expectation for every file of sampleDir. The enmime samples
// carry no Received header, so their ReceivedAt is zero; several of them share
// a Message-ID (they are copies of one test message).
var samples = map[string]want{
	// Not mail at all: the documentation beside the samples.
	"README.md":      {refused: "not an RFC 5322 message: header section does not parse"},
	"LICENSE-enmime": {refused: "not an RFC 5322 message: header section does not parse"},

	"outlook-reply-quoted-thread.eml": {
		messageID:  "DB9PR04MB84291E6C2F5A4B3D9E8F7A6B5C4D3@DB9PR04MB8429.eurprd04.prod.outlook.com",
		from:       "tom.keller@acme.example",
		fromName:   "Tom Keller",
		fromDomain: "acme.example",
		to:         []string{"support@vendor.test", "anna.berg@acme.example", "jane@vendor.test"},
		subject:    "RE: Export to PDF fails with error 0x80040154 [PS-" + thread + "]",
		date:       date("2024-05-15T08:03:17Z"),
		receivedAt: date("2024-05-15T08:03:19Z"),
		inReplyTo:  []string{janeReplyID},
		references: []string{gmailID, janeReplyID},
		text:       "thanks – the regsvr32 fix worked on two of our three machines. On the third one (Windows Server 2019, Citrix)",
		html:       `<p class="MsoNormal"><span lang="EN-US">Hi Jane,`,
	},
	"gmail-multipart-attachment.eml": {
		messageID:   gmailID,
		from:        "anna.berg@acme.example",
		fromName:    "Anna Berg",
		fromDomain:  "acme.example",
		to:          []string{"support@vendor.test"},
		subject:     "Export to PDF fails with error 0x80040154",
		date:        date("2024-05-14T11:12:27+02:00"),
		receivedAt:  date("2024-05-14T09:12:41Z"),
		attachments: []Attachment{{Filename: "export-error-report.pdf", ContentType: "application/pdf", Size: 455}},
		text:        `"Class not registered (0x80040154)"`,
		html:        `<div dir="ltr"><div>Hello,</div>`,
	},
	"encoded-word-subject.eml": {
		messageID:  "7c1e9b2a-4d3f-4e8a-b6c5-0a9d8e7f6b54@acme.example",
		from:       "juergen.mueller@acme.example",
		fromName:   "Jürgen Müller",
		fromDomain: "acme.example",
		to:         []string{"support@vendor.test"},
		subject:    "Übersetzung fehlt – Lizenzserver antwortet nicht",
		date:       date("2024-05-14T12:15:02+02:00"),
		receivedAt: date("2024-05-14T10:15:07Z"),
		text:       "fehlt in der Oberfläche die deutsche Übersetzung, und der Lizenzserver antwortet nicht mehr (Zeitüberschreitung nach 30 Sekunden). Betroffen sind alle Arbeitsplätze im Gebäude Nord.\n\nKönnen Sie uns bitte kurzfristig unterstützen?\n\nMit freundlichen Grüßen\nJürgen Müller",
	},
	"forged-date.eml": {
		messageID:  "20010101000000.GA1234@ws17.acme.example",
		from:       "karl.weber@acme.example",
		fromName:   "Karl Weber",
		fromDomain: "acme.example",
		to:         []string{"support@vendor.test"},
		subject:    "Production license expired - all users locked out",
		date:       date("2001-01-01T00:00:00Z"),
		receivedAt: date("2024-05-15T05:58:13Z"), // the topmost Received, not the sender's clock nor the lower hop
		text:       "no user can log in",
	},
	"support-auto-ack.eml": {
		messageID:  "ack-20240514T091245Z-5d2f@vendor.test",
		from:       "support@vendor.test",
		fromName:   "Vendor Support",
		fromDomain: "vendor.test",
		to:         []string{"anna.berg@acme.example"}, // Bcc is not a recipient header we read
		subject:    "[PS-" + thread + "] We received your request: Export to PDF fails with error 0x80040154",
		date:       date("2024-05-14T09:12:45Z"),
		receivedAt: date("2024-05-14T09:12:46Z"),
		inReplyTo:  []string{gmailID},
		references: []string{gmailID},
		auto:       true,
		text:       "This message was sent automatically",
	},
	"customer-out-of-office.eml": {
		messageID:  "oof-1715686204-4821@mailbox.acme.example",
		from:       "peter.schmidt@acme.example", // written Peter.Schmidt@ACME.example
		fromName:   "Peter Schmidt",
		fromDomain: "acme.example",
		to:         []string{"support@vendor.test"},
		subject:    "Automatic reply: Re: Export to PDF fails with error 0x80040154 [PS-" + thread + "]",
		date:       date("2024-05-14T13:30:04+02:00"),
		receivedAt: date("2024-05-14T11:30:06Z"),
		inReplyTo:  []string{janeReplyID},
		references: []string{gmailID, janeReplyID},
		auto:       true,
		text:       "I am out of the office until 21 May 2024",
	},
	"customer-via-google-group.eml": {
		// A person's request that reached support through the customer's
		// Google Group: the list's marks (Precedence list, List-ID,
		// Mailing-list, List-Unsubscribe) say nothing of a program.
		messageID:  "CAJm5hZ0q7Tn4Wd8kS2pVb1xYc3eRf6gHj9LmN0oPqR2sT@mail.gmail.com",
		from:       "anna.berg@acme.example",
		fromName:   "Anna Berg",
		fromDomain: "acme.example",
		to:         []string{"vendor-support@acme.example"},
		subject:    "License server unreachable after the 7.2 upgrade",
		date:       date("2024-05-16T16:02:05+02:00"),
		receivedAt: date("2024-05-16T14:02:11Z"),
		text:       "40 engineers are blocked.",
		html:       "IT Operations, ACME",
	},
	"support-reply.eml": {
		messageID:  janeReplyID,
		from:       "jane@vendor.test",
		fromName:   "Jane Miller",
		fromDomain: "vendor.test",
		to:         []string{"anna.berg@acme.example", "support@vendor.test", "peter.schmidt@acme.example"},
		subject:    "Re: Export to PDF fails with error 0x80040154 [PS-" + thread + "]",
		date:       date("2024-05-14T13:30:02+02:00"),
		receivedAt: date("2024-05-14T11:30:03Z"),
		inReplyTo:  []string{gmailID},
		references: []string{gmailID},
		text:       `regsvr32 "C:\Program Files\Vendor\Client\pdfexport.dll"`,
	},

	// From the enmime test corpus.
	"dsn-simple_dsn.eml": {
		messageID:  "199407072116.RAA14128@CS.UTK.EDU",
		from:       "mailer-daemon@cs.utk.edu",
		fromName:   "Mail Delivery Subsystem",
		fromDomain: "cs.utk.edu",
		to:         []string{"owner-info-mime@cs.utk.edu"},
		subject:    "Returned mail: Cannot send message for 5 days",
		// Its Date: 1994-07-07T17:16:05-04:00 lies before the window of
		// accepted times (2000 to 2100) and is dropped.
		bounce: true,
		text:   "[human-readable explanation goes here]",
	},
	"low-quality-bad-final-boundary.eml": {
		messageID: makitaID, from: "james@makita.skynet", fromName: "James Hillyerd", fromDomain: "makita.skynet",
		to: []string{"greg@inbucket"}, subject: "Attachment", date: date("2012-10-18T22:48:39-07:00"),
		attachments: []Attachment{{Filename: "foo_9E5D72.zip", ContentType: "application/x-zip-compressed", Size: 7}},
		text:        "A text section",
		warnings: []string{
			`Missing Boundary: Boundary "Enmime-Test-100" was not closed correctly`,
			"Missing Content-Type: MIME parts should have a Content-Type header",
			"Missing Content-Type: content-type is empty for part id: 3",
		},
	},
	"low-quality-incorrect-charset.eml": {
		messageID: makitaID, from: "james@makita.skynet", fromName: "James Hillyerd", fromDomain: "makita.skynet",
		to: []string{"greg@inbucket"}, subject: "plain text", date: date("2012-10-18T22:48:39-07:00"),
		text:     "∮ E⋅da = Q,  n → ∞",
		warnings: []string{`Character Set Declaration Mismatch: declared charset "us-ascii", detected "UTF-8", confidence 100`},
	},
	"low-quality-malformed-base64-attach.eml": {
		messageID: makitaID, from: "james@makita.skynet", fromName: "James Hillyerd", fromDomain: "makita.skynet",
		to: []string{"greg@inbucket"}, subject: "Attachment", date: date("2012-10-18T22:48:39-07:00"),
		attachments: []Attachment{{Filename: "some.doc", ContentType: "application/msword", Size: 7}},
		text:        "A text section",
		warnings:    []string{"Malformed Base64: unexpected '*' in base64 stream"},
	},
	"low-quality-missing-content-type.eml": {
		messageID: makitaID, from: "james@makita.skynet", fromName: "James Hillyerd", fromDomain: "makita.skynet",
		to: []string{"greg@inbucket"}, subject: "plain text", date: date("2012-10-18T22:48:39-07:00"),
		text: "A plain text email",
	},
	"mail-attachment.eml": {
		messageID: makitaID, from: "james@makita.skynet", fromName: "James Hillyerd", fromDomain: "makita.skynet",
		to: []string{"greg@inbucket"}, subject: "Attachment", date: date("2012-10-18T22:48:39-07:00"),
		attachments: []Attachment{{Filename: "test.html", ContentType: "text/html", Size: 7}},
		text:        "A text section",
	},
	// Headers, and a multipart Content-Type with no body: ingestible, empty text.
	"mail-header-only.eml": {
		messageID: makitaID, from: "james@makita.skynet", fromName: "James Hillyerd", fromDomain: "makita.skynet",
		to: []string{"greg@inbucket"}, subject: "Attachment", date: date("2012-10-18T22:48:39-07:00"),
	},
	"mail-html-mime-inline.eml": {
		messageID: "4E2E5A48-1A2C-4450-8663-D41B451DA93E@makita.skynet", from: "james@makita.skynet", fromName: "James Hillyerd",
		fromDomain: "makita.skynet", to: []string{"greg@nobody.com"}, subject: "MIME test 1", date: date("2012-10-13T15:33:07-07:00"),
		attachments: []Attachment{{Filename: "favicon.png", ContentType: "image/png", Size: 687}},
		text:        "Test of text section",
		html:        "Test of HTML section",
		warnings:    []string{`Character Set Declaration Mismatch: declared charset "us-ascii", detected "ISO-8859-1", confidence 85`},
	},
	"mail-mime-alternative.eml": {
		messageID: noaID, from: "jamehi03@jamehi03lx.noa.com", fromName: "James Hillyerd", fromDomain: "jamehi03lx.noa.com",
		to: []string{"greg@inbucket.com"}, subject: "Multipart Mixed", date: date("2012-10-19T12:22:49-07:00"),
		text: "Section one",
	},
	"mail-mime-mixed-related.eml": {
		messageID: noaID, from: "jamehi03@jamehi03lx.noa.com", fromName: "James Hillyerd", fromDomain: "jamehi03lx.noa.com",
		to: []string{"greg@inbucket.com"}, subject: "Multipart Mixed", date: date("2012-10-19T12:22:49-07:00"),
		text:     "html1", // down-converted from the HTML
		html:     "<p>html1</p>",
		warnings: []string{"Plain Text from HTML: Message did not contain a text/plain part"},
	},
	"mail-mime-signed.eml": {
		messageID: noaID, from: "jamehi03@jamehi03lx.noa.com", fromName: "James Hillyerd", fromDomain: "jamehi03lx.noa.com",
		to: []string{"greg@inbucket.com"}, subject: "Multipart Signed", date: date("2012-10-19T12:22:49-07:00"),
		text: "Section one",
	},
	// No Message-ID: derived.
	"mail-non-mime.eml": {
		derived: true, from: "james@hillyerd.com", fromName: "James Hillyerd", fromDomain: "hillyerd.com",
		to: []string{"greg@inbucket.com"}, subject: "test Sun, 14 Oct 2012 16:09:01 -0700", date: date("2012-10-14T16:09:01-07:00"),
		text: "This is a test mailing\n",
	},
	// Two From addresses: the first counts.
	"mail-qp-utf8-header.eml": {
		messageID: noaID, from: "jamehi03@jamehi03lx.noa.com", fromName: "James Hillyerd", fromDomain: "jamehi03lx.noa.com",
		to: []string{"marczak@inbucket.com"}, subject: "MIME UTF8 Test ¢ More Text", date: date("2012-10-19T12:22:49-07:00"),
		text: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nullam venenatis",
		html: "Lorem ipsum",
	},
	"mail-quoted-printable-mime.eml": {
		messageID: noaID, from: "jamehi03@jamehi03lx.noa.com", fromName: "James Hillyerd", fromDomain: "jamehi03lx.noa.com",
		to: []string{"greg@inbucket.com"}, subject: "MIME Quoted Printable", date: date("2012-10-19T12:22:49-07:00"),
		text: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nullam venenatis",
		html: "Lorem ipsum",
	},
}

// derivedPattern is the shape of a derived Message-ID.
var derivedPattern = regexp.MustCompile(`^derived-[0-9a-f]{32}@prioritysupport\.invalid$`)

func TestParseSamples(t *testing.T) {
	entries, err := os.ReadDir(sampleDir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			w, ok := samples[name]
			if !ok {
				t.Fatalf("no expectation for %s: add one to samples", name)
			}
			raw, err := os.ReadFile(filepath.Join(sampleDir, name))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(raw)
			if w.refused != "" {
				var perr *ParseError
				if !errors.As(err, &perr) || perr.Reason != w.refused {
					t.Fatalf("Parse = %v, %v; want ParseError %q", m, err, w.refused)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkMessage(t, m, w)
		})
	}
	for name := range samples {
		if !seen[name] {
			t.Errorf("expectation for %s, which is not in %s", name, sampleDir)
		}
	}
}

// checkMessage compares every field of m with w.
func checkMessage(t *testing.T, m *Message, w want) {
	t.Helper()
	if w.derived {
		if !m.DerivedID || !derivedPattern.MatchString(m.MessageID) {
			t.Errorf("MessageID = %q (derived %v), want a derived id", m.MessageID, m.DerivedID)
		}
	} else if m.DerivedID || m.MessageID != w.messageID {
		t.Errorf("MessageID = %q (derived %v), want %q", m.MessageID, m.DerivedID, w.messageID)
	}
	for _, f := range []struct{ field, got, want string }{
		{"From", m.From, w.from},
		{"FromName", m.FromName, w.fromName},
		{"FromDomain", m.FromDomain, w.fromDomain},
		{"Subject", m.Subject, w.subject},
	} {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.field, f.got, f.want)
		}
	}
	for _, f := range []struct {
		field     string
		got, want []string
	}{
		{"To", m.To, w.to},
		{"InReplyTo", m.InReplyTo, w.inReplyTo},
		{"References", m.References, w.references},
		{"Warnings", m.Warnings, w.warnings},
	} {
		if !slices.Equal(f.got, f.want) {
			t.Errorf("%s = %q, want %q", f.field, f.got, f.want)
		}
	}
	if !m.Date.Equal(w.date) {
		t.Errorf("Date = %v, want %v", m.Date, w.date)
	}
	if !m.ReceivedAt.Equal(w.receivedAt) || (!m.ReceivedAt.IsZero() && m.ReceivedAt.Location() != time.UTC) {
		t.Errorf("ReceivedAt = %v, want %v in UTC", m.ReceivedAt, w.receivedAt)
	}
	if m.AutoReply != w.auto || m.Bulk != w.bulk || m.Bounce != w.bounce {
		t.Errorf("AutoReply, Bulk, Bounce = %v, %v, %v; want %v, %v, %v", m.AutoReply, m.Bulk, m.Bounce, w.auto, w.bulk, w.bounce)
	}
	if !slices.Equal(m.Attachments, w.attachments) {
		t.Errorf("Attachments = %+v, want %+v", m.Attachments, w.attachments)
	}
	if !strings.Contains(m.Text, w.text) || strings.Contains(m.Text, "\r") {
		t.Errorf("Text = %q, want it to contain %q and no CR", m.Text, w.text)
	}
	if (w.html == "") != (m.HTML == "") || !strings.Contains(m.HTML, w.html) {
		t.Errorf("HTML = %q, want it to contain %q", m.HTML, w.html)
	}
}

// message returns a raw message of the header lines and body, CRLF-ended.
func message(body string, header ...string) []byte {
	return []byte(strings.Join(header, "\r\n") + "\r\n\r\n" + body)
}

// mustParse parses raw and fails the test on an error.
func mustParse(t *testing.T, raw []byte) *Message {
	t.Helper()
	m, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, raw, reason string
	}{
		{"empty", "", "empty message"},
		{"whitespace", " \r\n\t\n", "empty message"},
		{"binary", "\x00\x01\x02\xff\xfe garbage \x00", "not an RFC 5322 message: header section does not parse"},
		{"no header", "hello world\nthis is not mail\n", "not an RFC 5322 message: header section does not parse"},
		{"body only", "\r\nbody without header", "not an RFC 5322 message: no header fields"},
		{"nameless header", ": value\n\nbody", "not an RFC 5322 message: no header fields"},
		{"no From", "Subject: hi\nTo: support@vendor.test\n\nbody", "no From address"},
		{"empty From", "From:   \nSubject: hi\n\nbody", "no From address"},
		{"empty address", "From: <>\n\nbody", "unparseable From address"},
		{"group", "From: undisclosed-recipients:;\n\nbody", "unparseable From address"},
		{"no domain", "From: jane\n\nbody", "unparseable From address"},
		{"bad IDN", "From: jane@xn--a.example\n\nbody", ""}, // ASCII: kept as written
		{"unencodable domain", "From: jane@\u00ad\u200b\n\nbody", "unparseable From address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.raw))
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var perr *ParseError
			if !errors.As(err, &perr) || perr.Reason != tc.reason || m != nil {
				t.Fatalf("Parse = %v, %v; want ParseError %q", m, err, tc.reason)
			}
			if want := "parse mail: " + tc.reason; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestDerivedID(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(sampleDir, "mail-non-mime.eml"))
	if err != nil {
		t.Fatal(err)
	}
	first := mustParse(t, raw)
	if !first.DerivedID || !derivedPattern.MatchString(first.MessageID) {
		t.Fatalf("MessageID = %q (derived %v), want a derived id", first.MessageID, first.DerivedID)
	}
	id := func(raw []byte) string { return mustParse(t, raw).MessageID }

	redelivered := append([]byte("Received: from relay2.vendor.test by mx.vendor.test; Tue, 14 May 2024 09:12:41 +0000\r\n"+
		"Received: from a.example by relay2.vendor.test; Tue, 14 May 2024 09:12:40 +0000\r\n"), raw...)
	if got := id(redelivered); got != first.MessageID {
		t.Errorf("re-delivery with other Received headers: %q, want %q", got, first.MessageID)
	}
	if got := id(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))); got != first.MessageID {
		t.Errorf("same message with LF line ends: %q, want %q", got, first.MessageID)
	}
	if got := id(append(bytes.Clone(raw), "P.S. one more line\r\n"...)); got == first.MessageID {
		t.Error("a different body derived the same id")
	}
	if got := id(bytes.Replace(raw, []byte("Subject: test"), []byte("Subject: Test"), 1)); got == first.MessageID {
		t.Error("a different Subject derived the same id")
	}
	for _, header := range []string{"Message-ID:", "Message-ID: <>", "Message-ID:  < >", "Message-ID: <" + strings.Repeat("x", 1000) + "@a.example>"} {
		m := mustParse(t, message("body", "From: a@acme.example", header))
		if !m.DerivedID || !derivedPattern.MatchString(m.MessageID) {
			t.Errorf("%.40s: MessageID = %q (derived %v), want a derived id", header, m.MessageID, m.DerivedID)
		}
	}
}

func TestMessageIDs(t *testing.T) {
	m := mustParse(t, message("body",
		"From: a@acme.example",
		"Message-ID: <abc.123@acme.example> (comment)",
		`In-Reply-To: Your message of "Mon, 13 May 2024" <x1@vendor.test>`,
		"References: <r1@a.example> <r2@",
		" b.example>,<r3@c.example>",
		"References: <r1@a.example> <r4@d.example>",
	))
	if m.MessageID != "abc.123@acme.example" || m.DerivedID {
		t.Errorf("MessageID = %q", m.MessageID)
	}
	if want := []string{"x1@vendor.test"}; !slices.Equal(m.InReplyTo, want) {
		t.Errorf("InReplyTo = %q, want %q", m.InReplyTo, want)
	}
	if want := []string{"r1@a.example", "r2@b.example", "r3@c.example", "r4@d.example"}; !slices.Equal(m.References, want) {
		t.Errorf("References = %q, want %q", m.References, want)
	}

	bare := mustParse(t, message("body", "From: a@acme.example", "Message-ID: bare@acme.example", "In-Reply-To: first@a.example second@b.example junk"))
	if bare.MessageID != "bare@acme.example" || !slices.Equal(bare.InReplyTo, []string{"first@a.example", "second@b.example"}) {
		t.Errorf("without brackets: MessageID %q, InReplyTo %q", bare.MessageID, bare.InReplyTo)
	}
}

func TestAddresses(t *testing.T) {
	m := mustParse(t, message("body",
		"From: =?UTF-8?Q?B=C3=BCcherei_M=C3=BCnchen?= <Info@Bücher.Example.>",
		"To: Support <SUPPORT@vendor.test>, kunde@Straße.example",
		"Cc: support@vendor.test, broken <<<",
	))
	if m.From != "info@xn--bcher-kva.example" || m.FromDomain != "xn--bcher-kva.example" || m.FromName != "Bücherei München" {
		t.Errorf("From, FromDomain, FromName = %q, %q, %q", m.From, m.FromDomain, m.FromName)
	}
	// IDNA2008 (non-transitional) keeps ß rather than mapping it to "ss".
	if want := []string{"support@vendor.test", "kunde@xn--strae-oqa.example"}; !slices.Equal(m.To, want) {
		t.Errorf("To = %q, want %q", m.To, want)
	}
	if want := []string{"unparseable Cc header"}; !slices.Equal(m.Warnings, want) {
		t.Errorf("Warnings = %q, want %q", m.Warnings, want)
	}

	literal := mustParse(t, message("body", "From: ops@[192.0.2.1]"))
	if literal.FromDomain != "[192.0.2.1]" {
		t.Errorf("domain literal: FromDomain = %q", literal.FromDomain)
	}
}

func TestBounce(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(sampleDir, "dsn-simple_dsn.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if m := mustParse(t, raw); !m.Bounce {
		t.Error("dsn-simple_dsn.eml is not a Bounce")
	}
	for _, tc := range []struct {
		name   string
		header []string
		bounce bool
	}{
		{"mailer-daemon", []string{"From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>"}, true},
		{"postmaster", []string{"From: PostMaster@acme.example"}, true},
		{"report, quoted type", []string{"From: x@acme.example", `Content-Type: multipart/report; report-type="Delivery-Status"; boundary=b`}, true},
		{"read receipt", []string{"From: x@acme.example", "Content-Type: multipart/report; report-type=disposition-notification; boundary=b"}, false},
		{"mailer-daemon elsewhere", []string{"From: jane.mailer-daemon@acme.example"}, false},
		{"plain", []string{"From: jane@acme.example"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if m := mustParse(t, message("--b--\r\n", tc.header...)); m.Bounce != tc.bounce {
				t.Errorf("Bounce = %v, want %v", m.Bounce, tc.bounce)
			}
		})
	}
}

// TestAutoReply: only a program's marks make AutoReply; Precedence bulk and
// junk are reported apart as Bulk (machine-sent from the support domain
// only, see inbound.Handler.Email), and a mailing list's marks are neither.
func TestAutoReply(t *testing.T) {
	for _, tc := range []struct {
		header     string
		auto, bulk bool
	}{
		{"Auto-Submitted: auto-replied", true, false},
		{"Auto-Submitted: auto-generated", true, false},
		{"Auto-Submitted: auto-notified; owner-email=\"ops@acme.example\"", true, false},
		{"Auto-Submitted: Auto-Replied (vacation)", true, false},
		{"Auto-Submitted: no", false, false},
		{"Auto-Submitted: No (a person wrote this)", false, false},
		{"Auto-Submitted: ", false, false},
		{"Precedence: auto_reply", true, false},
		{"Precedence: Auto-Reply", true, false},
		{"Precedence: bulk", false, true},
		{"Precedence: Junk", false, true},
		{"Precedence: bulk (sent by Mailman)", false, true},
		{"Precedence: list", false, false},
		{"List-Id: <vendor-support.acme.example>", false, false},
		{"List-Unsubscribe: <mailto:googlegroups-manage+611830278402+unsubscribe@googlegroups.com>", false, false},
		{"Mailing-list: list vendor-support@acme.example; contact vendor-support+owners@acme.example", false, false},
		{"Precedence: first-class", false, false},
		{"X-Autoreply: yes", true, false},
		{"X-Autorespond: Out of office", true, false},
		{"X-Auto-Response-Suppress: All", false, false},
		{"X-Mailer: Microsoft Outlook 16.0", false, false},
	} {
		t.Run(tc.header, func(t *testing.T) {
			m := mustParse(t, message("body", "From: a@acme.example", tc.header))
			if m.AutoReply != tc.auto || m.Bulk != tc.bulk {
				t.Errorf("AutoReply, Bulk = %v, %v; want %v, %v", m.AutoReply, m.Bulk, tc.auto, tc.bulk)
			}
		})
	}
}

func TestReceivedAt(t *testing.T) {
	for _, tc := range []struct {
		name     string
		received []string
		want     time.Time
	}{
		{"rfc 5322 with comment", []string{"from a by mx.vendor.test; Tue, 14 May 2024 09:12:41 +0000 (UTC)"}, date("2024-05-14T09:12:41Z")},
		{"offset converted to UTC", []string{"from a by mx.vendor.test; Wed, 15 May 2024 07:58:13 +0200 (CEST)"}, date("2024-05-15T05:58:13Z")},
		{"folded, extra spaces", []string{"from a (b; c)\r\n  by mx.vendor.test;\r\n\tTue,  4 Jun 2024\r\n 09:12:41   -0700"}, date("2024-06-04T16:12:41Z")},
		{"no weekday, 2-digit day", []string{"by mx.vendor.test; 04 Jun 2024 09:12 +0000"}, date("2024-06-04T09:12:00Z")},
		{"obsolete zone", []string{"by mx.vendor.test; Tue, 4 Jun 2024 09:12:41 EST"}, date("2024-06-04T14:12:41Z")},
		{"obsolete 2-digit year", []string{"by mx.vendor.test; Tue, 4 Jun 24 09:12:41 GMT"}, date("2024-06-04T09:12:41Z")},
		{"no comma", []string{"by mx.vendor.test; Tue 4 Jun 2024 09:12:41 +0000"}, date("2024-06-04T09:12:41Z")},
		{"asctime", []string{"by mx.vendor.test; Tue Jun  4 09:12:41 2024"}, date("2024-06-04T09:12:41Z")},
		{"offset with colon", []string{"by mx.vendor.test; Tue, 4 Jun 2024 09:12:41 +02:00"}, date("2024-06-04T07:12:41Z")},
		{"topmost wins", []string{"by mx.vendor.test; Tue, 4 Jun 2024 09:12:41 +0000", "by relay; Mon, 01 Jan 2001 00:00:00 +0000"}, date("2024-06-04T09:12:41Z")},
		{"topmost undated, lower ignored", []string{"from a by mx.vendor.test with ESMTP id 42", "by relay; Tue, 4 Jun 2024 09:12:41 +0000"}, time.Time{}},
		{"topmost garbage date", []string{"by mx.vendor.test; yesterday around noon", "by relay; Tue, 4 Jun 2024 09:12:41 +0000"}, time.Time{}},
		{"none", nil, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := []string{"From: a@acme.example", "Date: Mon, 01 Jan 2001 00:00:00 +0000"}
			for _, r := range tc.received {
				header = append(header, "Received: "+r)
			}
			m := mustParse(t, message("body", header...))
			if !m.ReceivedAt.Equal(tc.want) || (!m.ReceivedAt.IsZero() && m.ReceivedAt.Location() != time.UTC) {
				t.Errorf("ReceivedAt = %v, want %v in UTC", m.ReceivedAt, tc.want)
			}
		})
	}
}

func TestDate(t *testing.T) {
	m := mustParse(t, message("body", "From: a@acme.example", "Date: Tue, 4 Jun 2024 09:12:41 -0700 (PDT)"))
	if !m.Date.Equal(date("2024-06-04T16:12:41Z")) {
		t.Errorf("Date = %v", m.Date)
	}
	if _, offset := m.Date.Zone(); offset != -7*3600 {
		t.Errorf("Date zone offset = %d, want the sender's -0700", offset)
	}
	if m := mustParse(t, message("body", "From: a@acme.example", "Date: soon")); !m.Date.IsZero() {
		t.Errorf("unparseable Date = %v, want zero", m.Date)
	}
}

func TestParseLimits(t *testing.T) {
	// Unclosed multiparts nested 1000 deep: enmime alone needs time doubling
	// with every level (about a second at 20).
	deep := "From: a@acme.example\nContent-Type: multipart/mixed; boundary=b0\n\n"
	for i := range 1000 {
		deep += fmt.Sprintf("--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i, i+1)
	}
	// A million empty parts: enmime alone needs time quadratic in their number.
	many := "From: a@acme.example\nContent-Type: multipart/mixed; boundary=b\n\n" + strings.Repeat("--b\n\n", 1_000_000)
	for _, tc := range []struct {
		name, raw, warning, text string
	}{
		{"deep nesting", deep, "more than 8 MIME boundaries: inner multiparts kept undecoded", ""},
		{"many parts", many, "more than 5000 possible MIME part delimiters: body kept undecoded", "--b\n\n--b\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			m := mustParse(t, []byte(tc.raw))
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Parse took %v", d)
			}
			if !slices.Contains(m.Warnings, tc.warning) || len(m.Warnings) > maxWarnings {
				t.Errorf("Warnings = %q, want at most %d with %q", m.Warnings, maxWarnings, tc.warning)
			}
			if !strings.HasPrefix(m.Text, tc.text) {
				t.Errorf("Text = %.40q, want prefix %q", m.Text, tc.text)
			}
		})
	}

	// Real mail nests four or five deep; that stays fully decoded.
	nested := "From: a@acme.example\nContent-Type: multipart/signed; boundary=s\n\n--s\n" +
		"Content-Type: multipart/mixed; boundary=m\n\n--m\n" +
		"Content-Type: multipart/alternative; boundary=a\n\n--a\n" +
		"Content-Type: text/plain\n\nplain body\n--a\n" +
		"Content-Type: multipart/related; boundary=r\n\n--r\n" +
		"Content-Type: text/html\n\n<p>html body</p>\n--r--\n--a--\n--m\n" +
		"Content-Type: application/pdf; name=a.pdf\nContent-Disposition: attachment; filename=a.pdf\n\n%PDF\n--m--\n--s\n" +
		"Content-Type: application/pgp-signature\n\nsig\n--s--\n"
	m := mustParse(t, []byte(nested))
	if m.Text != "plain body" || m.HTML != "<p>html body</p>" || len(m.Attachments) != 1 || len(m.Warnings) != 0 {
		t.Errorf("nested: Text %q, HTML %q, Attachments %+v, Warnings %q", m.Text, m.HTML, m.Attachments, m.Warnings)
	}
}

func TestFindTicketToken(t *testing.T) {
	const id = "3f1c2a9e-6b7d-4c1e-9a8f-2d5b7e0c4a13"
	for _, tc := range []struct {
		subject, want string
	}{
		{"Re: Export fails [PS-" + id + "]", id},
		{"[PS-" + id + "] We received your request", id},
		{"RE: AW: [ps-3F1C2A9E-6B7D-4C1E-9A8F-2D5B7E0C4A13] case changed", id},
		{"[PS-] [PS-123] [PS-" + id + "] [PS-aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa]", id},
		{"Ü [PS-" + id + "]", id},
		{"[PS-" + id, ""},
		{"[PS-" + id + ")", ""},
		{"[PS-3f1c2a9e-6b7d-4c1e-9a8f-2d5b7e0c4a1g]", ""},
		{"[PS-3f1c2a9e66b7d-4c1e-9a8f-2d5b7e0c4a13]", ""},
		{"PS-" + id, ""},
		{"", ""},
	} {
		got, ok := FindTicketToken(tc.subject)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("FindTicketToken(%q) = %q, %v; want %q", tc.subject, got, ok, tc.want)
		}
	}
}

func TestSubjectWithToken(t *testing.T) {
	const id, other = "3f1c2a9e-6b7d-4c1e-9a8f-2d5b7e0c4a13", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	for _, tc := range []struct {
		subject, want string
	}{
		{"Export fails", "Export fails [PS-" + id + "]"},
		{"Export fails  ", "Export fails [PS-" + id + "]"},
		{"", "[PS-" + id + "]"},
		{"Re: Export fails [PS-" + id + "]", "Re: Export fails [PS-" + id + "]"},
		{"[ps-3F1C2A9E-6B7D-4C1E-9A8F-2D5B7E0C4A13] Re: x", "[ps-3F1C2A9E-6B7D-4C1E-9A8F-2D5B7E0C4A13] Re: x"},
		{"Re: x [PS-" + other + "] [PS-" + id + "]", "Re: x [PS-" + other + "] [PS-" + id + "]"},
		{"Re: x [PS-" + other + "]", "Re: x [PS-" + other + "] [PS-" + id + "]"},
	} {
		got := SubjectWithToken(tc.subject, id)
		if got != tc.want {
			t.Errorf("SubjectWithToken(%q) = %q, want %q", tc.subject, got, tc.want)
		}
	}
	if found, _ := FindTicketToken(SubjectWithToken("Hello", id)); found != id {
		t.Errorf("FindTicketToken(SubjectWithToken) = %q, want %q", found, id)
	}
}

// hostileSeeds are fuzz seeds aimed at what Parse promises about hostile
// input: header text with encoded line breaks and control characters,
// dates beyond the window, raw NUL and invalid UTF-8, nesting and parts.
var hostileSeeds = []string{
	"From: a@b\n\n",
	"From: =?utf-8?b?w7w=?= <x@b\xc3\xbccher.example>\nMessage-ID:\nReceived: x; Tue, 4 Jun 2024 09:12:41 EST\n\n",
	"From: =?utf-8?q?Eve=0D=0AX-Injected=3A_yes?= <eve@acme.example>\r\nSubject: =?utf-8?q?hello=0D=0ABcc:_victim@example.com?=\r\n\r\nbody\r\n",
	"From: \"a\x00b\" <a@acme.example>\r\nSubject: x\x00y\x1b\x7f\xc2\x85\xe2\x80\xa8z\r\nMessage-ID: <a\x01b@c>\r\nIn-Reply-To: <\x00@x> <y\x0b@z>\r\n\r\n",
	"From: a@acme.example\r\nDate: Fri, 31 Dec 9999 23:00:00 -1200\r\nReceived: x; Mon, 1 Jan 0001 00:00:00 +0000\r\n\r\n",
	"From: a@acme.example\r\nSubject: \xff\xfe=?iso-8859-1?q?=E9?=\r\nTo: =?utf-8?q?=0A?= <b@c>, \"x,y\"@d\r\n\r\n",
	"From: a@acme.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\n\n--b--\n",
}

// FuzzParse checks that Parse never panics and answers every input either
// with a *ParseError, or with a message that keeps Parse's promises: an
// id, a sender, header text on one line without control characters, ids
// without whitespace or control characters, times in the window.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{sampleDir, "testdata"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
		if err != nil || len(files) == 0 {
			f.Fatalf("no samples in %s: %v", dir, err)
		}
		for _, name := range files {
			raw, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	}
	for _, s := range hostileSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			var perr *ParseError
			if !errors.As(err, &perr) || perr.Reason == "" || m != nil {
				t.Fatalf("Parse = %v, %v; want nil and a *ParseError with a reason", m, err)
			}
			return
		}
		if m == nil || m.MessageID == "" || m.From == "" || m.FromDomain == "" {
			t.Fatalf("Parse = %+v; want a MessageID, From and FromDomain", m)
		}
		if !strings.HasSuffix(m.From, "@"+m.FromDomain) || m.FromDomain != strings.ToLower(m.FromDomain) {
			t.Fatalf("From %q does not end in its lower-case domain %q", m.From, m.FromDomain)
		}
		for name, s := range map[string]string{"Subject": m.Subject, "FromName": m.FromName} {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, isBreak) || s != strings.TrimSpace(s) {
				t.Fatalf("%s %q is not one trimmed line of valid UTF-8 without control characters", name, s)
			}
		}
		for _, addr := range append([]string{m.From}, m.To...) {
			if addr == "" || strings.ContainsFunc(addr, isBreak) {
				t.Fatalf("address %q is empty or holds control characters", addr)
			}
		}
		if len(m.To) != len(slices.Compact(slices.Sorted(slices.Values(m.To)))) {
			t.Fatalf("To %q holds duplicates", m.To)
		}
		ids := append([]string{m.MessageID}, m.InReplyTo...)
		for _, id := range append(ids, m.References...) {
			if id == "" || len(id) > maxIDLen || strings.ContainsFunc(id, func(r rune) bool { return isBreak(r) || r == ' ' }) {
				t.Fatalf("message id %q is empty, too long or holds whitespace or control characters", id)
			}
		}
		if !m.Date.IsZero() && !models.InTimeWindow(m.Date) {
			t.Fatalf("Date %v outside the window", m.Date)
		}
		if !m.ReceivedAt.IsZero() && (m.ReceivedAt.Location() != time.UTC || !models.InTimeWindow(m.ReceivedAt)) {
			t.Fatalf("ReceivedAt %v not in UTC or outside the window", m.ReceivedAt)
		}
		if len(m.Warnings) > maxWarnings {
			t.Fatalf("%d warnings, at most %d", len(m.Warnings), maxWarnings)
		}
		for _, w := range m.Warnings {
			if len(w) > maxWarningLen+len("…") || strings.ContainsFunc(w, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("warning %q is too long or holds control characters", w)
			}
		}
		for _, a := range m.Attachments {
			if a.Size < 0 {
				t.Fatalf("attachment %+v", a)
			}
		}
	})
}
