package localapi

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
)

// The LAN certificate is made once, on the first start with a LAN address,
// and kept, because its fingerprint is what residents' phones and scripts
// pin. It is never renewed by itself. It lives in the security-state
// directory (record "lancert": package secstate), not in the store, so that
// a store recovered empty after a power cut does not change it. Hubs that
// kept it in the store's lan_cert bucket have it moved on their next start.
const recCert = "lancert" // DER length (4 bytes) ‖ X.509 DER ‖ PKCS#8 DER (ECDSA P-256)

var (
	bucketCert = []byte("lan_cert") // before the record: read once to move it
	keyCertDER = []byte("cert")     // X.509 DER
	keyCertKey = []byte("key")      // PKCS#8 DER, ECDSA P-256
)

// Validity: from 2000 to 9999-12-31, RFC 5280's "no well-defined
// expiration". A hub without a real-time clock may boot in 1970 or jump
// years when NTP answers; a certificate with a real window would be
// "expired" or "not yet valid" on such a day, and its replacement would
// break every pin.
var (
	certNotBefore = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	certNotAfter  = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// Fingerprint is the SHA-256 of a certificate's DER bytes.
type Fingerprint [sha256.Size]byte

// String is the form browsers and openssl show: upper-case hex pairs
// joined by colons.
func (f Fingerprint) String() string {
	h := strings.ToUpper(hex.EncodeToString(f[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// ParseFingerprint reads a SHA-256 fingerprint as hex, with or without
// colons or spaces between the pairs, in either case, with an optional
// "sha256:" prefix: however the user copied it.
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	t := strings.TrimSpace(s)
	if i := strings.IndexByte(t, ':'); i > 0 && strings.EqualFold(strings.ReplaceAll(t[:i], "-", ""), "sha256") {
		t = t[i+1:]
	}
	t = strings.NewReplacer(":", "", " ", "").Replace(t)
	b, err := hex.DecodeString(t)
	if err != nil || len(b) != len(f) {
		return f, fmt.Errorf("fingerprint %q is not a SHA-256 (64 hex digits, colons allowed)", s)
	}
	copy(f[:], b)
	return f, nil
}

// loadCert returns the LAN certificate kept in sec, moving it there from
// st if an older version kept it in the store, and making it first if
// there is none, for dnsNames and ips. A damaged record with no copy in the
// store means a new certificate: logged, because phones must pin it anew.
func loadCert(sec *secstate.Dir, st buckets, dnsNames []string, ips []net.IP, log *slog.Logger) (tls.Certificate, Fingerprint, error) {
	rec, err := sec.Load(recCert)
	var der, keyDER []byte
	if err == nil {
		if der, keyDER, err = splitCertRecord(rec); err != nil {
			err = fmt.Errorf("%w: %v", secstate.ErrDamaged, err)
		}
	}
	if err != nil && !errors.Is(err, secstate.ErrNotFound) && !errors.Is(err, secstate.ErrDamaged) {
		return tls.Certificate{}, Fingerprint{}, fmt.Errorf("localapi: LAN certificate: %w", err)
	}
	damaged := errors.Is(err, secstate.ErrDamaged)
	var old []byte // the store's copy, to move
	if err := st.View(func(tx *store.Tx) error {
		if b := tx.Bucket(bucketCert); b != nil && b.Get(keyCertDER) != nil && b.Get(keyCertKey) != nil {
			old = certRecord(b.Get(keyCertDER), b.Get(keyCertKey))
		}
		return nil
	}); err != nil {
		return tls.Certificate{}, Fingerprint{}, fmt.Errorf("localapi: LAN certificate: %w", err)
	}
	if der == nil {
		switch {
		case old != nil:
			der, keyDER, _ = splitCertRecord(old)
		case damaged:
			log.Error("localapi: the LAN certificate record is unreadable and the store holds no copy: making a new one; phones and scripts must pin its fingerprint", "err", err, "dir", sec.Path())
			fallthrough
		default:
			if der, keyDER, err = makeCert(dnsNames, ips); err != nil {
				return tls.Certificate{}, Fingerprint{}, fmt.Errorf("localapi: making the LAN certificate: %w", err)
			}
		}
		if err := sec.Save(recCert, certRecord(der, keyDER)); err != nil {
			return tls.Certificate{}, Fingerprint{}, fmt.Errorf("localapi: saving the LAN certificate: %w", err)
		}
	}
	if old != nil {
		// One source of truth: the record.
		if err := st.Update(func(tx *store.Tx) error { return tx.DeleteBucket(bucketCert) }); err != nil {
			return tls.Certificate{}, Fingerprint{}, fmt.Errorf("localapi: removing the store's copy of the LAN certificate: %w", err)
		}
	}
	cert, err := parseCert(der, keyDER)
	if err != nil {
		return tls.Certificate{}, Fingerprint{}, fmt.Errorf("localapi: the LAN certificate in %s is unusable (delete %s.0 and %s.1 there to make a new one; phones must then pin the new fingerprint): %w", sec.Path(), recCert, recCert, err)
	}
	return cert, sha256.Sum256(der), nil
}

func certRecord(der, keyDER []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(der)))
	b = append(b, der...)
	return append(b, keyDER...)
}

func splitCertRecord(b []byte) (der, keyDER []byte, err error) {
	if len(b) < 4 || uint64(binary.BigEndian.Uint32(b)) > uint64(len(b)-4) {
		return nil, nil, fmt.Errorf("LAN certificate record of %d bytes: bad length", len(b))
	}
	n := 4 + int(binary.BigEndian.Uint32(b))
	return bytes.Clone(b[4:n]), bytes.Clone(b[n:]), nil
}

func makeCert(dnsNames []string, ips []net.IP) (der, keyDER []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	cn := "edgeagent"
	if len(dnsNames) > 0 {
		cn += " " + dnsNames[0]
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"edgeagent hub"}},
		NotBefore:             certNotBefore,
		NotAfter:              certNotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err = x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return der, keyDER, nil
}

func parseCert(der, keyDER []byte) (tls.Certificate, error) {
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return tls.Certificate{}, err
	}
	pk, ok := key.(*ecdsa.PrivateKey)
	if !ok || !pk.PublicKey.Equal(leaf.PublicKey) {
		return tls.Certificate{}, errors.New("the key does not match the certificate")
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: pk, Leaf: leaf}, nil
}

// certNames are the names and addresses the certificate is made for: the
// machine's hostname (and hostname.local, for mDNS), localhost, extra
// names from the config, and the listen address's IP, or every interface
// address when it listens on all of them, plus loopback.
func certNames(listen string, extra []string) ([]string, []net.IP) {
	var names []string
	if h, err := os.Hostname(); err == nil && h != "" {
		names = append(names, h)
		if !strings.Contains(h, ".") {
			names = append(names, h+".local")
		}
	}
	names = append(names, extra...)
	names = append(names, "localhost")
	slices.Sort(names)
	names = slices.Compact(names)

	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	host, _, _ := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		ips = append(ips, ip)
	} else if host == "" || (ip != nil && ip.IsUnspecified()) {
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				ips = append(ips, n.IP)
			}
		}
	} else {
		names = append(names, host) // a name to listen on
	}
	return names, ips
}
