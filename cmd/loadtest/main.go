// Command loadtest drives a running Priority Support server over HTTP with
// one of the performance workloads (docs/PERFORMANCE.md) at a given
// concurrency, prints req/s, p50 and p99, and can run pgbench against the
// same PostgreSQL server for the same duration and concurrency to print the
// ratio. "loadtest pgbench" runs only pgbench, -S at 32 clients and -N at
// 8, the references of the workloads. "loadtest seed" fills a server's
// database with the perfdata set and prints the tokens the workloads need.
//
//	go run ./cmd/loadtest seed -database-url 'postgres://postgres@127.0.0.1:5432/ps?sslmode=disable'
//	go run ./cmd/loadtest -workload p1 -customer-id ID -c 32 -d 30s -pgbench 'postgres://postgres@127.0.0.1:5432/postgres'
//	go run ./cmd/loadtest pgbench -pgbench 'postgres://postgres@127.0.0.1:5432/postgres' -d 30s
package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/inbound"
	"github.com/prioritysupport/backend/internal/perfdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	args := os.Args[1:]
	var err error
	switch {
	case len(args) > 0 && args[0] == "seed":
		err = seed(ctx, args[1:], os.Stdout)
	case len(args) > 0 && args[0] == "pgbench":
		err = pgbenchOnly(ctx, args[1:], os.Stdout)
	default:
		err = run(ctx, args, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// tokenFlags are the flags that give or mint a bearer token.
type tokenFlags struct {
	token, secret, secretFile, dataDir, issuer, audience, customerID string
}

func (f *tokenFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.token, "token", "", "bearer token to send (else one is minted with the HS256 secret)")
	fs.StringVar(&f.secret, "jwt-secret", os.Getenv("PS_JWT_HS256_SECRET"), "HS256 secret to mint tokens with (default $PS_JWT_HS256_SECRET)")
	fs.StringVar(&f.secretFile, "jwt-secret-file", "", "file holding the HS256 secret (default: the development secret under -data-dir)")
	fs.StringVar(&f.dataDir, "data-dir", "data", "the server's PS_DATA_DIR, where a development server keeps its secret")
	fs.StringVar(&f.issuer, "issuer", os.Getenv("PS_JWT_ISSUER"), "token issuer (default $PS_JWT_ISSUER)")
	fs.StringVar(&f.audience, "audience", os.Getenv("PS_JWT_AUDIENCE"), "token audience (default $PS_JWT_AUDIENCE)")
	fs.StringVar(&f.customerID, "customer-id", "", "the customer whose user the minted token is (p1, p2)")
}

// signer returns a signer from the secret flags.
func (f *tokenFlags) signer() (*auth.Signer, error) {
	secret := []byte(f.secret)
	if len(secret) == 0 {
		path := f.secretFile
		if path == "" {
			path = filepath.Join(f.dataDir, auth.DevSecretFile)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("no -token, -jwt-secret or readable secret file: %w", err)
		}
		if secret, err = hex.DecodeString(strings.TrimSpace(string(b))); err != nil {
			secret = bytes.TrimSpace(b)
		}
	}
	return auth.NewHS256Signer(secret, f.issuer, f.audience)
}

// customerToken returns -token, or mints a customer user's token.
func (f *tokenFlags) customerToken(customerID string) (string, error) {
	if f.token != "" {
		return f.token, nil
	}
	if customerID == "" {
		return "", errors.New("-customer-id is needed to mint a customer token")
	}
	s, err := f.signer()
	if err != nil {
		return "", err
	}
	return s.Sign(auth.Claims{Subject: "loadtest-" + customerID, Roles: []auth.Role{auth.RoleCustomer}, CustomerID: customerID, TTL: 24 * time.Hour})
}

// run is the load command.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	var tf tokenFlags
	tf.register(fs)
	base := fs.String("url", "http://localhost:8080", "the server's base URL")
	workload := fs.String("workload", "p1", "p1 (creditBalance), p2 (dashboard ticket page), p4 (inbound email) or custom")
	query := fs.String("query", "", "the GraphQL document of -workload custom")
	vars := fs.String("vars", "{}", "JSON variables of -workload custom")
	c := fs.Int("c", 32, "requests in flight")
	d := fs.Duration("d", 30*time.Second, "how long to send")
	inboundSecret := fs.String("inbound-secret", "development-inbound-secret", "PS_INBOUND_SECRET of the server (p4)")
	domains := fs.String("domains", defaultDomains(), "comma-separated covered domains new tickets come from (p4)")
	supportDomain := fs.String("support-domain", "vendor.test", "PS_SUPPORT_DOMAIN of the server (p4)")
	pgbenchURL := fs.String("pgbench", "", "a PostgreSQL URL: after the load, run pgbench -S (p1, p2, custom) or -N (p4) for as long at the same concurrency, in database ps_pgbench on that server (created and initialised when missing), and print the ratio")
	metricsToken := fs.String("metrics-token", os.Getenv("PS_METRICS_TOKEN"), "the server's PS_METRICS_TOKEN, to read its RSS from /metrics after the run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c < 1 || *d <= 0 {
		return errors.New("-c must be at least 1 and -d positive")
	}
	var build func() request
	switch *workload {
	case "p1", "p2", "custom":
		token, err := tf.customerToken(tf.customerID)
		if err != nil {
			return err
		}
		doc, v := perfdata.P1Query, map[string]any{"c": tf.customerID}
		switch *workload {
		case "p2":
			doc, v = perfdata.P2Query, nil
		case "custom":
			doc, v = *query, nil
			if doc == "" {
				return errors.New("-workload custom needs -query")
			}
			if err := json.Unmarshal([]byte(*vars), &v); err != nil {
				return fmt.Errorf("-vars: %w", err)
			}
		}
		body, _ := json.Marshal(map[string]any{"query": doc, "variables": v})
		req := request{url: *base + "/graphql", contentType: "application/json", body: body,
			header: [][2]string{{"Authorization", "Bearer " + token}}}
		build = func() request { return req }
	case "p4":
		stream := perfdata.NewMailStream(strconv.FormatInt(time.Now().UnixNano(), 36), splitList(*domains), *supportDomain, nil)
		secret := []byte(*inboundSecret)
		build = func() request {
			raw := stream.Next(time.Now())
			return request{url: *base + "/inbound/email", contentType: "message/rfc822", body: raw,
				header: [][2]string{{inbound.SignatureHeader, "sha256=" + hex.EncodeToString(inbound.Sign(secret, raw))}}}
		}
	default:
		return fmt.Errorf("-workload %q: want p1, p2, p4 or custom", *workload)
	}

	loadBefore := loadAvg()
	cpuBefore := sampleCPU(ctx, *base, *metricsToken)
	r := drive(ctx, build, *c, *d)
	fmt.Fprintf(out, "workload %s  c=%d  d=%v  requests %d  errors %d\n", *workload, *c, *d, r.requests, r.errors)
	fmt.Fprintf(out, "req/s %.0f (succeeded)  p50 %.2f ms  p99 %.2f ms\n", r.rate, ms(r.p50), ms(r.p99))
	fmt.Fprintf(out, "load average before %s, after %s (nproc %d)\n", loadBefore, loadAvg(), numCPU())
	cpuAfter := sampleCPU(ctx, *base, *metricsToken)
	if server, postgres, self, ok := perRequest(cpuBefore, cpuAfter, r.requests); ok[0] || ok[1] || ok[2] {
		var parts []string
		if ok[0] {
			parts = append(parts, fmt.Sprintf("server %.0f µs", us(server)))
		}
		if ok[1] {
			parts = append(parts, fmt.Sprintf("PostgreSQL processes of this machine %.0f µs", us(postgres)))
		}
		if ok[2] {
			parts = append(parts, fmt.Sprintf("load command %.0f µs", us(self)))
		}
		fmt.Fprintf(out, "CPU per request: %s\n", strings.Join(parts, ", "))
	}
	if rss, ok := serverMetric(ctx, *base, *metricsToken, "process_resident_memory_bytes"); ok {
		fmt.Fprintf(out, "server RSS %.0f MB (process_resident_memory_bytes from /metrics)\n", rss/(1<<20))
	}
	if r.firstErr != "" {
		fmt.Fprintf(out, "first error: %s\n", r.firstErr)
	}
	if *pgbenchURL == "" {
		if r.errors > 0 {
			return fmt.Errorf("%d of %d requests failed", r.errors, r.requests)
		}
		return nil
	}
	mode := "-S"
	if *workload == "p4" {
		mode = "-N"
	}
	tps, err := pgbench(ctx, *pgbenchURL, mode, *c, *d, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "pgbench %s tps %.0f  ratio req/s ÷ tps = %.2f  load average %s\n", mode, tps, r.rate/tps, loadAvg())
	if r.errors > 0 {
		return fmt.Errorf("%d of %d requests failed", r.errors, r.requests)
	}
	return nil
}

