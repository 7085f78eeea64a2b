package cloud

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/hlc"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// Desired settings, and how they meet local changes.
//
// The cloud sends a complete document with a version. The hub applies a
// version above the one it holds (newest wins) and remembers each value it
// applied. A resident who then changes one of those settings on the hub
// (offline or not) makes a local override: it stands while documents of
// the version it overrode, or older ones, arrive (a retained copy after a
// reconnect, a delayed one), and gives way to the first document with a
// newer version. Each override, and how it ended, is an audit event.
//
// Settings are named "{device}/{setting}"; the set the devices package can
// apply through Hub.Do is a boiler's mode ("heat" or "off": actions on and
// off) and setpoint (action set-setpoint).

// settingsState is what the hub keeps (bucket sync_settings, key state).
type settingsState struct {
	Version   uint64              `cbor:"1,keyasint"`
	Applied   map[string]string   `cbor:"2,keyasint"` // setting -> value the cloud set
	Overrides map[string]override `cbor:"3,keyasint"` // setting -> a local change since
}

type override struct {
	Value    string `cbor:"1,keyasint"` // the local value
	Overrode uint64 `cbor:"2,keyasint"` // the cloud version it departed from
	At       int64  `cbor:"3,keyasint"` // when it was noticed, Unix ms
}

func loadSettings(b []byte, log *slog.Logger) settingsState {
	var st settingsState
	if len(b) > 0 {
		if err := cbor.Unmarshal(b, &st); err != nil {
			// Forgetting which values came from the cloud means the next
			// newer version is applied over any local change: acceptable
			// after a damaged record, and said in the log.
			log.Error("cloud: settings record unreadable; starting without one", "err", err)
			st = settingsState{}
		}
	}
	if st.Applied == nil {
		st.Applied = map[string]string{}
	}
	if st.Overrides == nil {
		st.Overrides = map[string]override{}
	}
	return st
}

func (st *settingsState) clone() settingsState {
	return settingsState{Version: st.Version, Applied: maps.Clone(st.Applied), Overrides: maps.Clone(st.Overrides)}
}

// Setting names.
const (
	settingMode     = "mode"
	settingSetpoint = "setpoint"
)

