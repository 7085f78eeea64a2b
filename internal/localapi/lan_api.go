package localapi

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// sessionCookie is the session's cookie. The __Host- prefix makes the
// browser refuse it unless it is Secure, for path / and without a Domain:
// no other host on the network can set or read it.
const sessionCookie = "__Host-edgeagent"

// csrfHeader carries the session's CSRF token on every change. A page on
// another origin can make the browser send the cookie (SameSite=Strict
// already stops most of that) but cannot read the token to send it.
const csrfHeader = "X-CSRF-Token"

// lanActions are what the LAN API offers per device kind: the same as BLE.
var lanActions = devices.ResidentActions

// LoginRequest is the body of POST /api/v1/login.
type LoginRequest struct {
	User string `json:"user"`
	PIN  string `json:"pin"`
}

// SessionInfo is the answer to a login and to GET /api/v1/session.
type SessionInfo struct {
	User    string    `json:"user"`
	Role    wire.Role `json:"role"`
	Devices []string  `json:"devices"` // what the grant allows now ("*": all)
	Actions []string  `json:"actions"`
	CSRF    string    `json:"csrf"` // send as X-CSRF-Token on every change
	Expires time.Time `json:"expires"`
}

// loginRefusal is a refused login: the error, and for a lockout until when.
type loginRefusal struct {
	Error       Error     `json:"error"`
	LockedUntil time.Time `json:"locked_until,omitzero"` // trusted time
	RetryAfterS int       `json:"retry_after_s,omitempty"`
}

// ChallengeRequest is the body of POST /api/v1/challenge; ChallengeAnswer
// its answer; LANActionRequest the body of POST /api/v1/devices/{id}/action.
// They live in wire because BLE carries the same bodies.
type (
	ChallengeRequest = wire.ChallengeRequest
	ChallengeAnswer  = wire.ChallengeAnswer
	LANActionRequest = wire.ActionRequest
)

// LANActionResult is a granted action: the decision and the device's
// state afterwards.
type LANActionResult struct {
	State    devices.State      `json:"state"`
	Decision localauth.Decision `json:"decision"`
}

// refusal is a refused action: the reason as the error code, and the
// decision as audited.
type refusal struct {
	Error    Error              `json:"error"`
	Decision localauth.Decision `json:"decision"`
}

// LANDevice is a device as a resident sees it: its state and the actions
// this caller may take on it.
type LANDevice struct {
	devices.State
	Actions []string `json:"actions"`
}

// LANStatus is the body of GET /api/v1/status.
type LANStatus struct {
	Site        string       `json:"site"`
	Time        time.Time    `json:"time"`         // the hub's trusted time
	TimeTrusted bool         `json:"time_trusted"` // a recent time anchor
	Cloud       *CloudStatus `json:"cloud"`        // null: no cloud link configured
	// HomeKit is the bridge's pairing setup, to an owner only, while no
	// controller has paired; absent otherwise.
	HomeKit *HomeKitSetup `json:"homekit,omitempty"`
}

// HomeKitSetup is what the Home app needs to pair with the bridge.
type HomeKitSetup struct {
	Name      string `json:"name"`
	SetupCode string `json:"setup_code"` // XXX-XX-XXX, typed into the Home app
	SetupURI  string `json:"setup_uri"`  // X-HM://..., the QR code's payload
}

// LANEvent is an event as the web app shows it. Guests get no Data.
type LANEvent struct {
	Seq    uint64         `json:"seq"`
	Time   time.Time      `json:"time"`
	Device string         `json:"device,omitempty"`
	Type   string         `json:"type"`
	Data   map[string]any `json:"data,omitempty"`
}

// Reasons a refusal's message explains; the code is the reason itself.
var reasonText = map[localauth.Reason]string{
	localauth.ReasonRevoked:          "the grant or its key is revoked",
	localauth.ReasonDelegatorRevoked: "the owner grant it was delegated from is revoked",
	localauth.ReasonExpired:          "the grant has expired",
	localauth.ReasonNotYetValid:      "the grant is not valid yet",
	localauth.ReasonUntrustedTime:    "the hub cannot confirm the time, which this grant requires",
	localauth.ReasonDeviceNotAllowed: "the grant does not cover this device",
	localauth.ReasonActionNotAllowed: "the grant does not cover this action",
	localauth.ReasonOutsideSchedule:  "outside the grant's schedule",
	localauth.ReasonBadProof:         "the proof is not signed by the grant's key for this hub, device and action",
	localauth.ReasonNonceReplayed:    "this challenge was already answered: fetch a new one",
	localauth.ReasonNonceExpired:     "the challenge expired: fetch a new one",
	localauth.ReasonNonceUnknown:     "this hub did not issue that challenge",
	localauth.ReasonUnknownAuthority: "the grant is signed by an authority this hub does not trust",
	localauth.ReasonUnknownGrant:     "the grant is no longer held by the hub",
	localauth.ReasonLockedOut:        "too many wrong PINs",
}

