package homekit

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/brutella/hap"
)

// Keys of the bridge's own values in the record (hap's keys have no "ea-").
const (
	keySetupCode = "ea-setup-code"
	keySetupID   = "ea-setup-id"
)

// trivialCodes are refused by HomeKit (HAP spec 5.6.1) beyond hap's list.
var trivialCodes = map[string]bool{"12345678": true, "87654321": true}

// NewSetupCode draws an 8-digit setup code that HomeKit accepts.
func NewSetupCode() (string, error) {
	for range 100 { // 12 of 10^8 codes are refused: one draw nearly always does
		n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
		if err != nil {
			return "", fmt.Errorf("homekit: drawing a setup code: %w", err)
		}
		code := fmt.Sprintf("%08d", n.Int64())
		if ValidSetupCode(code) {
			return code, nil
		}
	}
	return "", fmt.Errorf("homekit: no acceptable setup code drawn")
}

// ValidSetupCode reports whether code is 8 digits HomeKit accepts.
func ValidSetupCode(code string) bool {
	if len(code) != 8 || strings.Trim(code, "0123456789") != "" {
		return false
	}
	return !hap.InvalidPins[code] && !trivialCodes[code]
}

// FormatSetupCode writes a code as the Home app asks for it: XXX-XX-XXX.
func FormatSetupCode(code string) string {
	if len(code) != 8 {
		return code
	}
	return code[:3] + "-" + code[3:5] + "-" + code[5:]
}

const setupIDChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newSetupID draws the 4-character setup id of the QR payload, which the
// Home app matches against the hash in the bridge's mDNS record.
func newSetupID() (string, error) {
	var b strings.Builder
	for range 4 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(setupIDChars))))
		if err != nil {
			return "", fmt.Errorf("homekit: drawing a setup id: %w", err)
		}
		b.WriteByte(setupIDChars[n.Int64()])
	}
	return b.String(), nil
}

// categoryBridge is HAP's accessory category of a bridge.
const categoryBridge = 2

// SetupURI is the QR code's payload (X-HM://): version 0, the category,
// "IP" as the transport and the setup code in 45 bits, in base 36 on 9
// characters, then the setup id.
func SetupURI(code, setupID string, category uint64) string {
	n, _ := strconv.ParseUint(code, 10, 64)
	v := category<<31 | 1<<28 | n
	s := strings.ToUpper(strconv.FormatUint(v, 36))
	if len(s) < 9 {
		s = strings.Repeat("0", 9-len(s)) + s
	}
	return "X-HM://" + s + setupID
}
