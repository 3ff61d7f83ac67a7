package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

const testMetricsToken = "metrics-token-0123456789abcdef-0123456789"

// scrape GETs url with authorization (none when empty) and returns the
// status, the body and the response headers.
func scrape(t *testing.T, url, authorization string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// TestMetricsToken checks that with PS_METRICS_TOKEN the main listener
// serves /metrics only to bearers of the token, answering anyone else 401
// with the JSON error shape and UNAUTHENTICATED, and never logs the token.
func TestMetricsToken(t *testing.T) {
	for _, env := range []string{"development", "production"} {
		t.Run(env, func(t *testing.T) {
			s := newTestServer(t, testdb.SQLite(t), map[string]string{"PS_ENV": env, "PS_METRICS_TOKEN": testMetricsToken})
			for _, c := range []struct{ name, authorization string }{
				{"no header", ""},
				{"wrong token", "Bearer " + strings.Repeat("x", len(testMetricsToken))},
				{"prefix of the token", "Bearer " + testMetricsToken[:10]},
				{"token with more", "Bearer " + testMetricsToken + "x"},
				{"other scheme", "Basic " + testMetricsToken},
				{"bare token", testMetricsToken},
			} {
				t.Run(c.name, func(t *testing.T) {
					status, body, h := scrape(t, s.URL+"/metrics", c.authorization)
					var e struct {
						Errors []struct {
							Message    string
							Extensions struct{ Code string }
						}
					}
					if status != http.StatusUnauthorized || json.Unmarshal([]byte(body), &e) != nil || len(e.Errors) != 1 ||
						e.Errors[0].Extensions.Code != "UNAUTHENTICATED" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
						t.Fatalf("status %d, body %s", status, body)
					}
					if h.Get("WWW-Authenticate") == "" || strings.Contains(body, testMetricsToken) || strings.Contains(body, "ps_http") {
						t.Fatalf("headers %v, body %s", h, body)
					}
				})
			}
			for _, authorization := range []string{"Bearer " + testMetricsToken, "bearer " + testMetricsToken} {
				if status, body, _ := scrape(t, s.URL+"/metrics", authorization); status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
					t.Fatalf("%q: status %d, body %.200s", authorization[:6], status, body)
				}
			}
			if strings.Contains(s.Logs.String(), testMetricsToken[:10]) {
				t.Fatalf("the token reached the log:\n%s", s.Logs)
			}
		})
	}
}

// TestMetricsNotPublicInProduction checks that production with neither
// PS_METRICS_ADDR nor PS_METRICS_TOKEN does not serve /metrics, while
// development with neither keeps it open.
func TestMetricsNotPublicInProduction(t *testing.T) {
	prod := newTestServer(t, testdb.SQLite(t), map[string]string{"PS_ENV": "production"})
	if status, body, _ := scrape(t, prod.URL+"/metrics", ""); status != http.StatusNotFound {
		t.Fatalf("production: status %d, body %.200s", status, body)
	}
	dev := newTestServer(t, testdb.SQLite(t), nil)
	if status, body, _ := scrape(t, dev.URL+"/metrics", ""); status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("development: status %d, body %.200s", status, body)
	}
}

// TestMetricsServer checks the separate metrics listener: it serves
// /metrics and nothing else, asks for the token when one is set, and
// stops gracefully; the main listener then does not serve /metrics.
func TestMetricsServer(t *testing.T) {
	for _, c := range []struct{ name, token string }{{"open", ""}, {"with token", testMetricsToken}} {
		t.Run(c.name, func(t *testing.T) {
			s := newTestServer(t, testdb.SQLite(t), map[string]string{"PS_METRICS_ADDR": "127.0.0.1:0", "PS_METRICS_TOKEN": c.token})
			if status, _, _ := scrape(t, s.URL+"/metrics", "Bearer "+testMetricsToken); status != http.StatusNotFound {
				t.Fatalf("the main listener serves /metrics: %d", status)
			}
			srv := s.App.MetricsServer()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			base := "http://" + ln.Addr().String()
			auth := ""
			if c.token != "" {
				auth = "Bearer " + c.token
				if status, _, _ := scrape(t, base+"/metrics", ""); status != http.StatusUnauthorized {
					t.Fatalf("no token: status %d", status)
				}
			}
			if status, body, _ := scrape(t, base+"/metrics", auth); status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
				t.Fatalf("status %d, body %.200s", status, body)
			}
			for _, path := range []string{"/graphql", "/healthz", "/"} {
				if status, _, _ := scrape(t, base+path, auth); status != http.StatusNotFound {
					t.Errorf("%s on the metrics listener: %d", path, status)
				}
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, http.ErrServerClosed) {
				t.Fatalf("Serve returned %v", err)
			}
		})
	}
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serveUntilSIGTERM runs the real serve loop with the environment, calls
// check once the main listener answers, then sends the process SIGTERM and
// expects serve to return nil. It returns the logs.
func serveUntilSIGTERM(t *testing.T, overrides map[string]string, check func(addr string)) string {
	t.Helper()
	addr := freeAddr(t)
	overrides["PS_ADDR"] = addr
	cfg, errs := LoadConfig(testEnv(t, testdb.SQLite(t), overrides))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serve(cfg, logTo(logs)) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	check(addr)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v\n%s", err, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	return logs.String()
}

// TestServeMetricsListener checks that serve starts the separate metrics
// listener with the main one and stops both on SIGTERM.
func TestServeMetricsListener(t *testing.T) {
	metricsAddr := freeAddr(t)
	logs := serveUntilSIGTERM(t, map[string]string{"PS_METRICS_ADDR": metricsAddr}, func(addr string) {
		var status int
		var body string
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			res, err := http.Get("http://" + metricsAddr + "/metrics")
			if err == nil {
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				status, body = res.StatusCode, string(b)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the metrics listener did not come up: %v", err)
			}
		}
		if status != http.StatusOK || !strings.Contains(body, `ps_http_requests_total{code="200",route="healthz"}`) {
			t.Fatalf("metrics listener: %d %.200s", status, body)
		}
		if status, _, _ := scrape(t, "http://"+addr+"/metrics", ""); status != http.StatusNotFound {
			t.Fatalf("the main listener serves /metrics: %d", status)
		}
	})
	if _, err := net.DialTimeout("tcp", metricsAddr, time.Second); err == nil {
		t.Fatal("the metrics listener is still open after serve returned")
	}
	for _, want := range []string{"shutting down", "stopped", metricsAddr} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// TestServeWarnsWhenMetricsAreOff checks that production with neither
// PS_METRICS_ADDR nor PS_METRICS_TOKEN says at start, at WARN, how to
// enable /metrics.
func TestServeWarnsWhenMetricsAreOff(t *testing.T) {
	logs := serveUntilSIGTERM(t, map[string]string{"PS_ENV": "production"}, func(addr string) {
		if status, _, _ := scrape(t, "http://"+addr+"/metrics", ""); status != http.StatusNotFound {
			t.Fatalf("/metrics: %d", status)
		}
	})
	var warned bool
	for _, line := range strings.Split(logs, "\n") {
		warned = warned || strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, "PS_METRICS_ADDR") && strings.Contains(line, "PS_METRICS_TOKEN")
	}
	if !warned {
		t.Fatalf("no WARN line saying how to enable /metrics:\n%s", logs)
	}
}
