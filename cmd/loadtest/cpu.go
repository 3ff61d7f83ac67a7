package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample is the CPU time the parties of a run had used at one instant:
// the server (its process_cpu_seconds_total), the PostgreSQL processes of
// this machine, and this command. A part is negative when unknown.
type cpuSample struct {
	server, postgres, self time.Duration
}

// sampleCPU reads the three CPU times.
func sampleCPU(ctx context.Context, base, token string) cpuSample {
	s := cpuSample{server: -1, postgres: -1, self: -1}
	if v, ok := serverMetric(ctx, base, token, "process_cpu_seconds_total"); ok {
		s.server = time.Duration(v * float64(time.Second))
	}
	if d, ok := postgresCPU(); ok {
		s.postgres = d
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return s
}

// perRequest returns, for each part known in both samples, the CPU it
// used per request between them.
func perRequest(before, after cpuSample, requests int64) (server, postgres, self time.Duration, ok [3]bool) {
	div := func(a, b time.Duration) (time.Duration, bool) {
		if a < 0 || b < 0 || requests == 0 || b < a {
			return 0, false
		}
		return (b - a) / time.Duration(requests), true
	}
	server, ok[0] = div(before.server, after.server)
	postgres, ok[1] = div(before.postgres, after.postgres)
	self, ok[2] = div(before.self, after.self)
	return server, postgres, self, ok
}

// clockTick is the unit of /proc/PID/stat's CPU times (USER_HZ), 100 on
// Linux.
const clockTick = 100

// postgresCPU returns the user and system CPU time of the processes named
// postgres on this machine, from /proc: meaningful when the server's
// database runs here. A backend that exits during the run takes its time
// with it, so the servers under test keep their connections open.
func postgresCPU() (time.Duration, bool) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		return 0, false
	}
	var ticks int64
	found := false
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces; the fields after
		// the last ")" are fixed, utime and stime the 12th and 13th.
		line := string(b)
		open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
		if open < 0 || end < open || line[open+1:end] != "postgres" {
			continue
		}
		f := strings.Fields(line[end+1:])
		if len(f) < 13 {
			continue
		}
		u, err1 := strconv.ParseInt(f[11], 10, 64)
		s, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		ticks += u + s
		found = true
	}
	return time.Duration(ticks) * time.Second / clockTick, found
}
