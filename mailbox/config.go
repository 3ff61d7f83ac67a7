// Package mailbox owns the IMAP mailbox connector: it reads the support
// mailbox's folders (the inbox and the sent folder by default) over IMAP and
// hands each message to the one ingestion path (inbound.Handler.Receive),
// writing each folder's progress (UIDVALIDITY and last UID) in the same
// transaction as the message, so nothing is lost and nothing doubled. It
// runs as a periodic job: a run catches up, then waits for new mail with
// IDLE until its time is up.
package mailbox

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Security is how the connection to the IMAP server is protected.
type Security int

// Connection security, from the URL's scheme and its starttls parameter.
const (
	// SecurityTLS is implicit TLS (imaps://, port 993 by default).
	SecurityTLS Security = iota
	// SecurityStartTLS upgrades a plain connection with STARTTLS
	// (imap://…?starttls=true, port 143 by default).
	SecurityStartTLS
	// SecurityNone is plain text (imap://, port 143 by default); production
	// takes it only for a loopback server.
	SecurityNone
)

// String returns "tls", "starttls" or "none".
func (s Security) String() string {
	switch s {
	case SecurityTLS:
		return "tls"
	case SecurityStartTLS:
		return "starttls"
	default:
		return "none"
	}
}

// SentFolder in Config.Folders stands for the folder the server marks with
// the SPECIAL-USE attribute \Sent, whatever its name.
const SentFolder = `\Sent`

// Defaults of the connector's settings.
const (
	// DefaultPollInterval is how often a run starts (PS_IMAP_POLL_INTERVAL).
	DefaultPollInterval = time.Minute
	// MinPollInterval is the shortest poll interval taken.
	MinPollInterval = time.Second
	// DefaultBatch is the most messages fetched in one command
	// (PS_IMAP_BATCH).
	DefaultBatch = 50
	// MaxBatch is the largest PS_IMAP_BATCH taken.
	MaxBatch = 1000
	// DefaultBatchBytes is the most message bytes fetched in one command
	// (PS_IMAP_BATCH_BYTES); a single message larger than it (up to the
	// message cap) is fetched alone.
	DefaultBatchBytes = 16 << 20
	// DefaultTimeout bounds connecting and logging in (PS_IMAP_TIMEOUT).
	DefaultTimeout = 30 * time.Second
	// DefaultMaxMessageBytes caps one message when the configuration gives
	// none (the server takes PS_INBOUND_MAX_BYTES).
	DefaultMaxMessageBytes = 25 << 20
)

// DefaultFolders are the folders read when PS_IMAP_FOLDERS is not set: the
// inbox, and the sent folder, so support engineers' replies sent from the
// mailbox stop clocks without a BCC rule.
var DefaultFolders = []string{"INBOX", SentFolder}

// Config is the connector's configuration (the PS_IMAP_* variables). The
// zero Config is a connector that is off.
type Config struct {
	// Server is the IMAP server's host:port; empty means the connector is off.
	Server string
	// User is the login name.
	User     string
	Security Security
	// Password is the login password (PS_IMAP_PASSWORD or
	// PS_IMAP_PASSWORD_FILE). It is never logged.
	Password string `json:"-"`
	// OAuth2TokenFile holds an OAuth2 access token for SASL XOAUTH2
	// (PS_IMAP_OAUTH2_TOKEN_FILE), read again at each login so an outside
	// process can refresh it.
	OAuth2TokenFile string
	// Folders are the folders to read, in order; SentFolder names the
	// special-use sent folder.
	Folders []string
	// MarkSeen flags each message read as \Seen (PS_IMAP_MARK_SEEN); off,
	// the connector changes nothing in the mailbox.
	MarkSeen bool
	// PollInterval is how often a run starts.
	PollInterval time.Duration
	// RunMax is how long one run may last: catching up, then waiting for
	// new mail with IDLE (PS_IMAP_RUN_MAX; default three quarters of
	// PollInterval, at most PollInterval).
	RunMax time.Duration
	// Batch and BatchBytes bound one fetch: messages and bytes.
	Batch      int
	BatchBytes int64
	// MaxMessageBytes caps one message; a larger one is refused and
	// skipped.
	MaxMessageBytes int64
	// Timeout bounds connecting and logging in.
	Timeout time.Duration
}

