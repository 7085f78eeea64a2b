package localapi

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// KeyClient does what a phone app does with its key over the LAN API:
// fetch a challenge, sign the proof with the holder key, send the action.
// The hub's certificate is self-signed, so it is pinned by its SHA-256
// fingerprint (shown by `edgeagent status`) instead of checked against a CA.
type KeyClient struct {
	Base string // https://HOST:PORT
	http *http.Client
}

// NewKeyClient returns a client of the hub at base whose certificate has
// fingerprint fp. Connections are kept alive between requests.
func NewKeyClient(base string, fp Fingerprint) (*KeyClient, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("agent address %q: want https://HOST:PORT", base)
	}
	tlsConf := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain and name checks are replaced by the pin below, which
		// is stricter: this one certificate and no other.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the hub sent no certificate")
			}
			got := Fingerprint(sha256.Sum256(cs.PeerCertificates[0].Raw))
			if subtle.ConstantTimeCompare(got[:], fp[:]) != 1 {
				return fmt.Errorf("certificate fingerprint %s is not the pinned %s: not the hub you pinned", got, fp)
			}
			return nil
		},
	}
	tr := &http.Transport{TLSClientConfig: tlsConf, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
	return &KeyClient{Base: strings.TrimSuffix(base, "/"), http: &http.Client{Transport: tr, Timeout: 15 * time.Second}}, nil
}

// Challenge fetches a challenge for device and action and checks it: signed
// by the hub key the answer names, for what was asked.
func (c *KeyClient) Challenge(device, action string) (*wire.Challenge, error) {
	var ans ChallengeAnswer
	if err := c.do(http.MethodPost, "/api/v1/challenge", ChallengeRequest{Device: device, Action: action}, &ans); err != nil {
		return nil, err
	}
	return checkChallenge(&ans, device, action)
}

// checkChallenge is what the phone checks of a challenge answer: signed by
// the hub key it names, for the device and action it asked for.
func checkChallenge(ans *ChallengeAnswer, device, action string) (*wire.Challenge, error) {
	ch, msg, err := wire.ParseChallenge(ans.Challenge)
	if err != nil {
		return nil, fmt.Errorf("the hub's challenge: %w", err)
	}
	if len(ans.HubKey) != ed25519.PublicKeySize {
		return nil, errors.New("the hub's challenge came without its key")
	}
	hubKey := ed25519.PublicKey(ans.HubKey)
	v, err := wire.NewVerifier(hubKey)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(v.KeyID[:], ch.Hub) || msg.Verify(v) != nil {
		return nil, errors.New("the hub's challenge is not signed by the hub key it names")
	}
	if ch.Device != device || ch.Action != action {
		return nil, fmt.Errorf("the hub's challenge is for %s %s, not %s %s", ch.Device, ch.Action, device, action)
	}
	return ch, nil
}

// Act runs action on device with the holder key: challenge, proof, action.
// chain is the holder's grant, then for a delegation the owner's. A
// refusal is an *APIError whose Code is the reason; the result still holds
// the decision as the hub audited it.
func (c *KeyClient) Act(chain [][]byte, key crypto.Signer, device, action, value string) (LANActionResult, error) {
	var res LANActionResult
	ch, err := c.Challenge(device, action)
	if err != nil {
		return res, err
	}
	proof, err := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: device, Action: action})
	if err != nil {
		return res, err
	}
	req := LANActionRequest{Action: action, Value: value, Chain: chain, Proof: proof}
	err = c.do(http.MethodPost, "/api/v1/devices/"+url.PathEscape(device)+"/action", req, &res)
	return res, err
}

// do sends a JSON request. Errors answered by the hub are *APIError; a
// refused action's decision is decoded into out as well.
func (c *KeyClient) do(method, path string, body, out any) error {
	j, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, c.Base+path, bytes.NewReader(j))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("hub %s: %w", c.Base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("hub %s: %w", c.Base, err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb errorBody
		if json.Unmarshal(b, &eb) != nil || eb.Error.Code == "" {
			return &APIError{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: resp.Status}
		}
		if r, ok := out.(*LANActionResult); ok {
			var rf refusal
			if json.Unmarshal(b, &rf) == nil {
				r.Decision = rf.Decision
			}
		}
		return &APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	return json.Unmarshal(b, out)
}

// Ping asks GET /healthz within ctx: nil when the hub's LAN API accepts,
// completes the pinned TLS handshake and answers.
func (c *KeyClient) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.Base+"/healthz", nil)
	if err != nil {
		return err
	}
	// A new connection each time: a kept-alive one would answer although
	// the server no longer accepts.
	req.Close = true
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("lan api %s: %w", c.Base, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("lan api %s: healthz answered %s", c.Base, resp.Status)
	}
	return nil
}
