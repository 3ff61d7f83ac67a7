package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/mailbox"
)

// imapErrors returns the configuration errors of env, by variable.
func imapErrors(t *testing.T, env map[string]string) (Config, map[string]string) {
	t.Helper()
	cfg, errs := LoadConfig(envOf(env))
	got := map[string]string{}
	for _, err := range errs {
		name, _, _ := strings.Cut(err.Error(), ":")
		got[name] = err.Error()
	}
	return cfg, got
}

// TestLoadConfigIMAPOff: without PS_IMAP_URL the connector is off, and a
// credential set without it is reported.
func TestLoadConfigIMAPOff(t *testing.T) {
	cfg, errs := imapErrors(t, nil)
	if cfg.IMAP.Enabled() || len(errs) != 0 {
		t.Fatalf("IMAP %+v, errors %v", cfg.IMAP, errs)
	}
	if _, errs := imapErrors(t, map[string]string{"PS_IMAP_PASSWORD": "secret"}); errs["PS_IMAP_PASSWORD"] == "" {
		t.Errorf("a password without PS_IMAP_URL was not reported: %v", errs)
	}
}

// TestLoadConfigIMAPDefaults: a URL and a password give the defaults: the
// inbox and the \Sent folder, read-only, every minute, runs of three
// quarters of the interval, the batch limits, the inbound size cap.
func TestLoadConfigIMAPDefaults(t *testing.T) {
	cfg, errs := imapErrors(t, map[string]string{"PS_IMAP_URL": "imaps://support%40vendor.example@imap.example.com", "PS_IMAP_PASSWORD": "app-password"})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	c := cfg.IMAP
	if c.Server != "imap.example.com:993" || c.User != "support@vendor.example" || c.Security != mailbox.SecurityTLS || c.Password != "app-password" {
		t.Errorf("connection %+v", c)
	}
	if strings.Join(c.Folders, ",") != `INBOX,\Sent` || c.MarkSeen || c.PollInterval != time.Minute || c.RunMax != 45*time.Second ||
		c.Batch != mailbox.DefaultBatch || c.BatchBytes != mailbox.DefaultBatchBytes || c.Timeout != mailbox.DefaultTimeout ||
		c.MaxMessageBytes != cfg.InboundMaxBytes {
		t.Errorf("defaults %+v", c)
	}
	if strings.Contains(c.String(), "app-password") {
		t.Errorf("the configuration prints its password: %s", c)
	}
}

// TestLoadConfigIMAPOverrides: every setting has its variable.
func TestLoadConfigIMAPOverrides(t *testing.T) {
	dir := t.TempDir()
	pwFile, tokenFile := filepath.Join(dir, "pw"), filepath.Join(dir, "token")
	os.WriteFile(pwFile, []byte("from-a-file\n"), 0o600)
	os.WriteFile(tokenFile, []byte("ya29.token\n"), 0o600)
	cfg, errs := imapErrors(t, map[string]string{
		"PS_IMAP_URL": "imap://help@mail.example.com?starttls=true", "PS_IMAP_PASSWORD_FILE": pwFile,
		"PS_IMAP_FOLDERS": "INBOX, Support/Escalations, \\sent", "PS_IMAP_MARK_SEEN": "true", "PS_IMAP_POLL_INTERVAL": "5m",
		"PS_IMAP_RUN_MAX": "4m", "PS_IMAP_BATCH": "10", "PS_IMAP_BATCH_BYTES": "4096", "PS_IMAP_TIMEOUT": "10s",
		"PS_INBOUND_MAX_BYTES": "2048",
	})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	c := cfg.IMAP
	if c.Server != "mail.example.com:143" || c.Security != mailbox.SecurityStartTLS || c.Password != "from-a-file" ||
		strings.Join(c.Folders, "|") != `INBOX|Support/Escalations|\Sent` || !c.MarkSeen || c.PollInterval != 5*time.Minute ||
		c.RunMax != 4*time.Minute || c.Batch != 10 || c.BatchBytes != 4096 || c.Timeout != 10*time.Second || c.MaxMessageBytes != 2048 {
		t.Errorf("overrides %+v", c)
	}
	cfg, errs = imapErrors(t, map[string]string{"PS_IMAP_URL": "imaps://me@outlook.office365.com", "PS_IMAP_OAUTH2_TOKEN_FILE": tokenFile})
	if len(errs) != 0 || cfg.IMAP.OAuth2TokenFile != tokenFile || cfg.IMAP.Password != "" {
		t.Errorf("oauth2: %+v %v", cfg.IMAP, errs)
	}
	// Plain text to a loopback server is fine in production.
	prod := map[string]string{
		"PS_ENV": "production", "PS_IMAP_URL": "imap://support@127.0.0.1:1143", "PS_IMAP_PASSWORD": "pw",
	}
	if _, errs := imapErrors(t, prod); errs["PS_IMAP_URL"] != "" {
		t.Errorf("loopback plain text refused in production: %s", errs["PS_IMAP_URL"])
	}
}

