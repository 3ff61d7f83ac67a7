package auth

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestLoadOrCreateDevSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "dev")

	first, path, created, err := LoadOrCreateDevSecret(dir)
	if err != nil {
		t.Fatalf("first call: %v", err)
	}
	if !created {
		t.Error("first call: created = false, want true")
	}
	if want := filepath.Join(dir, DevSecretFile); path != want {
		t.Errorf("path = %q, want %q", path, want)
	}
	if len(first) != 32 {
		t.Errorf("secret is %d bytes, want 32", len(first))
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("stat secret: %v", err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("file mode = %o, want 600", got)
		}
		di, err := os.Stat(dir)
		if err != nil {
			t.Fatalf("stat dir: %v", err)
		}
		if got := di.Mode().Perm(); got&0o077 != 0 {
			t.Errorf("dir mode = %o, want no group or other access", got)
		}
	}

	second, path2, created2, err := LoadOrCreateDevSecret(dir)
	if err != nil {
		t.Fatalf("second call: %v", err)
	}
	if created2 {
		t.Error("second call: created = true, want false")
	}
	if path2 != path {
		t.Errorf("second path = %q, want %q", path2, path)
	}
	if !bytes.Equal(first, second) {
		t.Error("second call returned a different secret")
	}

	if _, err := NewVerifier(Config{HS256Secret: second}); err != nil {
		t.Errorf("the dev secret is not a usable HS256 secret: %v", err)
	}
}

func TestLoadOrCreateDevSecretRefusesBadFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
	}{
		{name: "not hex", content: "zz-this-is-not-hex-but-a-password-zz\n"},
		{name: "too short", content: "00112233445566778899aabbccddeeff\n"},
		{name: "empty", content: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, DevSecretFile), []byte(tt.content), 0o600); err != nil {
				t.Fatalf("write: %v", err)
			}
			_, _, created, err := LoadOrCreateDevSecret(dir)
			if err == nil {
				t.Fatal("LoadOrCreateDevSecret accepted a bad file")
			}
			if created {
				t.Error("created = true for an existing file")
			}
			if c := strings.TrimSpace(tt.content); c != "" && strings.Contains(err.Error(), c) {
				t.Errorf("error %q contains the file's contents", err)
			}
			if strings.Contains(err.Error(), "'z'") {
				t.Errorf("error %q quotes bytes of the file", err)
			}
		})
	}
}
