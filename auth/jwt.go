package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/prioritysupport/backend/models"
)

const (
	// MaxTokenBytes is the length above which Verify refuses a token
	// without parsing it.
	MaxTokenBytes = 8 << 10

	// MinHS256SecretBytes is the shortest HS256 secret NewVerifier and
	// NewHS256Signer accept.
	MinHS256SecretBytes = 32

	// MinRSABits is the smallest RSA modulus accepted for RS256.
	MinRSABits = 2048

	// DefaultLeeway is the clock skew allowed when Config.Leeway is zero.
	DefaultLeeway = 30 * time.Second

	// DefaultTTL is the token lifetime Sign uses when Claims.TTL is zero.
	DefaultTTL = time.Hour
)

// Config says how a Verifier checks tokens. Exactly one of HS256Secret and
// PublicKeyPEM must be set.
type Config struct {
	// HS256Secret is the shared secret for HS256 tokens (development or
	// shared-secret deployments); at least 32 bytes.
	HS256Secret []byte
	// PublicKeyPEM is the PEM-encoded public key for production: an RSA key
	// of at least 2048 bits (RS256) or an EC P-256 key (ES256), as a
	// "PUBLIC KEY" (PKIX) block, an "RSA PUBLIC KEY" (PKCS #1) block or a
	// "CERTIFICATE" block whose key is used. Only the first block is read.
	PublicKeyPEM []byte
	// Issuer, when not empty, must equal the token's "iss" claim.
	Issuer string
	// Audience, when not empty, must be among the token's "aud" claim.
	Audience string
	// Leeway is the clock skew allowed on exp, nbf and iat; zero means
	// DefaultLeeway. It must not be negative.
	Leeway time.Duration
	// CacheSize is how many verified tokens are remembered, so a client
	// sending the same token again skips decoding and the signature check
	// until the token's own validity window ends: zero means
	// DefaultCacheSize, a negative value turns the cache off. Entries are
	// keyed by the token's SHA-256, and only tokens that passed are kept.
	CacheSize int
}

// Verifier checks compact JWTs against one key and one algorithm. It is safe
// for concurrent use.
type Verifier struct {
	method jwt.SigningMethod
	key    any
	parser *jwt.Parser
	leeway time.Duration
	// now is the clock of the time checks, the cache's included.
	now func() time.Time
	// verified remembers tokens that passed, by digest, with the window in
	// which they stay valid; nil when Config.CacheSize is negative.
	verified *lru.Cache[[sha256.Size]byte, verifiedToken]
}

// verifiedToken is a token that passed Verify: its caller, and the times
// between which the same verdict holds (nbf and iat less the leeway, exp
// plus the leeway).
type verifiedToken struct {
	caller     Caller
	validFrom  time.Time
	validUntil time.Time
}

// DefaultCacheSize is how many verified tokens a Verifier remembers when
// Config.CacheSize is zero.
const DefaultCacheSize = 4096