// result is what one load run measured: rate counts only the requests
// that succeeded; the latencies are of all answered ones.
type result struct {
	requests, errors int64
	rate             float64
	p50, p99         time.Duration
	firstErr         string
}

// request is one POST the load sends.
type request struct {
	url, contentType string
	header           [][2]string
	body             []byte
}

// drive sends requests from c workers for d and measures them. A request
// fails on a transport error, a status other than 200 or a GraphQL error.
//
// The client is fasthttp's, one keep-alive connection per worker: it costs
// a fraction of net/http's client in CPU, which on a small machine is CPU
// taken from the server under test (pgbench, the reference, is a lean C
// client).
func drive(ctx context.Context, build func() request, c int, d time.Duration) result {
	client := &fasthttp.Client{MaxConnsPerHost: c, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu       sync.Mutex
		all      perfdata.Latencies
		errs     atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
		// unanswered counts the requests that failed without an answer
		// (they have no latency, but count among the requests).
		unanswered atomic.Int64
	)
	fail := func(msg string) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, msg)
	}
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat perfdata.Latencies
			req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(res)
			for ctx.Err() == nil {
				r := build()
				req.Reset()
				req.Header.SetMethod(fasthttp.MethodPost)
				req.SetRequestURI(r.url)
				req.Header.SetContentType(r.contentType)
				for _, h := range r.header {
					req.Header.Set(h[0], h[1])
				}
				req.SetBodyRaw(r.body)
				t0 := time.Now()
				err := client.Do(req, res)
				if err != nil {
					if ctx.Err() == nil {
						unanswered.Add(1)
						fail(err.Error())
					}
					continue
				}
				lat = append(lat, time.Since(t0))
				body := res.Body()
				switch {
				case res.StatusCode() != fasthttp.StatusOK:
					fail(fmt.Sprintf("status %d: %.200s", res.StatusCode(), body))
				case bytes.Contains(body, []byte(`"errors"`)):
					fail(fmt.Sprintf("%.200s", body))
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := result{requests: int64(len(all)) + unanswered.Load(), errors: errs.Load(), p50: all.Quantile(0.50), p99: all.Quantile(0.99)}
	r.rate = float64(r.requests-r.errors) / elapsed.Seconds()
	if s, ok := firstErr.Load().(string); ok {
		r.firstErr = s
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// defaultDomains are the first domains of the perfdata customers.
func defaultDomains() string {
	var d []string
	for i := range perfdata.Full.Customers {
		d = append(d, fmt.Sprintf("perf%02d.example", i))
	}
	return strings.Join(d, ",")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// loadAvg returns the 1, 5 and 15 minute load averages, or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// serverMetric reads an unlabelled metric of the server's /metrics, when
// the main listener serves them.
func serverMetric(ctx context.Context, base, token, name string) (float64, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, false
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil || res.StatusCode != http.StatusOK {
		return 0, false
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}