// Enabled reports whether a server is configured.
func (c Config) Enabled() bool { return c.Server != "" }

// Account names the mailbox read, user@host:port: the key of its folders'
// progress, so pointing the connector at another mailbox starts afresh.
func (c Config) Account() string { return c.User + "@" + c.Server }

// LogValue describes the configuration for logs, without the password.
func (c Config) LogValue() slog.Value {
	auth := "password"
	if c.OAuth2TokenFile != "" {
		auth = "xoauth2"
	}
	return slog.GroupValue(slog.String("server", c.Server), slog.String("user", c.User),
		slog.String("security", c.Security.String()), slog.String("auth", auth),
		slog.Any("folders", c.Folders), slog.Bool("mark_seen", c.MarkSeen))
}

// String is LogValue as text, without the password.
func (c Config) String() string { return c.LogValue().String() }

// withDefaults fills the unset limits.
func (c Config) withDefaults() Config {
	if len(c.Folders) == 0 {
		c.Folders = DefaultFolders
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.RunMax <= 0 {
		c.RunMax = c.PollInterval * 3 / 4
	}
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	if c.BatchBytes <= 0 {
		c.BatchBytes = DefaultBatchBytes
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// ParseURL reads PS_IMAP_URL: imaps://user@host[:993] (TLS),
// imap://user@host[:143]?starttls=true (STARTTLS) or imap://user@host[:143]
// (plain text, which production refuses unless the host is loopback). The
// user may be percent-encoded (support%40vendor.example). A password in the
// URL is refused, and never quoted in the error.
func ParseURL(raw string, production bool) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, errors.New("is not a URL like imaps://support@vendor.example@imap.example.com:993")
	}
	var c Config
	port := ""
	switch u.Scheme {
	case "imaps":
		c.Security, port = SecurityTLS, "993"
	case "imap":
		c.Security, port = SecurityNone, "143"
	default:
		return Config{}, errors.New("needs the scheme imaps:// (TLS) or imap:// (STARTTLS with ?starttls=true, or plain text)")
	}
	for k, v := range u.Query() {
		switch {
		case k == "starttls" && len(v) == 1:
			on, err := strconv.ParseBool(v[0])
			if err != nil {
				return Config{}, errors.New("starttls is not true or false")
			}
			if on && c.Security == SecurityTLS {
				return Config{}, errors.New("starttls applies to imap://, not to imaps:// (TLS from the start)")
			}
			if on {
				c.Security = SecurityStartTLS
			}
		default:
			return Config{}, fmt.Errorf("unknown parameter %q (only starttls)", k)
		}
	}
	if u.User == nil || u.User.Username() == "" {
		return Config{}, errors.New("needs the login name: imaps://user@host")
	}
	if _, set := u.User.Password(); set {
		return Config{}, errors.New("must not hold the password: set PS_IMAP_PASSWORD, PS_IMAP_PASSWORD_FILE or PS_IMAP_OAUTH2_TOKEN_FILE")
	}
	if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return Config{}, errors.New("needs a host and no path: imaps://user@host:993")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Config{}, errors.New("has a bad port")
		}
		port = p
	}
	c.User = u.User.Username()
	c.Server = net.JoinHostPort(u.Hostname(), port)
	if production && c.Security == SecurityNone && !loopback(u.Hostname()) {
		return Config{}, errors.New("is plain text (imap:// without ?starttls=true) to a host that is not loopback; use imaps:// or STARTTLS")
	}
	return c, nil
}

