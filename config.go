package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones compiled in, so a bare container computes SLAs right

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/bizhours"
	"github.com/prioritysupport/backend/graph"
	"github.com/prioritysupport/backend/inbound"
	"github.com/prioritysupport/backend/mailbox"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// Config is the server's configuration, read from the environment.
type Config struct {
	Production      bool
	Addr            string
	DatabaseURL     string
	DataDir         string
	JWT             auth.Config
	CORSOrigins     []string
	SupportDomain   string
	SLATimezone     string
	WebmailDomains  []string
	GraphiQL        bool
	GraphQLLimits   graph.Limits
	MaxBodyBytes    int64
	InboundSecret   []byte
	InboundMaxBytes int64
	// InboundMaxInflightBytes caps the inbound message bodies read at once.
	InboundMaxInflightBytes int64
	Holidays                []string
	Stripe                  billing.StripeConfig
	WebhookSecret           string
	// MetricsAddr is the separate listener of /metrics (PS_METRICS_ADDR);
	// when set, the main listener does not serve /metrics. Empty means none.
	MetricsAddr string
	// MetricsToken is the bearer token /metrics asks for (PS_METRICS_TOKEN);
	// empty means none. It is never logged.
	MetricsToken string
	// Providers configures the mail providers' inbound webhooks; each is
	// off until its secret is set.
	Providers InboundProviders
	// OptOutFrom is when early-access customers may start to opt out
	// (PS_EARLY_ACCESS_OPT_OUT_FROM); zero means any time.
	OptOutFrom time.Time
	// DBPool sizes the database connection pool (PS_DB_MAX_CONNS,
	// PS_DB_MAX_IDLE_CONNS, PS_DB_CONN_MAX_LIFETIME, PS_DB_CONN_MAX_IDLE_TIME).
	DBPool store.PoolOptions
	// IMAP configures the mailbox connector (PS_IMAP_*); off unless
	// PS_IMAP_URL is set.
	IMAP mailbox.Config
	// Persisted configures persisted operations: the automatic persisted
	// query cache (PS_APQ_CACHE_ENTRIES, PS_APQ_CACHE_BYTES) and the trusted
	// documents of PS_TRUSTED_DOCUMENTS.
	Persisted graph.PersistedOptions
	// Now is the clock; nil means time.Now. It is not read from the
	// environment: tests set it to replay a month.
	Now func() time.Time
}

// devSupportDomain is the support domain of a development run that sets
// none; the reserved .test name cannot collide with a customer's.
const devSupportDomain = "vendor.test"

// devInboundSecret signs inbound email in a development run that sets no
// PS_INBOUND_SECRET; production refuses to start without one.
const devInboundSecret = "development-inbound-secret"

// minInboundSecretBytes is the shortest PS_INBOUND_SECRET production takes.
const minInboundSecretBytes = 16

// minMetricsTokenBytes is the shortest PS_METRICS_TOKEN production takes.
const minMetricsTokenBytes = 32

