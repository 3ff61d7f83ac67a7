package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGCDefaultsAndOverrides(t *testing.T) {
	prevPercent, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(prevPercent); debug.SetMemoryLimit(prevLimit) })

	percent, limit := tuneGC(envOf(nil))
	if percent != defaultGCPercent || limit != defaultMemoryLimit {
		t.Fatalf("defaults: GOGC %d, limit %d; want %d, %d", percent, limit, defaultGCPercent, defaultMemoryLimit)
	}

	// Set in the environment, the runtime has already applied them; tuneGC
	// leaves them as they are.
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(1 << 30)
	percent, limit = tuneGC(envOf(map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"}))
	if percent != 150 || limit != 1<<30 {
		t.Fatalf("overridden: GOGC %d, limit %d; want 150, 1 GiB", percent, limit)
	}
}
