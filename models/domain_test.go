package models_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prioritysupport/backend/models"
)

// requireBadUserInput fails the test unless err is a *models.Error with code
// BAD_USER_INPUT, and returns its message.
func requireBadUserInput(t *testing.T, err error) string {
	t.Helper()
	var e *models.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *models.Error", err, err)
	}
	if e.Code != models.CodeBadUserInput {
		t.Fatalf("code = %q, want %q (message %q)", e.Code, models.CodeBadUserInput, e.Message)
	}
	return e.Message
}

func TestNormalizeDomainAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"lower case and trailing dot", "Example.COM.", "example.com"},
		{"surrounding space trimmed", "  example.com ", "example.com"},
		{"tabs and newline trimmed", "\texample.com\n", "example.com"},
		{"internationalised name punycoded", "bücher.example", "xn--bcher-kva.example"},
		{"upper case non-ASCII lower-cased and punycoded", "ÉXAMPLE.de", "xn--xample-9ua.de"},
		{"punycode kept", "xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"upper case punycode lower-cased", "XN--BCHER-KVA.example", "xn--bcher-kva.example"},
		{"sharp s is not transitional", "faß.de", "xn--fa-hia.de"},
		{"registrable domain under multi-label suffix", "example.co.uk", "example.co.uk"},
		{"subdomain kept", "eu.mail.example.com", "eu.mail.example.com"},
		{"inner hyphen allowed", "my-company.com", "my-company.com"},
		{"digits allowed outside the top-level label", "123.example.com", "123.example.com"},
		{"63-character label", strings.Repeat("a", 63) + ".com", strings.Repeat("a", 63) + ".com"},
		{"253-character name", longName(253), longName(253)},
		{"fullwidth letters mapped", "ｅｘａｍｐｌｅ.com", "example.com"},
		{"name under a private public suffix", "myproject.github.io", "myproject.github.io"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.NormalizeDomain(tt.in)
			if err != nil {
				t.Fatalf("NormalizeDomain(%q) error = %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("NormalizeDomain(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// longName returns a valid domain name of exactly n octets ending in ".com".
func longName(n int) string {
	var b strings.Builder
	for b.Len()+len(".com") < n {
		room := n - len(".com") - b.Len()
		if b.Len() > 0 {
			b.WriteByte('.')
			room--
		}
		label := min(room, 63)
		if label < 1 {
			// Never end with a dot: lengthen the previous label instead.
			s := b.String()
			b.Reset()
			b.WriteString(s[:len(s)-1])
			b.WriteByte('b')
			continue
		}
		b.WriteString(strings.Repeat("a", label))
	}
	b.WriteString(".com")
	return b.String()
}

func TestLongName(t *testing.T) {
	for _, n := range []int{253, 254} {
		s := longName(n)
		if len(s) != n || strings.Contains(s, "..") || strings.HasPrefix(s, ".") {
			t.Fatalf("longName(%d) = %q (len %d)", n, s, len(s))
		}
	}
}

func TestNormalizeDomainRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   string
		why  string // a part of the message saying why
	}{
		{"empty", "", "required"},
		{"only spaces", "   ", "required"},
		{"email address", "user@example.com", "not an email address"},
		{"at sign only", "@example.com", "not an email address"},
		{"scheme", "http://example.com", "scheme"},
		{"path", "example.com/x", "slash"},
		{"backslash", `example.com\x`, "slash"},
		{"port", "example.com:80", "port"},
		{"inner space", "exa mple.com", "space"},
		{"wildcard", "*.example.com", "wildcard"},
		{"single label", "example", "two labels"},
		{"leading hyphen", "-bad.example.com", "hyphen"},
		{"trailing hyphen", "bad-.example.com", "hyphen"},
		{"IPv4 address", "192.168.0.1", "IP address"},
		{"IPv4 address with trailing dot", "10.0.0.1.", "IP address"},
		{"IPv6 address", "2001:db8::1", "IP address"},
		{"bracketed IPv6 address", "[::1]", "IP address"},
		{"numeric top-level label", "example.123", "all digits"},
		{"64-character label", strings.Repeat("a", 64) + ".com", "longer than 63"},
		{"254-character name", longName(254), "longer than 253"},
		{"top-level domain", "com", "two labels"},
		{"multi-label public suffix", "co.uk", "public suffix"},
		{"private public suffix", "github.io", "public suffix"},
		{"public suffix with trailing dot", "CO.UK.", "public suffix"},
		{"empty label", "a..b.com", "empty label"},
		{"leading dot", ".example.com", "empty label"},
		{"two trailing dots", "example.com..", "empty label"},
		{"lone dot", ".", "empty label"},
		{"underscore", "my_host.example.com", "not allowed"},
		{"hyphens in third and fourth position", "ab--cd.example.com", "not allowed"},
		{"invalid punycode", "xn--a.example.com", "not allowed"},
		{"control character", "exa\x00mple.com", "not allowed"},
		{"invalid UTF-8", "exa\xffmple.com", "UTF-8"},
		{"replacement character", "exa\ufffdmple.com", "not allowed"},
		{"zero width joiner", "a\u200db.com", "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.NormalizeDomain(tt.in)
			if err == nil {
				t.Fatalf("NormalizeDomain(%q) = %q, want error", tt.in, got)
			}
			msg := requireBadUserInput(t, err)
			if quoted := fmt.Sprintf("%q", tt.in); !strings.Contains(msg, quoted) {
				t.Errorf("message %q does not name the input %s", msg, quoted)
			}
			if !strings.Contains(msg, tt.why) {
				t.Errorf("message %q does not contain %q", msg, tt.why)
			}
		})
	}
}

func TestDefaultWebmailDomainsAreNormalised(t *testing.T) {
	if len(models.DefaultWebmailDomains) < 40 {
		t.Fatalf("only %d default webmail domains", len(models.DefaultWebmailDomains))
	}
	seen := map[string]bool{}
	for _, d := range models.DefaultWebmailDomains {
		t.Run(d, func(t *testing.T) {
			if seen[d] {
				t.Fatalf("%q listed twice", d)
			}
			seen[d] = true
			got, err := models.NormalizeDomain(d)
			if err != nil {
				t.Fatalf("NormalizeDomain(%q) error = %v", d, err)
			}
			if got != d {
				t.Fatalf("NormalizeDomain(%q) = %q, want it unchanged", d, got)
			}
		})
	}
}

func TestNormalizeDomainsAccepts(t *testing.T) {
	policy := models.DomainPolicy{
		Webmail:       models.DefaultWebmailDomains,
		SupportDomain: "support.vendor.com",
	}
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"single", []string{"Example.com"}, []string{"example.com"}},
		{"duplicates after normalisation dropped", []string{"Example.com", "example.com.", " EXAMPLE.COM "}, []string{"example.com"}},
		{"first occurrence order kept", []string{"b.example", "a.example", "B.example", "c.example"}, []string{"b.example", "a.example", "c.example"}},
		{"punycode duplicates", []string{"bücher.example", "xn--bcher-kva.example"}, []string{"xn--bcher-kva.example"}},
		{"sibling of support domain allowed", []string{"sales.vendor.com"}, []string{"sales.vendor.com"}},
		{"name containing a webmail name off the label boundary", []string{"notgmail.com", "gmail.com.example.org"}, []string{"notgmail.com", "gmail.com.example.org"}},
		{"exactly the maximum", numbered(models.MaxCoveredDomains), numbered(models.MaxCoveredDomains)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := policy.NormalizeDomains(tt.in)
			if err != nil {
				t.Fatalf("NormalizeDomains(%q) error = %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("NormalizeDomains(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeDomainsRefuses(t *testing.T) {
	policy := models.DomainPolicy{
		Webmail:       models.DefaultWebmailDomains,
		SupportDomain: "support.vendor.com",
	}
	tests := []struct {
		name string
		in   []string
		want []string // parts the message must contain
	}{
		{"nil list", nil, []string{"at least one domain is required"}},
		{"empty list", []string{}, []string{"at least one domain is required"}},
		{"too many", numbered(models.MaxCoveredDomains + 1), []string{"at most 100"}},
		{"webmail", []string{"gmail.com"}, []string{`"gmail.com" is a public webmail domain and cannot be covered`}},
		{"webmail normalised", []string{"GMail.com."}, []string{`"gmail.com" is a public webmail domain and cannot be covered`}},
		{"webmail subdomain", []string{"mail.gmail.com"}, []string{`"mail.gmail.com"`, `public webmail domain "gmail.com"`}},
		{"support domain", []string{"support.vendor.com"}, []string{`"support.vendor.com"`, "support domain"}},
		{"support subdomain", []string{"eu.support.vendor.com"}, []string{`"eu.support.vendor.com"`, "support domain"}},
		{"support parent", []string{"vendor.com"}, []string{`"vendor.com"`, "support domain"}},
		{"invalid entry", []string{"example.com", "user@example.org"}, []string{`"user@example.org"`, "email address"}},
		{
			"every problem reported",
			[]string{"example.com", "gmail.com", "co.uk", "vendor.com", "", "gmail.com"},
			[]string{
				`"gmail.com" is a public webmail domain and cannot be covered; ` +
					`"co.uk" is not a valid domain: it is a public suffix`,
				`"vendor.com" overlaps the support domain`,
				`; "" is not a valid domain`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := policy.NormalizeDomains(tt.in)
			if err == nil {
				t.Fatalf("NormalizeDomains(%q) = %q, want error", tt.in, got)
			}
			if got != nil {
				t.Errorf("NormalizeDomains(%q) returned %q with its error", tt.in, got)
			}
			msg := requireBadUserInput(t, err)
			for _, part := range tt.want {
				if !strings.Contains(msg, part) {
					t.Errorf("message %q does not contain %q", msg, part)
				}
			}
		})
	}
}

func TestNormalizeDomainsReportsEveryProblemOnce(t *testing.T) {
	policy := models.DomainPolicy{Webmail: []string{"gmail.com"}, SupportDomain: "support.vendor.com"}
	_, err := policy.NormalizeDomains([]string{"gmail.com", "Gmail.com", "example", "ok.example", "vendor.com"})
	msg := requireBadUserInput(t, err)
	if n := strings.Count(msg, "; "); n != 2 {
		t.Fatalf("message %q joins %d problems, want 3", msg, n+1)
	}
	for _, part := range []string{`"gmail.com"`, `"example"`, `"vendor.com"`} {
		if !strings.Contains(msg, part) {
			t.Errorf("message %q does not mention %s", msg, part)
		}
	}
	if strings.Contains(msg, "ok.example") {
		t.Errorf("message %q mentions a valid domain", msg)
	}
}

func TestNormalizeDomainsZeroPolicy(t *testing.T) {
	got, err := models.DomainPolicy{}.NormalizeDomains([]string{"gmail.com", "support.vendor.com"})
	if err != nil {
		t.Fatalf("error = %v", err)
	}
	if want := []string{"gmail.com", "support.vendor.com"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestDomainCovers(t *testing.T) {
	tests := []struct {
		name    string
		covered string
		host    string
		want    bool
	}{
		{"same domain", "example.com", "example.com", true},
		{"subdomain", "example.com", "eu.example.com", true},
		{"deep subdomain", "example.com", "a.b.example.com", true},
		{"suffix without label boundary", "example.com", "notexample.com", false},
		{"covered name as a prefix", "example.com", "example.com.evil.net", false},
		{"parent is not covered", "eu.example.com", "example.com", false},
		{"sibling", "eu.example.com", "us.example.com", false},
		{"unrelated", "example.com", "example.org", false},
		{"empty host", "example.com", "", false},
		{"empty covered", "", "example.com", false},
		{"both empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.DomainCovers(tt.covered, tt.host); got != tt.want {
				t.Fatalf("DomainCovers(%q, %q) = %v, want %v", tt.covered, tt.host, got, tt.want)
			}
		})
	}
}

func TestDomainsOverlap(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"equal", "example.com", "example.com", true},
		{"b under a", "example.com", "eu.example.com", true},
		{"a under b", "eu.example.com", "example.com", true},
		{"siblings", "eu.example.com", "us.example.com", false},
		{"no label boundary", "example.com", "notexample.com", false},
		{"no label boundary reversed", "notexample.com", "example.com", false},
		{"empty", "", "example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.DomainsOverlap(tt.a, tt.b); got != tt.want {
				t.Fatalf("DomainsOverlap(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{
		"Example.COM.", "  example.com ", "bücher.example", "ÉXAMPLE.de",
		"xn--bcher-kva.example", "user@example.com", "http://example.com",
		"example.com:80", "*.example.com", "192.168.0.1", "co.uk", "a..b.com",
		"faß.de", "ｅｘａｍｐｌｅ.com", "example。com", "-a.b", "xn--a.com", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := models.NormalizeDomain(in)
		if err != nil {
			var e *models.Error
			if !errors.As(err, &e) || e.Code != models.CodeBadUserInput {
				t.Fatalf("NormalizeDomain(%q) error = %v, want a BAD_USER_INPUT *models.Error", in, err)
			}
			return
		}
		if out == "" || strings.HasSuffix(out, ".") {
			t.Fatalf("NormalizeDomain(%q) = %q: empty or trailing dot", in, out)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("NormalizeDomain(%q) = %q: invalid UTF-8", in, out)
		}
		for _, r := range out {
			if r > 0x7f || (r >= 'A' && r <= 'Z') {
				t.Fatalf("NormalizeDomain(%q) = %q: not lower case ASCII", in, out)
			}
		}
		again, err := models.NormalizeDomain(out)
		if err != nil {
			t.Fatalf("NormalizeDomain(%q) = %q, which is then refused: %v", in, out, err)
		}
		if again != out {
			t.Fatalf("NormalizeDomain(%q) = %q, but NormalizeDomain(%q) = %q", in, out, out, again)
		}
	})
}

// numbered returns n distinct valid domains.
func numbered(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("d%d.example.com", i)
	}
	return out
}