// LoadConfig reads the configuration from getenv and checks every value. It
// returns one error per bad value, each naming its variable and saying what
// is expected, and never quoting a secret.
func LoadConfig(getenv func(string) string) (Config, []error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	cfg := Config{
		Addr:                    or(getenv("PS_ADDR"), ":8080"),
		DatabaseURL:             getenv("DATABASE_URL"),
		DataDir:                 or(getenv("PS_DATA_DIR"), "data"),
		SLATimezone:             or(getenv("PS_SLA_TIMEZONE"), "UTC"),
		GraphQLLimits:           graph.DefaultLimits(),
		MaxBodyBytes:            256 << 10,
		InboundMaxBytes:         inbound.DefaultMaxBytes,
		InboundMaxInflightBytes: inbound.DefaultMaxInflightBytes,
		Stripe: billing.StripeConfig{
			SecretKey: getenv("STRIPE_SECRET_KEY"),
			APIBase:   getenv("STRIPE_API_BASE"),
			PriceID:   getenv("STRIPE_PRICE_ID"),
		},
		WebhookSecret: getenv("STRIPE_WEBHOOK_SECRET"),
	}
	switch env := or(getenv("PS_ENV"), "development"); env {
	case "development":
	case "production":
		cfg.Production = true
	default:
		bad("PS_ENV", "%q is neither development nor production", env)
	}
	if _, port, err := net.SplitHostPort(cfg.Addr); err != nil || port == "" {
		bad("PS_ADDR", "%q is not host:port or :port", cfg.Addr)
	}
	if !store.IsPostgresURL(cfg.DatabaseURL) {
		if _, err := store.SQLitePath(cfg.DatabaseURL); err != nil {
			bad("DATABASE_URL", "%v", err)
		}
	} else if _, err := url.Parse(cfg.DatabaseURL); err != nil {
		bad("DATABASE_URL", "not a valid URL")
	}

	cfg.DBPool = loadDBPool(getenv, bad)

	// JWT: exactly one key; production needs it, the issuer and the audience.
	if s := getenv("PS_JWT_HS256_SECRET"); s != "" {
		cfg.JWT.HS256Secret = []byte(s)
	}
	if pem := getenv("PS_JWT_PUBLIC_KEY"); pem != "" {
		cfg.JWT.PublicKeyPEM = []byte(pem)
	}
	if path := getenv("PS_JWT_PUBLIC_KEY_FILE"); path != "" {
		if cfg.JWT.PublicKeyPEM != nil {
			bad("PS_JWT_PUBLIC_KEY_FILE", "set PS_JWT_PUBLIC_KEY or PS_JWT_PUBLIC_KEY_FILE, not both")
		} else if b, err := os.ReadFile(path); err != nil {
			bad("PS_JWT_PUBLIC_KEY_FILE", "cannot read %q: %v", path, errors.Unwrap(err))
		} else {
			cfg.JWT.PublicKeyPEM = b
		}
	}
	if cfg.JWT.HS256Secret != nil && cfg.JWT.PublicKeyPEM != nil {
		bad("PS_JWT_HS256_SECRET", "set either an HS256 secret or a public key (PS_JWT_PUBLIC_KEY[_FILE]), not both")
	} else if cfg.JWT.HS256Secret != nil || cfg.JWT.PublicKeyPEM != nil {
		if _, err := auth.NewVerifier(cfg.JWT); err != nil {
			name := "PS_JWT_PUBLIC_KEY"
			if cfg.JWT.HS256Secret != nil {
				name = "PS_JWT_HS256_SECRET"
			}
			bad(name, "%v", err)
		}
	}
	cfg.JWT.Issuer = getenv("PS_JWT_ISSUER")
	cfg.JWT.Audience = getenv("PS_JWT_AUDIENCE")
	if s := getenv("PS_JWT_CACHE_SIZE"); s != "" {
		switch n, err := strconv.Atoi(s); {
		case err != nil || n < 0 || n > 1_000_000:
			bad("PS_JWT_CACHE_SIZE", "%q is not a whole number from 0 (off) to 1000000", s)
		case n == 0:
			cfg.JWT.CacheSize = -1
		default:
			cfg.JWT.CacheSize = n
		}
	}
	if cfg.Production {
		if cfg.JWT.HS256Secret == nil && cfg.JWT.PublicKeyPEM == nil {
			bad("PS_JWT_PUBLIC_KEY", "production needs a token key: PS_JWT_PUBLIC_KEY, PS_JWT_PUBLIC_KEY_FILE or PS_JWT_HS256_SECRET")
		}
		if cfg.JWT.Issuer == "" {
			bad("PS_JWT_ISSUER", "production needs the expected token issuer")
		}
		if cfg.JWT.Audience == "" {
			bad("PS_JWT_AUDIENCE", "production needs the expected token audience")
		}
	}

	for _, o := range splitList(getenv("PS_CORS_ORIGINS")) {
		if o == "*" && !cfg.Production {
			cfg.CORSOrigins = append(cfg.CORSOrigins, o)
			continue
		}
		o = strings.TrimSuffix(o, "/")
		if err := checkOrigin(o); err != nil {
			bad("PS_CORS_ORIGINS", "%q %v", o, err)
			continue
		}
		cfg.CORSOrigins = append(cfg.CORSOrigins, o)
	}

	if d := getenv("PS_SUPPORT_DOMAIN"); d != "" {
		if n, err := models.NormalizeDomain(d); err != nil {
			bad("PS_SUPPORT_DOMAIN", "%s", models.ErrorMessage(err))
		} else {
			cfg.SupportDomain = n
		}
	} else if cfg.Production {
		bad("PS_SUPPORT_DOMAIN", "production needs the vendor's support email domain")
	} else {
		cfg.SupportDomain = devSupportDomain
	}
	if _, err := time.LoadLocation(cfg.SLATimezone); err != nil || cfg.SLATimezone == "Local" {
		bad("PS_SLA_TIMEZONE", "%q is not an IANA time zone such as UTC or Europe/London", cfg.SLATimezone)
	}
	cfg.WebmailDomains = models.DefaultWebmailDomains
	if list := getenv("PS_WEBMAIL_DOMAINS"); list != "" {
		cfg.WebmailDomains = nil
		for _, d := range splitList(list) {
			n, err := models.NormalizeDomain(d)
			if err != nil {
				bad("PS_WEBMAIL_DOMAINS", "%s", models.ErrorMessage(err))
				continue
			}
			cfg.WebmailDomains = append(cfg.WebmailDomains, n)
		}
	}

	cfg.GraphiQL = !cfg.Production
	if v := getenv("PS_GRAPHIQL"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("PS_GRAPHIQL", "%q is not true or false", v)
		}
		cfg.GraphiQL = b
	}
	loadGraphQLLimits(getenv, bad, &cfg.GraphQLLimits)
	cfg.Persisted = loadPersisted(getenv, bad)
	if v := getenv("PS_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 {
			bad("PS_MAX_BODY_BYTES", "%q is not a whole number of at least 1024", v)
		}
		cfg.MaxBodyBytes = n
	}

	switch secret := getenv("PS_INBOUND_SECRET"); {
	case secret == "" && cfg.Production:
		bad("PS_INBOUND_SECRET", "production needs the secret the helpdesk signs inbound email with")
	case secret == "":
		cfg.InboundSecret = []byte(devInboundSecret)
	case cfg.Production && len(secret) < minInboundSecretBytes:
		bad("PS_INBOUND_SECRET", "is shorter than %d bytes", minInboundSecretBytes)
	default:
		cfg.InboundSecret = []byte(secret)
	}
	if v := getenv("PS_INBOUND_MAX_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 {
			bad("PS_INBOUND_MAX_BYTES", "%q is not a whole number of at least 1024", v)
		}
		cfg.InboundMaxBytes = n
	}
	if v := getenv("PS_INBOUND_MAX_INFLIGHT_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < cfg.InboundMaxBytes {
			bad("PS_INBOUND_MAX_INFLIGHT_BYTES", "%q is not a whole number of at least PS_INBOUND_MAX_BYTES (%d)", v, cfg.InboundMaxBytes)
		}
		cfg.InboundMaxInflightBytes = n
	}
	cfg.Providers = loadInboundProviders(getenv, bad, cfg.Production)
	cfg.IMAP = mailbox.LoadConfig(getenv, cfg.Production, cfg.InboundMaxBytes, bad)
	cfg.Holidays = splitList(getenv("PS_SLA_HOLIDAYS"))
	if _, err := bizhours.New(cfg.SLATimezone, nil, cfg.Holidays); err != nil && len(cfg.Holidays) > 0 {
		bad("PS_SLA_HOLIDAYS", "want dates like 2026-12-25,2027-01-01: %v", err)
	}
	if cfg.Stripe.SecretKey != "" && cfg.Stripe.PriceID == "" {
		bad("STRIPE_PRICE_ID", "needed with STRIPE_SECRET_KEY: the yearly Priority Support price")
	}
	if cfg.Stripe.APIBase != "" {
		if u, err := url.Parse(cfg.Stripe.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("STRIPE_API_BASE", "%q is not an http(s) URL", cfg.Stripe.APIBase)
		}
	}
	if v := getenv("PS_EARLY_ACCESS_OPT_OUT_FROM"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t, err = time.Parse(time.DateOnly, v) // midnight UTC
		}
		if err != nil {
			bad("PS_EARLY_ACCESS_OPT_OUT_FROM", "%q is not a date (2027-01-15) or an RFC 3339 time", v)
		}
		cfg.OptOutFrom = t
	}
	// Metrics: a separate listener, a bearer token, or both.
	if addr := getenv("PS_METRICS_ADDR"); addr != "" {
		if host, port, err := net.SplitHostPort(addr); err != nil || !validPort(port) || strings.ContainsAny(host, "/ ") {
			bad("PS_METRICS_ADDR", "%q is not host:port or :port, like 127.0.0.1:9090", addr)
		} else if addr == cfg.Addr {
			bad("PS_METRICS_ADDR", "is PS_ADDR; give the metrics listener an address of its own")
		} else {
			cfg.MetricsAddr = addr
		}
	}
	switch token := getenv("PS_METRICS_TOKEN"); {
	case token == "":
	case strings.IndexFunc(token, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
		bad("PS_METRICS_TOKEN", "may hold only printable ASCII characters, no spaces")
	case cfg.Production && len(token) < minMetricsTokenBytes:
		bad("PS_METRICS_TOKEN", "is shorter than %d bytes", minMetricsTokenBytes)
	default:
		cfg.MetricsToken = token
	}
	if cfg.Production && cfg.Stripe.SecretKey != "" && cfg.WebhookSecret == "" {
		bad("STRIPE_WEBHOOK_SECRET", "production with Stripe needs the webhook endpoint's signing secret")
	}
	return cfg, errs
}

