// Command backend is the Priority Support backend: one binary that serves
// the GraphQL API, health and metrics endpoints against SQLite (the
// embedded default) or PostgreSQL, migrating the schema on start.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/cors"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/billing"
	"github.com/prioritysupport/backend/events"
	"github.com/prioritysupport/backend/graph"
	"github.com/prioritysupport/backend/graph/loaders"
	"github.com/prioritysupport/backend/graphiql"
	"github.com/prioritysupport/backend/httperr"
	"github.com/prioritysupport/backend/inbound"
	"github.com/prioritysupport/backend/jobs"
	"github.com/prioritysupport/backend/logging"
	"github.com/prioritysupport/backend/metrics"
	"github.com/prioritysupport/backend/migrations"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
	"github.com/prioritysupport/backend/telemetry"
)

// App is the wired server: its store, token verifier, logger and metrics.
type App struct {
	Config   Config
	Store    *store.Store
	Verifier *auth.Verifier
	Log      *slog.Logger
	Metrics  *metrics.Metrics
	// Events carries ticket changes and SLA alerts to GraphQL subscriptions.
	Events events.Bus
	// Ledger is the credit ledger.
	Ledger *billing.Ledger
	// Evaluator finalises months and grants their credits.
	Evaluator *billing.Evaluator
	// Billing links subscriptions to Stripe, handles its webhooks and
	// settles refunds and credits.
	Billing *billing.Service
	// LoaderWait is how long a dataloader collects keys before its batch.
	LoaderWait time.Duration
	// SNS checks the signatures of POST /inbound/ses and confirms its
	// subscriptions; nil means one that trusts the SNS hosts only (tests
	// set one that trusts a local TLS server).
	SNS *inbound.SNSVerifier
}

// NewApp wires the services for cfg over an open, migrated store. It
// returns an error when the Stripe configuration is unusable.
func NewApp(cfg Config, st *store.Store, verifier *auth.Verifier, bus events.Bus, log *slog.Logger) (*App, error) {
	stripe, err := billing.NewStripe(cfg.Stripe)
	if err != nil {
		return nil, err
	}
	ledger := billing.NewLedger(st.DB(), cfg.Now)
	return &App{
		Config: cfg, Store: st, Verifier: verifier, Events: bus, Log: log, Metrics: metrics.New(), LoaderWait: loaders.DefaultWait,
		Ledger:    ledger,
		Evaluator: &billing.Evaluator{Store: st, Ledger: ledger},
		Billing: &billing.Service{
			DB: st.DB(), Store: st, Ledger: ledger, Stripe: stripe, WebhookSecret: cfg.WebhookSecret,
			Log: log, Now: cfg.Now, OptOutFrom: cfg.OptOutFrom,
		},
	}, nil
}

