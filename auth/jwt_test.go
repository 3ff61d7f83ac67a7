package auth

import (
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/prioritysupport/backend/models"
)

func mustVerifier(t *testing.T, cfg Config) *Verifier {
	t.Helper()
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// assertRefused checks that err is an UNAUTHENTICATED *models.Error with
// message want (any message when want is empty) that quotes neither the
// token nor the secret.
func assertRefused(t *testing.T, err error, token, want string) {
	t.Helper()
	if err == nil {
		t.Fatal("Verify accepted the token, want refusal")
	}
	var me *models.Error
	if !errors.As(err, &me) {
		t.Fatalf("error %v is %T, want *models.Error", err, err)
	}
	if me.Code != models.CodeUnauthenticated {
		t.Errorf("code = %q, want %q", me.Code, models.CodeUnauthenticated)
	}
	if want != "" && me.Message != want {
		t.Errorf("message = %q, want %q", me.Message, want)
	}
	msg := err.Error()
	if token != "" && strings.Contains(msg, token) {
		t.Errorf("error %q contains the token", msg)
	}
	for _, seg := range strings.Split(token, ".") {
		if len(seg) >= 8 && strings.Contains(msg, seg) {
			t.Errorf("error %q contains token segment %q", msg, seg)
		}
	}
	if strings.Contains(msg, string(testSecret)) {
		t.Errorf("error %q contains the secret", msg)
	}
}

func TestVerifyAccepts(t *testing.T) {
	hs := mustVerifier(t, Config{HS256Secret: testSecret})
	now := time.Now()
	tests := []struct {
		name   string
		claims jwt.MapClaims
		want   Caller
	}{
		{
			name:   "customer",
			claims: validClaims(),
			want:   Caller{Subject: "user-1", Roles: []Role{RoleCustomer}, CustomerID: "cust-1"},
		},
		{
			name: "staff with unknown and repeated roles",
			claims: jwt.MapClaims{
				"sub":   "staff-7",
				"roles": []string{"sales", "superuser", "admin", "sales"},
				"iat":   now.Unix(),
				"exp":   now.Add(time.Minute).Unix(),
			},
			want: Caller{Subject: "staff-7", Roles: []Role{RoleSales, RoleAdmin}},
		},
		{
			name:   "no roles claim",
			claims: without(validClaims(), "roles", "customer_id"),
			want:   Caller{Subject: "user-1"},
		},
		{
			name:   "expired within default leeway",
			claims: with(validClaims(), "exp", now.Add(-10*time.Second).Unix()),
			want:   Caller{Subject: "user-1", Roles: []Role{RoleCustomer}, CustomerID: "cust-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := signRaw(t, jwt.SigningMethodHS256, testSecret, tt.claims)
			got, err := hs.Verify(token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Subject != tt.want.Subject || got.CustomerID != tt.want.CustomerID || !slices.Equal(got.Roles, tt.want.Roles) {
				t.Errorf("Verify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVerifySignerToken(t *testing.T) {
	s, err := NewHS256Signer(testSecret, "ps-issuer", "ps-api")
	if err != nil {
		t.Fatalf("NewHS256Signer: %v", err)
	}
	v := mustVerifier(t, Config{HS256Secret: testSecret, Issuer: "ps-issuer", Audience: "ps-api"})
	token, err := s.Sign(Claims{Subject: "user-2", Roles: []Role{RoleCustomer}, CustomerID: "cust-2"})
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	got, err := v.Verify(token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := Caller{Subject: "user-2", Roles: []Role{RoleCustomer}, CustomerID: "cust-2"}
	if got.Subject != want.Subject || got.CustomerID != want.CustomerID || !slices.Equal(got.Roles, want.Roles) {
		t.Errorf("Verify = %+v, want %+v", got, want)
	}
}

func TestVerifyRefuses(t *testing.T) {
	rsaPriv := testRSAKey(t)
	rsaPubPEM := pkixPEM(t, &rsaPriv.PublicKey)

	hs := mustVerifier(t, Config{HS256Secret: testSecret})
	hsIssAud := mustVerifier(t, Config{HS256Secret: testSecret, Issuer: "ps-issuer", Audience: "ps-api"})
	rs := mustVerifier(t, Config{PublicKeyPEM: rsaPubPEM})

	now := time.Now()
	good := signRaw(t, jwt.SigningMethodHS256, testSecret, validClaims())
	goodParts := strings.Split(good, ".")
	issAud := with(with(validClaims(), "iss", "ps-issuer"), "aud", "ps-api")

	noneHeader := segment(t, map[string]string{"alg": "none", "typ": "JWT"})
	adminPayload := segment(t, jwt.MapClaims{
		"sub":   "user-1",
		"roles": []string{"admin"},
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
	})

	tests := []struct {
		name  string
		v     *Verifier
		token string
		want  string
	}{
		{
			name:  "alg none",
			v:     hs,
			token: noneHeader + "." + adminPayload + ".",
			want:  "invalid token",
		},
		{
			name:  "alg none on rs256 verifier",
			v:     rs,
			token: noneHeader + "." + adminPayload + ".",
			want:  "invalid token",
		},
		{
			name:  "wrong secret",
			v:     hs,
			token: signRaw(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdefg"), validClaims()),
			want:  "invalid token",
		},
		{
			name:  "hs512 token on hs256 verifier",
			v:     hs,
			token: signRaw(t, jwt.SigningMethodHS512, testSecret, validClaims()),
			want:  "invalid token",
		},
		{
			name:  "rs256 token on hs256 verifier",
			v:     hs,
			token: signRaw(t, jwt.SigningMethodRS256, rsaPriv, validClaims()),
			want:  "invalid token",
		},
		{
			name:  "hs256 forged with rsa public key as secret",
			v:     rs,
			token: signRaw(t, jwt.SigningMethodHS256, rsaPubPEM, validClaims()),
			want:  "invalid token",
		},
		{
			name: "expired",
			v:    hs,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret,
				with(with(validClaims(), "iat", now.Add(-2*time.Hour).Unix()), "exp", now.Add(-time.Hour).Unix())),
			want: "token expired",
		},
		{
			name:  "no exp",
			v:     hs,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret, without(validClaims(), "exp")),
			want:  "token lacks a required claim",
		},
		{
			name:  "not valid yet",
			v:     hs,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret, with(validClaims(), "nbf", now.Add(10*time.Minute).Unix())),
			want:  "token not valid yet",
		},
		{
			name:  "issued in the future",
			v:     hs,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret, with(validClaims(), "iat", now.Add(10*time.Minute).Unix())),
			want:  "token issued in the future",
		},
		{
			name:  "wrong issuer",
			v:     hsIssAud,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret, with(issAud, "iss", "someone-else")),
			want:  "invalid token issuer",
		},
		{
			name:  "missing issuer",
			v:     hsIssAud,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret, without(issAud, "iss")),
			want:  "token lacks a required claim",
		},
		{
			name:  "wrong audience",
			v:     hsIssAud,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret, with(issAud, "aud", []string{"other-api"})),
			want:  "invalid token audience",
		},
		{
			name:  "tampered payload",
			v:     hs,
			token: goodParts[0] + "." + adminPayload + "." + goodParts[2],
			want:  "invalid token",
		},
		{
			name:  "garbage abc",
			v:     hs,
			token: "abc",
			want:  "invalid token",
		},
		{
			name:  "garbage a.b.c",
			v:     hs,
			token: "a.b.c",
			want:  "invalid token",
		},
		{
			name:  "empty",
			v:     hs,
			token: "",
			want:  "invalid token",
		},
		{
			name:  "too large",
			v:     hs,
			token: good + "." + strings.Repeat("A", MaxTokenBytes),
			want:  "token too large",
		},
		{
			name:  "customer without customer_id",
			v:     hs,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret, without(validClaims(), "customer_id")),
			want:  "token lacks customer_id",
		},
		{
			name:  "customer with empty customer_id",
			v:     hs,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret, with(validClaims(), "customer_id", "")),
			want:  "token lacks customer_id",
		},
		{
			name:  "missing sub",
			v:     hs,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret, without(validClaims(), "sub")),
			want:  "token lacks sub",
		},
		{
			name:  "empty sub",
			v:     hs,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret, with(validClaims(), "sub", "")),
			want:  "token lacks sub",
		},
		{
			name:  "roles not an array",
			v:     hs,
			token: signRaw(t, jwt.SigningMethodHS256, testSecret, with(validClaims(), "roles", "admin")),
			want:  "invalid token",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.v.Verify(tt.token)
			assertRefused(t, err, tt.token, tt.want)
			if c.Subject != "" || len(c.Roles) != 0 || c.CustomerID != "" {
				t.Errorf("Verify returned caller %+v with its error", c)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	rsaPriv := testRSAKey(t)
	ecPriv := testECKey(t, elliptic.P256())

	tests := []struct {
		name      string
		publicPEM []byte
		signerPEM []byte
		wantAlg   string
	}{
		{
			name:      "rs256 pkix public, pkcs1 private",
			publicPEM: pkixPEM(t, &rsaPriv.PublicKey),
			signerPEM: pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaPriv)),
			wantAlg:   "RS256",
		},
		{
			name:      "rs256 pkcs1 public, pkcs8 private",
			publicPEM: pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaPriv.PublicKey)),
			signerPEM: pkcs8PEM(t, rsaPriv),
			wantAlg:   "RS256",
		},
		{
			name:      "rs256 certificate",
			publicPEM: certPEM(t, rsaPriv),
			signerPEM: pkcs8PEM(t, rsaPriv),
			wantAlg:   "RS256",
		},
		{
			name:      "es256 pkix public, ec private",
			publicPEM: pkixPEM(t, &ecPriv.PublicKey),
			signerPEM: ecPEM(t, ecPriv),
			wantAlg:   "ES256",
		},
		{
			name:      "es256 pkix public, pkcs8 private",
			publicPEM: pkixPEM(t, &ecPriv.PublicKey),
			signerPEM: pkcs8PEM(t, ecPriv),
			wantAlg:   "ES256",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, Config{PublicKeyPEM: tt.publicPEM, Issuer: "ps-issuer", Audience: "ps-api"})
			if got := v.Algorithm(); got != tt.wantAlg {
				t.Errorf("Verifier.Algorithm() = %q, want %q", got, tt.wantAlg)
			}
			s, err := NewSignerFromPEM(tt.signerPEM, "ps-issuer", "ps-api")
			if err != nil {
				t.Fatalf("NewSignerFromPEM: %v", err)
			}
			if got := s.Algorithm(); got != tt.wantAlg {
				t.Errorf("Signer.Algorithm() = %q, want %q", got, tt.wantAlg)
			}
			token, err := s.Sign(Claims{Subject: "staff-1", Roles: []Role{RoleSupport}})
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			got, err := v.Verify(token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Subject != "staff-1" || !slices.Equal(got.Roles, []Role{RoleSupport}) || got.CustomerID != "" {
				t.Errorf("Verify = %+v", got)
			}
		})
	}
}

