package cloud

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/hlc"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/chunk"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// Audit event types this package appends to the event log (class audit).
// They are a contract with the cloud: never rename one.
const (
	EventCommandAccepted = "command_accepted" // verified, not expired, id new: remembered, about to run
	EventCommandExecuted = "command_executed" // data ok, error or state
	EventCommandRefused  = "command_refused"
	EventSettingsApplied = "settings_applied"
	EventSettingsStale   = "settings_stale" // a version at or below the one held: nothing applied
	EventSettingsRefused = "settings_refused"
	EventOverridden      = "setting_overridden"        // a local change departs from the cloud's value
	EventOverrideCleared = "setting_override_cleared"  // a local change back to the cloud's value
	EventOverrideResolve = "setting_override_resolved" // a newer cloud version replaced a local change
	EventCredRefused     = "credential_refused"        // refused before the mailbox (localauth audits the rest)
)

// Refusal reasons, in data.reason.
const (
	ReasonTooLarge         = "too_large"
	ReasonMalformed        = "malformed"
	ReasonWrongType        = "wrong_type"
	ReasonUnknownAuthority = "unknown_authority"
	ReasonBadSignature     = "bad_signature"
	ReasonWrongSite        = "wrong_site"
	ReasonExpired          = "expired"
	ReasonReplayed         = "replayed"
	ReasonIDsFull          = "replay_memory_full"
	ReasonBadPart          = "bad_part"
	ReasonUnknownTopic     = "unknown_topic"
	ReasonNotRemote        = "not_remote" // an action only a phone at the device may take
)

// inboundLoop handles what the broker sends, one message at a time, off
// paho's goroutine; and every StateInterval looks for local changes to
// settings the cloud had set.
func (s *Service) inboundLoop(ctx context.Context) {
	tick := make(chan struct{}, 1)
	var t interface{ Stop() bool }
	arm := func() {
		t = s.clk.AfterFunc(s.opts.StateInterval, func() {
			select {
			case tick <- struct{}{}:
			default:
			}
		})
	}
	arm()
	defer func() { t.Stop() }()
	for {
		select {
		case m := <-s.link.Inbound():
			// Acknowledged once handled (applied or refused for good),
			// never before: a message the store could not take goes back
			// to the broker, which sends it again on the next connection.
			if err := s.handle(m); err != nil {
				m.Retry(err)
			} else {
				m.Ack()
			}
		case <-tick:
			s.detectOverrides()
			arm()
		case <-ctx.Done():
			return
		}
	}
}

// handle routes one message by topic. A message it cannot use is dropped
// with an audit event; nothing here may panic or wait on the network. An
// error means the message was not handled because the store failed: it
// must not be acknowledged.
func (s *Service) handle(m mqttlink.Message) error {
	switch {
	case m.Topic == s.topics.Cmd:
		return s.handleCommand(m)
	case m.Topic == s.topics.Cfg:
		s.handleSettings(m) // applied to the devices even when its record fails (see saveSettings)
	case m.Topic == s.topics.Cred || strings.HasPrefix(m.Topic, s.topics.Cred+"/"):
		return s.handleCred(m)
	default:
		s.refuse(EventCredRefused, ReasonUnknownTopic, m.Topic, m.Size, nil)
	}
	return nil
}

// verify checks a parsed message's signer against the pinned authorities.
func (s *Service) verify(sg *wire.Signed) (string, error) {
	v := s.verifiers[sg.KeyID]
	if v == nil {
		return ReasonUnknownAuthority, fmt.Errorf("signed by %s, which is not pinned", sg.KeyID)
	}
	if err := sg.Verify(v); err != nil {
		return ReasonBadSignature, err
	}
	return "", nil
}

// parseReason maps a wire parse error to a refusal reason.
func parseReason(err error) string {
	switch {
	case errors.Is(err, wire.ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, wire.ErrWrongType):
		return ReasonWrongType
	}
	return ReasonMalformed
}

// now is the time a command's expiry is judged against: the later of the
// trusted-time floor and the wall clock. The floor is a lower bound on the
// true time that a clock set back cannot lower, so a stale command is
// refused even then; the wall clock, when NTP has set it, is usually ahead
// of a floor that has not been anchored for a while. Refusing by either is
// the safe side: a command refused wrongly can be sent again, one obeyed
// wrongly cannot be taken back (DESIGN.md principles 4 and 6).
func (s *Service) now() time.Time {
	wall := s.clk.Now()
	if floor := s.keeper.TimeStatus().Floor; floor.After(wall) {
		return floor
	}
	return wall
}

