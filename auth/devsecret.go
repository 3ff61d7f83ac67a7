package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DevSecretFile is the name of the file, inside the directory given to
// LoadOrCreateDevSecret, that holds the development HS256 secret.
const DevSecretFile = "jwt-dev-secret"

// devSecretBytes is the size of a freshly made development secret.
const devSecretBytes = 32

// LoadOrCreateDevSecret returns the development HS256 secret kept in
// dir/jwt-dev-secret, hex-encoded, and the file's path. When the file does
// not exist it makes 32 random bytes with crypto/rand and writes them with
// mode 0600, creating dir with mode 0700 if missing; created reports
// whether that happened now. It returns a plain error when dir is empty,
// when the directory or file cannot be made or read, or when the file does
// not hold at least 32 hex-encoded bytes. It never logs the secret, and no
// error message contains it or the file's contents.
func LoadOrCreateDevSecret(dir string) (secret []byte, path string, created bool, err error) {
	if dir == "" {
		return nil, "", false, errors.New("dev secret: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", false, fmt.Errorf("dev secret: create directory: %w", err)
	}
	path = filepath.Join(dir, DevSecretFile)

	secret, err = readDevSecret(path)
	if err == nil {
		return secret, path, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, path, false, err
	}

	secret, err = createDevSecret(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process made the file between the read and the create.
		secret, err = readDevSecret(path)
		if err != nil {
			return nil, path, false, err
		}
		return secret, path, false, nil
	}
	if err != nil {
		return nil, path, false, err
	}
	return secret, path, true, nil
}

// readDevSecret reads and decodes the secret file at path. Decoding errors
// are not passed on because they quote the offending byte.
func readDevSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dev secret: read: %w", err)
	}
	secret, err := hex.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil {
		return nil, fmt.Errorf("dev secret: %s is not hex-encoded", path)
	}
	if len(secret) < MinHS256SecretBytes {
		return nil, fmt.Errorf("dev secret: %s holds %d bytes, need at least %d", path, len(secret), MinHS256SecretBytes)
	}
	return secret, nil
}

// createDevSecret makes a new secret and writes it to path, which must not
// exist yet; an existing file yields an error matching fs.ErrExist.
func createDevSecret(path string) ([]byte, error) {
	secret := make([]byte, devSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("dev secret: generate: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("dev secret: create: %w", err)
	}
	data := []byte(hex.EncodeToString(secret) + "\n")
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("dev secret: write: %w", err)
	}
	return secret, nil
}
