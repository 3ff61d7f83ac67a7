package mail

import (
	"net/mail"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"golang.org/x/net/idna"
)

// parseAddressList returns the addresses of an address header value, names
// RFC 2047-decoded (enmime's tolerant parser). A domain written as a fully
// qualified name with a trailing dot ("<jane@acme.example.>"), which RFC 5322
// does not allow but some programs write, is read without the dot.
func parseAddressList(value string) ([]*mail.Address, error) {
	list, err := enmime.ParseAddressList(value)
	if err == nil {
		return list, nil
	}
	fixed := strings.ReplaceAll(strings.TrimSuffix(strings.TrimSpace(value), "."), ".>", ">")
	if fixed == value {
		return nil, err
	}
	return enmime.ParseAddressList(fixed)
}

// normaliseAddress returns addr as local@domain with the local part
// lower-cased, and its domain alone: lower case, without a trailing dot, in
// IDNA A-label form ("bücher.example" -> "xn--bcher-kva.example"). A domain
// literal ("[192.0.2.1]") is kept as written. ok is false when addr has no
// '@', an empty part, or a domain that IDNA cannot encode.
func normaliseAddress(addr string) (normalised, domain string, ok bool) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "", "", false
	}
	local := strings.ToLower(strings.TrimSpace(addr[:at]))
	domain, ok = normaliseDomain(addr[at+1:])
	if local == "" || !ok {
		return "", "", false
	}
	return local + "@" + domain, domain, true
}

// normaliseDomain returns d in lower case without a trailing dot, non-ASCII
// labels converted to A-labels (IDNA lookup rules first, plain punycode when
// those refuse the name); ok is false for an empty domain or one neither can
// encode. ASCII names are only lower-cased, so that names the strict rules
// refuse but mail accepts (underscores) pass.
func normaliseDomain(d string) (string, bool) {
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	if d == "" {
		return "", false
	}
	if strings.HasPrefix(d, "[") {
		return strings.ToLower(d), true
	}
	if isASCII(d) {
		return strings.ToLower(d), !strings.Contains(d, "..")
	}
	a, err := idna.Lookup.ToASCII(d)
	if err != nil {
		if a, err = idna.Punycode.ToASCII(strings.ToLower(d)); err != nil {
			return "", false
		}
	}
	a = strings.TrimSuffix(strings.ToLower(a), ".")
	return a, a != ""
}

// isASCII reports whether s holds only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