func (s *Service) handleCommand(m mqttlink.Message) error {
	if m.Payload == nil && m.Size > 0 {
		s.refuse(EventCommandRefused, ReasonTooLarge, fmt.Sprintf("%d bytes", m.Size), m.Size, nil)
		return nil
	}
	c, sg, err := wire.ParseCommand(m.Payload)
	if err != nil {
		s.refuse(EventCommandRefused, parseReason(err), err.Error(), m.Size, nil)
		return nil
	}
	info := map[string]any{"id": hex.EncodeToString(c.ID), "device": c.Device, "action": c.Action,
		"issued_at": c.IssuedAt, "expires_at": c.ExpiresAt, "signer": sg.KeyID.String()}
	if c.Value != "" {
		info["value"] = c.Value
	}
	if reason, err := s.verify(sg); err != nil {
		s.refuse(EventCommandRefused, reason, err.Error(), m.Size, info)
		return nil
	}
	if c.Site != s.site {
		s.refuse(EventCommandRefused, ReasonWrongSite, fmt.Sprintf("for site %q", c.Site), m.Size, info)
		return nil
	}
	s.hlc.Update(hlc.FromTime(time.Unix(c.IssuedAt, 0)))
	now := s.now()
	if c.ExpiresAt <= now.Unix() {
		s.refuse(EventCommandRefused, ReasonExpired, fmt.Sprintf("expired %s ago", now.Sub(time.Unix(c.ExpiresAt, 0)).Round(time.Second)), m.Size, info)
		return nil
	}
	if notRemote(s.dev, c.Device, c.Action) {
		s.refuse(EventCommandRefused, ReasonNotRemote, "drive authorisation needs a phone at the car (a fresh holder proof and a door it unlocked)", m.Size, info)
		return nil
	}
	if err := s.remember(c, info); err != nil {
		reason := ReasonReplayed
		if errors.Is(err, errIDsFull) {
			reason = ReasonIDsFull
		} else if !errors.Is(err, errReplayed) {
			// The store failed: not executed, and said so in the log only
			// (the audit event could not be written either).
			s.log.Error("cloud: cannot record a command; not executing it", "id", info["id"], "err", err)
			return fmt.Errorf("recording command %s: %w", info["id"], err)
		}
		s.refuse(EventCommandRefused, reason, "", m.Size, info)
		return nil
	}
	// Remembered durably first, executed second: a crash in between loses
	// the command rather than running it twice (at most once).
	st, err := s.dev.Do(c.Device, c.Action, c.Value)
	out := map[string]any{"id": info["id"], "device": c.Device, "action": c.Action, "ok": err == nil}
	if err != nil {
		out["error"] = err.Error()
	} else {
		out["state"] = st.State
	}
	s.audit(store.Event{Class: store.ClassAudit, Device: c.Device, Type: EventCommandExecuted, Data: out})
	s.log.Info("cloud: command", "id", info["id"], "device", c.Device, "action", c.Action, "ok", err == nil, "err", err)
	return nil
}

// notRemote reports the commands the cloud may not give, however well
// signed: authorising a car to start needs the holder at the car (the
// vehicle policy in localauth). Rearming (withdrawing) stays remote: it
// only ever moves towards safe, and never while the ignition is on.
func notRemote(dev Devices, device, action string) bool {
	if action != "authorise" {
		return false
	}
	for _, d := range dev.List() {
		if d.ID == device {
			return d.Kind == devices.KindDrive
		}
	}
	return false
}

