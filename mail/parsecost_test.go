package mail

import "testing"

// TestUTF8AsDeclared checks when Parse trusts a message's UTF-8 charset
// instead of guessing: only when every charset parameter says UTF-8, no
// part is transfer-encoded and the bytes are valid UTF-8.
func TestUTF8AsDeclared(t *testing.T) {
	const head = "From: a@x.example\r\nSubject: s\r\n"
	cases := []struct {
		name, raw string
		want      bool
	}{
		{"utf-8, 8bit", head + "Content-Type: text/plain; charset=utf-8\r\n\r\nGrüße\r\n", true},
		{"quoted UTF-8 in capitals", head + "Content-Type: text/plain; CHARSET=\"UTF-8\"\r\n\r\nhello\r\n", true},
		{"no charset", head + "\r\nhello\r\n", false},
		{"us-ascii", head + "Content-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n", false},
		{"latin-1", head + "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nGr\xfc\xdfe\r\n", false},
		{"declared utf-8, invalid bytes", head + "Content-Type: text/plain; charset=utf-8\r\n\r\nGr\xfc\xdfe\r\n", false},
		{"quoted-printable", head + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n", false},
		{"base64", head + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: Base64\r\n\r\nR3LDvMOfZQ==\r\n", false},
		{"a second part in another charset", head + "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n--b\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n<p>hi</p>\r\n--b--\r\n", false},
		{"charset named in the text", head + "Content-Type: text/plain; charset=utf-8\r\n\r\nwhich charset do you use?\r\n", false},
	}
	for _, tc := range cases {
		if got := utf8AsDeclared([]byte(tc.raw)); got != tc.want {
			t.Errorf("%s: utf8AsDeclared = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestHeaderDateFastPath checks that headerDate and receivedHeaderDate
// answer what parseDate and receivedDate answer, for the common form they
// read directly and for forms they hand on.
func TestHeaderDateFastPath(t *testing.T) {
	for _, s := range []string{
		"Tue, 10 Nov 2026 09:00:00 +0000",
		"  Tue, 10 Nov 2026 09:00:00 -0500\r\n",
		"Tue,  10 Nov 2026  09:00:00 +0130",
		"Wed, 10 Nov 2026 09:00:00 +0000", // wrong weekday: ignored by both
		"Tue, 3 Nov 2026 09:00:00 +0000",
		"Tue, 10 Nov 2026 09:00:00 +0000 (UTC)",
		"Tue, 10 Nov 2026 09:00:00 EST",
		"Tue, 10 Nov 2026 09:00 +0000",
		"Tue, 10 Nov 1999 09:00:00 +0000", // before the window
		"Fri, 10 Nov 2100 09:00:00 +0000", // after it
		"Tue, 10 Nov 2026 09:00:00 +2400",
		"10 Nov 2026 09:00:00 +0000",
		"2026-11-10T09:00:00Z",
		"not a date",
		"",
	} {
		if got, want := headerDate(s), parseDate(s); !got.Equal(want) || got.Location().String() != want.Location().String() {
			t.Errorf("headerDate(%q) = %v, parseDate = %v", s, got, want)
		}
		received := "from a by b; " + s
		if got, want := receivedHeaderDate(received), receivedDate(received); !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("receivedHeaderDate(%q) = %v, receivedDate = %v", received, got, want)
		}
	}
}
