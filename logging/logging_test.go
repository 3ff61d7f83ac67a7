package logging

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// accessLines runs the requests through the middleware and returns the
// access log lines the process logger (JSON, INFO) wrote.
func accessLines(t *testing.T, status map[string]int, paths ...string) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	h := Middleware(New(&buf, true))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status[r.URL.Path])
		w.Write([]byte("ok"))
	}))
	for _, p := range paths {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestAccessLogDurationHasItsUnit(t *testing.T) {
	lines := accessLines(t, map[string]int{"/graphql": 200}, "/graphql")
	if len(lines) != 1 {
		t.Fatalf("lines = %v", lines)
	}
	ms, ok := lines[0]["duration_ms"].(float64)
	if !ok || ms < 0 {
		t.Fatalf("duration_ms = %v in %v", lines[0]["duration_ms"], lines[0])
	}
	if _, ok := lines[0]["duration"]; ok {
		t.Fatalf("a duration without a unit is still logged: %v", lines[0])
	}
	if lines[0]["path"] != "/graphql" || lines[0]["status"] != float64(200) || lines[0]["bytes"] != float64(2) {
		t.Fatalf("line = %v", lines[0])
	}
}

func TestProbesAreLoggedOnlyWhenTheyFail(t *testing.T) {
	status := map[string]int{"/healthz": 200, "/readyz": 503, "/graphql": 200}
	lines := accessLines(t, status, "/healthz", "/readyz", "/graphql", "/healthz")
	var paths []string
	for _, l := range lines {
		paths = append(paths, l["path"].(string)+":"+l["level"].(string))
	}
	if got := strings.Join(paths, " "); got != "/readyz:ERROR /graphql:INFO" {
		t.Fatalf("logged %q; want the failing /readyz and /graphql only", got)
	}
}
