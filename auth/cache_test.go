package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// clockAt makes v's clock, for the parser and the cache alike, read *now.
func clockAt(v *Verifier, now *time.Time) { v.now = func() time.Time { return *now } }

func TestVerifiedTokensAreRememberedOnlyWhileValid(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	v := mustVerifier(t, Config{HS256Secret: testSecret, Leeway: 10 * time.Second})
	clockAt(v, &now)
	token := signRaw(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{
		"sub": "u1", "roles": []string{"customer"}, "customer_id": "c1",
		"iat": now.Unix(), "nbf": now.Add(time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	})

	// Not valid yet: refused, and nothing is remembered.
	if _, err := v.Verify(token); err == nil {
		t.Fatal("a token before its nbf was accepted")
	}
	if v.verified.Len() != 0 {
		t.Fatalf("a refused token was remembered (%d entries)", v.verified.Len())
	}

	now = now.Add(time.Minute)
	first, err := v.Verify(token)
	if err != nil || v.verified.Len() != 1 {
		t.Fatalf("Verify = %+v, %v; %d remembered, want 1", first, err, v.verified.Len())
	}
	first.Roles[0] = RoleAdmin // a caller's change must not reach the remembered one
	again, err := v.Verify(token)
	if err != nil || again.Subject != "u1" || again.CustomerID != "c1" || len(again.Roles) != 1 || again.Roles[0] != RoleCustomer {
		t.Fatalf("remembered Verify = %+v, %v; want the customer u1 of c1", again, err)
	}

	// Within the leeway after exp it still holds; past it, the remembered
	// verdict is dropped and the token refused as expired.
	now = now.Add(59*time.Minute + 5*time.Second) // exp + 5s
	if _, err := v.Verify(token); err != nil {
		t.Fatalf("within the leeway: %v", err)
	}
	now = now.Add(10 * time.Second)
	_, err = v.Verify(token)
	assertRefused(t, err, token, "token expired")
	if v.verified.Len() != 0 {
		t.Fatalf("an expired token stayed remembered (%d entries)", v.verified.Len())
	}
}

func TestVerifierCacheIsBoundedAndCanBeOff(t *testing.T) {
	now := time.Now()
	v := mustVerifier(t, Config{HS256Secret: testSecret, CacheSize: 2})
	for i := range 5 {
		token := signRaw(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{
			"sub": string(rune('a' + i)), "exp": now.Add(time.Hour).Unix(),
		})
		if _, err := v.Verify(token); err != nil {
			t.Fatal(err)
		}
	}
	if v.verified.Len() != 2 {
		t.Fatalf("%d tokens remembered, want the cap of 2", v.verified.Len())
	}

	off := mustVerifier(t, Config{HS256Secret: testSecret, CacheSize: -1})
	if off.verified != nil {
		t.Fatal("CacheSize -1 left a cache")
	}
	token := signRaw(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "u", "exp": now.Add(time.Hour).Unix()})
	if c, err := off.Verify(token); err != nil || c.Subject != "u" {
		t.Fatalf("Verify without cache = %+v, %v", c, err)
	}
	if d := mustVerifier(t, Config{HS256Secret: testSecret}); d.verified == nil {
		t.Fatal("the default config has no cache")
	}
}

func TestRememberedTokenNeedsTheSameBytes(t *testing.T) {
	now := time.Now()
	v := mustVerifier(t, Config{HS256Secret: testSecret})
	token := signRaw(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "u", "exp": now.Add(time.Hour).Unix()})
	if _, err := v.Verify(token); err != nil {
		t.Fatal(err)
	}
	// The same claims with a changed signature byte are a different token.
	tampered := token[:len(token)-2] + flip(token[len(token)-2]) + token[len(token)-1:]
	_, err := v.Verify(tampered)
	assertRefused(t, err, tampered, "invalid token")
}

// flip returns another base64url character than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
