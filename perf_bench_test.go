package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/inbound"
	"github.com/prioritysupport/backend/internal/perfdata"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/migrations"
	"github.com/prioritysupport/backend/store"
)

// The workload benchmarks (docs/PERFORMANCE.md): each drives the real HTTP
// server, over real TCP, on SQLite and, with PS_TEST_DATABASE_URL, on
// PostgreSQL, filled with the perfdata set (20 customers, 20k tickets, 90k
// messages; the small set with -short or PS_PERF_SIZE=small). They report
// req/s, p50-ms and p99-ms besides ns/op and allocs/op, and fail when a
// request allocates more than its budget.
//
// The budgets count every allocation of the process per request, the
// client's included (building and sending the request, reading the
// answer). They were set from runs on the full data set
// (-benchtime 300x and 5s, both databases) with about 50% headroom, so that a
// change that allocates per row or per field fails while run-to-run noise
// does not:
//
//	P1 creditBalance      measured 231–234        budget 350
//	P2 dashboard page     measured 16,850–17,240  budget 25,500
//	P4 ingestion          measured 654–730        budget 1,100
const (
	p1AllocBudget = 350
	p2AllocBudget = 25_500
	p4AllocBudget = 1_100
)

// perfSize is the data set the benchmarks run on: PS_PERF_SIZE "full" or
// "small"; without it, small under -short and full otherwise.
func perfSize(tb testing.TB) perfdata.Size {
	switch v := os.Getenv("PS_PERF_SIZE"); v {
	case "full":
		return perfdata.Full
	case "small":
		return perfdata.Small
	case "":
		if testing.Short() {
			return perfdata.Small
		}
		return perfdata.Full
	default:
		tb.Fatalf("PS_PERF_SIZE=%q: want full or small", v)
		return perfdata.Size{}
	}
}

// perfEnv is a server on a database filled with the perfdata set.
type perfEnv struct {
	srv    *testServer
	ds     *perfdata.Dataset
	client *fasthttp.Client
}

// perfDB is a database filled with the perfdata set, kept for the whole
// test binary run: the set is generated once per database and shared by the
// workload benchmarks (BenchmarkP4Ingest, which adds tickets, runs last).
// TestMain removes it.
type perfDB struct {
	url     string
	ds      *perfdata.Dataset
	cleanup func()
}

var perfDBs = struct {
	sync.Mutex
	m map[string]*perfDB
}{m: map[string]*perfDB{}}

// TestMain runs the tests and benchmarks, then removes the perfdata
// databases the benchmarks made.
func TestMain(m *testing.M) {
	// The collector settings the server runs with (main), so benchmarks
	// measure what it does.
	tuneGC(os.Getenv)
	code := m.Run()
	perfDBs.Lock()
	for _, db := range perfDBs.m {
		db.cleanup()
	}
	perfDBs.Unlock()
	os.Exit(code)
}

// filledDB returns the perfdata database on kind ("sqlite" or "postgres"),
// creating and filling it on first use.
func filledDB(b *testing.B, kind string) *perfDB {
	perfDBs.Lock()
	defer perfDBs.Unlock()
	if db := perfDBs.m[kind]; db != nil {
		return db
	}
	ctx := context.Background()
	db := &perfDB{}
	switch kind {
	case "sqlite":
		dir, err := os.MkdirTemp("", "ps-perf-")
		if err != nil {
			b.Fatal(err)
		}
		db.url, db.cleanup = "sqlite:"+filepath.Join(dir, "perf.db"), func() { os.RemoveAll(dir) }
	default:
		admin := os.Getenv(testdb.EnvPostgres)
		if admin == "" {
			b.Skipf("%s is not set", testdb.EnvPostgres)
		}
		u, err := url.Parse(admin)
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("ps_perf_%d_%d", os.Getpid(), time.Now().UnixNano())
		adminDB, err := sql.Open("pgx", admin)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := adminDB.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			adminDB.Close()
			b.Fatal(err)
		}
		u.Path = "/" + name
		db.url, db.cleanup = u.String(), func() {
			adminDB.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			adminDB.Close()
		}
	}
	bdb, err := store.Open(ctx, db.url)
	if err == nil {
		_, err = migrations.Up(ctx, bdb)
	}
	if err == nil {
		start := time.Now()
		db.ds, err = perfdata.Generate(ctx, bdb, perfdata.Options{Size: perfSize(b), SupportDomain: "support.vendor.test", Seed: 1})
		if err == nil {
			b.Logf("%s: generated %d tickets, %d messages, %d clocks in %v", kind, db.ds.Tickets, db.ds.Messages, db.ds.Clocks, time.Since(start).Round(time.Millisecond))
		}
	}
	if bdb != nil {
		bdb.Close()
	}
	if err != nil {
		db.cleanup()
		b.Fatal(err)
	}
	perfDBs.m[kind] = db
	return db
}