// TestLoadConfigIMAPBadValues: each bad value is reported under its
// variable, and no error quotes a secret.
func TestLoadConfigIMAPBadValues(t *testing.T) {
	cases := []struct {
		name, variable string
		env            map[string]string
	}{
		{"no credentials", "PS_IMAP_PASSWORD", map[string]string{"PS_IMAP_URL": "imaps://u@h"}},
		{"two credentials", "PS_IMAP_PASSWORD", map[string]string{"PS_IMAP_URL": "imaps://u@h", "PS_IMAP_PASSWORD": "a", "PS_IMAP_OAUTH2_TOKEN_FILE": "/x"}},
		{"password in the URL", "PS_IMAP_URL", map[string]string{"PS_IMAP_URL": "imaps://u:hunter2secret@h", "PS_IMAP_PASSWORD": "a"}},
		{"no user", "PS_IMAP_URL", map[string]string{"PS_IMAP_URL": "imaps://h", "PS_IMAP_PASSWORD": "a"}},
		{"other scheme", "PS_IMAP_URL", map[string]string{"PS_IMAP_URL": "pop3://u@h", "PS_IMAP_PASSWORD": "a"}},
		{"starttls on imaps", "PS_IMAP_URL", map[string]string{"PS_IMAP_URL": "imaps://u@h?starttls=true", "PS_IMAP_PASSWORD": "a"}},
		{"unknown parameter", "PS_IMAP_URL", map[string]string{"PS_IMAP_URL": "imap://u@h?tls=1", "PS_IMAP_PASSWORD": "a"}},
		{"bad port", "PS_IMAP_URL", map[string]string{"PS_IMAP_URL": "imaps://u@h:99999", "PS_IMAP_PASSWORD": "a"}},
		{"plain text in production", "PS_IMAP_URL", map[string]string{"PS_ENV": "production", "PS_IMAP_URL": "imap://u@mail.example.com", "PS_IMAP_PASSWORD": "a"}},
		{"missing password file", "PS_IMAP_PASSWORD_FILE", map[string]string{"PS_IMAP_URL": "imaps://u@h", "PS_IMAP_PASSWORD_FILE": "/nonexistent/pw"}},
		{"missing token file", "PS_IMAP_OAUTH2_TOKEN_FILE", map[string]string{"PS_IMAP_URL": "imaps://u@h", "PS_IMAP_OAUTH2_TOKEN_FILE": "/nonexistent/token"}},
		{"no folders", "PS_IMAP_FOLDERS", map[string]string{"PS_IMAP_URL": "imaps://u@h", "PS_IMAP_PASSWORD": "a", "PS_IMAP_FOLDERS": " , "}},
		{"control character in a folder", "PS_IMAP_FOLDERS", map[string]string{"PS_IMAP_URL": "imaps://u@h", "PS_IMAP_PASSWORD": "a", "PS_IMAP_FOLDERS": "IN\tBOX"}},
		{"mark seen", "PS_IMAP_MARK_SEEN", map[string]string{"PS_IMAP_URL": "imaps://u@h", "PS_IMAP_PASSWORD": "a", "PS_IMAP_MARK_SEEN": "sometimes"}},
		{"poll interval", "PS_IMAP_POLL_INTERVAL", map[string]string{"PS_IMAP_URL": "imaps://u@h", "PS_IMAP_PASSWORD": "a", "PS_IMAP_POLL_INTERVAL": "10ms"}},
		{"run longer than the interval", "PS_IMAP_RUN_MAX", map[string]string{"PS_IMAP_URL": "imaps://u@h", "PS_IMAP_PASSWORD": "a", "PS_IMAP_RUN_MAX": "2m"}},
		{"batch", "PS_IMAP_BATCH", map[string]string{"PS_IMAP_URL": "imaps://u@h", "PS_IMAP_PASSWORD": "a", "PS_IMAP_BATCH": "0"}},
		{"batch bytes", "PS_IMAP_BATCH_BYTES", map[string]string{"PS_IMAP_URL": "imaps://u@h", "PS_IMAP_PASSWORD": "a", "PS_IMAP_BATCH_BYTES": "12"}},
		{"timeout", "PS_IMAP_TIMEOUT", map[string]string{"PS_IMAP_URL": "imaps://u@h", "PS_IMAP_PASSWORD": "a", "PS_IMAP_TIMEOUT": "forever"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := imapErrors(t, c.env)
			for name := range errs {
				if !strings.HasPrefix(name, "PS_IMAP_") {
					delete(errs, name) // production's other needs
				}
			}
			if errs[c.variable] == "" || len(errs) != 1 {
				t.Fatalf("errors %v, want one for %s", errs, c.variable)
			}
			if strings.Contains(errs[c.variable], "hunter2secret") {
				t.Errorf("error quotes the password: %s", errs[c.variable])
			}
		})
	}
}
