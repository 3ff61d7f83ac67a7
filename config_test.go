package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/auth"
	"github.com/prioritysupport/backend/graph"
	"github.com/prioritysupport/backend/inbound"
	"github.com/prioritysupport/backend/internal/testdb"
	"github.com/prioritysupport/backend/store"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	cfg, errs := LoadConfig(envOf(nil))
	if len(errs) > 0 {
		t.Fatalf("no environment must be a valid development config: %v", errs)
	}
	if cfg.Production || cfg.Addr != ":8080" || cfg.DatabaseURL != "" || cfg.SLATimezone != "UTC" ||
		!cfg.GraphiQL || cfg.SupportDomain != devSupportDomain || len(cfg.WebmailDomains) == 0 {
		t.Fatalf("defaults = %+v", cfg)
	}
}

func TestLoadConfigReportsEachBadValue(t *testing.T) {
	env := map[string]string{
		"PS_ENV":                      "staging",
		"PS_ADDR":                     "8080",
		"DATABASE_URL":                "mysql://db/ps",
		"PS_JWT_HS256_SECRET":         "short-secret-value",
		"PS_CORS_ORIGINS":             "https://ok.example, ftp://files.example, https://app.example/path",
		"PS_SUPPORT_DOMAIN":           "support@vendor.example",
		"PS_SLA_TIMEZONE":             "Mars/Olympus",
		"PS_WEBMAIL_DOMAINS":          "gmail.com, not a domain",
		"PS_GRAPHIQL":                 "maybe",
		"PS_GRAPHQL_COMPLEXITY_LIMIT": "-1",
		"PS_MAX_BODY_BYTES":           "lots",
	}
	_, errs := LoadConfig(envOf(env))
	got := map[string]int{}
	var all []string
	for _, err := range errs {
		name, _, _ := strings.Cut(err.Error(), ":")
		got[name]++
		all = append(all, err.Error())
	}
	for _, name := range []string{"PS_ENV", "PS_ADDR", "DATABASE_URL", "PS_JWT_HS256_SECRET", "PS_SUPPORT_DOMAIN", "PS_SLA_TIMEZONE",
		"PS_WEBMAIL_DOMAINS", "PS_GRAPHIQL", "PS_GRAPHQL_COMPLEXITY_LIMIT", "PS_MAX_BODY_BYTES"} {
		if got[name] != 1 {
			t.Errorf("%s reported %d times, want once: %v", name, got[name], all)
		}
	}
	if got["PS_CORS_ORIGINS"] != 2 {
		t.Errorf("PS_CORS_ORIGINS reported %d times, want 2 (one per bad origin): %v", got["PS_CORS_ORIGINS"], all)
	}
	if joined := strings.Join(all, "\n"); strings.Contains(joined, env["PS_JWT_HS256_SECRET"]) {
		t.Errorf("an error quotes the secret: %s", joined)
	}
}

func TestLoadConfigProduction(t *testing.T) {
	t.Run("refuses to start without key, issuer, audience and support domain", func(t *testing.T) {
		_, errs := LoadConfig(envOf(map[string]string{"PS_ENV": "production"}))
		text := ""
		for _, err := range errs {
			text += err.Error() + "\n"
		}
		for _, name := range []string{"PS_JWT_PUBLIC_KEY", "PS_JWT_ISSUER", "PS_JWT_AUDIENCE", "PS_SUPPORT_DOMAIN", "PS_INBOUND_SECRET"} {
			if !strings.Contains(text, name+":") {
				t.Errorf("no error for %s in:\n%s", name, text)
			}
		}
	})
	t.Run("wildcard CORS refused", func(t *testing.T) {
		_, errs := LoadConfig(envOf(map[string]string{"PS_ENV": "production", "PS_CORS_ORIGINS": "*"}))
		found := false
		for _, err := range errs {
			found = found || strings.HasPrefix(err.Error(), "PS_CORS_ORIGINS")
		}
		if !found {
			t.Fatal("a wildcard origin was accepted in production")
		}
	})
	t.Run("complete", func(t *testing.T) {
		cfg, errs := LoadConfig(envOf(map[string]string{
			"PS_ENV": "production", "PS_JWT_HS256_SECRET": testSecret, "PS_JWT_ISSUER": testIssuer,
			"PS_JWT_AUDIENCE": testAudience, "PS_SUPPORT_DOMAIN": "Support.Vendor.Example.", "PS_SLA_TIMEZONE": "Australia/Sydney",
			"PS_INBOUND_SECRET": "a-long-enough-inbound-secret", "PS_EARLY_ACCESS_OPT_OUT_FROM": "2027-01-15",
		}))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if !cfg.Production || cfg.GraphiQL || cfg.SupportDomain != "support.vendor.example" ||
			!cfg.OptOutFrom.Equal(time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("cfg = %+v", cfg)
		}
	})
}

