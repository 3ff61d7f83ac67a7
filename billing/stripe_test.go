package billing_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/internal/stripetest"
)

// request is one request the recording proxy passed on to stripe-mock.
type request struct {
	Method, Path   string
	IdempotencyKey string
	Form           url.Values // query and form body
}

// recorder is a reverse proxy in front of stripe-mock that records what the
// client sends.
type recorder struct {
	mu   sync.Mutex
	reqs []request
}

// newStripe returns a client that talks to stripe-mock through a recording
// proxy, and the recorder.
func newStripe(t *testing.T) (*billing.Stripe, *recorder) {
	t.Helper()
	target, err := url.Parse(stripetest.APIBase(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form := r.URL.Query()
		if extra, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range extra {
				form[k] = append(form[k], v...)
			}
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, request{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form})
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s, err := billing.NewStripe(billing.StripeConfig{SecretKey: stripetest.SecretKey, APIBase: srv.URL, PriceID: "price_yearly"})
	if err != nil {
		t.Fatal(err)
	}
	return s, rec
}

// last returns the last request recorded, failing the test if there is none.
func (rec *recorder) last(t *testing.T) request {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) == 0 {
		t.Fatal("no request reached stripe-mock")
	}
	return rec.reqs[len(rec.reqs)-1]
}

// count returns how many requests were recorded.
func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}

// want checks that req is method path with idempotency key key and the
// given form values.
func (req request) want(t *testing.T, method, path, key string, form map[string]string) {
	t.Helper()
	if req.Method != method || req.Path != path {
		t.Errorf("request = %s %s, want %s %s", req.Method, req.Path, method, path)
	}
	if req.IdempotencyKey != key {
		t.Errorf("Idempotency-Key = %q, want %q", req.IdempotencyKey, key)
	}
	for k, v := range form {
		if got := req.Form.Get(k); got != v {
			t.Errorf("param %s = %q, want %q", k, got, v)
		}
	}
}

func TestNewStripeDisabled(t *testing.T) {
	s, err := billing.NewStripe(billing.StripeConfig{APIBase: "http://127.0.0.1:1", PriceID: "price_1"})
	if s != nil || err != nil {
		t.Fatalf("NewStripe without a secret key = %v, %v; want nil, nil", s, err)
	}
}

func TestNewStripeBadAPIBase(t *testing.T) {
	for _, base := range []string{"127.0.0.1:12111", "ftp://host", "http://"} {
		if _, err := billing.NewStripe(billing.StripeConfig{SecretKey: "sk_test_secret", APIBase: base}); err == nil {
			t.Errorf("NewStripe(APIBase %q) succeeded, want an error", base)
		} else if strings.Contains(err.Error(), "sk_test_secret") {
			t.Errorf("error %q contains the secret key", err)
		}
	}
}

func TestEnsureCustomer(t *testing.T) {
	s, rec := newStripe(t)
	ctx := context.Background()

	t.Run("creates", func(t *testing.T) {
		id, err := s.EnsureCustomer(ctx, "cust-1", "Acme Corp", "")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(id, "cus_") {
			t.Errorf("id = %q, want a cus_ id", id)
		}
		rec.last(t).want(t, "POST", "/v1/customers", "customer:cust-1", map[string]string{
			"name": "Acme Corp", "metadata[ps_customer_id]": "cust-1",
		})
	})
	t.Run("returns existing", func(t *testing.T) {
		n := rec.count()
		id, err := s.EnsureCustomer(ctx, "cust-1", "Acme Corp", "cus_existing")
		if err != nil || id != "cus_existing" {
			t.Fatalf("EnsureCustomer = %q, %v; want cus_existing", id, err)
		}
		if rec.count() != n {
			t.Error("EnsureCustomer called Stripe for an existing customer")
		}
	})
}

