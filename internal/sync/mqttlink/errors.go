package mqttlink

import "errors"

// Errors returned by this package. Match them with errors.Is.
var (
	// ErrBadOptions: New was given options it cannot use.
	ErrBadOptions = errors.New("mqttlink: invalid options")

	// ErrRefused: the broker refused the CONNECT (bad credentials, not
	// authorised, client id rejected). Status.LastError says which.
	ErrRefused = errors.New("mqttlink: broker refused the connection")

	// ErrTooLarge: the broker began a packet longer than the link accepts;
	// the connection was dropped before its body was read. The error is a
	// *TooLargeError naming the topic when it could be read.
	ErrTooLarge = errors.New("mqttlink: inbound packet over the size limit")

	// ErrMalformed: the broker sent bytes that are not an MQTT 3.1.1 packet
	// stream (a remaining length over 4 bytes, a reserved packet type, QoS
	// 3, a topic longer than its packet); the connection was dropped.
	ErrMalformed = errors.New("mqttlink: malformed packet from the broker")
)
