// Package characteristic implements the HomeKit characteristics.
package characteristic
