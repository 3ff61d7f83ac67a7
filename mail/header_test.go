package mail

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestHeaderTextIsOneLine: encoded words that decode to CR/LF, NUL and
// other control characters in the subject and the sender's name (an
// attempt to forge a Bcc: header wherever they are echoed) come out as one
// line; control characters are removed from message ids; a Date: past
// year 9999 in UTC is dropped.
func TestHeaderTextIsOneLine(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "header-injection.eml"))
	if err != nil {
		t.Fatal(err)
	}
	m := mustParse(t, raw)
	if want := "hello Bcc: victim@example.com and more end"; m.Subject != want {
		t.Errorf("Subject = %q, want %q", m.Subject, want)
	}
	if want := "Eve X-Injected: yes"; m.FromName != want {
		t.Errorf("FromName = %q, want %q", m.FromName, want)
	}
	if m.MessageID != "crlf-subject.1@acme.example" || !slices.Equal(m.InReplyTo, []string{"parent.1@vendor.test"}) {
		t.Errorf("MessageID = %q, InReplyTo = %q", m.MessageID, m.InReplyTo)
	}
	if !m.Date.IsZero() {
		t.Errorf("Date = %v, want zero: it lies past the window", m.Date)
	}
	if want := time.Date(2024, 5, 20, 11, 0, 0, 0, time.UTC); !m.ReceivedAt.Equal(want) {
		t.Errorf("ReceivedAt = %v, want %v", m.ReceivedAt, want)
	}

	// The plain CR/LF case of the finding, as a header of its own.
	m = mustParse(t, message("body", "From: a@acme.example", "Subject: =?utf-8?q?hello=0D=0ABcc:_victim@example.com?="))
	if m.Subject != "hello Bcc: victim@example.com" {
		t.Errorf("Subject = %q", m.Subject)
	}
}

func TestOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"  trimmed \t", "trimmed"},
		{"a\r\nb", "a b"},
		{"a\r\n\r\n\tb", "a b"},
		{"a \r\n b", "a   b"},
		{"\x00a\x01b\x7f", "a b"},
		{"a\u0085b\u2028c\u2029d", "a b c d"},
		{"a\xffb", "a\ufffdb"},
		{"Übersetzung fehlt", "Übersetzung fehlt"},
		{"\r\n", ""},
	} {
		if got := oneLine(tc.in); got != tc.want {
			t.Errorf("oneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDatesOutsideTheWindowAreDropped(t *testing.T) {
	for _, tc := range []struct {
		date     string
		received string
		wantDate bool
		wantRecv bool
	}{
		{"Mon, 20 May 2024 10:00:00 +0000", "x; Mon, 20 May 2024 11:00:00 +0000", true, true},
		{"Sat, 1 Jan 2000 00:00:00 +0000", "x; Fri, 31 Dec 2099 23:59:59 +0000", true, true},
		{"Fri, 31 Dec 1999 23:59:59 +0000", "x; Fri, 1 Jan 2100 00:00:00 +0000", false, false},
		{"Sat, 1 Jan 2000 00:30:00 +0100", "x; Fri, 31 Dec 2099 20:00:00 -0500", false, false},
		{"Fri, 31 Dec 9999 23:00:00 -1200", "x; Fri, 31 Dec 9999 23:00:00 -1200", false, false},
		{"Thu, 1 Jan 1970 00:00:00 +0000", "x; Mon, 1 Jan 0001 00:00:00 +0000", false, false},
	} {
		m := mustParse(t, message("body", "From: a@acme.example", "Received: "+tc.received, "Date: "+tc.date))
		if m.Date.IsZero() == tc.wantDate {
			t.Errorf("Date: %s read as %v", tc.date, m.Date)
		}
		if m.ReceivedAt.IsZero() == tc.wantRecv {
			t.Errorf("Received: %s read as %v", tc.received, m.ReceivedAt)
		}
	}
}