// NewVerifier returns a Verifier for cfg. The algorithm is pinned from the
// key: HS256 for a secret, RS256 for an RSA public key, ES256 for a P-256
// public key. It returns a plain (non-*models.Error) error when both or
// neither of HS256Secret and PublicKeyPEM are set, when the secret is
// shorter than 32 bytes, when the PEM cannot be parsed, when the key is of
// another type, curve or a smaller RSA size, or when Leeway is negative.
// Error messages never contain the secret.
func NewVerifier(cfg Config) (*Verifier, error) {
	hasSecret, hasPEM := len(cfg.HS256Secret) > 0, len(cfg.PublicKeyPEM) > 0
	if hasSecret == hasPEM {
		return nil, errors.New("new verifier: set exactly one of HS256Secret and PublicKeyPEM")
	}
	if cfg.Leeway < 0 {
		return nil, errors.New("new verifier: negative leeway")
	}
	leeway := cfg.Leeway
	if leeway == 0 {
		leeway = DefaultLeeway
	}

	v := &Verifier{now: time.Now}
	if hasSecret {
		if len(cfg.HS256Secret) < MinHS256SecretBytes {
			return nil, fmt.Errorf("new verifier: hs256 secret is %d bytes, need at least %d", len(cfg.HS256Secret), MinHS256SecretBytes)
		}
		v.method = jwt.SigningMethodHS256
		v.key = slices.Clone(cfg.HS256Secret)
	} else {
		key, err := parsePublicKeyPEM(cfg.PublicKeyPEM)
		if err != nil {
			return nil, fmt.Errorf("new verifier: %w", err)
		}
		method, err := methodForPublicKey(key)
		if err != nil {
			return nil, fmt.Errorf("new verifier: %w", err)
		}
		v.method, v.key = method, key
	}

	// WithLeeway installs the claims validator up front, so the parser is
	// never written to while parsing and can be shared between goroutines.
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{v.method.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	v.leeway = leeway
	size := cfg.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	if size > 0 {
		v.verified, _ = lru.New[[sha256.Size]byte, verifiedToken](size)
	}
	return v, nil
}

// Algorithm returns the one JWS algorithm the Verifier accepts: "HS256",
// "RS256" or "ES256".
func (v *Verifier) Algorithm() string {
	return v.method.Alg()
}

// tokenClaims is the claim set Verify decodes.
type tokenClaims struct {
	jwt.RegisteredClaims
	Roles      []string `json:"roles"`
	CustomerID string   `json:"customer_id"`
}

// Verify parses and verifies a compact JWT and returns the caller it
// names. The signature must use the Verifier's algorithm and key; exp is
// required; nbf and iat are checked when present; iss and aud are checked
// when configured; sub must be non-empty; customer_id must be non-empty
// when roles contains "customer". Unknown role strings are ignored.
//
// Every failure returns an UNAUTHENTICATED *models.Error whose message is a
// short generic reason ("invalid token", "token expired", "token lacks
// customer_id", ...). The message never contains the token, any part of it,
// or the key.
func (v *Verifier) Verify(token string) (Caller, error) {
	if len(token) > MaxTokenBytes {
		return Caller{}, unauthenticated("token too large")
	}
	if token == "" {
		return Caller{}, unauthenticated("invalid token")
	}
	var digest [sha256.Size]byte
	if v.verified != nil {
		digest = sha256.Sum256([]byte(token))
		if hit, ok := v.verified.Get(digest); ok {
			if now := v.now(); !now.Before(hit.validFrom) && now.Before(hit.validUntil) {
				return hit.caller.clone(), nil
			}
			// Out of its window: verified afresh, for the right refusal.
			v.verified.Remove(digest)
		}
	}
	c, claims, err := v.verify(token)
	if err != nil {
		return Caller{}, err
	}
	if v.verified != nil {
		hit := verifiedToken{caller: c.clone(), validUntil: claims.ExpiresAt.Add(v.leeway)}
		for _, t := range []*jwt.NumericDate{claims.NotBefore, claims.IssuedAt} {
			if t != nil && t.Add(-v.leeway).After(hit.validFrom) {
				hit.validFrom = t.Add(-v.leeway)
			}
		}
		v.verified.Add(digest, hit)
	}
	return c, nil
}

// clone returns c with its own copy of the roles, so a remembered caller is
// never changed through a returned one.
func (c Caller) clone() Caller {
	c.Roles = slices.Clone(c.Roles)
	return c
}

// verify is Verify without the cache: it decodes and checks token.
func (v *Verifier) verify(token string) (Caller, tokenClaims, error) {
	var claims tokenClaims
	if _, err := v.parser.ParseWithClaims(token, &claims, v.keyFunc); err != nil {
		return Caller{}, claims, unauthenticated(refusalReason(err))
	}

	if strings.TrimSpace(claims.Subject) == "" {
		return Caller{}, claims, unauthenticated("token lacks sub")
	}
	c := Caller{Subject: claims.Subject, CustomerID: claims.CustomerID}
	if claims.ExpiresAt != nil {
		c.ExpiresAt = claims.ExpiresAt.Time
	}
	for _, s := range claims.Roles {
		r := Role(s)
		if knownRole(r) && !slices.Contains(c.Roles, r) {
			c.Roles = append(c.Roles, r)
		}
	}
	if c.Has(RoleCustomer) && strings.TrimSpace(c.CustomerID) == "" {
		return Caller{}, claims, unauthenticated("token lacks customer_id")
	}
	return c, claims, nil
}

// keyFunc hands the parser the Verifier's key, refusing any other algorithm
// even though the parser already restricts it.
func (v *Verifier) keyFunc(t *jwt.Token) (any, error) {
	if t.Method == nil || t.Method.Alg() != v.method.Alg() {
		return nil, errors.New("unexpected signing algorithm")
	}
	return v.key, nil
}

// refusalReason maps a parser error to a short message safe to show.
func refusalReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed),
		errors.Is(err, jwt.ErrTokenUnverifiable),
		errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "invalid token"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "invalid token issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "invalid token audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "token lacks a required claim"
	default:
		return "invalid token"
	}
}

func unauthenticated(reason string) *models.Error {
	return models.Errorf(models.CodeUnauthenticated, "%s", reason)
}

// Claims are the claims Sign puts into a token.
type Claims struct {
	// Subject becomes "sub"; required.
	Subject string
	// Roles become "roles"; each must be a known Role.
	Roles []Role
	// CustomerID becomes "customer_id" when not empty; required when Roles
	// contains RoleCustomer.
	CustomerID string
	// TTL is the token lifetime; zero means DefaultTTL.
	TTL time.Duration
}

// Signer mints compact JWTs with one key. It is safe for concurrent use.
type Signer struct {
	method   jwt.SigningMethod
	key      any
	issuer   string
	audience string
	now      func() time.Time
}

