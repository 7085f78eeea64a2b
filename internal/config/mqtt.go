package config

// MQTT configures the cloud link (packages under internal/sync). With no
// broker the agent runs local-only: nothing else depends on the link.
type MQTT struct {
	// Broker is the URL: tcp://host:1883 or ssl://host:8883. Empty: no
	// cloud link. `edgeagent run --broker URL` overrides it.
	Broker string `toml:"broker"`
}

func (m *MQTT) validate(v *validator) {}