// checkOrigin returns an error unless o is a browser origin:
// scheme://host[:port] with no path.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return errors.New(`is not an origin like "https://dashboard.example.com"`)
	}
	return nil
}

// validPort reports whether p is a port number, 0 to 65535 (0 picks a free
// port).
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535 && p == strconv.Itoa(n)
}

// or returns v, or def when v is empty.
func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// splitList splits a comma-separated list, trimming space and dropping
// empty entries.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// loadGraphQLLimits overrides the GraphQL request limits in l from the
// environment; each must be a whole number of at least its floor (the
// timeout a Go duration of at least a second).
func loadGraphQLLimits(getenv func(string) string, bad func(name, format string, args ...any), l *graph.Limits) {
	ints := []struct {
		name  string
		floor int
		into  *int
	}{
		{"PS_GRAPHQL_MAX_TOKENS", 100, &l.Tokens},
		{"PS_GRAPHQL_MAX_DEPTH", 2, &l.Depth},
		{"PS_GRAPHQL_MAX_SELECTIONS", 10, &l.Selections},
		{"PS_GRAPHQL_MAX_ALIASES", 1, &l.Aliases},
		{"PS_GRAPHQL_MAX_OVERLAPS", 1, &l.Overlaps},
		{"PS_GRAPHQL_MAX_DIRECTIVES", 1, &l.Directives},
		{"PS_GRAPHQL_COMPLEXITY_LIMIT", 10, &l.Complexity},
		{"PS_GRAPHQL_MAX_ERRORS", 1, &l.Errors},
	}
	for _, v := range ints {
		s := getenv(v.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < v.floor {
			bad(v.name, "%q is not a whole number of at least %d", s, v.floor)
			continue
		}
		*v.into = n
	}
	if s := getenv("PS_GRAPHQL_MAX_RESPONSE_BYTES"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1024 {
			bad("PS_GRAPHQL_MAX_RESPONSE_BYTES", "%q is not a whole number of at least 1024", s)
		} else {
			l.ResponseBytes = n
		}
	}
	if s := getenv("PS_GRAPHQL_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second {
			bad("PS_GRAPHQL_TIMEOUT", "%q is not a duration of at least 1s, like 30s", s)
		} else {
			l.Timeout = d
		}
	}
}

