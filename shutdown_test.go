package main

import (
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prioritysupport/backend/internal/testdb"
)

// TestServeStopsGracefullyOnSIGTERM runs the real serve loop, waits until it
// answers, sends the process SIGTERM (which serve has subscribed to) and
// expects a clean return.
func TestServeStopsGracefullyOnSIGTERM(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg, errs := LoadConfig(testEnv(t, testdb.SQLite(t), map[string]string{"PS_ADDR": addr}))
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
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	for _, want := range []string{"shutting down", "stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}