func refusedMessage(r localauth.Reason) string {
	if t, ok := reasonText[r]; ok {
		return "refused: " + t
	}
	return "refused: " + string(r)
}

func (l *LAN) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (l *LAN) login(w http.ResponseWriter, r *http.Request) {
	if !l.allow(w, l.loginAddr, clientAddr(r), "too many login attempts from this address") {
		return
	}
	var req LoginRequest
	if !readJSON(w, r, &req, maxBody) {
		return
	}
	if req.User == "" || req.PIN == "" || len(req.User) > wire.MaxNameLength || len(req.PIN) > localauth.MaxPINLength {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("send a user (1..%d bytes) and a PIN (1..%d)", wire.MaxNameLength, localauth.MaxPINLength))
		return
	}
	res, err := l.keeper.CheckPIN(req.User, req.PIN, clientAddr(r))
	if err != nil {
		l.log.Error("lan: PIN check not recorded", "err", err)
		writeError(w, http.StatusServiceUnavailable, "audit_failed", "the login could not be recorded; try again")
		return
	}
	if !res.LockedUntil.IsZero() {
		// Locked now: by this attempt or an earlier one.
		wait := res.LockedUntil.Sub(l.keeper.TimeStatus().Floor)
		secs := max(int(wait/time.Second)+1, 1)
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		writeJSON(w, http.StatusTooManyRequests, loginRefusal{
			Error:       Error{Code: string(localauth.ReasonLockedOut), Message: fmt.Sprintf("too many wrong PINs: locked for %s", (time.Duration(secs) * time.Second).String())},
			LockedUntil: res.LockedUntil, RetryAfterS: secs,
		})
		return
	}
	switch res.Reason {
	case localauth.ReasonGranted:
	case localauth.ReasonWrongPIN, localauth.ReasonUnknownUser:
		// One answer for both: the page must not tell a stranger which
		// names exist.
		writeJSON(w, http.StatusUnauthorized, loginRefusal{Error: Error{Code: string(localauth.ReasonWrongPIN), Message: "wrong user or PIN"}})
		return
	default:
		writeJSON(w, http.StatusForbidden, loginRefusal{Error: Error{Code: string(res.Reason), Message: refusedMessage(res.Reason)}})
		return
	}
	sc, reason, err := l.keeper.CheckGrant(res.GrantID)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "store_error", err.Error())
		return
	}
	if reason != "" {
		// Revoked or expired between the PIN check and now: as refused.
		writeJSON(w, http.StatusForbidden, loginRefusal{Error: Error{Code: string(reason), Message: refusedMessage(reason)}})
		return
	}
	token, s, err := l.sessions.create(req.User, res.GrantID, res.Role, sc.NotAfter)
	if err != nil {
		l.log.Error("lan: session not recorded", "err", err)
		writeError(w, http.StatusServiceUnavailable, "store_error", "the session could not be recorded; try again")
		return
	}
	// Max-Age, not Expires: it counts from when the phone receives it, so a
	// hub whose clock is off (no real-time clock, no NTP during an outage)
	// does not hand out cookies that are born expired.
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", MaxAge: max(1, int(s.Expires.Sub(l.clk.Now())/time.Second)),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	l.log.Info("lan: login", "user", req.User, "role", res.Role, "addr", clientAddr(r))
	writeJSON(w, http.StatusOK, infoOf(s, sc))
}

func infoOf(s *session, sc localauth.GrantScope) SessionInfo {
	return SessionInfo{User: s.User, Role: sc.Role, Devices: sc.Devices, Actions: sc.Actions, CSRF: s.CSRF, Expires: s.Expires}
}

// authed finds the request's session; for a change (change is true) it
// also checks the CSRF token. On failure it has answered.
func (l *LAN) authed(w http.ResponseWriter, r *http.Request, change bool) (*session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "log in first")
		return nil, false
	}
	s, expired := l.sessions.lookup(c.Value)
	switch {
	case expired:
		writeError(w, http.StatusUnauthorized, "session_expired", "the session has expired: log in again")
		return nil, false
	case s == nil:
		writeError(w, http.StatusUnauthorized, "unauthenticated", "no such session (logged out?): log in again")
		return nil, false
	}
	if change {
		got := r.Header.Get(csrfHeader)
		if got == "" {
			writeError(w, http.StatusForbidden, "csrf_missing", "a change needs the session's "+csrfHeader+" header")
			return nil, false
		}
		if !s.csrfOK(got) {
			writeError(w, http.StatusForbidden, "csrf_invalid", "the "+csrfHeader+" header does not match the session")
			return nil, false
		}
	}
	if !l.allow(w, l.perUser, "user\x00"+s.User, "too many requests for this user") {
		return nil, false
	}
	return s, true
}