func TestLoadConfigBadValues(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"PS_EARLY_ACCESS_OPT_OUT_FROM", "15/01/2027", "is not a date"},
		{"PS_INBOUND_MAX_BYTES", "12", "at least 1024"},
		{"STRIPE_API_BASE", "localhost:12111", "is not an http(s) URL"},
		{"STRIPE_SECRET_KEY", "sk_test_123", "STRIPE_PRICE_ID: needed with STRIPE_SECRET_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := LoadConfig(envOf(map[string]string{tt.name: tt.value}))
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Fatalf("errors = %v, want one saying %q", errs, tt.want)
			}
		})
	}
}

func TestTokenCommand(t *testing.T) {
	t.Run("configured secret", func(t *testing.T) {
		env := envOf(map[string]string{"PS_JWT_HS256_SECRET": testSecret, "PS_JWT_ISSUER": testIssuer, "PS_JWT_AUDIENCE": testAudience, "PS_DATA_DIR": t.TempDir()})
		var out, errOut bytes.Buffer
		if code := run([]string{"token", "--role", "customer", "--customer-id", "cust-1"}, env, &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		v, err := auth.NewVerifier(auth.Config{HS256Secret: []byte(testSecret), Issuer: testIssuer, Audience: testAudience})
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.Verify(strings.TrimSpace(out.String()))
		if err != nil || c.CustomerID != "cust-1" || !c.Has(auth.RoleCustomer) || c.IsStaff() {
			t.Fatalf("caller %+v, err %v", c, err)
		}
	})
	t.Run("development secret is shared with the server", func(t *testing.T) {
		dir := t.TempDir()
		env := envOf(map[string]string{"PS_DATA_DIR": dir, "DATABASE_URL": testdb.SQLite(t)})
		var out, errOut bytes.Buffer
		if code := run([]string{"token", "--role", "sales,admin"}, env, &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		cfg, _ := LoadConfig(env)
		v, err := newVerifier(cfg, logDiscard())
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.Verify(strings.TrimSpace(out.String()))
		if err != nil || !c.Has(auth.RoleSales) || !c.Has(auth.RoleAdmin) {
			t.Fatalf("caller %+v, err %v", c, err)
		}
	})
	t.Run("customer role needs a customer id", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := run([]string{"token", "--role", "customer"}, envOf(map[string]string{"PS_DATA_DIR": t.TempDir()}), &out, &errOut); code == 0 || out.Len() > 0 {
			t.Fatalf("exit %d, printed %q", code, out.String())
		}
	})
	t.Run("--help exits 0 and shows the flags with two dashes", func(t *testing.T) {
		for _, arg := range []string{"--help", "-h"} {
			var out, errOut bytes.Buffer
			if code := run([]string{"token", arg}, envOf(map[string]string{"PS_DATA_DIR": t.TempDir()}), &out, &errOut); code != 0 {
				t.Fatalf("%s: exit %d: %s", arg, code, errOut.String())
			}
			for _, flag := range []string{"--role ROLE", "--customer-id", "--ttl", "--private-key-file"} {
				if !strings.Contains(out.String(), flag) {
					t.Fatalf("%s does not show %s: %s", arg, flag, out.String())
				}
			}
		}
		var out, errOut bytes.Buffer
		if code := run([]string{"token", "--nope"}, envOf(map[string]string{"PS_DATA_DIR": t.TempDir()}), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--role") {
			t.Fatalf("unknown flag: exit %d: %s", code, errOut.String())
		}
	})
	t.Run("bad configuration exits 2 and names the variable", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := run([]string{"token", "--role", "sales"}, envOf(map[string]string{"PS_ENV": "prod"}), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "PS_ENV") {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
	})
}

func TestMigrateCommand(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		env := envOf(map[string]string{"DATABASE_URL": databaseURL, "PS_DATA_DIR": t.TempDir()})
		for i := 0; i < 2; i++ {
			var out, errOut bytes.Buffer
			if code := run([]string{"migrate"}, env, &out, &errOut); code != 0 {
				t.Fatalf("run %d: exit %d: %s", i, code, errOut.String())
			}
		}
	})
}