// loadPersisted reads the persisted-operation settings: the APQ cache's
// bounds (whole numbers of at least 1 and 1024) and the trusted-documents
// manifest, read and checked now so that a bad one stops the start.
func loadPersisted(getenv func(string) string, bad func(name, format string, args ...any)) graph.PersistedOptions {
	p := graph.PersistedOptions{CacheEntries: graph.DefaultAPQCacheEntries, CacheBytes: graph.DefaultAPQCacheBytes}
	if s := getenv("PS_APQ_CACHE_ENTRIES"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 {
			bad("PS_APQ_CACHE_ENTRIES", "%q is not a whole number of at least 1", s)
		} else {
			p.CacheEntries = n
		}
	}
	if s := getenv("PS_APQ_CACHE_BYTES"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err != nil || n < 1024 {
			bad("PS_APQ_CACHE_BYTES", "%q is not a whole number of at least 1024", s)
		} else {
			p.CacheBytes = n
		}
	}
	if path := getenv("PS_TRUSTED_DOCUMENTS"); path != "" {
		t, err := graph.LoadTrustedDocuments(path)
		if err != nil {
			bad("PS_TRUSTED_DOCUMENTS", "%v", err)
		}
		p.Trusted = t
	}
	return p
}

// loadDBPool reads the connection pool settings: whole numbers of at least 1
// (idle connections at most PS_DB_MAX_CONNS) and Go durations of at least a
// second. Unset ones take store.DefaultPoolOptions.
func loadDBPool(getenv func(string) string, bad func(name, format string, args ...any)) store.PoolOptions {
	p := store.DefaultPoolOptions()
	idleSet := false
	if s := getenv("PS_DB_MAX_CONNS"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 {
			bad("PS_DB_MAX_CONNS", "%q is not a whole number of at least 1", s)
		} else {
			p.MaxOpenConns = n
		}
	}
	if s := getenv("PS_DB_MAX_IDLE_CONNS"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 || n > p.MaxOpenConns {
			bad("PS_DB_MAX_IDLE_CONNS", "%q is not a whole number from 1 to PS_DB_MAX_CONNS (%d)", s, p.MaxOpenConns)
		} else {
			p.MaxIdleConns, idleSet = n, true
		}
	}
	if !idleSet {
		p.MaxIdleConns = p.MaxOpenConns
	}
	durations := []struct {
		name string
		into *time.Duration
	}{
		{"PS_DB_CONN_MAX_LIFETIME", &p.ConnMaxLifetime},
		{"PS_DB_CONN_MAX_IDLE_TIME", &p.ConnMaxIdleTime},
	}
	for _, d := range durations {
		s := getenv(d.name)
		if s == "" {
			continue
		}
		v, err := time.ParseDuration(s)
		if err != nil || v < time.Second {
			bad(d.name, "%q is not a duration of at least 1s, like 30m", s)
			continue
		}
		*d.into = v
	}
	return p
}

