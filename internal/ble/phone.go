package ble

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// CentralLink is a phone's side of a connection to the hub: what the
// simulator (edgeagent ble-phone) and the tests drive.
type CentralLink interface {
	// Write writes one fragment to the request characteristic.
	Write(fragment []byte) error
	// Notifications delivers the response characteristic's notifications,
	// every central's (BlueZ notifies all subscribers): the phone keeps its
	// own by request id. Closed when the link goes down.
	Notifications() <-chan []byte
	// MTU is the negotiated ATT MTU.
	MTU() int
	// WithResponse reports whether each write is an ATT Write Request
	// (the phone waits for the hub's response before the next) rather
	// than a Write Command (sent back to back, no response).
	WithResponse() bool
}

// Phone runs the central side of the protocol: what a phone app does.
type Phone struct {
	link CentralLink
	// Sent counts what the phone wrote and received, for the benchmark's
	// frames-per-unlock figures.
	Sent, Received struct{ Fragments, Bytes int }
	// RoundTrips counts the times the phone waits for the hub over the
	// air: each request's answer, and with response each write too (BlueZ
	// acknowledges a write once it is on the hub's socket, before the hub
	// handles it, so the answer comes after the last write's response).
	RoundTrips int
}

// NewPhone returns a phone on link.
func NewPhone(link CentralLink) *Phone { return &Phone{link: link} }

// RefusedError is a hub's error frame, or a refused decision: Code is the
// LAN API's error code (a localauth reason for a refusal).
type RefusedError struct{ Code, Message string }

func (e *RefusedError) Error() string { return e.Code + ": " + e.Message }

// Request sends one frame and waits for its answer.
func (p *Phone) Request(ctx context.Context, typ uint, device string, body any) (*Frame, error) {
	var idb [4]byte
	rand.Read(idb[:])
	id := binary.BigEndian.Uint32(idb[:])
	b, err := EncodeFrame(typ, id, device, body)
	if err != nil {
		return nil, err
	}
	for _, f := range Split(b, WriteChunk(p.link.MTU())) {
		if err := p.link.Write(f); err != nil {
			return nil, fmt.Errorf("ble: writing a request: %w", err)
		}
		p.Sent.Fragments++
		p.Sent.Bytes += len(f)
		if p.link.WithResponse() {
			p.RoundTrips++
		}
	}
	p.RoundTrips++ // the answer
	re := NewReassembler(MaxFrameLimit)
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("ble: waiting for the hub's answer: %w", ctx.Err())
		case n, ok := <-p.link.Notifications():
			if !ok {
				return nil, fmt.Errorf("ble: the hub dropped the connection: %w", ErrClosed)
			}
			if len(n) < IDSize || binary.BigEndian.Uint32(n) != id {
				continue // another central's answer
			}
			p.Received.Fragments++
			p.Received.Bytes += len(n)
			frames, err := re.Feed(n[IDSize:])
			if err != nil {
				return nil, err
			}
			if len(frames) == 0 {
				continue
			}
			f, err := DecodeFrame(frames[0])
			if err != nil {
				return nil, err
			}
			if f.Type == TypeError {
				var e Error
				if err := DecodeBody(f, &e); err != nil {
					return nil, err
				}
				return nil, &RefusedError{e.Code, e.Message}
			}
			return f, nil
		}
	}
}

// Challenge fetches a challenge for device and action and checks it, as
// localapi.KeyClient does: signed by the hub key the answer names, for what
// was asked. hubKey, when not nil, is the hub key the phone pinned.
func (p *Phone) Challenge(ctx context.Context, device, action string, hubKey ed25519.PublicKey) (*wire.Challenge, error) {
	f, err := p.Request(ctx, TypeChallengeRequest, "", wire.ChallengeRequest{Device: device, Action: action})
	if err != nil {
		return nil, err
	}
	var ans wire.ChallengeAnswer
	if f.Type != TypeChallenge {
		return nil, fmt.Errorf("%w: answer of type %d to a challenge request", ErrBadFrame, f.Type)
	}
	if err := DecodeBody(f, &ans); err != nil {
		return nil, err
	}
	ch, msg, err := wire.ParseChallenge(ans.Challenge)
	if err != nil {
		return nil, fmt.Errorf("the hub's challenge: %w", err)
	}
	if len(ans.HubKey) != ed25519.PublicKeySize || (hubKey != nil && !bytes.Equal(hubKey, ans.HubKey)) {
		return nil, errors.New("the hub's challenge came without its key, or with another key than the one pinned")
	}
	v, err := wire.NewVerifier(ed25519.PublicKey(ans.HubKey))
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

// Send sends an action with a proof already made and returns the decision.
// A refusal is a *RefusedError, and the decision as audited.
func (p *Phone) Send(ctx context.Context, device string, req wire.ActionRequest) (Decision, error) {
	var d Decision
	f, err := p.Request(ctx, TypeAction, device, req)
	if err != nil {
		return d, err
	}
	if f.Type != TypeDecision {
		return d, fmt.Errorf("%w: answer of type %d to an action", ErrBadFrame, f.Type)
	}
	if err := DecodeBody(f, &d); err != nil {
		return d, err
	}
	if d.Error != nil {
		return d, &RefusedError{d.Error.Code, d.Error.Message}
	}
	return d, nil
}

// Act runs action on device with the holder key: challenge, proof, action.
// Each call is one unlock: a phone app calls it only on a person's explicit
// gesture (see docs/security.md, relay attacks).
func (p *Phone) Act(ctx context.Context, chain [][]byte, key crypto.Signer, device, action, value string) (Decision, error) {
	ch, err := p.Challenge(ctx, device, action, nil)
	if err != nil {
		return Decision{}, err
	}
	proof, err := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: device, Action: action})
	if err != nil {
		return Decision{}, err
	}
	return p.Send(ctx, device, wire.ActionRequest{Action: action, Value: value, Chain: chain, Proof: proof})
}

// Status asks what the grant chain allows on this hub.
func (p *Phone) Status(ctx context.Context, chain [][]byte) (GrantStatus, error) {
	var st GrantStatus
	f, err := p.Request(ctx, TypeStatusRequest, "", StatusRequest{Chain: chain})
	if err != nil {
		return st, err
	}
	if f.Type != TypeStatus {
		return st, fmt.Errorf("%w: answer of type %d to a status request", ErrBadFrame, f.Type)
	}
	return st, DecodeBody(f, &st)
}
