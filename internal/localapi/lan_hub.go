package localapi

import (
	"crypto/ed25519"
	"net/http"
)

// HubInfo is the body of GET /api/v1/hub: what a phone key needs before it
// holds any session. It is public on the LAN, like the certificate it
// describes: the web app pins Fingerprint and HubKey on first use (trust on
// first use, docs/security.md) and checks every challenge's signature
// against the pinned HubKey. Devices is the catalogue a key holder's app
// draws its buttons from (a grant may say "*"): ids, names, kinds and the
// actions offered, never their state, events or who acts.
type HubInfo struct {
	Site        string            `json:"site"`
	Fingerprint string            `json:"fingerprint"` // SHA-256 of the LAN certificate, as `edgeagent status` shows it
	HubKey      ed25519.PublicKey `json:"hub_key"`     // the identity key that signs challenges (base64)
	Devices     []CatalogueDevice `json:"devices"`
}

// CatalogueDevice is one device as HubInfo lists it.
type CatalogueDevice struct {
	ID      string   `json:"id"`
	Name    string   `json:"name,omitempty"`
	Kind    string   `json:"kind"`
	Actions []string `json:"actions"` // what the LAN offers on it; a grant decides who may
}

func (l *LAN) hubInfo(w http.ResponseWriter, r *http.Request) {
	info := HubInfo{Site: l.opts.Site, Fingerprint: l.fp.String(), HubKey: l.keeper.HubPublicKey(), Devices: []CatalogueDevice{}}
	for _, st := range l.hub.List() {
		acts := lanActions[st.Kind]
		if len(acts) == 0 {
			continue // inputs: nothing to do from a phone
		}
		info.Devices = append(info.Devices, CatalogueDevice{ID: st.ID, Name: st.Name, Kind: st.Kind, Actions: acts})
	}
	writeJSON(w, http.StatusOK, info)
}