// NewHS256Signer returns a Signer that signs HS256 tokens with secret and
// sets "iss" and "aud" to issuer and audience when they are not empty. It
// returns a plain error when secret is shorter than 32 bytes; the message
// never contains the secret.
func NewHS256Signer(secret []byte, issuer, audience string) (*Signer, error) {
	if len(secret) < MinHS256SecretBytes {
		return nil, fmt.Errorf("new signer: hs256 secret is %d bytes, need at least %d", len(secret), MinHS256SecretBytes)
	}
	return &Signer{
		method:   jwt.SigningMethodHS256,
		key:      slices.Clone(secret),
		issuer:   issuer,
		audience: audience,
		now:      time.Now,
	}, nil
}

// NewSignerFromPEM returns a Signer for a PEM-encoded private key: RS256 for
// an RSA key of at least 2048 bits, ES256 for a P-256 key, read from an
// "RSA PRIVATE KEY" (PKCS #1), "PRIVATE KEY" (PKCS #8) or "EC PRIVATE KEY"
// block. "iss" and "aud" are set to issuer and audience when not empty. It
// returns a plain error when the PEM cannot be parsed or holds another kind
// of key, curve or a smaller RSA size.
func NewSignerFromPEM(privateKeyPEM []byte, issuer, audience string) (*Signer, error) {
	key, err := parsePrivateKeyPEM(privateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("new signer: %w", err)
	}
	var method jwt.SigningMethod
	switch k := key.(type) {
	case *rsa.PrivateKey:
		method, err = methodForPublicKey(&k.PublicKey)
	case *ecdsa.PrivateKey:
		method, err = methodForPublicKey(&k.PublicKey)
	default:
		err = fmt.Errorf("unsupported private key type %T", key)
	}
	if err != nil {
		return nil, fmt.Errorf("new signer: %w", err)
	}
	return &Signer{method: method, key: key, issuer: issuer, audience: audience, now: time.Now}, nil
}

// Algorithm returns the JWS algorithm the Signer uses: "HS256", "RS256" or
// "ES256".
func (s *Signer) Algorithm() string {
	return s.method.Alg()
}

// Sign returns a compact JWT carrying sub, roles, customer_id (only when
// not empty), iat, exp = now + TTL (TTL zero means one hour), and iss and
// aud (aud as a single string) when the Signer has them. It returns a plain
// error when the subject is empty, a role is unknown, the customer role is
// given without a customer ID, the TTL is negative, or signing fails.
func (s *Signer) Sign(c Claims) (string, error) {
	if strings.TrimSpace(c.Subject) == "" {
		return "", errors.New("sign token: empty subject")
	}
	if c.TTL < 0 {
		return "", errors.New("sign token: negative ttl")
	}
	roles := make([]string, 0, len(c.Roles))
	for _, r := range c.Roles {
		if !knownRole(r) {
			return "", fmt.Errorf("sign token: unknown role %q", r)
		}
		roles = append(roles, string(r))
	}
	if slices.Contains(c.Roles, RoleCustomer) && strings.TrimSpace(c.CustomerID) == "" {
		return "", errors.New("sign token: customer role without customer id")
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}

	now := s.now()
	claims := jwt.MapClaims{
		"sub":   c.Subject,
		"roles": roles,
		"iat":   now.Unix(),
		"exp":   now.Add(ttl).Unix(),
	}
	if c.CustomerID != "" {
		claims["customer_id"] = c.CustomerID
	}
	if s.issuer != "" {
		claims["iss"] = s.issuer
	}
	if s.audience != "" {
		claims["aud"] = s.audience
	}
	token, err := jwt.NewWithClaims(s.method, claims).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return token, nil
}

// parsePublicKeyPEM reads the first PEM block of data as a public key.
func parsePublicKeyPEM(data []byte) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("parse public key: no PEM block found")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("parse public key: unsupported PEM block type %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	return key, nil
}

// parsePrivateKeyPEM reads the first PEM block of data as a private key.
// Parser errors are not passed on, so no detail of the key can leak.
func parsePrivateKeyPEM(data []byte) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("parse private key: no PEM block found")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("parse private key: unsupported PEM block type %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse private key: malformed %q block", block.Type)
	}
	return key, nil
}

// methodForPublicKey returns the one algorithm a public key may be used
// with, or an error for keys the package does not accept.
func methodForPublicKey(key any) (jwt.SigningMethod, error) {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < MinRSABits {
			return nil, fmt.Errorf("rsa key is %d bits, need at least %d", bits, MinRSABits)
		}
		return jwt.SigningMethodRS256, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("unsupported elliptic curve %s, need P-256", k.Curve.Params().Name)
		}
		return jwt.SigningMethodES256, nil
	default:
		return nil, fmt.Errorf("unsupported key type %T", key)
	}
}
