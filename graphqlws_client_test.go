package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/testdb"
)

// graphqlWSCheckDir holds check.mjs, a subscriber written with the graphql-ws
// client library, and its pinned packages (npm ci installs them).
const graphqlWSCheckDir = "examples/graphql-ws-check"

// graphqlWSCheckNode returns the node binary that runs check.mjs. Without
// node or the package's node_modules the test skips, except under CI, where
// it must run.
func graphqlWSCheckNode(t *testing.T) string {
	t.Helper()
	missing := ""
	node, err := exec.LookPath("node")
	if err != nil {
		missing = "no node found (apt-get install -y nodejs npm)"
	} else if _, err := os.Stat(filepath.Join(graphqlWSCheckDir, "node_modules", "graphql-ws", "package.json")); err != nil {
		missing = "graphql-ws is not installed (npm ci --prefer-offline in " + graphqlWSCheckDir + ")"
	}
	if missing == "" {
		return node
	}
	if os.Getenv("CI") != "" {
		t.Fatal(missing + ": .ci/run installs both")
	}
	t.Skip(missing + ": skipping the graphql-ws client check")
	return ""
}

// graphqlWSRun is one run of check.mjs: its exit error (nil for status 0),
// its output and whether it reported the connection acknowledged.
type graphqlWSRun struct {
	err       error
	stdout    []string
	stderr    string
	connected bool
}

// status is the exit status, or -1 when the script did not exit by itself.
func (r graphqlWSRun) status() int {
	var exit *exec.ExitError
	switch {
	case r.err == nil:
		return 0
	case errors.As(r.err, &exit):
		return exit.ExitCode()
	default:
		return -1
	}
}

// String describes the run for a failure message.
func (r graphqlWSRun) String() string {
	return fmt.Sprintf("status %d (%v)\nstdout:\n%s\nstderr:\n%s", r.status(), r.err, strings.Join(r.stdout, "\n"), r.stderr)
}

// runGraphQLWSCheck runs check.mjs against the server's /graphql websocket
// with token. Once the script reports the connection acknowledged, publish
// is called, and again every half second until the script exits: the
// server registers a subscription a moment after the client sends it, and
// the client has no way to tell when, so an event may be published before
// anyone listens. The script gets a minute in all.
func runGraphQLWSCheck(t *testing.T, s *testServer, node, token string, publish func(n int)) graphqlWSRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	url := "ws" + strings.TrimPrefix(s.URL, "http") + "/graphql"
	cmd := exec.CommandContext(ctx, node, filepath.Join(graphqlWSCheckDir, "check.mjs"), url, token)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd, err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	var run graphqlWSRun
	var tick <-chan time.Time
	published := 0
	for open := true; open; {
		select {
		case line, ok := <-lines:
			if !ok {
				open = false
				break
			}
			run.stdout = append(run.stdout, line)
			if line == "connected" && !run.connected {
				run.connected = true
				ticker := time.NewTicker(500 * time.Millisecond)
				defer ticker.Stop()
				tick = ticker.C
				publish(published)
				published++
			}
		case <-tick:
			publish(published)
			published++
		}
	}
	run.err = cmd.Wait()
	run.stderr = stderr.String()
	return run
}

// TestGraphQLWSClientReceivesTicketUpdated runs the graphql-ws client
// library against the real server: with a customer's token in
// connection_init it subscribes to ticketUpdated and must exit 0 with the
// ticket a message for that customer lands on; with a token the server
// refuses it must exit 1 and say why.
func TestGraphQLWSClientReceivesTicketUpdated(t *testing.T) {
	node := graphqlWSCheckNode(t)
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		s := newTestServer(t, databaseURL, nil)
		start := time.Now().UTC().Add(-24 * time.Hour)
		f := s.mustPriorityCustomer("Socket Ltd", start, "socket.example")
		first := s.mustIngest(email{From: "sam@socket.example", Subject: "Websocket check", MessageID: "ws0@socket.example", Received: time.Now().UTC()})

		t.Run("an event arrives", func(t *testing.T) {
			run := runGraphQLWSCheck(t, s, node, s.token(f.CustomerID, auth.RoleCustomer), func(n int) {
				s.mustIngest(email{From: "sam@socket.example", Subject: "Re: Websocket check", MessageID: fmt.Sprintf("ws%d@socket.example", n+1), InReplyTo: "ws0@socket.example", Received: time.Now().UTC()})
			})
			if run.status() != 0 || !run.connected {
				t.Fatalf("check.mjs: %s", run)
			}
			want := fmt.Sprintf(`ticketUpdated {"id":%q,"subject":"Websocket check","status":"OPEN"}`, first.TicketID)
			if got := run.stdout[len(run.stdout)-1]; got != want {
				t.Errorf("check.mjs printed %s, want %s\n%s", got, want, run)
			}
		})

		t.Run("a refused token fails the check", func(t *testing.T) {
			run := runGraphQLWSCheck(t, s, node, "not.a.jwt", func(int) {
				t.Error("a refused connection was acknowledged")
			})
			if run.status() != 1 || run.connected || !strings.Contains(run.stderr, "socket closed: 4401") {
				t.Fatalf("check.mjs with a refused token: %s", run)
			}
			if strings.Contains(s.Logs.String(), "not.a.jwt") {
				t.Error("the refused token reached the log")
			}
		})
	})
}
