package inbound

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS SignatureVersion 1 is SHA1withRSA
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// SNS limits.
const (
	// DefaultSNSCertCacheSize bounds the signing certificates kept when
	// SNSVerifier.CacheSize is zero: SNS uses one per region at a time,
	// rotated now and then.
	DefaultSNSCertCacheSize = 16
	// snsCertTTL is how long a fetched certificate is kept.
	snsCertTTL = 24 * time.Hour
	// snsMaxCertBytes bounds a certificate download.
	snsMaxCertBytes = 64 << 10
	// DefaultSNSFetchTimeout bounds a certificate download or a
	// subscription confirmation when SNSVerifier.FetchTimeout is zero.
	DefaultSNSFetchTimeout = 10 * time.Second
)

// snsHost matches the hosts SNS signs from and confirms on:
// sns.<region>.amazonaws.com and, in China, sns.<region>.amazonaws.com.cn.
var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// SNSHost reports whether u is an https URL on an SNS host, with no
// credentials and no port other than 443: the only place a signing
// certificate is fetched from or a subscription confirmed at.
func SNSHost(u *url.URL) bool {
	return u.Scheme == "https" && u.User == nil && (u.Port() == "" || u.Port() == "443") && snsHost.MatchString(u.Hostname())
}

// errSNSSignature is a message whose signature does not verify, or whose
// certificate may not be fetched.
var errSNSSignature = errors.New("invalid SNS signature")

// SNSMessage is one HTTP(S) delivery of SNS: a notification or a
// (un)subscription confirmation, as SNS posts it.
type SNSMessage struct {
	Type             string  `json:"Type"`
	MessageID        string  `json:"MessageId"`
	Token            string  `json:"Token"`
	TopicArn         string  `json:"TopicArn"`
	Subject          *string `json:"Subject"`
	Message          string  `json:"Message"`
	Timestamp        string  `json:"Timestamp"`
	SignatureVersion string  `json:"SignatureVersion"`
	Signature        string  `json:"Signature"`
	SigningCertURL   string  `json:"SigningCertURL"`
	SubscribeURL     string  `json:"SubscribeURL"`
	UnsubscribeURL   string  `json:"UnsubscribeURL"`
}

