package models

import (
	"fmt"
	"net"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// MaxCoveredDomains is the largest number of domain entries one subscription
// may be given.
const MaxCoveredDomains = 100

// Limits on the ASCII (punycode) form of a domain name, from RFC 1035.
const (
	maxLabelLength  = 63
	maxDomainLength = 253
)

// DefaultWebmailDomains is the default list of public webmail providers that a
// subscription may never cover: covering one would flag mail from strangers
// who happen to use the same provider as priority. Every entry is already in
// the form NormalizeDomain returns.
var DefaultWebmailDomains = []string{
	// Google
	"gmail.com",
	"googlemail.com",
	// Microsoft
	"outlook.com",
	"outlook.de",
	"outlook.fr",
	"hotmail.com",
	"hotmail.co.uk",
	"hotmail.de",
	"hotmail.fr",
	"hotmail.it",
	"live.com",
	"live.co.uk",
	"live.fr",
	"msn.com",
	// Yahoo and AOL
	"yahoo.com",
	"yahoo.co.uk",
	"yahoo.de",
	"yahoo.fr",
	"yahoo.co.jp",
	"ymail.com",
	"rocketmail.com",
	"aol.com",
	"aim.com",
	// Apple
	"icloud.com",
	"me.com",
	"mac.com",
	// Privacy-focused and independent providers
	"proton.me",
	"protonmail.com",
	"protonmail.ch",
	"pm.me",
	"tutanota.com",
	"tutanota.de",
	"tuta.io",
	"tuta.com",
	"fastmail.com",
	"fastmail.fm",
	"hey.com",
	"mailbox.org",
	"posteo.de",
	"zoho.com",
	"zohomail.com",
	"mail.com",
	"gmx.com",
	"gmx.de",
	"gmx.net",
	"gmx.at",
	"gmx.ch",
	"web.de",
	// Russia
	"yandex.com",
	"yandex.ru",
	"ya.ru",
	"mail.ru",
	"bk.ru",
	"list.ru",
	"inbox.ru",
	"rambler.ru",
	// China, Korea
	"qq.com",
	"163.com",
	"126.com",
	"yeah.net",
	"sina.com",
	"naver.com",
	"daum.net",
	"hanmail.net",
	// European ISPs and portals
	"seznam.cz",
	"wp.pl",
	"o2.pl",
	"interia.pl",
	"laposte.net",
	"orange.fr",
	"free.fr",
	"sfr.fr",
	"libero.it",
	"virgilio.it",
	"t-online.de",
	"freenet.de",
}

// domainProfile converts internationalised names to their ASCII (punycode)
// form with the UTS #46 lookup mapping (which also lower-cases), and refuses
// names that are not valid host names.
var domainProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.StrictDomainName(true),
	idna.Transitional(false),
)

// invalidDomain returns the BAD_USER_INPUT error for a raw domain that cannot
// be normalised, naming the input (shortened, see quoteShort) and the
// reason.
func invalidDomain(raw, format string, args ...any) *Error {
	return Errorf(CodeBadUserInput, "%s is not a valid domain: %s", quoteShort(raw), fmt.Sprintf(format, args...))
}

// maxQuotedLength bounds how much of a refused input a message quotes: more
// than a domain of the longest valid length, less than an oversized input.
const maxQuotedLength = 300

// quoteShort returns s Go-quoted, cut to its first maxQuotedLength bytes (on
// a character boundary, marked with "…") when longer, so that a refusal
// never echoes a whole oversized input.
func quoteShort(s string) string {
	if len(s) <= maxQuotedLength {
		return fmt.Sprintf("%q", s)
	}
	cut := maxQuotedLength
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", s[:cut])
}