// ownedTB gives what a perfEnv keeps (its server and folders) the lifetime
// of owner, the top-level benchmark: a sub-benchmark's function runs once
// per round.
type ownedTB struct {
	testing.TB
	owner testing.TB
}

func (o ownedTB) Cleanup(f func())         { o.owner.Cleanup(f) }
func (o ownedTB) TempDir() string          { return o.owner.TempDir() }
func (o ownedTB) Context() context.Context { return o.owner.Context() }

// perfEnvs are the environments of one top-level benchmark, by database.
type perfEnvs struct {
	owner *testing.B
	mu    sync.Mutex
	envs  map[string]*perfEnv
}

// eachPerfDB runs fn as sub-benchmarks "sqlite" and "postgres" (skipped
// without PS_TEST_DATABASE_URL), each against a server on its filled
// database.
func eachPerfDB(b *testing.B, fn func(b *testing.B, env *perfEnv)) {
	envs := &perfEnvs{owner: b, envs: map[string]*perfEnv{}}
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) { fn(b, envs.get(b, kind)) })
	}
}

// get returns the environment on kind, starting its server on first use.
func (e *perfEnvs) get(b *testing.B, kind string) *perfEnv {
	e.mu.Lock()
	defer e.mu.Unlock()
	if env := e.envs[kind]; env != nil {
		return env
	}
	db := filledDB(b, kind)
	srv := newTestServer(ownedTB{TB: b, owner: e.owner}, db.url, nil)
	// As many keep-alive connections as requests in flight, so the client
	// never closes and reopens them. The client is fasthttp's, as in the
	// load command: it takes a fraction of net/http's CPU from the server
	// it shares the machine with.
	client := &fasthttp.Client{MaxConnsPerHost: 256, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	e.owner.Cleanup(client.CloseIdleConnections)
	env := &perfEnv{srv: srv, ds: db.ds, client: client}
	e.envs[kind] = env
	return env
}

// customerToken is a token of a user of the i-th generated customer.
func (env *perfEnv) customerToken(tb testing.TB, i int) string {
	tok, err := env.srv.signer.Sign(auth.Claims{Subject: fmt.Sprintf("perf-user-%d", i), Roles: []auth.Role{auth.RoleCustomer},
		CustomerID: env.ds.Customers[i].ID, TTL: time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// request builds one request of a workload into req (which is reset), in
// the worker sending it.
type request func(req *fasthttp.Request) error

// runWorkload sends requests from c concurrent workers (b.RunParallel when
// c is a multiple of GOMAXPROCS) for
// b.N requests in all, checks each answer with ok, and reports req/s,
// p50-ms, p99-ms and allocations. With b.N of at least minBudgetN it fails
// when a request allocates more than budget on average.
func runWorkload(b *testing.B, env *perfEnv, c int, budget int64, next func(worker int) request, ok func(status int, body []byte) error) {
	b.ReportAllocs()
	builders := make([]request, c)
	for w := range builders {
		builders[w] = next(w)
	}
	send := func(build request, x *exchange) (time.Duration, error) {
		x.req.Reset()
		if err := build(&x.req); err != nil {
			return 0, err
		}
		t0 := time.Now()
		if err := env.client.Do(&x.req, &x.res); err != nil {
			return 0, err
		}
		return time.Since(t0), ok(x.res.StatusCode(), x.res.Body())
	}
	// One request per worker first, at once, untimed and uncounted: it
	// opens the worker's keep-alive connection, and the first request of a
	// kind parses and caches its document.
	var warm sync.WaitGroup
	warmErrs := make(chan error, len(builders))
	for _, build := range builders {
		warm.Add(1)
		go func() {
			defer warm.Done()
			if _, err := send(build, new(exchange)); err != nil {
				warmErrs <- err
			}
		}()
	}
	warm.Wait()
	close(warmErrs)
	for err := range warmErrs {
		b.Fatal(err)
	}

	var (
		mu      sync.Mutex
		all     perfdata.Latencies
		workers int
	)
	// worker sends requests while more says so.
	worker := func(more func() bool) {
		mu.Lock()
		build := builders[workers%len(builders)]
		workers++
		mu.Unlock()
		lat := make(perfdata.Latencies, 0, b.N/c+1)
		x := new(exchange)
		for more() {
			took, err := send(build, x)
			if err != nil {
				b.Error(err)
				return
			}
			lat = append(lat, took)
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	b.ResetTimer()
	if procs := runtime.GOMAXPROCS(0); c%procs == 0 {
		// c workers: RunParallel starts parallelism × GOMAXPROCS.
		b.SetParallelism(c / procs)
		b.RunParallel(func(pb *testing.PB) { worker(pb.Next) })
	} else {
		// Fewer workers than RunParallel can start (c=1), or a count it
		// cannot make: c goroutines share b.N.
		var left atomic.Int64
		left.Store(int64(b.N))
		var wg sync.WaitGroup
		for range c {
			wg.Add(1)
			go func() {
				defer wg.Done()
				worker(func() bool { return left.Add(-1) >= 0 })
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all.Quantile(0.50))/1e6, "p50-ms")
	b.ReportMetric(float64(all.Quantile(0.99))/1e6, "p99-ms")
	if allocs := int64(after.Mallocs-before.Mallocs) / int64(b.N); b.N >= minBudgetN && allocs > budget {
		b.Errorf("%d allocations per request, over the budget of %d", allocs, budget)
	}
}

// exchange is a worker's request and response, reused from one request to
// the next.
type exchange struct {
	req fasthttp.Request
	res fasthttp.Response
}

// minBudgetN is the fewest requests whose allocations are held to a
// budget: below it the workers' own start-up weighs on the average.
const minBudgetN = 100

// gqlRequest returns a request builder posting query with vars as token.
func gqlRequest(url, token, query string, vars map[string]any) request {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return func(req *fasthttp.Request) error {
		req.Header.SetMethod(fasthttp.MethodPost)
		req.SetRequestURI(url + "/graphql")
		req.Header.SetContentType("application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		req.SetBodyRaw(body)
		return nil
	}
}

// gqlOK accepts a 200 answer with data and no errors of at least min bytes.
func gqlOK(min int) func(int, []byte) error {
	return func(status int, body []byte) error {
		if status != fasthttp.StatusOK || len(body) < min || bytes.Contains(body, []byte(`"errors"`)) {
			return fmt.Errorf("status %d, %d bytes: %.300s", status, len(body), body)
		}
		return nil
	}
}

// BenchmarkP1CreditBalance: creditBalance(customerId:) as a customer user
// with a JWT, 32 requests in flight, each worker a user of another customer.
func BenchmarkP1CreditBalance(b *testing.B) {
	eachPerfDB(b, func(b *testing.B, env *perfEnv) {
		runWorkload(b, env, 32, p1AllocBudget, func(w int) request {
			i := w % len(env.ds.Customers)
			return gqlRequest(env.srv.URL, env.customerToken(b, i), perfdata.P1Query, map[string]any{"c": env.ds.Customers[i].ID})
		}, gqlOK(40))
	})
}

// BenchmarkP2DashboardPage: a customer user's dashboard, its 50 newest
// tickets with SLA state and subscription; at 1 and at 32 requests in
// flight.
func BenchmarkP2DashboardPage(b *testing.B) {
	eachPerfDB(b, func(b *testing.B, env *perfEnv) {
		// The smallest page a customer of the small set has is 50 tickets.
		minBytes := 50 * 300
		for _, c := range []int{1, 32} {
			b.Run("c"+strconv.Itoa(c), func(b *testing.B) {
				runWorkload(b, env, c, p2AllocBudget, func(w int) request {
					return gqlRequest(env.srv.URL, env.customerToken(b, w%len(env.ds.Customers)), perfdata.P2Query, nil)
				}, gqlOK(minBytes))
			})
		}
	})
}

// BenchmarkP4Ingest: POST /inbound/email with 8 requests in flight, a mix of
// new tickets and replies on open threads (perfdata.MailStream).
func BenchmarkP4Ingest(b *testing.B) {
	eachPerfDB(b, func(b *testing.B, env *perfEnv) {
		var domains []string
		for _, c := range env.ds.Customers {
			domains = append(domains, c.Domains...)
		}
		stream := perfdata.NewMailStream(strconv.FormatInt(time.Now().UnixNano(), 36), domains, env.ds.SupportDomain, env.ds.Threads)
		secret := []byte(testInboundSecret)
		runWorkload(b, env, 8, p4AllocBudget, func(int) request {
			return func(req *fasthttp.Request) error {
				raw := stream.Next(time.Now())
				req.Header.SetMethod(fasthttp.MethodPost)
				req.SetRequestURI(env.srv.URL + "/inbound/email")
				req.Header.SetContentType("message/rfc822")
				req.Header.Set(inbound.SignatureHeader, "sha256="+hex.EncodeToString(inbound.Sign(secret, raw)))
				req.SetBodyRaw(raw)
				return nil
			}
		}, func(status int, body []byte) error {
			if status != fasthttp.StatusOK || !strings.Contains(string(body), `"ticketId"`) {
				return fmt.Errorf("status %d: %.300s", status, body)
			}
			return nil
		})
	})
}
