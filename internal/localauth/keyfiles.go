package localauth

import (
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// File names inside an authority directory.
const (
	AuthorityKeyFile = "authority.key"
	AuthorityPubFile = "authority.pub"
)

// InitAuthority makes a new Ed25519 authority key pair in dir (created 0700
// if missing): authority.key (PKCS#8 PEM, 0600) and authority.pub (PKIX PEM,
// 0644). It never overwrites an existing key: losing an authority key means
// reissuing every grant. It returns the new key's id.
func InitAuthority(dir string) (wire.ID, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return wire.ID{}, fmt.Errorf("localauth: %w", err)
	}
	return writeKeyPair(filepath.Join(dir, AuthorityKeyFile), filepath.Join(dir, AuthorityPubFile), wire.Ed25519)
}

// LoadAuthority reads dir/authority.key.
func LoadAuthority(dir string) (crypto.Signer, error) {
	return LoadPrivateKey(filepath.Join(dir, AuthorityKeyFile))
}

// NewKey makes a holder (or owner) key pair: out (PKCS#8 PEM, 0600) and
// out.pub (PKIX PEM, 0644). alg is wire.Ed25519 or wire.P256.
func NewKey(out string, alg wire.Alg) (wire.ID, error) {
	return writeKeyPair(out, out+".pub", alg)
}

func writeKeyPair(privPath, pubPath string, alg wire.Alg) (wire.ID, error) {
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return wire.ID{}, fmt.Errorf("%w: %s", ErrExists, p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return wire.ID{}, fmt.Errorf("localauth: %w", err)
		}
	}
	key, err := wire.GenerateKey(alg)
	if err != nil {
		return wire.ID{}, err
	}
	privPEM, err := wire.EncodePrivateKeyPEM(key)
	if err != nil {
		return wire.ID{}, err
	}
	pubPEM, err := wire.EncodePublicKeyPEM(key.Public())
	if err != nil {
		return wire.ID{}, err
	}
	if err := writeNew(privPath, privPEM, 0o600); err != nil {
		return wire.ID{}, err
	}
	if err := writeNew(pubPath, pubPEM, 0o644); err != nil {
		_ = os.Remove(privPath) // no half a key pair
		return wire.ID{}, err
	}
	return wire.KeyIDOf(key.Public())
}

// writeNew creates path exclusively with mode perm (O_EXCL: a file that
// appeared since the check is not overwritten) and syncs it.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrExists, path)
		}
		return fmt.Errorf("localauth: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("localauth: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("localauth: writing %s: %w", path, err)
	}
	return f.Close()
}

// LoadPrivateKey reads a PKCS#8 PEM private key file.
func LoadPrivateKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("localauth: %w", err)
	}
	k, err := wire.ParsePrivateKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadPublicKey reads a PKIX PEM public key file (an authority.pub, a
// holder's key.pub).
func LoadPublicKey(path string) (crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("localauth: %w", err)
	}
	k, err := wire.ParsePublicKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}
