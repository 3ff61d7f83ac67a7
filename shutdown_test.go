package main

import (
	"strings"
	"testing"
)

// TestServeStopsGracefullyOnSIGTERM runs the real serve loop, waits until it
// answers, sends the process SIGTERM (which serve has subscribed to) and
// expects a clean return.
func TestServeStopsGracefullyOnSIGTERM(t *testing.T) {
	logs := serveUntilSIGTERM(t, map[string]string{}, func(string) {})
	for _, want := range []string{"shutting down", "stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}