// scope is authed for a read: the session and what its grant allows now.
// A grant gone for good (revoked, expired, no longer held) ends the
// session.
func (l *LAN) scope(w http.ResponseWriter, r *http.Request) (*session, localauth.GrantScope, bool) {
	s, ok := l.authed(w, r, false)
	if !ok {
		return nil, localauth.GrantScope{}, false
	}
	sc, reason, err := l.keeper.CheckGrant(s.Grant)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store_error", err.Error())
		return nil, sc, false
	}
	if reason != "" {
		switch reason {
		case localauth.ReasonRevoked, localauth.ReasonExpired, localauth.ReasonUnknownGrant:
			if err := l.sessions.end(s); err != nil {
				l.log.Warn("lan: ending a session", "err", err)
			}
		}
		writeError(w, http.StatusForbidden, string(reason), refusedMessage(reason))
		return nil, sc, false
	}
	return s, sc, true
}

func (l *LAN) logout(w http.ResponseWriter, r *http.Request) {
	s, ok := l.authed(w, r, true)
	if !ok {
		return
	}
	if err := l.sessions.end(s); err != nil {
		writeError(w, http.StatusServiceUnavailable, "store_error", err.Error())
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (l *LAN) sessionInfo(w http.ResponseWriter, r *http.Request) {
	s, sc, ok := l.scope(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, infoOf(s, sc))
}

// offered checks that device exists and that action is one the LAN API
// offers for its kind; on failure it has answered.
func (l *LAN) offered(w http.ResponseWriter, device, action string) bool {
	st, err := l.hub.Get(device)
	if err != nil {
		writeDeviceError(w, err)
		return false
	}
	if !slices.Contains(lanActions[st.Kind], action) {
		writeError(w, http.StatusBadRequest, "unknown_action", fmt.Sprintf("%s %q: action %q is not offered on the LAN (offered: %s)",
			st.Kind, device, action, strings.Join(lanActions[st.Kind], ", ")))
		return false
	}
	return true
}

func (l *LAN) challenge(w http.ResponseWriter, r *http.Request) {
	var req ChallengeRequest
	if !readJSON(w, r, &req, maxBody) {
		return
	}
	if !l.offered(w, req.Device, req.Action) {
		return
	}
	c, err := l.keeper.Challenge(req.Device, req.Action)
	switch {
	case errors.Is(err, localauth.ErrBadSpec):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, "store_error", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, ChallengeAnswer{Challenge: c, HubKey: l.keeper.HubPublicKey()})
}

// action runs a device action for a phone key (a grant chain and a proof
// over a fresh challenge) or for a session (with its CSRF token). Either
// way the Keeper decides and records the decision durably first; the
// device moves only when it granted and the record is written.
func (l *LAN) action(w http.ResponseWriter, r *http.Request) {
	var req LANActionRequest
	if !readJSON(w, r, &req, maxActionBody) {
		return
	}
	device := r.PathValue("id")
	var d localauth.Decision
	var err error
	if req.Proof != nil || req.Chain != nil {
		if !l.offered(w, device, req.Action) {
			return
		}
		d, err = l.keeper.Decide(localauth.Request{Chain: req.Chain, Proof: req.Proof, Device: device, Action: req.Action, Value: req.Value, Transport: localauth.TransportLAN})
	} else {
		s, ok := l.authed(w, r, true)
		if !ok || !l.offered(w, device, req.Action) {
			return
		}
		d, err = l.keeper.DecideSession(s.Grant, device, req.Action)
		switch d.Reason {
		case localauth.ReasonRevoked, localauth.ReasonExpired, localauth.ReasonUnknownGrant:
			if err := l.sessions.end(s); err != nil {
				l.log.Warn("lan: ending a session", "err", err)
			}
		}
	}
	if err != nil {
		l.log.Error("lan: decision not recorded; nothing done", "device", device, "action", req.Action, "err", err)
		writeError(w, http.StatusServiceUnavailable, "audit_failed", "the decision could not be recorded, so nothing was done; try again")
		return
	}
	if !d.Granted {
		l.log.Info("lan: refused", "device", device, "action", req.Action, "reason", d.Reason, "name", d.Name)
		writeJSON(w, http.StatusForbidden, refusal{Error: Error{Code: string(d.Reason), Message: refusedMessage(d.Reason)}, Decision: d})
		return
	}
	st, err := l.hub.Do(device, req.Action, req.Value)
	if err != nil {
		writeDeviceError(w, err)
		return
	}
	l.log.Info("lan: action", "device", device, "action", req.Action, "value", req.Value, "name", d.Name, "audit", d.AuditSeq)
	writeJSON(w, http.StatusOK, LANActionResult{State: st, Decision: d})
}

func (l *LAN) devices(w http.ResponseWriter, r *http.Request) {
	_, sc, ok := l.scope(w, r)
	if !ok {
		return
	}
	out := []LANDevice{}
	for _, st := range l.hub.List() {
		if !wire.Allows(sc.Devices, st.ID) {
			continue
		}
		acts := []string{}
		for _, a := range lanActions[st.Kind] {
			if wire.Allows(sc.Actions, a) {
				acts = append(acts, a)
			}
		}
		out = append(out, LANDevice{State: st, Actions: acts})
	}
	writeJSON(w, http.StatusOK, out)
}

func (l *LAN) status(w http.ResponseWriter, r *http.Request) {
	_, sc, ok := l.scope(w, r)
	if !ok {
		return
	}
	ts := l.keeper.TimeStatus()
	st := LANStatus{Site: l.opts.Site, Time: ts.Floor, TimeTrusted: ts.Trusted}
	if l.opts.Cloud != nil {
		c := l.opts.Cloud()
		st.Cloud = &c
	}
	if l.opts.HomeKit != nil && sc.Role == wire.RoleOwner {
		if hk := l.opts.HomeKit(); !hk.Paired && hk.SetupCode != "" {
			st.HomeKit = &HomeKitSetup{Name: hk.Name, SetupCode: hk.SetupCode, SetupURI: hk.SetupURI}
		}
	}
	writeJSON(w, http.StatusOK, st)
}

// eventWindow bounds how far back GET /api/v1/events looks: a guest's
// devices may be quiet, and the scan must stay cheap.
const eventWindow = 1000

func (l *LAN) events(w http.ResponseWriter, r *http.Request) {
	_, sc, ok := l.scope(w, r)
	if !ok {
		return
	}
	limit, err := queryUint(r, "limit", 20)
	if err != nil || limit == 0 || limit > 100 {
		writeError(w, http.StatusBadRequest, "bad_request", "limit must be 1..100")
		return
	}
	last, err := l.st.LastSeq()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store_error", err.Error())
		return
	}
	evs, err := l.st.Events(last-min(last, eventWindow), eventWindow)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store_error", err.Error())
		return
	}
	guest := sc.Role == wire.RoleGuest
	out := []LANEvent{}
	for i := len(evs) - 1; i >= 0 && len(out) < int(limit); i-- {
		e := evs[i]
		if !visible(sc, e) {
			continue
		}
		le := LANEvent{Seq: e.Seq, Time: e.Time, Device: e.Device, Type: e.Type}
		if !guest {
			le.Data = e.Data
		}
		out = append(out, le)
	}
	writeJSON(w, http.StatusOK, out)
}