// NormalizeDomain returns the canonical form of one email domain as it was
// typed: surrounding space trimmed, lower case, one trailing dot removed and
// internationalised names converted to ASCII punycode ("Bücher.example." gives
// "xn--bcher-kva.example").
//
// It returns a *Error with code CodeBadUserInput, whose message quotes raw
// (its first 300 bytes when longer) and says why, when raw is empty, not valid UTF-8, longer than 253 characters or
// holds control characters; is an email address, a URL or contains a
// slash, a port, a space or a wildcard; is an IP address or has an all-numeric
// top-level label; is refused by IDNA; has fewer than two labels, an empty
// label, a label longer than 63 or a name longer than 253 octets, or a label
// starting or ending with a hyphen; or is itself a public suffix such as
// "com", "co.uk" or "github.io".
func NormalizeDomain(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", invalidDomain(raw, "a domain is required")
	case !utf8.ValidString(s):
		return "", invalidDomain(raw, "it is not valid UTF-8 text")
	case utf8.RuneCountInString(strings.TrimSuffix(s, ".")) > maxDomainLength:
		return "", invalidDomain(raw, "it is longer than %d characters", maxDomainLength)
	case hasControl(s, false):
		return "", invalidDomain(raw, "it contains control characters, which are not allowed in a domain name")
	case strings.Contains(s, "://"):
		return "", invalidDomain(raw, "give the domain only, without a scheme such as https://")
	case strings.Contains(s, "@"):
		return "", invalidDomain(raw, "give the domain only, not an email address")
	case strings.ContainsAny(s, `/\`):
		return "", invalidDomain(raw, "give the domain only, without a slash or path")
	case isIPLiteral(s):
		return "", invalidDomain(raw, "an IP address is not a domain")
	case strings.Contains(s, ":"):
		return "", invalidDomain(raw, "give the domain only, without a port")
	case strings.ContainsFunc(s, unicode.IsSpace):
		return "", invalidDomain(raw, "a domain cannot contain spaces")
	case strings.Contains(s, "*"):
		return "", invalidDomain(raw, "wildcards are not allowed; subdomains are covered automatically")
	}

	s = strings.TrimSuffix(s, ".")
	if err := checkLabels(raw, s); err != nil {
		return "", err
	}

	ascii, err := domainProfile.ToASCII(s)
	if err != nil {
		return "", invalidDomain(raw, "it contains characters or labels that are not allowed in a domain name")
	}
	d := strings.ToLower(ascii)
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return "", invalidDomain(raw, "it contains characters that are not allowed in a domain name")
		}
	}
	if err := checkLabels(raw, d); err != nil {
		return "", err
	}

	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", invalidDomain(raw, "a domain needs at least two labels separated by a dot, like \"example.com\"")
	}
	for _, l := range labels {
		if len(l) > maxLabelLength {
			return "", invalidDomain(raw, "the label %q is longer than %d characters", l, maxLabelLength)
		}
	}
	if len(d) > maxDomainLength {
		return "", invalidDomain(raw, "it is longer than %d characters", maxDomainLength)
	}
	if isIPLiteral(d) {
		return "", invalidDomain(raw, "an IP address is not a domain")
	}
	if tld := labels[len(labels)-1]; isAllDigits(tld) {
		return "", invalidDomain(raw, "the top-level label %q is all digits", tld)
	}
	if suffix, _ := publicsuffix.PublicSuffix(d); suffix == d {
		return "", invalidDomain(raw, "it is a public suffix shared by unrelated owners; give a domain registered under it, like \"example.%s\"", d)
	}
	return d, nil
}

// checkLabels refuses a dot-separated name with an empty label or a label
// that starts or ends with a hyphen.
func checkLabels(raw, name string) *Error {
	for _, l := range strings.Split(name, ".") {
		switch {
		case l == "":
			return invalidDomain(raw, "it has an empty label (two dots in a row, or a leading dot)")
		case strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-"):
			return invalidDomain(raw, "the label %q starts or ends with a hyphen", l)
		}
	}
	return nil
}

// isIPLiteral reports whether s is an IPv4 or IPv6 address, with or without
// square brackets.
func isIPLiteral(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	return net.ParseIP(s) != nil
}

// isAllDigits reports whether s is non-empty and made of ASCII digits only.
func isAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DomainPolicy decides which normalised domains a subscription may cover.
// Both fields hold names in the form NormalizeDomain returns; an empty
// SupportDomain disables that check.
type DomainPolicy struct {
	// Webmail lists public webmail domains that are refused, together with
	// their subdomains.
	Webmail []string
	// SupportDomain is the vendor's own support domain. It is refused
	// together with its subdomains and its parents: covering it would flag
	// the vendor's own replies as priority.
	SupportDomain string
}

// NormalizeDomains returns the normalised list of domains given for one
// subscription: each entry normalised with NormalizeDomain, exact duplicates
// after normalisation dropped (the order of first occurrences is kept), and
// each checked against the policy.
//
// It returns a *Error with code CodeBadUserInput when the list is empty, when
// it has more than MaxCoveredDomains entries, or when any entry is invalid,
// is a public webmail domain or one of its subdomains, or overlaps the
// support domain. Every bad entry is reported: the message joins one problem
// per bad entry with "; ".
func (p DomainPolicy) NormalizeDomains(raw []string) ([]string, error) {
	if len(raw) == 0 {
		return nil, Errorf(CodeBadUserInput, "at least one domain is required")
	}
	if len(raw) > MaxCoveredDomains {
		return nil, Errorf(CodeBadUserInput, "at most %d domains can be covered, %d were given", MaxCoveredDomains, len(raw))
	}

	out := make([]string, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	var problems []string
	for _, r := range raw {
		d, err := NormalizeDomain(r)
		if err != nil {
			problems = append(problems, ErrorMessage(err))
			continue
		}
		if seen[d] {
			continue
		}
		seen[d] = true
		if msg := p.refusal(d); msg != "" {
			problems = append(problems, msg)
			continue
		}
		out = append(out, d)
	}
	if len(problems) > 0 {
		return nil, &Error{Code: CodeBadUserInput, Message: strings.Join(problems, "; ")}
	}
	return out, nil
}

// refusal returns why the policy refuses the normalised domain d, or "" when
// d may be covered.
func (p DomainPolicy) refusal(d string) string {
	for _, w := range p.Webmail {
		switch {
		case w == d:
			return fmt.Sprintf("%q is a public webmail domain and cannot be covered", d)
		case DomainCovers(w, d):
			return fmt.Sprintf("%q is a subdomain of the public webmail domain %q and cannot be covered", d, w)
		}
	}
	if p.SupportDomain != "" && DomainsOverlap(p.SupportDomain, d) {
		if d == p.SupportDomain {
			return fmt.Sprintf("%q is the support domain and cannot be covered", d)
		}
		return fmt.Sprintf("%q overlaps the support domain %q and cannot be covered", d, p.SupportDomain)
	}
	return ""
}

// DomainCovers reports whether mail from host is covered by the covered
// domain: host equals covered or is a subdomain of it, on a label boundary
// ("eu.example.com" is covered by "example.com", "notexample.com" is not).
// Both arguments must already be normalised; an empty argument covers and is
// covered by nothing.
func DomainCovers(covered, host string) bool {
	if covered == "" || host == "" {
		return false
	}
	return host == covered || strings.HasSuffix(host, "."+covered)
}

// DomainsOverlap reports whether the normalised domains a and b are equal or
// one is a subdomain of the other.
func DomainsOverlap(a, b string) bool {
	return DomainCovers(a, b) || DomainCovers(b, a)
}
