package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testSecret is a 32-byte HS256 secret used across the tests.
var testSecret = []byte("test-secret-0123456789abcdefghij")

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
	rsaErr  error
)

// testRSAKey returns a 2048-bit RSA key, generated once per test binary.
func testRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() { rsaKey, rsaErr = rsa.GenerateKey(rand.Reader, 2048) })
	if rsaErr != nil {
		t.Fatalf("generate rsa key: %v", rsaErr)
	}
	return rsaKey
}

// testECKey returns a fresh key on curve.
func testECKey(t *testing.T, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatalf("generate ec key: %v", err)
	}
	return k
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// pkixPEM returns pub as a "PUBLIC KEY" PEM block.
func pkixPEM(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("marshal public key: %v", err)
	}
	return pemBlock("PUBLIC KEY", der)
}

// pkcs8PEM returns priv as a "PRIVATE KEY" PEM block.
func pkcs8PEM(t *testing.T, priv any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatalf("marshal private key: %v", err)
	}
	return pemBlock("PRIVATE KEY", der)
}

// ecPEM returns priv as an "EC PRIVATE KEY" PEM block.
func ecPEM(t *testing.T, priv *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatalf("marshal ec key: %v", err)
	}
	return pemBlock("EC PRIVATE KEY", der)
}

// certPEM returns a self-signed certificate for priv as a "CERTIFICATE" PEM
// block.
func certPEM(t *testing.T, priv *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "auth test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	return pemBlock("CERTIFICATE", der)
}

// signRaw signs arbitrary claims, for tokens Signer refuses to make.
func signRaw(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign raw token: %v", err)
	}
	return s
}

// segment base64url-encodes v as JSON, as a JWT segment.
func segment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal segment: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodePayload returns the JSON claims of a compact token, undecoded.
func decodePayload(t *testing.T, token string) map[string]json.RawMessage {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("unmarshal payload: %v", err)
	}
	return m
}

// validClaims returns claims Verify accepts for a verifier without issuer
// or audience.
func validClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub":         "user-1",
		"roles":       []string{"customer"},
		"customer_id": "cust-1",
		"iat":         now.Unix(),
		"exp":         now.Add(time.Hour).Unix(),
	}
}

// without returns a copy of c lacking the named claims.
func without(c jwt.MapClaims, names ...string) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for _, n := range names {
		delete(out, n)
	}
	return out
}

// with returns a copy of c with the claim set to v.
func with(c jwt.MapClaims, name string, v any) jwt.MapClaims {
	out := without(c)
	out[name] = v
	return out
}