// The SNS message types.
const (
	SNSNotification             = "Notification"
	SNSSubscriptionConfirmation = "SubscriptionConfirmation"
	SNSUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// StringToSign returns the canonical text SNS signs: "name\nvalue\n" for
// each field of the message's type, in byte order of the names;
// notifications sign Message, MessageId, Subject (when present),
// Timestamp, TopicArn and Type; confirmations Message, MessageId,
// SubscribeURL, Timestamp, Token, TopicArn and Type.
func (m *SNSMessage) StringToSign() string {
	var b strings.Builder
	add := func(name, value string) { b.WriteString(name + "\n" + value + "\n") }
	add("Message", m.Message)
	add("MessageId", m.MessageID)
	if m.Type == SNSNotification {
		if m.Subject != nil {
			add("Subject", *m.Subject)
		}
	} else {
		add("SubscribeURL", m.SubscribeURL)
	}
	add("Timestamp", m.Timestamp)
	if m.Type != SNSNotification {
		add("Token", m.Token)
	}
	add("TopicArn", m.TopicArn)
	add("Type", m.Type)
	return b.String()
}

// SNSVerifier checks SNS message signatures against the signing
// certificate at the message's SigningCertURL, fetched over https from an
// SNS host only and cached.
type SNSVerifier struct {
	// Client fetches certificates and confirms subscriptions; nil means a
	// client with a 10-second timeout. Redirects are never followed.
	Client *http.Client
	// AllowURL decides which URLs certificates are fetched from and
	// subscriptions confirmed at; nil means SNSHost. https is required
	// whatever it says. Tests point it at a local TLS server.
	AllowURL func(*url.URL) bool
	// Now is the clock of certificate validity; nil means time.Now.
	Now func() time.Time
	// CacheSize bounds the certificates kept (PS_SES_CERT_CACHE_SIZE); 0
	// means DefaultSNSCertCacheSize.
	CacheSize int
	// FetchTimeout bounds a certificate download or a subscription
	// confirmation (PS_SES_FETCH_TIMEOUT); 0 means DefaultSNSFetchTimeout.
	FetchTimeout time.Duration

	mu    sync.Mutex
	certs map[string]cachedCert
}

// cachedCert is a fetched certificate's key and when it leaves the cache.
type cachedCert struct {
	key     *rsa.PublicKey
	expires time.Time
}

// cacheSize is the certificate cache's bound.
func (v *SNSVerifier) cacheSize() int {
	if v.CacheSize > 0 {
		return v.CacheSize
	}
	return DefaultSNSCertCacheSize
}

// fetchTimeout bounds one fetch.
func (v *SNSVerifier) fetchTimeout() time.Duration {
	if v.FetchTimeout > 0 {
		return v.FetchTimeout
	}
	return DefaultSNSFetchTimeout
}

func (v *SNSVerifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// allowed reports whether raw is an https URL that AllowURL (or SNSHost)
// accepts.
func (v *SNSVerifier) allowed(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, false
	}
	allow := v.AllowURL
	if allow == nil {
		allow = SNSHost
	}
	return u, allow(u)
}

// client returns the HTTP client, which never follows a redirect (a
// redirect could leave the SNS hosts).
func (v *SNSVerifier) client() *http.Client {
	c := http.Client{Timeout: v.fetchTimeout()}
	if v.Client != nil {
		c = *v.Client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// Verify returns nil when m's signature (SignatureVersion 1, SHA1withRSA,
// or 2, SHA256withRSA) verifies under the certificate at its
// SigningCertURL; errSNSSignature wrapped with the reason otherwise, or
// another error when the certificate could not be fetched (transient).
func (v *SNSVerifier) Verify(ctx context.Context, m *SNSMessage) error {
	var hash crypto.Hash
	switch m.SignatureVersion {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return fmt.Errorf("%w: unknown SignatureVersion", errSNSSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("%w: signature is not base64", errSNSSignature)
	}
	u, ok := v.allowed(m.SigningCertURL)
	if !ok || !strings.HasSuffix(u.Path, ".pem") {
		return fmt.Errorf("%w: SigningCertURL is not an https .pem URL on an SNS host", errSNSSignature)
	}
	key, err := v.key(ctx, u.String())
	if err != nil {
		return err
	}
	var digest []byte
	if hash == crypto.SHA1 {
		d := sha1.Sum([]byte(m.StringToSign())) //nolint:gosec // SignatureVersion 1
		digest = d[:]
	} else {
		d := sha256.Sum256([]byte(m.StringToSign()))
		digest = d[:]
	}
	if err := rsa.VerifyPKCS1v15(key, hash, digest, sig); err != nil {
		return fmt.Errorf("%w: signature does not verify", errSNSSignature)
	}
	return nil
}

// key returns the RSA key of the certificate at certURL, from the cache
// or fetched. A certificate outside its validity, or not RSA, is an
// errSNSSignature.
func (v *SNSVerifier) key(ctx context.Context, certURL string) (*rsa.PublicKey, error) {
	now := v.now()
	v.mu.Lock()
	c, ok := v.certs[certURL]
	v.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.key, nil
	}
	cert, err := v.fetch(ctx, certURL)
	if err != nil {
		return nil, err
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, fmt.Errorf("%w: signing certificate is not valid now", errSNSSignature)
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: signing certificate has no RSA key", errSNSSignature)
	}
	expires := now.Add(snsCertTTL)
	if cert.NotAfter.Before(expires) {
		expires = cert.NotAfter
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.certs == nil {
		v.certs = map[string]cachedCert{}
	}
	if len(v.certs) >= v.cacheSize() {
		// Drop the expired ones, then, if still full, the one leaving first.
		var first string
		for u, c := range v.certs {
			if !now.Before(c.expires) {
				delete(v.certs, u)
			} else if first == "" || c.expires.Before(v.certs[first].expires) {
				first = u
			}
		}
		if len(v.certs) >= v.cacheSize() {
			delete(v.certs, first)
		}
	}
	v.certs[certURL] = cachedCert{key: key, expires: expires}
	return key, nil
}

// fetch downloads and parses the PEM certificate at certURL.
func (v *SNSVerifier) fetch(ctx context.Context, certURL string) (*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, v.fetchTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, certURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: bad SigningCertURL", errSNSSignature)
	}
	resp, err := v.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch SNS signing certificate: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch SNS signing certificate: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, snsMaxCertBytes))
	if err != nil {
		return nil, fmt.Errorf("fetch SNS signing certificate: %w", err)
	}
	block, _ := pem.Decode(body)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: SigningCertURL does not hold a PEM certificate", errSNSSignature)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: SigningCertURL does not hold a certificate", errSNSSignature)
	}
	return cert, nil
}

// Confirm confirms a subscription by a GET of its SubscribeURL, which must
// be an https URL on an SNS host. It returns errSNSSignature for a URL
// that is not, another error when SNS does not answer 200.
func (v *SNSVerifier) Confirm(ctx context.Context, m *SNSMessage) error {
	u, ok := v.allowed(m.SubscribeURL)
	if !ok {
		return fmt.Errorf("%w: SubscribeURL is not an https URL on an SNS host", errSNSSignature)
	}
	ctx, cancel := context.WithTimeout(ctx, v.fetchTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("%w: bad SubscribeURL", errSNSSignature)
	}
	resp, err := v.client().Do(req)
	if err != nil {
		// The URL holds the subscription's token: not in the error.
		return errors.New("confirm SNS subscription: request failed")
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, snsMaxCertBytes)) //nolint:errcheck // drained for reuse only
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("confirm SNS subscription: status %d", resp.StatusCode)
	}
	return nil
}
