package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prioritysupport/backend/inbound"
)

// TestLoadConfigProvidersDefaults: every provider webhook is off by default
// and Mailgun's signature window is 5 minutes.
func TestLoadConfigProvidersDefaults(t *testing.T) {
	cfg, errs := LoadConfig(envOf(nil))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	p := cfg.Providers
	if p.MailgunSigningKey != nil || p.SESTopicARNs != nil || p.PostmarkUser != "" || p.PostmarkPassword != "" {
		t.Fatalf("providers on by default: %+v", p)
	}
	if p.MailgunMaxAge != inbound.DefaultMailgunMaxAge || inbound.DefaultMailgunMaxAge != 5*time.Minute {
		t.Fatalf("Mailgun window %v, want 5m", p.MailgunMaxAge)
	}
	if p.SESCertCacheSize != 16 || p.SESFetchTimeout != 10*time.Second {
		t.Fatalf("SNS certificate cache %d, fetch timeout %v; want 16, 10s", p.SESCertCacheSize, p.SESFetchTimeout)
	}
}

// TestLoadConfigProviders reads every provider setting.
func TestLoadConfigProviders(t *testing.T) {
	cfg, errs := LoadConfig(envOf(map[string]string{
		"PS_MAILGUN_SIGNING_KEY":       "key-0123456789abcdef",
		"PS_MAILGUN_MAX_AGE":           "2m",
		"PS_SES_TOPIC_ARNS":            "arn:aws:sns:us-east-1:123456789012:inbound, arn:aws-cn:sns:cn-north-1:123456789012:inbound-cn",
		"PS_POSTMARK_INBOUND_USER":     "postmark",
		"PS_POSTMARK_INBOUND_PASSWORD": "a-long-enough-password",
		"PS_SES_CERT_CACHE_SIZE":       "4",
		"PS_SES_FETCH_TIMEOUT":         "3s",
	}))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	p := cfg.Providers
	if p.SESCertCacheSize != 4 || p.SESFetchTimeout != 3*time.Second {
		t.Fatalf("SNS certificate cache %d, fetch timeout %v; want 4, 3s", p.SESCertCacheSize, p.SESFetchTimeout)
	}
	if string(p.MailgunSigningKey) != "key-0123456789abcdef" || p.MailgunMaxAge != 2*time.Minute ||
		!slices.Equal(p.SESTopicARNs, []string{"arn:aws:sns:us-east-1:123456789012:inbound", "arn:aws-cn:sns:cn-north-1:123456789012:inbound-cn"}) ||
		p.PostmarkUser != "postmark" || p.PostmarkPassword != "a-long-enough-password" {
		t.Fatalf("providers %+v", p)
	}
}

// TestLoadConfigProvidersBadValues: each bad value is reported once under
// its variable, and no secret is quoted.
func TestLoadConfigProvidersBadValues(t *testing.T) {
	cases := []struct {
		name, variable string
		env            map[string]string
	}{
		{"mailgun key with a space", "PS_MAILGUN_SIGNING_KEY", map[string]string{"PS_MAILGUN_SIGNING_KEY": "key with-a-space-0123456789"}},
		{"short mailgun key in production", "PS_MAILGUN_SIGNING_KEY", map[string]string{"PS_ENV": "production", "PS_MAILGUN_SIGNING_KEY": "key-short"}},
		{"mailgun window not a duration", "PS_MAILGUN_MAX_AGE", map[string]string{"PS_MAILGUN_MAX_AGE": "five minutes"}},
		{"mailgun window too short", "PS_MAILGUN_MAX_AGE", map[string]string{"PS_MAILGUN_MAX_AGE": "10s"}},
		{"mailgun window too long", "PS_MAILGUN_MAX_AGE", map[string]string{"PS_MAILGUN_MAX_AGE": "2h"}},
		{"not a topic ARN", "PS_SES_TOPIC_ARNS", map[string]string{"PS_SES_TOPIC_ARNS": "arn:aws:sns:us-east-1:123456789012:ok, arn:aws:sqs:us-east-1:123456789012:queue"}},
		{"certificate cache of 0", "PS_SES_CERT_CACHE_SIZE", map[string]string{"PS_SES_CERT_CACHE_SIZE": "0"}},
		{"certificate cache too large", "PS_SES_CERT_CACHE_SIZE", map[string]string{"PS_SES_CERT_CACHE_SIZE": "5000"}},
		{"fetch timeout too short", "PS_SES_FETCH_TIMEOUT", map[string]string{"PS_SES_FETCH_TIMEOUT": "100ms"}},
		{"fetch timeout not a duration", "PS_SES_FETCH_TIMEOUT", map[string]string{"PS_SES_FETCH_TIMEOUT": "ten"}},
		{"postmark user alone", "PS_POSTMARK_INBOUND_USER", map[string]string{"PS_POSTMARK_INBOUND_USER": "postmark"}},
		{"postmark password alone", "PS_POSTMARK_INBOUND_USER", map[string]string{"PS_POSTMARK_INBOUND_PASSWORD": "a-long-enough-password"}},
		{"postmark user with a colon", "PS_POSTMARK_INBOUND_USER", map[string]string{"PS_POSTMARK_INBOUND_USER": "post:mark", "PS_POSTMARK_INBOUND_PASSWORD": "a-long-enough-password"}},
		{"short postmark password in production", "PS_POSTMARK_INBOUND_PASSWORD", map[string]string{"PS_ENV": "production", "PS_POSTMARK_INBOUND_USER": "postmark", "PS_POSTMARK_INBOUND_PASSWORD": "short-pw"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, errs := LoadConfig(envOf(c.env))
			n := 0
			for _, err := range errs {
				if strings.HasPrefix(err.Error(), c.variable+":") {
					n++
				}
				for k, v := range c.env {
					if strings.Contains(k, "KEY") || strings.Contains(k, "PASSWORD") {
						if strings.Contains(err.Error(), v) {
							t.Errorf("%s quoted in %q", k, err)
						}
					}
				}
			}
			if n != 1 {
				t.Fatalf("%s reported %d times, want once: %v", c.variable, n, errs)
			}
			// A refused setting does not turn its endpoint on.
			if c.variable == "PS_POSTMARK_INBOUND_USER" || c.variable == "PS_POSTMARK_INBOUND_PASSWORD" {
				if cfg.Providers.PostmarkUser != "" {
					t.Fatalf("postmark on: %+v", cfg.Providers)
				}
			}
		})
	}
}