func TestCreateYearlySubscription(t *testing.T) {
	s, rec := newStripe(t)
	ctx := context.Background()
	future := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)

	tests := []struct {
		name       string
		anchor     time.Time
		wantAnchor string // "" when no billing_cycle_anchor is sent
	}{
		{"future anchor", future, strconv.FormatInt(future.Unix(), 10)},
		{"past anchor", time.Now().Add(-400 * 24 * time.Hour), ""},
		{"now", time.Now(), ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subID := "sub-" + strconv.Itoa(i)
			id, err := s.CreateYearlySubscription(ctx, "cus_1", subID, tt.anchor)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(id, "sub_") {
				t.Errorf("id = %q, want a sub_ id", id)
			}
			req := rec.last(t)
			req.want(t, "POST", "/v1/subscriptions", "subscription:"+subID, map[string]string{
				"customer":                     "cus_1",
				"items[0][price]":              "price_yearly",
				"proration_behavior":           "none",
				"metadata[ps_subscription_id]": subID,
				"billing_cycle_anchor":         tt.wantAnchor,
			})
			if _, sent := req.Form["billing_cycle_anchor"]; sent != (tt.wantAnchor != "") {
				t.Errorf("billing_cycle_anchor sent = %v, want %v", sent, tt.wantAnchor != "")
			}
		})
	}

	t.Run("no price configured", func(t *testing.T) {
		noPrice, err := billing.NewStripe(billing.StripeConfig{SecretKey: stripetest.SecretKey, APIBase: stripetest.APIBase(t)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = noPrice.CreateYearlySubscription(ctx, "cus_1", "sub-x", future)
		if err == nil || billing.IsRetryable(err) {
			t.Fatalf("err = %v, want a non-retryable error", err)
		}
	})
}

func TestApplyCreditToInvoice(t *testing.T) {
	s, rec := newStripe(t)
	ctx := context.Background()

	id, err := s.ApplyCreditToInvoice(ctx, "cus_1", "in_1", 80000, "USD", "credit-applied:in_1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "ii_") {
		t.Errorf("id = %q, want an ii_ id", id)
	}
	rec.last(t).want(t, "POST", "/v1/invoiceitems", "credit-applied:in_1", map[string]string{
		"customer":                "cus_1",
		"invoice":                 "in_1",
		"amount":                  "-80000",
		"currency":                "usd",
		"description":             "Priority Support credit",
		"metadata[ps_ledger_key]": "credit-applied:in_1",
	})

	t.Run("amount not positive", func(t *testing.T) {
		for _, cents := range []int64{0, -100} {
			n := rec.count()
			_, err := s.ApplyCreditToInvoice(ctx, "cus_1", "in_1", cents, "usd", "k")
			if err == nil || billing.IsRetryable(err) {
				t.Errorf("cents %d: err = %v, want a non-retryable error", cents, err)
			}
			if rec.count() != n {
				t.Errorf("cents %d: a request reached Stripe", cents)
			}
		}
	})
	t.Run("missing required param", func(t *testing.T) {
		// Without a customer stripe-mock answers 400 invalid_request_error.
		_, err := s.ApplyCreditToInvoice(ctx, "", "in_1", 100, "usd", "credit-applied:in_2")
		if err == nil {
			t.Fatal("ApplyCreditToInvoice without a customer succeeded")
		}
		if billing.IsRetryable(err) {
			t.Errorf("IsRetryable(%v) = true, want false", err)
		}
		if !strings.HasPrefix(err.Error(), "stripe: apply credit: ") || !strings.Contains(err.Error(), "customer") {
			t.Errorf("err = %q, want it prefixed and naming the customer param", err)
		}
		if strings.Contains(err.Error(), stripetest.SecretKey) {
			t.Errorf("err = %q contains the secret key", err)
		}
	})
}

func TestCharges(t *testing.T) {
	s, rec := newStripe(t)
	charges, err := s.Charges(context.Background(), "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(charges) == 0 {
		t.Fatal("no charges; stripe-mock lists one succeeded charge")
	}
	for _, c := range charges {
		if c.ID == "" || c.Amount <= 0 || c.Currency == "" || c.Created.IsZero() {
			t.Errorf("charge %+v lacks id, amount, currency or created", c)
		}
	}
	rec.last(t).want(t, "GET", "/v1/charges", "", map[string]string{"customer": "cus_1", "limit": "100"})

	if _, err := s.Charges(context.Background(), ""); err == nil || billing.IsRetryable(err) {
		t.Errorf("Charges without a customer: err = %v, want a non-retryable error", err)
	}
}

func TestRefund(t *testing.T) {
	s, rec := newStripe(t)
	id, status, err := s.Refund(context.Background(), "ch_1", 2500, "refund:cust-1:1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "re_") || status == "" {
		t.Errorf("Refund = %q, %q; want a re_ id and a status", id, status)
	}
	rec.last(t).want(t, "POST", "/v1/refunds", "refund:cust-1:1", map[string]string{
		"charge": "ch_1", "amount": "2500", "metadata[ps_ledger_key]": "refund:cust-1:1",
	})
}

func TestRefundInvoice(t *testing.T) {
	s, rec := newStripe(t)
	id, err := s.RefundInvoice(context.Background(), "in_1", 123456, "early-access-refund:sub-1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "cn_") {
		t.Errorf("id = %q, want a cn_ id", id)
	}
	rec.last(t).want(t, "POST", "/v1/credit_notes", "early-access-refund:sub-1", map[string]string{
		"invoice":                 "in_1",
		"refund_amount":           "123456",
		"lines[0][type]":          "custom_line_item",
		"lines[0][unit_amount]":   "123456",
		"lines[0][quantity]":      "1",
		"lines[0][description]":   "Early access opt-out: unused days",
		"metadata[ps_ledger_key]": "early-access-refund:sub-1",
	})
}

func TestCancelSubscription(t *testing.T) {
	s, rec := newStripe(t)
	if err := s.CancelSubscription(context.Background(), "sub_1"); err != nil {
		t.Fatal(err)
	}
	rec.last(t).want(t, "DELETE", "/v1/subscriptions/sub_1", "cancel-subscription:sub_1", nil)
}

// TestCancelSubscriptionAlreadyCanceled uses a fake Stripe that refuses the
// second cancellation the way Stripe does; stripe-mock always succeeds.
func TestCancelSubscriptionAlreadyCanceled(t *testing.T) {
	for _, status := range []string{"canceled", "active"} {
		t.Run(status, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.Method == http.MethodDelete {
					w.WriteHeader(http.StatusBadRequest)
					io.WriteString(w, `{"error":{"type":"invalid_request_error","message":"subscription cannot be canceled"}}`)
					return
				}
				io.WriteString(w, `{"id":"sub_1","object":"subscription","status":"`+status+`"}`)
			}))
			defer srv.Close()
			s, err := billing.NewStripe(billing.StripeConfig{SecretKey: "sk_test_x", APIBase: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			err = s.CancelSubscription(context.Background(), "sub_1")
			if status == "canceled" && err != nil {
				t.Fatalf("cancel an already canceled subscription: %v, want success", err)
			}
			if status == "active" && (err == nil || billing.IsRetryable(err)) {
				t.Fatalf("refused cancellation of an active subscription: err = %v, want a non-retryable error", err)
			}
		})
	}
}

