package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prioritysupport/backend/graph"
	"github.com/prioritysupport/backend/internal/testdb"
)

func TestLoadConfigAPQCache(t *testing.T) {
	cfg, errs := LoadConfig(envOf(nil))
	if len(errs) > 0 || cfg.Persisted.CacheEntries != graph.DefaultAPQCacheEntries ||
		cfg.Persisted.CacheBytes != graph.DefaultAPQCacheBytes || cfg.Persisted.Trusted != nil {
		t.Fatalf("defaults: %+v, %v", cfg.Persisted, errs)
	}
	cfg, errs = LoadConfig(envOf(map[string]string{"PS_APQ_CACHE_ENTRIES": "50", "PS_APQ_CACHE_BYTES": "65536"}))
	if len(errs) > 0 || cfg.Persisted.CacheEntries != 50 || cfg.Persisted.CacheBytes != 65536 {
		t.Fatalf("overrides: %+v, %v", cfg.Persisted, errs)
	}
	for name, v := range map[string]string{"PS_APQ_CACHE_ENTRIES": "0", "PS_APQ_CACHE_BYTES": "1023"} {
		_, errs := LoadConfig(envOf(map[string]string{name: v}))
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), name+":") {
			t.Errorf("%s=%s: %v", name, v, errs)
		}
	}
	if _, errs := LoadConfig(envOf(map[string]string{"PS_APQ_CACHE_ENTRIES": "many"})); len(errs) != 1 {
		t.Errorf("PS_APQ_CACHE_ENTRIES=many: %v", errs)
	}
}

func TestLoadConfigTrustedDocuments(t *testing.T) {
	t.Run("the dashboard's manifest", func(t *testing.T) {
		cfg, errs := LoadConfig(envOf(map[string]string{"PS_TRUSTED_DOCUMENTS": dashboardManifest}))
		if len(errs) > 0 || cfg.Persisted.Trusted == nil || cfg.Persisted.Trusted.Len() < 5 {
			t.Fatalf("%+v, %v", cfg.Persisted, errs)
		}
	})
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := map[string]string{
		"missing":        filepath.Join(dir, "nothing-here.json"),
		"not JSON":       write("broken.json", `{"a": `),
		"unknown field":  write("stale.json", `{"a": "{ viewer { nickname } }"}`),
		"wrong hash":     write("hash.json", `{"`+strings.Repeat("ab", 32)+`": "{ viewer { subject } }"}`),
		"no documents":   write("empty.json", `{}`),
		"not an object":  write("list.json", `["{ viewer { subject } }"]`),
		"does not parse": write("parse.json", `{"a": "query {"}`),
	}
	for name, path := range bad {
		t.Run(name, func(t *testing.T) {
			_, errs := LoadConfig(envOf(map[string]string{"PS_TRUSTED_DOCUMENTS": path}))
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "PS_TRUSTED_DOCUMENTS:") {
				t.Fatalf("errs = %v", errs)
			}
		})
	}
	t.Run("a bad manifest stops the start", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		env := envOf(map[string]string{"PS_DATA_DIR": t.TempDir(), "DATABASE_URL": testdb.SQLite(t), "PS_TRUSTED_DOCUMENTS": bad["unknown field"]})
		if code := run([]string{"migrate"}, env, &stdout, &stderr); code != 2 {
			t.Fatalf("exit %d, want 2: %s", code, stderr.String())
		}
		if !strings.Contains(stderr.String(), "PS_TRUSTED_DOCUMENTS") || !strings.Contains(stderr.String(), "does not validate") {
			t.Fatalf("stderr does not say why: %s", stderr.String())
		}
	})
}