// visible is whether a session on the grant sc may see event e. Every role
// sees the events of the devices its grant covers, and of the
// authentication events only its own: its decisions on those devices, and
// (but for guests, who see their devices and nothing else) its logins and
// the imports of its grant. Only an owner sees others' authentication
// events (who came in, with which grant and key) and the hub's events of no
// device (alarms).
func visible(sc localauth.GrantScope, e store.Event) bool {
	covered := e.Device != "" && wire.Allows(sc.Devices, e.Device)
	if sc.Role == wire.RoleOwner {
		return covered || e.Device == "" || isAuthEvent(e.Type)
	}
	if !isAuthEvent(e.Type) {
		return covered
	}
	g, _ := e.Data["grant"].(string)
	own := g != "" && g == hex.EncodeToString(sc.GrantID[:])
	return own && (covered || (e.Device == "" && sc.Role != wire.RoleGuest))
}

func isAuthEvent(typ string) bool {
	switch typ {
	case localauth.EventDecision, localauth.EventPIN, localauth.EventImport:
		return true
	}
	return false
}

// credentials is the mailbox: anyone on the network may hand in a signed
// grant or revocation snapshot, because the signature, not the carrier,
// makes it trusted. A page on another origin cannot send one through a
// resident's browser: the content type is not one a form can send.
func (l *LAN) credentials(w http.ResponseWriter, r *http.Request) {
	switch ct := r.Header.Get("Content-Type"); ct {
	case "application/cose", "application/octet-stream":
	default:
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", fmt.Sprintf("content type %q: send the signed file as application/cose", ct))
		return
	}
	importCredential(w, r, l.keeper, l.log.With("from", "lan", "client", clientAddr(r)))
}
