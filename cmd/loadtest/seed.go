package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/internal/perfdata"
	"github.com/prioritysupport/backend/migrations"
	"github.com/prioritysupport/backend/store"
)

// seed is the seed command: it migrates the database a server uses, fills
// it with the perfdata set and prints each customer with a user's token.
func seed(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadtest seed", flag.ContinueOnError)
	var tf tokenFlags
	tf.register(fs)
	databaseURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "the server's DATABASE_URL (default $DATABASE_URL)")
	size := fs.String("size", "full", "full (20 customers, 20k tickets, 90k messages) or small")
	supportDomain := fs.String("support-domain", "vendor.test", "the server's PS_SUPPORT_DOMAIN")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *databaseURL == "" {
		return errors.New("seed needs -database-url")
	}
	sz := perfdata.Full
	switch *size {
	case "full":
	case "small":
		sz = perfdata.Small
	default:
		return fmt.Errorf("-size %q: want full or small", *size)
	}
	db, err := store.Open(ctx, *databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db); err != nil {
		return err
	}
	start := time.Now()
	ds, err := perfdata.Generate(ctx, db, perfdata.Options{Size: sz, SupportDomain: *supportDomain, Seed: uint64(start.UnixNano())})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %d customers, %d tickets, %d messages, %d clocks in %v\n",
		len(ds.Customers), ds.Tickets, ds.Messages, ds.Clocks, time.Since(start).Round(time.Millisecond))
	signer, signErr := tf.signer()
	if signErr != nil {
		fmt.Fprintf(out, "no tokens printed (%v); mint them with -jwt-secret, or pass -token and -customer-id to the load command\n", signErr)
	}
	for _, c := range ds.Customers {
		line := fmt.Sprintf("%s\tcustomer-id %s\tdomains %v", c.Name, c.ID, c.Domains)
		if signer != nil {
			tok, err := signer.Sign(auth.Claims{Subject: "loadtest-" + c.ID, Roles: []auth.Role{auth.RoleCustomer}, CustomerID: c.ID, TTL: 24 * time.Hour})
			if err != nil {
				return err
			}
			line += "\ttoken " + tok
		}
		fmt.Fprintln(out, line)
	}
	return nil
}
