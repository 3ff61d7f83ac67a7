package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/jobs"
	"github.com/prioritysupport/backend/logging"
)

const usage = `usage:
  backend [serve]     serve HTTP on PS_ADDR, migrating the database first
  backend migrate     apply pending database migrations and exit
  backend token ...   print a signed JWT for trying the API (token -h for flags)
  backend seed-demo   load a small demo data set (two customers, a month of
                      tickets, one breached month) and print tokens to explore it
  backend imap-check  log in to PS_IMAP_URL, list its folders and say which
                      would be read and from which UID
`

func main() {
	tuneGC(os.Getenv)
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code: 0 on
// success, 1 when the command failed, 2 for bad usage or configuration.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, errs := LoadConfig(getenv)
	if len(errs) > 0 {
		fmt.Fprintln(stderr, "configuration is invalid:")
		for _, err := range errs {
			fmt.Fprintln(stderr, "  -", err)
		}
		return 2
	}
	log := logging.New(stderr, cfg.Production)
	slog.SetDefault(log) // libraries that log to the default logger (River) log like the rest
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(cfg, log)
	case "migrate":
		err = migrateAll(context.Background(), cfg, log)
	case "token":
		return tokenCommand(cfg, log, args, stdout, stderr)
	case "seed-demo":
		err = seedDemo(context.Background(), cfg, log, stdout)
	case "imap-check":
		err = imapCheck(cfg, log, stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		log.Error("failed", "command", cmd, "error", err.Error())
		return 1
	}
	return 0
}

// migrateAll applies the schema migrations and the job queue's, then
// closes the database.
func migrateAll(ctx context.Context, cfg Config, log *slog.Logger) error {
	app, closeDB, err := open(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := jobs.Migrate(ctx, app.Store.DB(), cfg.DatabaseURL); err != nil {
		return err
	}
	log.Info("database is up to date")
	return nil
}

// tokenCommand prints a token signed with the configured HS256 secret, the
// development secret, or a private key given by flag.
func tokenCommand(cfg Config, log *slog.Logger, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var roles []string
	fs.Func("role", "a role: customer, sales, support or admin (repeat or comma-separate for several)", func(v string) error {
		roles = append(roles, splitList(v)...)
		return nil
	})
	customerID := fs.String("customer-id", "", "the customer a customer user belongs to")
	subject := fs.String("subject", "", "the token's sub (default: dev-<role>)")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	keyFile := fs.String("private-key-file", "", "PEM private key to sign RS256/ES256 tokens with (needed when a public key is configured)")
	fs.Usage = func() {} // printed below: to stdout when asked for
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			tokenUsage(fs)
			return 0
		}
		tokenUsage(fs)
		return 2
	}
	if len(roles) == 0 {
		fmt.Fprintln(stderr, "token: give at least one --role")
		return 2
	}
	claims := auth.Claims{Subject: *subject, CustomerID: *customerID, TTL: *ttl}
	for _, r := range roles {
		claims.Roles = append(claims.Roles, auth.Role(strings.ToLower(r)))
	}
	if claims.Subject == "" {
		claims.Subject = "dev-" + strings.Join(roles, "-")
	}
	signer, err := signerFor(cfg, log, *keyFile)
	if err == nil {
		var token string
		if token, err = signer.Sign(claims); err == nil {
			fmt.Fprintln(stdout, token)
			return 0
		}
	}
	fmt.Fprintln(stderr, "token:", err)
	return 1
}

// tokenUsage prints the token command's flags as the README writes them,
// with two dashes (one works too).
func tokenUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintln(w, "usage: backend token --role ROLE [--customer-id ID] [--subject SUB] [--ttl 12h] [--private-key-file PEM]")
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		if f.Name == "role" {
			kind = "ROLE"
		}
		fmt.Fprintf(w, "  --%s %s\n    \t%s", f.Name, kind, usage)
		if f.DefValue != "" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// signerFor returns a token signer for cfg: a private key from keyFile, the
// configured HS256 secret, or the development secret (created once).
func signerFor(cfg Config, log *slog.Logger, keyFile string) (*auth.Signer, error) {
	switch {
	case keyFile != "":
		pem, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, err
		}
		return auth.NewSignerFromPEM(pem, cfg.JWT.Issuer, cfg.JWT.Audience)
	case cfg.JWT.PublicKeyPEM != nil:
		return nil, fmt.Errorf("a public key is configured: pass --private-key-file with its private key")
	case cfg.JWT.HS256Secret != nil:
		return auth.NewHS256Signer(cfg.JWT.HS256Secret, cfg.JWT.Issuer, cfg.JWT.Audience)
	}
	secret, path, created, err := auth.LoadOrCreateDevSecret(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if created {
		log.Warn("created a development HS256 secret", "path", path)
	}
	return auth.NewHS256Signer(secret, cfg.JWT.Issuer, cfg.JWT.Audience)
}
