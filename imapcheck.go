package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/prioritysupport/backend/inbound"
	"github.com/prioritysupport/backend/mailbox"
	"github.com/prioritysupport/backend/metrics"
	"github.com/prioritysupport/backend/store"
)

// mailConnector returns the IMAP connector of the app's configuration: it
// ingests through the same parsing, threading and dedupe as
// /inbound/email, with the inbound size cap.
func (a *App) mailConnector() *mailbox.Connector {
	recv := inbound.NewHandler(inbound.Handler{
		Store: a.Store, SupportDomain: a.Config.SupportDomain, MaxBytes: a.Config.InboundMaxBytes, Log: a.Log,
	}, a.Config.InboundMaxInflightBytes)
	return mailbox.New(a.Config.IMAP, recv, a.Store, metrics.NewSources(a.Metrics.Registry()), a.Log)
}

// imapCheck logs in to the configured IMAP server, lists its folders (with
// SPECIAL-USE) and prints which the connector would read and from which
// UID. It changes nothing in the mailbox, and reads the progress from the
// database when it can. A refused login is an error naming the account,
// never the password.
func imapCheck(cfg Config, log *slog.Logger, stdout io.Writer) error {
	if !cfg.IMAP.Enabled() {
		return errors.New("imap-check: PS_IMAP_URL is not set")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var progress mailbox.Progress
	app, closeDB, err := open(ctx, cfg, log, false)
	if err != nil {
		log.Warn("imap-check: database not open; progress unknown", "error", err.Error())
	} else {
		defer closeDB()
		progress = func(ctx context.Context, account, folder string) (store.MailboxProgress, error) {
			return app.Store.MailboxProgressOf(ctx, account, folder)
		}
	}
	report, err := mailbox.Check(ctx, cfg.IMAP, progress)
	if err != nil {
		return fmt.Errorf("imap-check: %w", err)
	}
	report.Print(stdout)
	return nil
}