// loopback reports whether host is this machine: localhost or a loopback
// address.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoadConfig reads the PS_IMAP_* variables through getenv and reports each
// bad value to bad (its variable's name and what is expected, never a
// secret). maxMessageBytes is the cap of one message (the server passes
// PS_INBOUND_MAX_BYTES). With PS_IMAP_URL unset the connector is off and
// the zero Config is returned.
func LoadConfig(getenv func(string) string, production bool, maxMessageBytes int64, bad func(name, format string, args ...any)) Config {
	raw := getenv("PS_IMAP_URL")
	if raw == "" {
		for _, name := range []string{"PS_IMAP_PASSWORD", "PS_IMAP_PASSWORD_FILE", "PS_IMAP_OAUTH2_TOKEN_FILE"} {
			if getenv(name) != "" {
				bad(name, "is set but PS_IMAP_URL is not; set PS_IMAP_URL to read the mailbox")
			}
		}
		return Config{}
	}
	c, err := ParseURL(raw, production)
	if err != nil {
		bad("PS_IMAP_URL", "%v", err)
	}
	password, passwordFile, tokenFile := getenv("PS_IMAP_PASSWORD"), getenv("PS_IMAP_PASSWORD_FILE"), getenv("PS_IMAP_OAUTH2_TOKEN_FILE")
	set := 0
	for _, v := range []string{password, passwordFile, tokenFile} {
		if v != "" {
			set++
		}
	}
	switch {
	case set == 0:
		bad("PS_IMAP_PASSWORD", "PS_IMAP_URL needs credentials: PS_IMAP_PASSWORD, PS_IMAP_PASSWORD_FILE or PS_IMAP_OAUTH2_TOKEN_FILE")
	case set > 1:
		bad("PS_IMAP_PASSWORD", "set one of PS_IMAP_PASSWORD, PS_IMAP_PASSWORD_FILE and PS_IMAP_OAUTH2_TOKEN_FILE, not several")
	case password != "":
		c.Password = password
	case passwordFile != "":
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			bad("PS_IMAP_PASSWORD_FILE", "cannot read %q: %v", passwordFile, errors.Unwrap(err))
		} else if c.Password = strings.TrimRight(string(b), "\r\n"); c.Password == "" {
			bad("PS_IMAP_PASSWORD_FILE", "%q is empty", passwordFile)
		}
	default:
		if _, err := readToken(tokenFile); err != nil {
			bad("PS_IMAP_OAUTH2_TOKEN_FILE", "%v", err)
		}
		c.OAuth2TokenFile = tokenFile
	}
	if list := getenv("PS_IMAP_FOLDERS"); list != "" {
		for _, f := range strings.Split(list, ",") {
			f = strings.TrimSpace(f)
			switch {
			case f == "":
			case strings.EqualFold(f, SentFolder):
				c.Folders = append(c.Folders, SentFolder)
			case strings.IndexFunc(f, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 || len(f) > 200:
				bad("PS_IMAP_FOLDERS", "%q is not a folder name", f)
			default:
				c.Folders = append(c.Folders, f)
			}
		}
		if len(c.Folders) == 0 {
			bad("PS_IMAP_FOLDERS", "names no folder; leave it unset for INBOX and the \\Sent folder")
		}
	}
	if v := getenv("PS_IMAP_MARK_SEEN"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("PS_IMAP_MARK_SEEN", "%q is not true or false", v)
		}
		c.MarkSeen = b
	}
	c.PollInterval = DefaultPollInterval
	if v := getenv("PS_IMAP_POLL_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < MinPollInterval {
			bad("PS_IMAP_POLL_INTERVAL", "%q is not a duration of at least %s, like 1m", v, MinPollInterval)
		} else {
			c.PollInterval = d
		}
	}
	if v := getenv("PS_IMAP_RUN_MAX"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > c.PollInterval {
			bad("PS_IMAP_RUN_MAX", "%q is not a duration from 1s to PS_IMAP_POLL_INTERVAL (%s)", v, c.PollInterval)
		} else {
			c.RunMax = d
		}
	}
	if v := getenv("PS_IMAP_BATCH"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxBatch {
			bad("PS_IMAP_BATCH", "%q is not a whole number from 1 to %d", v, MaxBatch)
		} else {
			c.Batch = n
		}
	}
	if v := getenv("PS_IMAP_BATCH_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 {
			bad("PS_IMAP_BATCH_BYTES", "%q is not a whole number of at least 1024", v)
		} else {
			c.BatchBytes = n
		}
	}
	if v := getenv("PS_IMAP_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			bad("PS_IMAP_TIMEOUT", "%q is not a duration of at least 1s, like 30s", v)
		} else {
			c.Timeout = d
		}
	}
	c.MaxMessageBytes = maxMessageBytes
	return c.withDefaults()
}

// readToken returns the OAuth2 access token in path: its content without
// surrounding space. The error names the file, never its content.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read the OAuth2 token file %q: %v", path, errors.Unwrap(err))
	}
	token := strings.TrimSpace(string(b))
	if token == "" || strings.IndexFunc(token, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return "", fmt.Errorf("the OAuth2 token file %q does not hold one access token", path)
	}
	return token, nil
}