// InboundProviders configures the mail providers' inbound webhooks. An
// endpoint whose secret is empty is not served (404).
type InboundProviders struct {
	// MailgunSigningKey is the Mailgun domain's HTTP webhook signing key
	// (PS_MAILGUN_SIGNING_KEY); it turns POST /inbound/mailgun on.
	MailgunSigningKey []byte
	// MailgunMaxAge is how old a Mailgun signature may be
	// (PS_MAILGUN_MAX_AGE, default 5m, from 30s to 1h).
	MailgunMaxAge time.Duration
	// SESTopicARNs are the SNS topics POST /inbound/ses accepts
	// (PS_SES_TOPIC_ARNS, comma-separated); one turns it on.
	SESTopicARNs []string
	// SESCertCacheSize bounds the SNS signing certificates kept
	// (PS_SES_CERT_CACHE_SIZE, default 16, 1 to 1000).
	SESCertCacheSize int
	// SESFetchTimeout bounds a certificate download or a subscription
	// confirmation (PS_SES_FETCH_TIMEOUT, default 10s, 1s to 1m).
	SESFetchTimeout time.Duration
	// PostmarkUser and PostmarkPassword are the basic-auth credentials in
	// Postmark's inbound webhook URL (PS_POSTMARK_INBOUND_USER,
	// PS_POSTMARK_INBOUND_PASSWORD); both turn POST /inbound/postmark on.
	PostmarkUser, PostmarkPassword string
}