// Handler returns the HTTP handler of every endpoint, with request ids and
// access logs, CORS, and the body-size limit.
func (a *App) Handler() http.Handler {
	gql := graph.NewHandler(&graph.Resolver{
		Store: a.Store, Events: a.Events, Ledger: a.Ledger, Evaluator: a.Evaluator, Billing: a.Billing,
	}, graph.HandlerOptions{
		Introspection: a.Config.GraphiQL,
		Suggestions:   !a.Config.Production,
		Limits:        a.Config.GraphQLLimits,
		Logger:        a.Log,
		Metrics:       a.Metrics,
		Verify:        a.Verifier.Verify,
		Origins:       a.Config.CORSOrigins,
		Persisted:     a.Config.Persisted,
	})
	var api http.Handler = gql
	api = loaders.Middleware(loaders.Sources{Store: a.Store, Ledger: a.Ledger, Billing: a.Billing}, a.LoaderWait)(api)
	api = auth.Middleware(a.Verifier, a.Log)(api)
	api = limitBody(a.Config.MaxBodyBytes)(api)

	mux := http.NewServeMux()
	mux.Handle("/graphql", a.Metrics.Instrument("graphql", api))
	if a.Config.GraphiQL {
		page := graphiql.Handler("Priority Support", "/graphql")
		mux.Handle("GET /{$}", page)
		mux.Handle("GET "+graphiql.AssetsPath+"/", page)
	}
	mux.Handle("GET /healthz", a.Metrics.Instrument("healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httperr.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})))
	mux.Handle("GET /readyz", a.Metrics.Instrument("readyz", http.HandlerFunc(a.readyz)))
	in := inbound.NewHandler(inbound.Handler{
		Store: a.Store, Secret: a.Config.InboundSecret, SupportDomain: a.Config.SupportDomain,
		MaxBytes: a.Config.InboundMaxBytes, Log: a.Log,
	}, a.Config.InboundMaxInflightBytes)
	mux.Handle("/inbound/email", a.Metrics.Instrument("inbound_email", in))
	a.providerRoutes(mux, in)
	// Not behind limitBody: the handler reads at most
	// billing.MaxWebhookBytes itself and needs the exact bytes Stripe signed.
	mux.Handle("POST /webhooks/stripe", a.Metrics.Instrument("stripe_webhook", a.Billing.WebhookHandler()))
	if a.Config.publicMetrics() {
		mux.Handle("GET /metrics", a.metricsHandler())
	}
	return telemetry.Middleware(logging.Middleware(a.Log)(corsPolicy(a.Config.CORSOrigins).Handler(telemetry.Routes(mux))))
}

// corsPolicy returns the CORS policy of the HTTP endpoints. It allows the
// origins graph.OriginAllowed allows, the rule the GraphQL websocket
// follows too: none when the list is empty (rs/cors would read an empty
// AllowedOrigins as any origin), every one for "*" (development only).
// Allowed request headers are the token, the body type, the request id
// and the W3C trace context and baggage headers.
func corsPolicy(origins []string) *cors.Cors {
	return cors.New(cors.Options{
		AllowOriginFunc: func(origin string) bool { return graph.OriginAllowed(origins, origin) },
		AllowedMethods:  []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:  []string{"Authorization", "Content-Type", logging.HeaderRequestID, "Traceparent", "Tracestate", "Baggage"},
		ExposedHeaders:  []string{logging.HeaderRequestID},
		MaxAge:          600,
	})
}

// publicMetrics reports whether the main listener serves /metrics: not
// when a separate listener does (PS_METRICS_ADDR); else with a token
// (PS_METRICS_TOKEN), or openly in development. Production with neither
// does not serve it at all (serve logs how to enable it).
func (c Config) publicMetrics() bool {
	return c.MetricsAddr == "" && (c.MetricsToken != "" || !c.Production)
}

// metricsHandler returns the Prometheus handler, behind the bearer token
// when PS_METRICS_TOKEN is set, on whichever listener serves it.
func (a *App) metricsHandler() http.Handler {
	h := a.Metrics.Handler()
	if a.Config.MetricsToken != "" {
		h = requireBearer(a.Config.MetricsToken, h)
	}
	return h
}

// MetricsServer returns the server of the separate metrics listener
// (PS_METRICS_ADDR): GET /metrics and nothing else, with access logs.
func (a *App) MetricsServer() *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metricsHandler())
	return &http.Server{
		Addr:              a.Config.MetricsAddr,
		Handler:           logging.Middleware(a.Log)(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
}

// requireBearer answers 401 UNAUTHENTICATED unless the request carries
// "Authorization: Bearer <token>". The comparison is of SHA-256 digests in
// constant time, so it reveals neither the token nor its length; the
// token is never logged or echoed.
func requireBearer(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			httperr.Write(w, http.StatusUnauthorized, models.CodeUnauthenticated, "metrics need Authorization: Bearer <PS_METRICS_TOKEN>")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readyz answers 200 when the database answers within two seconds, else
// 503.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.Store.Ping(ctx); err != nil {
		logging.For(r.Context(), a.Log).Warn("readiness check failed", "error", err.Error())
		httperr.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	httperr.JSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// limitBody refuses request bodies over max bytes: 413 up front when the
// declared length is too large, and a read error past max otherwise.
func limitBody(max int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				httperr.Write(w, http.StatusRequestEntityTooLarge, models.CodeBadUserInput, fmt.Sprintf("request body is larger than %d bytes", max))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, max)
			next.ServeHTTP(w, r)
		})
	}
}

