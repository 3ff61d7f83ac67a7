package stripetest_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/prioritysupport/backend/internal/stripetest"
)

func TestSignatureHeader(t *testing.T) {
	payload := []byte(`{"id":"evt_1"}`)
	ts := time.Unix(1700000000, 0)
	got := stripetest.SignatureHeader(payload, "whsec_x", ts)
	want := fmt.Sprintf("t=1700000000,v1=%x", webhook.ComputeSignature(ts, payload, "whsec_x"))
	if got != want {
		t.Fatalf("SignatureHeader = %q, want %q", got, want)
	}
}

func TestEvent(t *testing.T) {
	payload := stripetest.Event(t, "evt_1", "invoice.paid", map[string]any{"id": "in_1", "object": "invoice"})
	var ev stripe.Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != "evt_1" || ev.Object != "event" || ev.Type != "invoice.paid" || ev.APIVersion != stripe.APIVersion ||
		ev.Livemode || ev.PendingWebhooks != 1 || ev.Created == 0 || ev.Data.Object["id"] != "in_1" {
		t.Errorf("event = %s", payload)
	}
	sig := stripetest.SignatureHeader(payload, "whsec_x", time.Now())
	if _, err := webhook.ConstructEvent(payload, sig, "whsec_x"); err != nil {
		t.Errorf("stripe-go refuses the signed event: %v", err)
	}
}

// fakeTB records how APIBase ends a test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatal(args ...any) {
	f.failed, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }

// apiBase runs APIBase with a fake TB in a goroutine of its own, as Skip and
// Fatal end it.
func apiBase(t *testing.T) (*fakeTB, string) {
	f := &fakeTB{TB: t}
	var got string
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = stripetest.APIBase(f)
	}()
	<-done
	return f, got
}

func TestAPIBase(t *testing.T) {
	t.Run("unset skips", func(t *testing.T) {
		t.Setenv(stripetest.EnvAPIBase, "")
		t.Setenv(stripetest.EnvRequireMock, "")
		f, _ := apiBase(t)
		if !f.skipped || !strings.Contains(f.msg, "go install github.com/stripe/stripe-mock@"+stripetest.MockVersion) {
			t.Fatalf("skipped = %v, message %q; want a skip saying how to run stripe-mock", f.skipped, f.msg)
		}
	})
	t.Run("unset but required fails", func(t *testing.T) {
		t.Setenv(stripetest.EnvAPIBase, "")
		t.Setenv(stripetest.EnvRequireMock, "1")
		if f, _ := apiBase(t); !f.failed || f.skipped {
			t.Fatalf("failed = %v, skipped = %v; want a failure", f.failed, f.skipped)
		}
	})
	t.Run("not answering fails", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		t.Setenv(stripetest.EnvAPIBase, "http://"+addr)
		if f, _ := apiBase(t); !f.failed {
			t.Fatal("APIBase accepted an address nobody listens on")
		}
	})
	t.Run("set", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		t.Setenv(stripetest.EnvAPIBase, srv.URL)
		if f, got := apiBase(t); f.failed || f.skipped || got != srv.URL {
			t.Fatalf("APIBase = %q (failed %v, skipped %v), want %q", got, f.failed, f.skipped, srv.URL)
		}
	})
}

// TestMockVersionPinnedInCI keeps the version the skip message advertises
// and the one CI installs the same.
func TestMockVersionPinnedInCI(t *testing.T) {
	script, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if want := "STRIPE_MOCK_VERSION=" + stripetest.MockVersion; !strings.Contains(string(script), want) {
		t.Fatalf(".ci/run does not pin %s", want)
	}
}