func TestLoadConfigMetrics(t *testing.T) {
	production := func(extra map[string]string) map[string]string {
		env := map[string]string{
			"PS_ENV": "production", "PS_JWT_HS256_SECRET": testSecret, "PS_JWT_ISSUER": testIssuer,
			"PS_JWT_AUDIENCE": testAudience, "PS_SUPPORT_DOMAIN": "support.vendor.example", "PS_INBOUND_SECRET": "a-long-enough-inbound-secret",
		}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}
	t.Run("refused", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			env  map[string]string
			want string
		}{
			{"address without port", map[string]string{"PS_METRICS_ADDR": "9090"}, "PS_METRICS_ADDR: \"9090\" is not host:port"},
			{"named port", map[string]string{"PS_METRICS_ADDR": "localhost:http"}, "PS_METRICS_ADDR: \"localhost:http\" is not host:port"},
			{"port out of range", map[string]string{"PS_METRICS_ADDR": "127.0.0.1:70000"}, "PS_METRICS_ADDR: \"127.0.0.1:70000\" is not host:port"},
			{"a URL", map[string]string{"PS_METRICS_ADDR": "http://127.0.0.1:9090"}, "PS_METRICS_ADDR:"},
			{"the main address", map[string]string{"PS_ADDR": "127.0.0.1:8080", "PS_METRICS_ADDR": "127.0.0.1:8080"}, "PS_METRICS_ADDR: is PS_ADDR"},
			{"token with a space", map[string]string{"PS_METRICS_TOKEN": "two words"}, "PS_METRICS_TOKEN: may hold only printable ASCII"},
			{"token with a control character", map[string]string{"PS_METRICS_TOKEN": "token\x7f"}, "PS_METRICS_TOKEN: may hold only printable ASCII"},
			{"short token in production", production(map[string]string{"PS_METRICS_TOKEN": "short-metrics-token"}), "PS_METRICS_TOKEN: is shorter than 32 bytes"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, errs := LoadConfig(envOf(tt.env))
				if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tt.want) {
					t.Fatalf("errors = %v, want one starting %q", errs, tt.want)
				}
				if token := tt.env["PS_METRICS_TOKEN"]; token != "" && strings.Contains(errs[0].Error(), token) {
					t.Fatalf("the error quotes the token: %v", errs[0])
				}
			})
		}
	})
	t.Run("accepted", func(t *testing.T) {
		for _, tt := range []struct {
			name        string
			env         map[string]string
			addr, token string
			public      bool
		}{
			{"development default: open", nil, "", "", true},
			{"production default: not served", production(nil), "", "", false},
			{"short token in development", map[string]string{"PS_METRICS_TOKEN": "dev"}, "", "dev", true},
			{"production token", production(map[string]string{"PS_METRICS_TOKEN": testMetricsToken}), "", testMetricsToken, true},
			{"separate listener", production(map[string]string{"PS_METRICS_ADDR": "127.0.0.1:9090"}), "127.0.0.1:9090", "", false},
			{"any interface, free port", map[string]string{"PS_METRICS_ADDR": ":0"}, ":0", "", false},
			{"both", production(map[string]string{"PS_METRICS_ADDR": "[::1]:9090", "PS_METRICS_TOKEN": testMetricsToken}), "[::1]:9090", testMetricsToken, false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				cfg, errs := LoadConfig(envOf(tt.env))
				if len(errs) > 0 {
					t.Fatal(errs)
				}
				if cfg.MetricsAddr != tt.addr || cfg.MetricsToken != tt.token || cfg.publicMetrics() != tt.public {
					t.Fatalf("addr %q, token %q, on the main listener %v", cfg.MetricsAddr, cfg.MetricsToken, cfg.publicMetrics())
				}
			})
		}
	})
}

