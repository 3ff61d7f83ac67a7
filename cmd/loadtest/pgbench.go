package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// pgbenchDB is the database pgbench's tables live in, apart from the
// application's.
const pgbenchDB = "ps_pgbench"

// tpsLine is pgbench's result line.
var tpsLine = regexp.MustCompile(`tps = ([0-9.]+)`)

// pgbench runs pgbench in mode (-S select-only, -N simple update) with c
// clients for d against the ps_pgbench database on the server adminURL
// names, creating and initialising it when missing, and returns its tps.
func pgbench(ctx context.Context, adminURL, mode string, c int, d time.Duration, out io.Writer) (float64, error) {
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return 0, errors.New("-pgbench: want a postgres:// URL")
	}
	db, err := sql.Open("pgx", adminURL)
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", pgbenchDB).Scan(&exists); err != nil {
		return 0, fmt.Errorf("pgbench: %w", err)
	}
	u.Path = "/" + pgbenchDB
	target := u.String()
	if !exists {
		if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pgbenchDB); err != nil {
			return 0, fmt.Errorf("pgbench: create %s: %w", pgbenchDB, err)
		}
		fmt.Fprintf(out, "initialising %s (pgbench -i)\n", pgbenchDB)
		if b, err := exec.CommandContext(ctx, "pgbench", "-i", "-q", target).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("pgbench -i: %w: %s", err, b)
		}
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	args := []string{mode, "-n", "-c", strconv.Itoa(c), "-j", strconv.Itoa(min(c, runtime.NumCPU())), "-T", strconv.Itoa(secs), target}
	b, err := exec.CommandContext(ctx, "pgbench", args...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w: %s", err, b)
	}
	m := tpsLine.FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no tps: %s", b)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// numCPU is the number of CPUs the load average is relative to.
func numCPU() int { return runtime.NumCPU() }

// pgbenchOnly is the pgbench command: the references of the workloads
// without a server, pgbench -S at -c-select clients and -N at -c-update.
func pgbenchOnly(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadtest pgbench", flag.ContinueOnError)
	adminURL := fs.String("pgbench", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "a PostgreSQL URL; pgbench runs in database ps_pgbench on that server")
	selects := fs.Int("c-select", 32, "clients of pgbench -S (the reference of P1 and P2)")
	updates := fs.Int("c-update", 8, "clients of pgbench -N (the reference of P4)")
	d := fs.Duration("d", 30*time.Second, "how long each runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, r := range []struct {
		mode string
		c    int
	}{{"-S", *selects}, {"-N", *updates}} {
		tps, err := pgbench(ctx, *adminURL, r.mode, r.c, *d, out)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "pgbench %s c=%d d=%v tps %.0f  load average %s (nproc %d)\n", r.mode, r.c, *d, tps, loadAvg(), numCPU())
	}
	return nil
}
