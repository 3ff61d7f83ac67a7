package main

import "runtime/debug"

// Garbage-collector defaults of the server, taken when the standard GOGC and
// GOMEMLIMIT variables are unset (they override these, as the Go runtime
// reads them).
//
// A request allocates a lot of short-lived memory (a dashboard page about
// 0.9 MB in 18,000 objects) over a small live heap (tens of MB), so with
// Go's default GOGC=100 the collector ran every few pages and took about a
// quarter of the CPU of a busy server. GOGC=400 lets the heap grow to five
// times what is live before collecting, which cut the CPU of a page by
// about 30 % (docs/PERFORMANCE.md); the soft limit of 256 MiB makes the
// collector run more often instead once the heap nears it, so a large live
// heap (many big messages being received at once) does not grow fivefold.
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 256 << 20
)

// tuneGC applies the defaults above where getenv has no GOGC or GOMEMLIMIT,
// and returns the GC percent and memory limit in force.
func tuneGC(getenv func(string) string) (percent int, limit int64) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}
