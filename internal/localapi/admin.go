// Package localapi owns the agent's local HTTP surfaces: the admin API served
// on a root-only unix socket (status, devices, direct device control: root on
// the hub is trusted) and the residents' LAN API and web app over HTTPS
// (PIN sessions and phone keys, every action decided by localauth).
package localapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/edgeagent/edgeagent/internal/ble"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/homekit"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/cloud"
)

// maxBody bounds every request body: an action is a few dozen bytes.
const maxBody = 4 << 10

// Admin serves the admin API. Routes (JSON in and out):
//
//	GET  /v1/healthz               {"ok": true}: the server accepts and answers
//	GET  /v1/status
//	GET  /v1/devices
//	GET  /v1/devices/{id}
//	POST /v1/devices/{id}/action   {"action": "unlock", "value": ""}
//	GET  /v1/events?after=SEQ&limit=N
//	POST /v1/credentials           a signed grant or revocation snapshot (raw COSE bytes)
//	GET  /v1/auth                  grants, revocations, hub id, trusted time
//	GET  /v1/audit/verify          walks the hash-chained audit log
type Admin struct {
	Hub    AdminDevices
	Store  AdminStore
	Keeper AdminKeeper
	// Cloud and LAN report the cloud link's and the LAN API's status; nil
	// when that part is not running.
	Cloud func() cloud.Status
	LAN   func() LANInfo
	// BLE reports the Bluetooth phone-key service: on, or off and why.
	// Nil: the agent has no BLE part at all (tests).
	BLE func() ble.Status
	// HomeKit reports the Apple Home bridge, setup code included (root
	// reads this socket); nil when the bridge is off.
	HomeKit func() homekit.Status
	// Loops, when not nil, names the long-running loops that missed their
	// bound, required or not (a cloud loop stalled does not stop the
	// watchdog, but the status says so).
	Loops   Loops
	Version string
	Site    string
	Sim     bool
	Started time.Time
	Log     *slog.Logger
}

// Devices is what both APIs need of the device hub: read and act.
type Devices interface {
	List() []devices.State
	Get(id string) (devices.State, error)
	Do(id, action, value string) (devices.State, error)
}

// AdminDevices is what the admin API needs of the device hub: it also
// reports a failing journal in the status.
type AdminDevices interface {
	Devices
	JournalError() error
}

// AdminStore is what the admin API reads of the store: its health and the
// event log.
type AdminStore interface {
	Health() store.Health
	Events(after uint64, limit int) ([]store.Event, error)
}

// Loops is the liveness registry's report.
type Loops interface {
	Stale(now time.Time, all bool) []string
}

// Importer is the credential mailbox (localauth), shared by both APIs.
type Importer interface {
	Import(b []byte) (localauth.ImportResult, error)
}

// AdminKeeper is what the admin API needs of localauth.
type AdminKeeper interface {
	Importer
	Status() localauth.Status
	VerifyAudit() (localauth.AuditReport, error)
}

// Status is the body of GET /v1/status: one type for the agent that
// answers and the CLI that prints it.
type Status struct {
	Version      string           `json:"version"`
	Site         string           `json:"site"`
	Sim          bool             `json:"sim"`
	Started      time.Time        `json:"started"`
	UptimeS      float64          `json:"uptime_s"`
	Devices      int              `json:"devices"`
	Store        store.Health     `json:"store"`
	JournalError string           `json:"journal_error,omitempty"`
	Auth         localauth.Status `json:"auth"`
	Cloud        *cloud.Status    `json:"cloud,omitempty"` // nil: no cloud link configured
	LAN          *LANInfo         `json:"lan,omitempty"`   // nil: no LAN API configured
	BLE          *ble.Status      `json:"ble,omitempty"`
	HomeKit      *homekit.Status  `json:"homekit,omitempty"` // nil: no HomeKit bridge
	Stalled      []string         `json:"stalled_loops,omitempty"`
}

// ActionRequest is the body of POST /v1/devices/{id}/action.
type ActionRequest struct {
	Action string `json:"action"`
	Value  string `json:"value,omitempty"`
}

// Error is the body of every error response: a stable code and a message.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type errorBody struct {
	Error Error `json:"error"`
}

// Handler returns the admin API's routes.
func (a *Admin) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, map[string]bool{"ok": true}) })
	mux.HandleFunc("GET /v1/status", a.status)
	mux.HandleFunc("GET /v1/devices", a.devices)
	mux.HandleFunc("GET /v1/devices/{id}", a.device)
	mux.HandleFunc("POST /v1/devices/{id}/action", a.action)
	mux.HandleFunc("GET /v1/events", a.events)
	mux.HandleFunc("POST /v1/credentials", a.credentials)
	mux.HandleFunc("GET /v1/auth", a.auth)
	mux.HandleFunc("GET /v1/audit/verify", a.auditVerify)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func (a *Admin) status(w http.ResponseWriter, r *http.Request) {
	st := Status{
		Version: a.Version,
		Site:    a.Site,
		Sim:     a.Sim,
		Started: a.Started,
		UptimeS: time.Since(a.Started).Seconds(),
		Devices: len(a.Hub.List()),
		Store:   a.Store.Health(),
	}
	if err := a.Hub.JournalError(); err != nil {
		st.JournalError = err.Error()
	}
	st.Auth = a.Keeper.Status()
	if a.Cloud != nil {
		c := a.Cloud()
		st.Cloud = &c
	}
	if a.LAN != nil {
		l := a.LAN()
		st.LAN = &l
	}
	if a.BLE != nil {
		b := a.BLE()
		st.BLE = &b
	}
	if a.HomeKit != nil {
		h := a.HomeKit()
		st.HomeKit = &h
	}
	if a.Loops != nil {
		st.Stalled = a.Loops.Stale(time.Now(), true)
	}
	writeJSON(w, http.StatusOK, st)
}

