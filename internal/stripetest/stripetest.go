// Package stripetest helps tests talk to Stripe the way production does: to
// stripe-mock, Stripe's official mock server, for API calls, and with
// payloads signed the way Stripe signs webhooks.
package stripetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// MockVersion is the stripe-mock release the tests are written against: its
// OpenAPI spec is Stripe API version 2023-10-16, the version stripe-go v76
// sends. .ci/run pins the same version.
const MockVersion = "v0.180.0"

// The environment variables APIBase reads.
const (
	// EnvAPIBase is the base URL of a running stripe-mock.
	EnvAPIBase = "STRIPE_API_BASE"
	// EnvRequireMock, when "1", turns a missing stripe-mock into a test
	// failure instead of a skip, so CI cannot pass without it.
	EnvRequireMock = "PS_REQUIRE_STRIPE_MOCK"
)

// SecretKey is a test-mode secret key of the shape stripe-mock accepts.
const SecretKey = "sk_test_stripetest"

// APIBase returns STRIPE_API_BASE for tests that talk to stripe-mock. When it
// is unset it skips the test saying how to run stripe-mock, unless
// PS_REQUIRE_STRIPE_MOCK=1, in which case it fails the test. A set address
// that does not accept connections fails the test.
func APIBase(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvAPIBase)
	if base == "" {
		msg := EnvAPIBase + " is not set; to run this test start stripe-mock:\n" +
			"\tgo install github.com/stripe/stripe-mock@" + MockVersion + "\n" +
			"\tstripe-mock -http-port 12111 -https-port 12112 &\n" +
			"\t" + EnvAPIBase + "=http://127.0.0.1:12111 go test ./..."
		if os.Getenv(EnvRequireMock) == "1" {
			t.Fatal(msg + "\n(failing, not skipping: " + EnvRequireMock + "=1)")
		}
		t.Skip(msg)
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		t.Fatalf("%s=%q is not an http(s) URL", EnvAPIBase, base)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	conn, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		t.Fatalf("%s=%s is set but stripe-mock does not answer: %v", EnvAPIBase, base, err)
	}
	conn.Close()
	return base
}

// SignatureHeader returns a Stripe-Signature header value for payload signed
// with secret at time ts, exactly as Stripe signs:
// "t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<payload>")>".
func SignatureHeader(payload []byte, secret string, ts time.Time) string {
	unix := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(unix))
	mac.Write([]byte("."))
	mac.Write(payload)
	return "t=" + unix + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Event returns the JSON payload of a test-mode webhook event of type typ
// whose data.object is obj, written for the API version stripe-go sends
// (stripe.APIVersion). It fails the test if obj cannot be encoded.
func Event(t testing.TB, id, typ string, obj map[string]any) []byte {
	t.Helper()
	return EventVersion(t, id, typ, stripe.APIVersion, obj)
}

// EventVersion is Event written for API version apiVersion.
func EventVersion(t testing.TB, id, typ, apiVersion string, obj map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"id":               id,
		"object":           "event",
		"api_version":      apiVersion,
		"created":          time.Now().Unix(),
		"type":             typ,
		"data":             map[string]any{"object": obj},
		"livemode":         false,
		"pending_webhooks": 1,
		"request":          map[string]any{"id": nil, "idempotency_key": nil},
	})
	if err != nil {
		t.Fatalf("encode event %s: %v", id, err)
	}
	return b
}
