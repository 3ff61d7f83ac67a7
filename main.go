package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/logging"
)

const usage = `usage:
  backend [serve]     serve HTTP on PS_ADDR, migrating the database first
  backend migrate     apply pending database migrations and exit
  backend token ...   print a signed JWT for trying the API (token -h for flags)
`

func main() {
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
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(cfg, log)
	case "migrate":
		var closeDB func()
		_, closeDB, err = open(context.Background(), cfg, log, true)
		if err == nil {
			closeDB()
			log.Info("database is up to date")
		}
	case "token":
		return tokenCommand(cfg, log, args, stdout, stderr)
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
	if err := fs.Parse(args); err != nil {
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
	var signer *auth.Signer
	var err error
	switch {
	case *keyFile != "":
		var pem []byte
		if pem, err = os.ReadFile(*keyFile); err == nil {
			signer, err = auth.NewSignerFromPEM(pem, cfg.JWT.Issuer, cfg.JWT.Audience)
		}
	case cfg.JWT.PublicKeyPEM != nil:
		err = fmt.Errorf("a public key is configured: pass --private-key-file with its private key")
	case cfg.JWT.HS256Secret != nil:
		signer, err = auth.NewHS256Signer(cfg.JWT.HS256Secret, cfg.JWT.Issuer, cfg.JWT.Audience)
	default:
		var secret []byte
		var path string
		var created bool
		if secret, path, created, err = auth.LoadOrCreateDevSecret(cfg.DataDir); err == nil {
			if created {
				log.Warn("created a development HS256 secret", "path", path)
			}
			signer, err = auth.NewHS256Signer(secret, cfg.JWT.Issuer, cfg.JWT.Audience)
		}
	}
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
