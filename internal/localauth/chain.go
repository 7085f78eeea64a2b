package localauth

import (
	"fmt"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// narrower checks that a delegated grant gives no more than the owner grant
// it hangs from: the issuer CLI refuses to sign one that does (Delegate) and
// the hub refuses one that somebody signed anyway (Decide). The error says
// which dimension is wider and matches ErrTooWide.
func narrower(child, parent *wire.Grant) error {
	wide := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrTooWide, fmt.Sprintf(format, args...))
	}
	if child.Role != wire.RoleGuest {
		return wide("an owner delegates guest grants only, not %s", child.Role)
	}
	if child.Site != parent.Site {
		return wide("site %q, the owner's grant is for %q", child.Site, parent.Site)
	}
	for _, d := range child.Devices {
		if !wire.Allows(parent.Devices, d) {
			return wide("device %q is not in the owner's grant", d)
		}
	}
	for _, a := range child.Actions {
		if !wire.Allows(parent.Actions, a) {
			return wide("action %q is not in the owner's grant", a)
		}
	}
	if child.NotBefore < parent.NotBefore {
		return wide("starts before the owner's grant does")
	}
	if parent.NotAfter != 0 && (child.NotAfter == 0 || child.NotAfter > parent.NotAfter) {
		return wide("ends after the owner's grant does")
	}
	if !scheduleCovers(parent.Schedule, child.Schedule) {
		return wide("its schedule allows times the owner's schedule does not")
	}
	if parent.RequiresTrustedTime && !child.RequiresTrustedTime {
		return wide("the owner's grant requires trusted time and this one does not")
	}
	if child.PIN != nil {
		// A PIN is checked against imported grants, and only authority-signed
		// grants are imported: a delegated PIN could never be used.
		return wide("a delegated grant cannot carry a PIN")
	}
	return nil
}
