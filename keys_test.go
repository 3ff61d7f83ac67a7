package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prioritysupport/backend/internal/testdb"
)

// TestProductionPublicKey configures the server as production would, with an
// ES256 public key file, mints a token with the token command and the
// matching private key, and checks that only that algorithm is accepted.
func TestProductionPublicKey(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	priv, _ := x509.MarshalPKCS8PrivateKey(key)
	pubPath, privPath := filepath.Join(dir, "jwt.pub.pem"), filepath.Join(dir, "jwt.key.pem")
	os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600)
	os.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}), 0o600)

	overrides := map[string]string{"PS_ENV": "production", "PS_JWT_HS256_SECRET": "", "PS_JWT_PUBLIC_KEY_FILE": pubPath}
	s := newTestServer(t, testdb.SQLite(t), overrides)

	var out, errOut bytes.Buffer
	if code := run([]string{"token", "--role", "support", "--private-key-file", privPath}, testEnv(t, "", overrides), &out, &errOut); code != 0 {
		t.Fatalf("token: exit %d: %s", code, errOut.String())
	}
	es256 := strings.TrimSpace(out.String())
	if res := s.gql(es256, `{ viewer { subject roles } }`, nil); res.code() != "" || !strings.Contains(res.Raw, "SUPPORT") {
		t.Fatalf("ES256 token refused: %s", res.Raw)
	}
	// An HS256 token signed with the old shared secret must not pass now.
	if res := s.gql(s.sales(), `{ viewer { subject } }`, nil); res.code() != "UNAUTHENTICATED" {
		t.Fatalf("HS256 token accepted by an ES256 server: %s", res.Raw)
	}
	t.Run("token command without the private key says what to do", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := run([]string{"token", "--role", "support"}, testEnv(t, "", overrides), &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "--private-key-file") {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
	})
}