func TestIsRetryable(t *testing.T) {
	t.Run("closed port", func(t *testing.T) {
		t.Parallel() // stripe-go retries network errors with back-off
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		s, err := billing.NewStripe(billing.StripeConfig{SecretKey: "sk_test_x", APIBase: "http://" + addr})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.Refund(context.Background(), "ch_1", 100, "refund:k")
		if err == nil || !billing.IsRetryable(err) {
			t.Fatalf("Refund against a closed port: err = %v, want a retryable error", err)
		}
	})

	statuses := []struct {
		status    int
		body      string
		retryable bool
	}{
		{500, `{"error":{"type":"api_error","message":"boom"}}`, true},
		{503, `<html>unavailable</html>`, true},
		{502, `<html>bad gateway</html>`, true},
		{429, `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"slow down"}}`, true},
		{409, `{"error":{"type":"idempotency_error","message":"another request in progress"}}`, true},
		{400, `{"error":{"type":"idempotency_error","message":"keys for idempotent requests can only be used with the same parameters"}}`, false},
		{402, `{"error":{"type":"card_error","code":"card_declined","message":"declined"}}`, false},
		{404, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such charge"}}`, false},
		{401, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}`, false},
	}
	for _, tt := range statuses {
		t.Run(strconv.Itoa(tt.status)+" "+tt.body[:min(len(tt.body), 30)], func(t *testing.T) {
			t.Parallel() // stripe-go retries unreadable answers with back-off
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Stop stripe-go from retrying by itself, to keep the test fast.
				w.Header().Set("Stripe-Should-Retry", "false")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			s, err := billing.NewStripe(billing.StripeConfig{SecretKey: "sk_test_x", APIBase: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = s.Refund(context.Background(), "ch_1", 100, "refund:k")
			if err == nil {
				t.Fatal("Refund succeeded")
			}
			if got := billing.IsRetryable(err); got != tt.retryable {
				t.Errorf("IsRetryable(%v) = %v, want %v", err, got, tt.retryable)
			}
		})
	}

	t.Run("others", func(t *testing.T) {
		if billing.IsRetryable(nil) {
			t.Error("IsRetryable(nil) = true")
		}
		if billing.IsRetryable(context.Canceled) {
			t.Error("IsRetryable(context.Canceled) = true")
		}
		if !billing.IsRetryable(context.DeadlineExceeded) {
			t.Error("IsRetryable(context.DeadlineExceeded) = false")
		}
		if !billing.IsRetryable(errors.New("unexpected EOF")) {
			t.Error("IsRetryable(unknown transport error) = false")
		}
	})
}

// TestErrorHidesSecretKey checks that a server echoing the key cannot put it
// into an error message.
func TestErrorHidesSecretKey(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"type":"invalid_request_error","message":"bad key `+r.Header.Get("Authorization")+`"}}`)
	}))
	defer srv.Close()
	const key = "sk_test_very_secret"
	s, err := billing.NewStripe(billing.StripeConfig{SecretKey: key, APIBase: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.EnsureCustomer(context.Background(), "cust-1", "Acme", "")
	if err == nil {
		t.Fatal("EnsureCustomer succeeded")
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("err = %q contains the secret key", err)
	}
	if billing.IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = true, want false", err)
	}
}
