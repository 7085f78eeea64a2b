package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
)

// AdminClient talks to a running agent's admin socket.
type AdminClient struct {
	Socket string
	http   *http.Client
}

// NewAdminClient returns a client for the unix socket at path.
func NewAdminClient(path string) *AdminClient {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConnsPerHost: 4,
	}
	return &AdminClient{Socket: path, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// APIError is an error answered by the agent.
type APIError struct {
	Status  int
	Code    string // stable: "unknown_device", "bad_value", ...
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

func (c *AdminClient) do(method, path string, body, out any) error {
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, "http://agent"+path, rd)
	if err != nil {
		return err
	}
	if _, raw := body.([]byte); raw {
		req.Header.Set("Content-Type", "application/cose")
	} else if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("admin socket %s: %w (is the agent running?)", c.Socket, err)
	}
	defer func() {
		// Drain so that the connection is reused (the JSON ends in "\n").
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
	if resp.StatusCode == http.StatusUnprocessableEntity {
		// An import refused for a reason: the answer carries the outcome.
		var ia importAnswer
		if err := json.NewDecoder(resp.Body).Decode(&ia); err == nil && ia.Error != nil {
			if r, ok := out.(*importAnswer); ok {
				*r = ia
			}
			return &APIError{Status: resp.StatusCode, Code: ia.Error.Code, Message: ia.Error.Message}
		}
	}
	if resp.StatusCode != http.StatusOK {
		var eb errorBody
		if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Error.Code == "" {
			return &APIError{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: resp.Status}
		}
		return &APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Ping asks GET /v1/healthz within ctx: nil when the agent's admin server
// accepts and answers.
func (c *AdminClient) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://agent/v1/healthz", nil)
	if err != nil {
		return err
	}
	// A new connection each time: a kept-alive one would answer although
	// the server no longer accepts.
	req.Close = true
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("admin socket %s: %w", c.Socket, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("admin socket %s: healthz answered %s", c.Socket, resp.Status)
	}
	return nil
}

// Status fetches the agent's status.
func (c *AdminClient) Status() (Status, error) {
	var s Status
	return s, c.do(http.MethodGet, "/v1/status", nil, &s)
}

// Devices lists every device with its state.
func (c *AdminClient) Devices() ([]devices.State, error) {
	var s []devices.State
	return s, c.do(http.MethodGet, "/v1/devices", nil, &s)
}

// Do runs an action on a device and returns its state afterwards.
func (c *AdminClient) Do(id, action, value string) (devices.State, error) {
	var s devices.State
	return s, c.do(http.MethodPost, "/v1/devices/"+url.PathEscape(id)+"/action", ActionRequest{Action: action, Value: value}, &s)
}

// Events reads the event log after seq.
func (c *AdminClient) Events(after uint64, limit int) ([]store.Event, error) {
	var evs []store.Event
	return evs, c.do(http.MethodGet, fmt.Sprintf("/v1/events?after=%d&limit=%d", after, limit), nil, &evs)
}

// Import hands a signed grant or revocation snapshot to the agent's mailbox.
// A refusal is an *APIError whose Code is the reason; res still tells what
// was refused.
func (c *AdminClient) Import(b []byte) (localauth.ImportResult, error) {
	var ia importAnswer
	err := c.do(http.MethodPost, "/v1/credentials", b, &ia)
	return ia.Result, err
}

// Auth fetches the local authentication status.
func (c *AdminClient) Auth() (localauth.Status, error) {
	var s localauth.Status
	return s, c.do(http.MethodGet, "/v1/auth", nil, &s)
}

// VerifyAudit asks the agent to walk its audit chain.
func (c *AdminClient) VerifyAudit() (localauth.AuditReport, error) {
	var r localauth.AuditReport
	return r, c.do(http.MethodGet, "/v1/audit/verify", nil, &r)
}