// serve runs the server until SIGINT or SIGTERM, then drains requests for up
// to 20 seconds.
func serve(cfg Config, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// Before the database opens and the handler is built: the query hook,
	// the GraphQL extension and trace ids in logs are added only with
	// tracing on.
	flushTraces, err := telemetry.Setup(ctx, log)
	if err != nil {
		return err
	}
	log = telemetry.Logger(log)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := flushTraces(ctx); err != nil {
			log.Warn("traces not flushed", "error", err.Error())
		}
	}()
	app, closeDB, err := open(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer closeDB()
	// The jobs also activate subscriptions whose start has come, right after
	// start and then every minute.
	if err := jobs.Migrate(ctx, app.Store.DB(), cfg.DatabaseURL); err != nil {
		return err
	}
	runner, err := jobs.New(ctx, app.Store.DB(), jobs.Options{DatabaseURL: cfg.DatabaseURL, Tasks: tasks{app: app, log: log}, Log: log, MailEvery: cfg.IMAP.PollInterval})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           app.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	listeners := []listener{{"serve", srv}}
	if cfg.MetricsAddr != "" {
		listeners = append(listeners, listener{"serve metrics", app.MetricsServer()})
	} else if !cfg.publicMetrics() {
		log.Warn("/metrics is not served: set PS_METRICS_ADDR to serve it on a private address, or PS_METRICS_TOKEN to serve it here to bearers of that token")
	}
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() {
			if err := l.srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", l.name, err)
				return
			}
			errc <- nil
		}()
	}
	pending := len(listeners)
	if err := runner.Start(ctx); err != nil {
		for _, l := range listeners {
			l.srv.Close()
		}
		return err
	}
	log.Info("serving", "addr", cfg.Addr, "metrics_addr", cfg.MetricsAddr, "database", databaseKind(cfg.DatabaseURL), "graphiql", cfg.GraphiQL, "production", cfg.Production, "stripe", app.Billing.Stripe != nil, "imap", cfg.IMAP.Enabled())
	var serveErr error
	select {
	case serveErr = <-errc:
		pending--
	case <-ctx.Done():
		log.Info("shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Every listener stops together, also when one of them failed.
	for _, l := range listeners {
		if err := l.srv.Shutdown(shutdownCtx); err != nil && serveErr == nil {
			serveErr = fmt.Errorf("shutdown: %w", err)
		}
	}
	for ; pending > 0; pending-- {
		if err := <-errc; err != nil && serveErr == nil {
			serveErr = err
		}
	}
	// Jobs stop after the last request: a request may have enqueued one.
	if err := runner.Stop(shutdownCtx); err != nil {
		log.Warn("background jobs did not stop cleanly", "error", err.Error())
	}
	if serveErr != nil {
		return serveErr
	}
	log.Info("stopped")
	return nil
}

// listener is one HTTP server serve runs, with the prefix of its errors.
type listener struct {
	name string
	srv  *http.Server
}

// open connects to the database, migrates it when migrate is set, and
// builds the App; the returned func closes the database.
func open(ctx context.Context, cfg Config, log *slog.Logger, migrate bool) (*App, func(), error) {
	log = telemetry.Logger(log)
	db, err := store.OpenWith(ctx, cfg.DatabaseURL, cfg.DBPool)
	if err != nil {
		return nil, nil, err
	}
	if migrate {
		applied, err := migrations.Up(ctx, db)
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		if len(applied) > 0 {
			log.Info("migrated database", "migrations", applied)
		}
	}
	verifier, err := newVerifier(cfg, log)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	var bus events.Bus = events.NewMemory()
	if store.IsPostgresURL(cfg.DatabaseURL) {
		if bus, err = events.NewPostgres(ctx, cfg.DatabaseURL, db, log); err != nil {
			db.Close()
			return nil, nil, err
		}
	}
	st := store.New(db, store.Options{
		Now:          cfg.Now,
		DomainPolicy: models.DomainPolicy{Webmail: cfg.WebmailDomains, SupportDomain: cfg.SupportDomain},
		SLATimezone:  cfg.SLATimezone,
		Holidays:     cfg.Holidays,
		Events:       bus,
		Log:          log,
	})
	app, err := NewApp(cfg, st, verifier, bus, log)
	if err != nil {
		bus.Close()
		db.Close()
		return nil, nil, err
	}
	return app, func() { bus.Close(); db.Close() }, nil
}

// newVerifier returns the token verifier of cfg; a development run without a
// key uses the development secret kept under the data folder, creating it
// once and saying so (never what it is).
func newVerifier(cfg Config, log *slog.Logger) (*auth.Verifier, error) {
	jc := cfg.JWT
	if jc.HS256Secret == nil && jc.PublicKeyPEM == nil {
		secret, path, created, err := auth.LoadOrCreateDevSecret(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		if created {
			log.Warn("no JWT key configured: created a development HS256 secret; mint tokens with `go run . token`", "path", path)
		} else {
			log.Info("no JWT key configured: using the development HS256 secret", "path", path)
		}
		jc.HS256Secret = secret
	}
	return auth.NewVerifier(jc)
}

// databaseKind names the database of a DATABASE_URL without its secrets.
func databaseKind(u string) string {
	if store.IsPostgresURL(u) {
		return "postgres"
	}
	path, _ := store.SQLitePath(u)
	return "sqlite:" + path
}

// providerRoutes adds the mail providers' inbound webhooks that are
// configured, next to /inbound/email and sharing its handler (the one
// ingestion path, its size cap and its bytes in flight). Not behind
// limitBody: each reads at most PS_INBOUND_MAX_BYTES itself.
func (a *App) providerRoutes(mux *http.ServeMux, in *inbound.Handler) {
	counter, sources := a.Metrics.InboundProviders(), metrics.NewSources(a.Metrics.Registry())
	hook := inbound.Webhook{
		Inbound: in, Now: a.Config.Now,
		Observe: func(_ context.Context, d inbound.Delivery) {
			counter.Count(d.Provider, d.Outcome)
			switch {
			case d.Outcome == inbound.OutcomeStored:
				sources.Message(inbound.SourceName(d.Provider), metrics.SourceTaken, time.Time{}, time.Now())
			case d.Outcome == inbound.OutcomeDuplicate:
				sources.Message(inbound.SourceName(d.Provider), metrics.SourceDuplicate, time.Time{}, time.Now())
			case d.Refused:
				sources.Message(inbound.SourceName(d.Provider), metrics.SourceRefused, time.Time{}, time.Now())
			}
		},
	}
	p := a.Config.Providers
	if len(p.MailgunSigningKey) > 0 {
		// Mailgun posts the raw message to URLs ending in "mime".
		mailgun := a.Metrics.Instrument("inbound_mailgun", inbound.NewMailgun(inbound.Mailgun{
			Webhook: hook, SigningKey: p.MailgunSigningKey, MaxAge: p.MailgunMaxAge,
		}))
		mux.Handle("/inbound/mailgun", mailgun)
		mux.Handle("/inbound/mailgun/mime", mailgun)
	}
	if len(p.SESTopicARNs) > 0 {
		verifier := a.SNS
		if verifier == nil {
			verifier = &inbound.SNSVerifier{}
		}
		if verifier.CacheSize == 0 && verifier.FetchTimeout == 0 {
			verifier.CacheSize, verifier.FetchTimeout = p.SESCertCacheSize, p.SESFetchTimeout
		}
		mux.Handle("/inbound/ses", a.Metrics.Instrument("inbound_ses", inbound.NewSES(inbound.SES{
			Webhook: hook, Topics: p.SESTopicARNs, Verifier: verifier,
		})))
	}
	if p.PostmarkUser != "" {
		mux.Handle("/inbound/postmark", a.Metrics.Instrument("inbound_postmark", inbound.NewPostmark(inbound.Postmark{
			Webhook: hook, Auth: inbound.NewBasicAuth(p.PostmarkUser, p.PostmarkPassword),
		})))
	}
}