// remember records a command's id (with its expiry, for pruning) and the
// "accepted" audit event in one transaction, refusing an id already held.
// Ids are kept until the trusted-time floor passes their expiry: after that
// the command would be refused as expired anyway, whatever the wall clock
// says.
func (s *Service) remember(c *wire.Command, info map[string]any) error {
	floor := s.keeper.TimeStatus().Floor.Unix()
	var pruned int
	err := s.st.Update(func(tx *store.Tx) error {
		pruned = 0
		b := tx.Bucket(commandsBucket)
		if b.Get(c.ID) != nil {
			return errReplayed
		}
		s.mu.Lock()
		n := s.cmdIDs
		s.mu.Unlock()
		if n >= s.opts.MaxCommandIDs {
			var old [][]byte
			if err := b.ForEach(func(k, v []byte) error {
				if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) <= floor {
					old = append(old, append([]byte(nil), k...))
				}
				return nil
			}); err != nil {
				return err
			}
			for _, k := range old {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			pruned = len(old)
			if n-pruned >= s.opts.MaxCommandIDs {
				return errIDsFull
			}
		}
		if err := b.Put(c.ID, binary.BigEndian.AppendUint64(nil, uint64(c.ExpiresAt))); err != nil {
			return err
		}
		return s.st.AppendEvent(tx, &store.Event{Class: store.ClassAudit, Device: c.Device, Type: EventCommandAccepted, Data: info})
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cmdIDs += 1 - pruned
	s.mu.Unlock()
	return nil
}

// handleCred takes grants and revocation snapshots, whole or in parts, to
// localauth's mailbox. Only documents signed by a pinned authority reach
// it: a flood of forgeries costs a rate-limited audit event here, not an
// unlimited one there.
func (s *Service) handleCred(m mqttlink.Message) error {
	if m.Payload == nil && m.Size > 0 {
		s.refuse(EventCredRefused, ReasonTooLarge, fmt.Sprintf("%d bytes on %s", m.Size, m.Topic), m.Size, nil)
		return nil
	}
	if len(m.Payload) == 0 {
		return nil // a retained message being cleared
	}
	b := m.Payload
	if chunk.IsPart(b) {
		doc, err := s.asm.Add(b)
		if err != nil {
			s.refuse(EventCredRefused, ReasonBadPart, err.Error(), m.Size, map[string]any{"topic": m.Topic})
			return nil
		}
		if doc == nil {
			return nil // more parts to come
		}
		b = doc
	}
	typ, err := wire.PeekType(b, wire.MaxRevocationSize)
	if err != nil {
		s.refuse(EventCredRefused, parseReason(err), err.Error(), len(b), map[string]any{"topic": m.Topic})
		return nil
	}
	var sg *wire.Signed
	switch typ {
	case wire.TypeGrant:
		_, sg, err = wire.ParseGrant(b)
	case wire.TypeRevocation:
		_, sg, err = wire.ParseRevocation(b)
	default:
		err = fmt.Errorf("%w: %q is not a grant or revocation snapshot", wire.ErrWrongType, typ)
	}
	if err != nil {
		s.refuse(EventCredRefused, parseReason(err), err.Error(), len(b), map[string]any{"topic": m.Topic})
		return nil
	}
	if reason, err := s.verify(sg); err != nil {
		s.refuse(EventCredRefused, reason, err.Error(), len(b), map[string]any{"topic": m.Topic})
		return nil
	}
	res, err := s.keeper.Import(b)
	s.log.Info("cloud: credential", "kind", res.Kind, "reason", res.Reason, "accepted", res.Accepted, "serial", res.Serial, "err", err)
	if err != nil && !errors.Is(err, localauth.ErrRefused) && !errors.Is(err, localauth.ErrFull) {
		// Not decided (the store failed, the keeper is closing): the
		// broker keeps it for the next connection.
		return fmt.Errorf("importing %v: %w", typ, err)
	}
	return nil
}

// refuse drops a message with an audit event. The events are rate-limited
// (1/s, bursts of 20): whoever can publish to the broker must not be able
// to fill the SD card and the outbox through us. What is suppressed is
// counted in the next event that gets through.
func (s *Service) refuse(typ, reason, detail string, size int, info map[string]any) {
	s.mu.Lock()
	ok, _ := s.refusals.take(s.clk.Now())
	var suppressed uint64
	if ok {
		suppressed, s.suppressed = s.suppressed, 0
	} else {
		s.suppressed++
	}
	s.mu.Unlock()
	if !ok {
		return
	}
	data := map[string]any{"reason": reason, "size": int64(size)}
	for k, v := range info {
		data[k] = v
	}
	if len(detail) > 200 {
		detail = detail[:200]
	}
	if detail != "" {
		data["detail"] = detail
	}
	if suppressed > 0 {
		data["suppressed"] = suppressed
	}
	dev, _ := data["device"].(string)
	s.audit(store.Event{Class: store.ClassAudit, Device: dev, Type: typ, Data: data})
	s.log.Warn("cloud: refused an inbound message", "type", typ, "reason", reason, "detail", detail, "suppressed_before", suppressed)
}

// tooLarge records a connection the link dropped because the broker began
// a message over the limit (the link calls it, rate-limited per topic): a
// refusal of the topic's kind, reason too_large, with the count since
// start. The message itself was never read.
func (s *Service) tooLarge(tl mqttlink.TooLarge) {
	typ := EventCredRefused // as handle files a message on an unknown topic
	switch tl.Topic {
	case s.topics.Cmd:
		typ = EventCommandRefused
	case s.topics.Cfg:
		typ = EventSettingsRefused
	}
	data := map[string]any{"reason": ReasonTooLarge, "size": int64(tl.Size), "limit": int64(tl.Limit),
		"dropped_connections": tl.Count, "detail": "connection dropped before reading the message"}
	if tl.Topic != "" {
		data["topic"] = tl.Topic
	}
	s.audit(store.Event{Class: store.ClassAudit, Type: typ, Data: data})
}

// audit appends one event durably.
func (s *Service) audit(ev store.Event) {
	err := s.st.Update(func(tx *store.Tx) error {
		e := ev // AppendEvent fills in fields; a rerun starts from the original
		return s.st.AppendEvent(tx, &e)
	})
	if err != nil {
		s.log.Error("cloud: recording an audit event", "type", ev.Type, "err", err)
	}
}