func TestNewVerifierRefuses(t *testing.T) {
	rsaPriv := testRSAKey(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatalf("generate rsa 1024: %v", err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("generate ed25519: %v", err)
	}
	shortSecret := []byte("short-secret-value")

	tests := []struct {
		name string
		cfg  Config
	}{
		{name: "neither key", cfg: Config{}},
		{name: "both keys", cfg: Config{HS256Secret: testSecret, PublicKeyPEM: pkixPEM(t, &rsaPriv.PublicKey)}},
		{name: "short hs256 secret", cfg: Config{HS256Secret: shortSecret}},
		{name: "p-384 key", cfg: Config{PublicKeyPEM: pkixPEM(t, &testECKey(t, elliptic.P384()).PublicKey)}},
		{name: "rsa 1024 key", cfg: Config{PublicKeyPEM: pkixPEM(t, &small.PublicKey)}},
		{name: "ed25519 key", cfg: Config{PublicKeyPEM: pkixPEM(t, edPub)}},
		{name: "private key as public", cfg: Config{PublicKeyPEM: pkcs8PEM(t, rsaPriv)}},
		{name: "not pem", cfg: Config{PublicKeyPEM: []byte("not a pem block")}},
		{name: "corrupt public key", cfg: Config{PublicKeyPEM: pemBlock("PUBLIC KEY", []byte("junk"))}},
		{name: "negative leeway", cfg: Config{HS256Secret: testSecret, Leeway: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(tt.cfg)
			if err == nil {
				t.Fatalf("NewVerifier accepted the config (algorithm %s)", v.Algorithm())
			}
			if s := tt.cfg.HS256Secret; len(s) > 0 && strings.Contains(err.Error(), string(s)) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func TestVerifierAlgorithmPinned(t *testing.T) {
	rsaPriv := testRSAKey(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "hs256", cfg: Config{HS256Secret: testSecret}, want: "HS256"},
		{name: "rs256", cfg: Config{PublicKeyPEM: pkixPEM(t, &rsaPriv.PublicKey)}, want: "RS256"},
		{name: "es256", cfg: Config{PublicKeyPEM: pkixPEM(t, &testECKey(t, elliptic.P256()).PublicKey)}, want: "ES256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustVerifier(t, tt.cfg).Algorithm(); got != tt.want {
				t.Errorf("Algorithm() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewSignerRefuses(t *testing.T) {
	rsaPriv := testRSAKey(t)
	p384 := testECKey(t, elliptic.P384())
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("generate ed25519: %v", err)
	}
	shortSecret := []byte("short-secret-value")

	t.Run("short hs256 secret", func(t *testing.T) {
		_, err := NewHS256Signer(shortSecret, "", "")
		if err == nil {
			t.Fatal("NewHS256Signer accepted a short secret")
		}
		if strings.Contains(err.Error(), string(shortSecret)) {
			t.Errorf("error %q contains the secret", err)
		}
	})

	tests := []struct {
		name string
		pem  []byte
	}{
		{name: "p-384 ec key", pem: ecPEM(t, p384)},
		{name: "p-384 pkcs8 key", pem: pkcs8PEM(t, p384)},
		{name: "ed25519 key", pem: pkcs8PEM(t, edPriv)},
		{name: "public key", pem: pkixPEM(t, &rsaPriv.PublicKey)},
		{name: "not pem", pem: []byte("nothing here")},
		{name: "corrupt private key", pem: pemBlock("RSA PRIVATE KEY", []byte("junk"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := NewSignerFromPEM(tt.pem, "", ""); err == nil {
				t.Fatalf("NewSignerFromPEM accepted the key (algorithm %s)", s.Algorithm())
			}
		})
	}
}

func TestSignClaims(t *testing.T) {
	fixed := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name       string
		issuer     string
		audience   string
		claims     Claims
		wantFields map[string]string // claim name to its JSON; "" means absent
	}{
		{
			name:     "customer with issuer and audience",
			issuer:   "ps-issuer",
			audience: "ps-api",
			claims:   Claims{Subject: "user-1", Roles: []Role{RoleCustomer}, CustomerID: "cust-1"},
			wantFields: map[string]string{
				"sub":         `"user-1"`,
				"roles":       `["customer"]`,
				"customer_id": `"cust-1"`,
				"iss":         `"ps-issuer"`,
				"aud":         `"ps-api"`,
				"iat":         "1700000000",
				"exp":         "1700003600",
			},
		},
		{
			name:   "staff without issuer, audience or customer id",
			claims: Claims{Subject: "staff-1", Roles: []Role{RoleAdmin}, TTL: 5 * time.Minute},
			wantFields: map[string]string{
				"sub":         `"staff-1"`,
				"roles":       `["admin"]`,
				"customer_id": "",
				"iss":         "",
				"aud":         "",
				"iat":         "1700000000",
				"exp":         "1700000300",
			},
		},
		{
			name:   "no roles",
			claims: Claims{Subject: "user-3"},
			wantFields: map[string]string{
				"roles": `[]`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewHS256Signer(testSecret, tt.issuer, tt.audience)
			if err != nil {
				t.Fatalf("NewHS256Signer: %v", err)
			}
			s.now = func() time.Time { return fixed }
			token, err := s.Sign(tt.claims)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			payload := decodePayload(t, token)
			for name, want := range tt.wantFields {
				got, ok := payload[name]
				switch {
				case want == "" && ok:
					t.Errorf("claim %s = %s, want absent", name, got)
				case want != "" && !ok:
					t.Errorf("claim %s absent, want %s", name, want)
				case want != "" && !jsonEqual(t, got, want):
					t.Errorf("claim %s = %s, want %s", name, got, want)
				}
			}
		})
	}
}

func jsonEqual(t *testing.T, got json.RawMessage, want string) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("unmarshal %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatalf("unmarshal %s: %v", want, err)
	}
	aj, _ := json.Marshal(a)
	bj, _ := json.Marshal(b)
	return string(aj) == string(bj)
}

func TestSignRefuses(t *testing.T) {
	s, err := NewHS256Signer(testSecret, "", "")
	if err != nil {
		t.Fatalf("NewHS256Signer: %v", err)
	}
	tests := []struct {
		name   string
		claims Claims
	}{
		{name: "empty subject", claims: Claims{Roles: []Role{RoleAdmin}}},
		{name: "unknown role", claims: Claims{Subject: "u", Roles: []Role{"root"}}},
		{name: "customer without customer id", claims: Claims{Subject: "u", Roles: []Role{RoleCustomer}}},
		{name: "negative ttl", claims: Claims{Subject: "u", TTL: -time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if token, err := s.Sign(tt.claims); err == nil {
				t.Fatalf("Sign accepted the claims and returned a %d-byte token", len(token))
			}
		})
	}
}

func TestSignExpiredTokenRefused(t *testing.T) {
	s, err := NewHS256Signer(testSecret, "", "")
	if err != nil {
		t.Fatalf("NewHS256Signer: %v", err)
	}
	s.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	token, err := s.Sign(Claims{Subject: "u", TTL: time.Hour})
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	_, err = mustVerifier(t, Config{HS256Secret: testSecret}).Verify(token)
	assertRefused(t, err, token, "token expired")
}
