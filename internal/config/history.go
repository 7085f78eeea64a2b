package config

// History configures the hub's local event history (the store's event log,
// which is also the cloud's queue): `edgeagent events` and the web app read
// it. Zero values take the store's defaults: 30 days, audit 365 days, 64 MB.
// An event the cloud has not acknowledged is kept whatever its age.
type History struct {
	// MaxAge is how long telemetry and state events are kept.
	MaxAge Duration `toml:"max_age"`
	// AuditMaxAge is how long audit events (decisions, imports, alarms) are
	// kept; never shorter than MaxAge.
	AuditMaxAge Duration `toml:"audit_max_age"`
	// MaxMB bounds the log's size in MiB: beyond it the oldest events go,
	// audit last.
	MaxMB int `toml:"max_mb"`
}

// maxHistoryMB keeps the bound within what an SD card hub should spend on
// history (and within int64 bytes).
const maxHistoryMB = 1 << 16

func (h *History) validate(v *validator) {
	v.positive("history", "max_age", h.MaxAge)
	v.positive("history", "audit_max_age", h.AuditMaxAge)
	if h.MaxAge.D() > 0 && h.AuditMaxAge.D() > 0 && h.AuditMaxAge.D() < h.MaxAge.D() {
		v.fail("history.audit_max_age", "%s is shorter than history.max_age (%s): audit is kept longest", h.AuditMaxAge.D(), h.MaxAge.D())
	}
	if h.MaxMB < 0 || h.MaxMB > maxHistoryMB {
		v.fail("history.max_mb", "%d is not from 1 to %d (0: the default, 64)", h.MaxMB, maxHistoryMB)
	}
}
