package graphiql_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/graph"
	"github.com/prioritysupport/backend/graphiql"
)

// chromium returns the path of a Chromium (or Chrome) binary. Without one
// the test skips, except under CI, where the browser test must run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found: install Debian's chromium package (.ci/run does)")
	}
	t.Skip("no Chromium found (apt-get install -y chromium): skipping the GraphiQL browser test")
	return ""
}

// testServer serves the GraphiQL page and the real GraphQL handler behind
// the token middleware, as the server wires them.
func testServer(t *testing.T) (url, token string) {
	t.Helper()
	secret := []byte("0123456789abcdef0123456789abcdef-graphiql")
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHS256Signer(secret, "", "")
	if err != nil {
		t.Fatal(err)
	}
	token, err = signer.Sign(auth.Claims{Subject: "dev-graphiql-browser", Roles: []auth.Role{auth.RoleSupport}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	page := graphiql.Handler("Priority Support", "/graphql")
	mux := http.NewServeMux()
	mux.Handle("/graphql", auth.Middleware(verifier, log)(graph.NewHandler(&graph.Resolver{}, graph.HandlerOptions{Logger: log, Introspection: true})))
	mux.Handle("GET /{$}", page)
	mux.Handle("GET "+graphiql.AssetsPath+"/", page)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, token
}

func TestGraphiQLRunsAQueryOffline(t *testing.T) {
	exe := chromium(t)
	url, token := testServer(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTimeout()

	// Every request the page makes, and what the console reports (a
	// blocked load or a Content-Security-Policy violation shows there).
	var mu sync.Mutex
	var requested, console []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			requested = append(requested, ev.Request.URL)
		case *cdplog.EventEntryAdded:
			console = append(console, string(ev.Entry.Level)+": "+shorten(ev.Entry.Text))
		case *runtime.EventExceptionThrown:
			console = append(console, "exception: "+ev.ExceptionDetails.Text)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	fail := func(step string, err error) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%s: %v\nconsole: %q", step, err, console)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		fail("network", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		fail("log", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS(".graphiql-container"))); err != nil {
		fail("load the page", err)
	}
	help, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".token-help")))
	if err != nil {
		fail("read the help", err)
	}
	// The editors are CodeMirror; each instance hangs on its element. The
	// token goes in the header editor, as a person would paste it.
	headers := `{"Authorization": "Bearer ` + token + `"}`
	set := `(function () {
		var query = document.querySelector('.graphiql-query-editor .CodeMirror');
		var tools = document.querySelectorAll('.graphiql-editor-tool .graphiql-editor'); // variables, headers
		var headers = tools.length === 2 && tools[1].querySelector('.CodeMirror');
		if (!query || !headers) { return false; }
		query.CodeMirror.setValue('{ viewer { subject roles } }');
		headers.CodeMirror.setValue(` + "`" + headers + "`" + `);
		return true;
	})()`
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](set)); err != nil || !ok {
		fail("fill the editors", fmt.Errorf("%v (editors found: %v)", err, ok))
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".graphiql-execute-button"))); err != nil {
		fail("run the query", err)
	}
	result, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(function () {
			var r = document.querySelector('.result-window');
			var text = r ? r.textContent : '';
			return text.indexOf('"data"') >= 0 || text.indexOf('"errors"') >= 0 ? text : false;
		})()`, chromedp.WithPollingTimeout(time.Minute)))
	if err != nil {
		fail("wait for the result", err)
	}
	if !strings.Contains(result, `"dev-graphiql-browser"`) || !strings.Contains(result, `"SUPPORT"`) {
		t.Fatalf("result pane = %q", result)
	}
	if !strings.Contains(help, "go run . token --role") {
		t.Fatalf("the page does not explain how to get a token: %q", help)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("result pane: %s", result)
	t.Logf("requests: %d; console: %q", len(requested), console)
	if len(requested) < 6 {
		t.Errorf("the page made %d requests; want the page, its scripts and styles, and the query", len(requested))
	}
	for _, u := range requested {
		if !strings.HasPrefix(u, url+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s, outside its own origin", u)
		}
	}
	// A Content-Security-Policy violation, a failed load or a script error
	// is logged at error level.
	for _, c := range console {
		if strings.HasPrefix(c, "error:") || strings.HasPrefix(c, "exception:") || strings.Contains(c, "Content Security Policy") {
			t.Errorf("console: %s", c)
		}
	}
}

func TestPageAndAssetsCarryTheirPolicy(t *testing.T) {
	url, _ := testServer(t)
	for _, path := range []string{"/", "/graphiql/app.js", "/graphiql/graphiql.min.js", "/graphiql/graphiql.min.css", "/graphiql/react.production.min.js"} {
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || len(body) == 0 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		if csp := res.Header.Get("Content-Security-Policy"); csp != graphiql.ContentSecurityPolicy || !strings.Contains(csp, "default-src 'self'") {
			t.Fatalf("%s: Content-Security-Policy %q", path, csp)
		}
		if path == "/" && (!strings.Contains(string(body), `data-endpoint="/graphql"`) || strings.Contains(string(body), "<script>")) {
			t.Fatalf("the page has no endpoint, or an inline script: %s", body)
		}
		// Revalidation answers 304 without the body.
		req, _ := http.NewRequest(http.MethodGet, url+path, nil)
		req.Header.Set("If-None-Match", res.Header.Get("ETag"))
		again, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		again.Body.Close()
		if again.StatusCode != http.StatusNotModified {
			t.Fatalf("%s revalidated: %d", path, again.StatusCode)
		}
	}
	res, err := http.Get(url + "/graphiql/nothing.js")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown asset: %d", res.StatusCode)
	}
}

// shorten cuts a console message (a data: URI can be long) for the log.
func shorten(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