// minProviderSecretBytes is the shortest provider webhook secret
// production takes.
const minProviderSecretBytes = 16

// snsTopicARN is the shape of an SNS topic ARN (standard or FIFO) in any
// AWS partition.
var snsTopicARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

// loadInboundProviders reads the provider webhook settings. Secrets must be
// printable ASCII without spaces, and in production at least 16 bytes; the
// Postmark user and password come together, the user without a colon.
func loadInboundProviders(getenv func(string) string, bad func(name, format string, args ...any), production bool) InboundProviders {
	p := InboundProviders{MailgunMaxAge: inbound.DefaultMailgunMaxAge,
		SESCertCacheSize: inbound.DefaultSNSCertCacheSize, SESFetchTimeout: inbound.DefaultSNSFetchTimeout}
	secret := func(name string) string {
		s := getenv(name)
		switch {
		case s == "":
		case strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
			bad(name, "may hold only printable ASCII characters, no spaces")
		case production && len(s) < minProviderSecretBytes:
			bad(name, "is shorter than %d bytes", minProviderSecretBytes)
		default:
			return s
		}
		return ""
	}
	if key := secret("PS_MAILGUN_SIGNING_KEY"); key != "" {
		p.MailgunSigningKey = []byte(key)
	}
	if s := getenv("PS_MAILGUN_MAX_AGE"); s != "" {
		if d, err := time.ParseDuration(s); err != nil || d < 30*time.Second || d > time.Hour {
			bad("PS_MAILGUN_MAX_AGE", "%q is not a duration from 30s to 1h, like 5m", s)
		} else {
			p.MailgunMaxAge = d
		}
	}
	for _, arn := range splitList(getenv("PS_SES_TOPIC_ARNS")) {
		if !snsTopicARN.MatchString(arn) {
			bad("PS_SES_TOPIC_ARNS", "%q is not an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:inbound-mail", arn)
			continue
		}
		p.SESTopicARNs = append(p.SESTopicARNs, arn)
	}
	if s := getenv("PS_SES_CERT_CACHE_SIZE"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 || n > 1000 {
			bad("PS_SES_CERT_CACHE_SIZE", "%q is not a whole number from 1 to 1000", s)
		} else {
			p.SESCertCacheSize = n
		}
	}
	if s := getenv("PS_SES_FETCH_TIMEOUT"); s != "" {
		if d, err := time.ParseDuration(s); err != nil || d < time.Second || d > time.Minute {
			bad("PS_SES_FETCH_TIMEOUT", "%q is not a duration from 1s to 1m, like 10s", s)
		} else {
			p.SESFetchTimeout = d
		}
	}
	user, password := getenv("PS_POSTMARK_INBOUND_USER"), secret("PS_POSTMARK_INBOUND_PASSWORD")
	switch {
	case user == "" && getenv("PS_POSTMARK_INBOUND_PASSWORD") == "":
	case user == "" || getenv("PS_POSTMARK_INBOUND_PASSWORD") == "":
		bad("PS_POSTMARK_INBOUND_USER", "set both PS_POSTMARK_INBOUND_USER and PS_POSTMARK_INBOUND_PASSWORD, or neither")
	case strings.ContainsRune(user, ':') || strings.IndexFunc(user, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
		bad("PS_POSTMARK_INBOUND_USER", "may hold only printable ASCII characters, no spaces or colons")
	case password != "":
		p.PostmarkUser, p.PostmarkPassword = user, password
	}
	return p
}