// maxCredential bounds an imported grant or snapshot: a snapshot of 10 000
// revoked ids is about 170 KB.
const maxCredential = 512 << 10

func (a *Admin) credentials(w http.ResponseWriter, r *http.Request) {
	importCredential(w, r, a.Keeper, a.Log)
}

// importCredential reads a signed grant or snapshot from the body and hands
// it to the mailbox: the one path for the admin socket and the LAN API.
func importCredential(w http.ResponseWriter, r *http.Request, k Importer, log *slog.Logger) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCredential))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("credential over %d bytes", maxCredential))
		return
	}
	if err != nil || len(b) == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "send the signed grant or snapshot file as the body")
		return
	}
	res, err := k.Import(b)
	var refused *localauth.RefusedError
	switch {
	case errors.As(err, &refused):
		writeJSON(w, http.StatusUnprocessableEntity, importAnswer{res, &Error{Code: string(refused.Reason), Message: err.Error()}})
	case err != nil:
		// Not a refusal: the store could not record it.
		writeError(w, http.StatusServiceUnavailable, "store_error", err.Error())
	default:
		log.Info("credential imported", "kind", res.Kind, "reason", res.Reason, "grant", res.GrantID, "serial", res.Serial, "addr", r.RemoteAddr)
		writeJSON(w, http.StatusOK, importAnswer{Result: res})
	}
}

// importAnswer is the body of POST /v1/credentials: the outcome, and for a
// refusal the reason code as error.
type importAnswer struct {
	Result localauth.ImportResult `json:"result"`
	Error  *Error                 `json:"error,omitempty"`
}

func (a *Admin) auth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.Keeper.Status())
}

func (a *Admin) auditVerify(w http.ResponseWriter, r *http.Request) {
	rep, err := a.Keeper.VerifyAudit()
	if err != nil && rep.Break == nil {
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (a *Admin) devices(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.Hub.List())
}

func (a *Admin) device(w http.ResponseWriter, r *http.Request) {
	s, err := a.Hub.Get(r.PathValue("id"))
	if err != nil {
		writeDeviceError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

func (a *Admin) action(w http.ResponseWriter, r *http.Request) {
	var req ActionRequest
	if !readJSON(w, r, &req, maxBody) {
		return
	}
	id := r.PathValue("id")
	s, err := a.Hub.Do(id, req.Action, req.Value)
	if err != nil {
		writeDeviceError(w, err)
		return
	}
	a.Log.Info("admin action", "device", id, "action", req.Action, "value", req.Value)
	writeJSON(w, http.StatusOK, s)
}

func (a *Admin) events(w http.ResponseWriter, r *http.Request) {
	after, err := queryUint(r, "after", 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	limit, err := queryUint(r, "limit", 100)
	if err != nil || limit == 0 || limit > 1000 {
		writeError(w, http.StatusBadRequest, "bad_request", "limit must be 1..1000")
		return
	}
	evs, err := a.Store.Events(after, int(limit))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store_error", err.Error())
		return
	}
	if evs == nil {
		evs = []store.Event{}
	}
	writeJSON(w, http.StatusOK, evs)
}

func queryUint(r *http.Request, key string, def uint64) (uint64, error) {
	s := r.URL.Query().Get(key)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a whole number", key, s)
	}
	return v, nil
}

// readJSON decodes a body of at most limit bytes strictly; on failure it
// has already answered the request.
func readJSON(w http.ResponseWriter, r *http.Request, v any, limit int64) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body over %d bytes", limit))
		case errors.Is(err, io.EOF):
			writeError(w, http.StatusBadRequest, "bad_request", "empty body: send a JSON object")
		default:
			writeError(w, http.StatusBadRequest, "bad_request", "body is not the expected JSON: "+err.Error())
		}
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "bad_request", "body has data after the JSON object")
		return false
	}
	return true
}

func writeDeviceError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, devices.ErrUnknownDevice):
		writeError(w, http.StatusNotFound, "unknown_device", err.Error())
	case errors.Is(err, devices.ErrUnknownAction):
		writeError(w, http.StatusBadRequest, "unknown_action", err.Error())
	case errors.Is(err, devices.ErrBadValue):
		writeError(w, http.StatusBadRequest, "bad_value", err.Error())
	case errors.Is(err, devices.ErrNotSimulated):
		writeError(w, http.StatusConflict, "not_simulated", err.Error())
	case errors.Is(err, devices.ErrNotRecorded):
		// Carried out, but not durable: the caller must not count it as
		// recorded (the store is failing; status says why).
		writeError(w, http.StatusServiceUnavailable, "not_recorded", err.Error())
	case errors.Is(err, devices.ErrJournalBehind):
		// Refused before anything moved: the store is behind; retry later.
		writeError(w, http.StatusServiceUnavailable, "journal_behind", err.Error())
	case errors.Is(err, devices.ErrShutdown):
		writeError(w, http.StatusServiceUnavailable, "shutting_down", err.Error())
	case errors.Is(err, devices.ErrVehicleUnknown):
		// Refused: the car's state is unknown (its bus is silent).
		writeError(w, http.StatusConflict, "vehicle_unknown", err.Error())
	case errors.Is(err, devices.ErrNodeUnreachable):
		// The node did not answer: it is unplugged or off, and keeps its
		// own safe state.
		writeError(w, http.StatusServiceUnavailable, "node_unreachable", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// Compact: a phone on a weak Wi-Fi link reads it, not a person (the
	// CLI indents what it prints).
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}