// current reads the settings' present values from the devices.
func current(list []devices.State) map[string]string {
	cur := map[string]string{}
	for _, d := range list {
		if d.Kind != "boiler" {
			continue
		}
		if m, ok := d.Attrs["mode"].(string); ok {
			cur[d.ID+"/"+settingMode] = m
		}
		if sp, ok := d.Attrs["setpoint"].(float64); ok {
			cur[d.ID+"/"+settingSetpoint] = formatFloat(sp)
		}
	}
	return cur
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// desired flattens a document into settings.
func desired(doc *wire.Settings) map[string]string {
	want := map[string]string{}
	for _, b := range doc.Boilers {
		if b.Mode != "" {
			want[b.Device+"/"+settingMode] = b.Mode
		}
		if b.Setpoint != nil {
			want[b.Device+"/"+settingSetpoint] = formatFloat(*b.Setpoint)
		}
	}
	return want
}

// apply changes one setting on its device.
func (s *Service) applyOne(key, value string) error {
	dev, name, _ := strings.Cut(key, "/")
	var err error
	switch name {
	case settingMode:
		action := "on"
		if value == wire.ModeOff {
			action = "off"
		}
		_, err = s.dev.Do(dev, action, "")
	case settingSetpoint:
		_, err = s.dev.Do(dev, "set-setpoint", value)
	default:
		err = fmt.Errorf("unknown setting %q", name)
	}
	return err
}

// detectOverrides compares the devices with the values the cloud set, and
// records each departure (and each return) as an event.
func (s *Service) detectOverrides() {
	s.mu.Lock()
	st := s.settings.clone()
	s.mu.Unlock()
	if len(st.Applied) == 0 {
		return
	}
	cur := current(s.dev.List())
	linkUp := s.link.Status().Connected
	var evs []store.Event
	for _, key := range slices.Sorted(maps.Keys(st.Applied)) {
		want := st.Applied[key]
		now, ok := cur[key]
		if !ok {
			continue // the device is gone from the config
		}
		ov, has := st.Overrides[key]
		dev, name, _ := strings.Cut(key, "/")
		switch {
		case now != want && (!has || ov.Value != now):
			st.Overrides[key] = override{Value: now, Overrode: st.Version, At: s.clk.Now().UnixMilli()}
			evs = append(evs, store.Event{Class: store.ClassAudit, Device: dev, Type: EventOverridden, Data: map[string]any{
				"setting": name, "value": now, "cloud_value": want, "overrode_version": st.Version, "link_up": linkUp}})
		case now == want && has:
			delete(st.Overrides, key)
			evs = append(evs, store.Event{Class: store.ClassAudit, Device: dev, Type: EventOverrideCleared, Data: map[string]any{
				"setting": name, "value": now, "version": st.Version}})
		}
	}
	if len(evs) > 0 {
		s.saveSettings(st, evs)
	}
}

// handleSettings takes a signed desired-settings document.
func (s *Service) handleSettings(m mqttlink.Message) {
	if m.Payload == nil && m.Size > 0 {
		s.refuse(EventSettingsRefused, ReasonTooLarge, fmt.Sprintf("%d bytes", m.Size), m.Size, nil)
		return
	}
	if len(m.Payload) == 0 {
		return // a retained document being cleared: keep what we have
	}
	doc, sg, err := wire.ParseSettings(m.Payload)
	if err != nil {
		s.refuse(EventSettingsRefused, parseReason(err), err.Error(), m.Size, nil)
		return
	}
	info := map[string]any{"version": doc.Version, "signer": sg.KeyID.String()}
	if reason, err := s.verify(sg); err != nil {
		s.refuse(EventSettingsRefused, reason, err.Error(), m.Size, info)
		return
	}
	if doc.Site != s.site {
		s.refuse(EventSettingsRefused, ReasonWrongSite, fmt.Sprintf("for site %q", doc.Site), m.Size, info)
		return
	}
	s.hlc.Update(hlc.FromTime(time.Unix(doc.IssuedAt, 0)))
	s.detectOverrides() // a change made a moment ago counts as made before this document
	s.mu.Lock()
	st := s.settings.clone()
	s.mu.Unlock()

	if doc.Version <= st.Version {
		// A retained copy of the version held comes with every reconnect:
		// not worth an event. An older one is, once, and it says which
		// local changes stand.
		if doc.Version == st.Version {
			return
		}
		s.mu.Lock()
		repeat := s.lastStale == doc.Version
		s.lastStale = doc.Version
		s.mu.Unlock()
		if repeat {
			return
		}
		data := map[string]any{"version": doc.Version, "current_version": st.Version}
		if len(st.Overrides) > 0 {
			data["local_stands"] = slices.Sorted(maps.Keys(st.Overrides))
		}
		s.refuse(EventSettingsStale, "stale_version", "", m.Size, data)
		return
	}

	want := desired(doc)
	cur := current(s.dev.List())
	var evs []store.Event
	var changed, failed []string
	for _, key := range slices.Sorted(maps.Keys(want)) {
		val := want[key]
		dev, name, _ := strings.Cut(key, "/")
		if ov, has := st.Overrides[key]; has {
			delete(st.Overrides, key)
			evs = append(evs, store.Event{Class: store.ClassAudit, Device: dev, Type: EventOverrideResolve, Data: map[string]any{
				"setting": name, "local_value": ov.Value, "overrode_version": ov.Overrode, "value": val, "version": doc.Version}})
		}
		if cur[key] != val {
			if err := s.applyOne(key, val); err != nil {
				failed = append(failed, key+": "+err.Error())
				delete(st.Applied, key)
				continue
			}
			changed = append(changed, key+"="+val)
		}
		st.Applied[key] = val
	}
	for key := range st.Applied {
		if _, ok := want[key]; !ok {
			delete(st.Applied, key) // no longer desired: the device keeps its value, now a local one
			delete(st.Overrides, key)
		}
	}
	prev := st.Version
	st.Version = doc.Version
	data := map[string]any{"version": doc.Version, "previous_version": prev, "signer": sg.KeyID.String()}
	if changed != nil {
		data["changed"] = changed
	}
	if failed != nil {
		data["failed"] = failed
	}
	evs = append(evs, store.Event{Class: store.ClassAudit, Type: EventSettingsApplied, Data: data})
	s.saveSettings(st, evs)
	s.log.Info("cloud: settings applied", "version", doc.Version, "changed", changed, "failed", failed)
}

// saveSettings persists st with its events in one transaction and makes it
// current.
func (s *Service) saveSettings(st settingsState, evs []store.Event) {
	b, err := cbor.Marshal(&st)
	if err == nil {
		err = s.st.Update(func(tx *store.Tx) error {
			if err := tx.Bucket(settingsBucket).Put(settingsKey, b); err != nil {
				return err
			}
			for _, ev := range evs {
				e := ev
				if err := s.st.AppendEvent(tx, &e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		// The devices have what was applied; the record will catch up with
		// the next document (its version is above the one stored).
		s.log.Error("cloud: recording settings", "err", err)
	}
	s.mu.Lock()
	s.settings = st
	s.mu.Unlock()
}