func TestLoadConfigRequestLimits(t *testing.T) {
	cfg, errs := LoadConfig(envOf(nil))
	if len(errs) > 0 || cfg.GraphQLLimits != graph.DefaultLimits() || cfg.InboundMaxInflightBytes != inbound.DefaultMaxInflightBytes {
		t.Fatalf("defaults: %+v, %d, %v", cfg.GraphQLLimits, cfg.InboundMaxInflightBytes, errs)
	}
	good := map[string]string{
		"PS_GRAPHQL_MAX_TOKENS": "800", "PS_GRAPHQL_MAX_DEPTH": "9", "PS_GRAPHQL_MAX_SELECTIONS": "300",
		"PS_GRAPHQL_MAX_ALIASES": "12", "PS_GRAPHQL_MAX_OVERLAPS": "99", "PS_GRAPHQL_MAX_DIRECTIVES": "7",
		"PS_GRAPHQL_COMPLEXITY_LIMIT": "1234", "PS_GRAPHQL_MAX_ERRORS": "5",
		"PS_GRAPHQL_MAX_RESPONSE_BYTES": "65536", "PS_GRAPHQL_TIMEOUT": "5s",
		"PS_INBOUND_MAX_INFLIGHT_BYTES": "104857600",
	}
	cfg, errs = LoadConfig(envOf(good))
	want := graph.Limits{Tokens: 800, Depth: 9, Selections: 300, Aliases: 12, Overlaps: 99, Directives: 7,
		Complexity: 1234, Errors: 5, ResponseBytes: 65536, Timeout: 5 * time.Second}
	if len(errs) > 0 || cfg.GraphQLLimits != want || cfg.InboundMaxInflightBytes != 100<<20 {
		t.Fatalf("got %+v, %d, %v", cfg.GraphQLLimits, cfg.InboundMaxInflightBytes, errs)
	}
	bad := map[string]string{
		"PS_GRAPHQL_MAX_TOKENS": "99", "PS_GRAPHQL_MAX_DEPTH": "1", "PS_GRAPHQL_MAX_SELECTIONS": "x",
		"PS_GRAPHQL_MAX_ALIASES": "0", "PS_GRAPHQL_MAX_OVERLAPS": "-3", "PS_GRAPHQL_MAX_DIRECTIVES": "1.5",
		"PS_GRAPHQL_COMPLEXITY_LIMIT": "9", "PS_GRAPHQL_MAX_ERRORS": "0",
		"PS_GRAPHQL_MAX_RESPONSE_BYTES": "1023", "PS_GRAPHQL_TIMEOUT": "500ms",
		"PS_INBOUND_MAX_INFLIGHT_BYTES": "1048576",
	}
	_, errs = LoadConfig(envOf(bad))
	reported := map[string]bool{}
	for _, err := range errs {
		name, _, _ := strings.Cut(err.Error(), ":")
		reported[name] = true
	}
	for name := range bad {
		if !reported[name] {
			t.Errorf("%s=%q not reported: %v", name, bad[name], errs)
		}
	}
}

func TestLoadConfigDBPool(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		cfg, errs := LoadConfig(envOf(nil))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if want := store.DefaultPoolOptions(); cfg.DBPool != want || want.MaxIdleConns != want.MaxOpenConns ||
			want.ConnMaxLifetime != 30*time.Minute || want.ConnMaxIdleTime != 5*time.Minute {
			t.Fatalf("DBPool = %+v, want %+v with idle = open, 30m, 5m", cfg.DBPool, want)
		}
	})
	t.Run("set", func(t *testing.T) {
		cfg, errs := LoadConfig(envOf(map[string]string{"PS_DB_MAX_CONNS": "12", "PS_DB_CONN_MAX_LIFETIME": "1h", "PS_DB_CONN_MAX_IDLE_TIME": "90s"}))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		want := store.PoolOptions{MaxOpenConns: 12, MaxIdleConns: 12, ConnMaxLifetime: time.Hour, ConnMaxIdleTime: 90 * time.Second}
		if cfg.DBPool != want {
			t.Fatalf("DBPool = %+v, want %+v", cfg.DBPool, want)
		}
		cfg, errs = LoadConfig(envOf(map[string]string{"PS_DB_MAX_CONNS": "12", "PS_DB_MAX_IDLE_CONNS": "4"}))
		if len(errs) > 0 || cfg.DBPool.MaxIdleConns != 4 {
			t.Fatalf("DBPool = %+v, errors %v; want 4 idle", cfg.DBPool, errs)
		}
	})
	t.Run("bad", func(t *testing.T) {
		env := map[string]string{
			"PS_DB_MAX_CONNS":          "0",
			"PS_DB_MAX_IDLE_CONNS":     "many",
			"PS_DB_CONN_MAX_LIFETIME":  "30",
			"PS_DB_CONN_MAX_IDLE_TIME": "-5m",
		}
		_, errs := LoadConfig(envOf(env))
		got := map[string]int{}
		for _, err := range errs {
			name, _, _ := strings.Cut(err.Error(), ":")
			got[name]++
		}
		for name := range env {
			if got[name] != 1 {
				t.Errorf("%s reported %d times, want once: %v", name, got[name], errs)
			}
		}
		if len(errs) != len(env) {
			t.Errorf("%d errors, want %d: %v", len(errs), len(env), errs)
		}
		_, errs = LoadConfig(envOf(map[string]string{"PS_DB_MAX_CONNS": "4", "PS_DB_MAX_IDLE_CONNS": "5"}))
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "PS_DB_MAX_IDLE_CONNS:") {
			t.Errorf("idle above the cap: errors %v, want one for PS_DB_MAX_IDLE_CONNS", errs)
		}
	})
}

func TestLoadConfigJWTCacheSize(t *testing.T) {
	for env, want := range map[string]int{"": 0, "100": 100, "0": -1} {
		cfg, errs := LoadConfig(envOf(map[string]string{"PS_JWT_CACHE_SIZE": env}))
		if len(errs) > 0 || cfg.JWT.CacheSize != want {
			t.Errorf("PS_JWT_CACHE_SIZE=%q: CacheSize %d, errors %v; want %d", env, cfg.JWT.CacheSize, errs, want)
		}
	}
	for _, bad := range []string{"-1", "many", "1000001"} {
		_, errs := LoadConfig(envOf(map[string]string{"PS_JWT_CACHE_SIZE": bad}))
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "PS_JWT_CACHE_SIZE:") {
			t.Errorf("PS_JWT_CACHE_SIZE=%q: errors %v, want one about it", bad, errs)
		}
	}
}
