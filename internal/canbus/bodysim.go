package canbus

import (
	"context"
	"errors"
	"io"
	"maps"
	"sync"
	"time"
)

// BodySim is a simulated body controller for `edgeagent run --sim`, the
// tests and the VM's CAN scenario: it sends the status message every
// period and acts on the hub's command frames as the DBC says (a lock
// command 1 sets its status signal to 1, 2 to 0; other commands are
// echoed as named in Echo).
type BodySim struct {
	cmd, stat *DB
	conn      io.ReadWriteCloser
	// Locks maps a lock command signal to its status signal.
	Locks map[string]string
	// Echo maps a command signal to a status signal that copies it.
	Echo map[string]string

	mu       sync.Mutex
	values   map[string]float64 // the status signals
	silent   bool
	commands []map[string]float64
	seen     chan struct{} // closed and replaced on each command
}

// NewBodySim is a controller on conn. commands are the hub's command
// signals (what it reads), status the signals it sends, all of file.
func NewBodySim(conn io.ReadWriteCloser, file string, data []byte, commands, status []string) (*BodySim, error) {
	cmd, err := Parse(file, data, nil, commands)
	if err != nil {
		return nil, err
	}
	stat, err := Parse(file, data, status, nil)
	if err != nil {
		return nil, err
	}
	s := &BodySim{cmd: cmd, stat: stat, conn: conn,
		values: map[string]float64{}, seen: make(chan struct{})}
	for _, n := range status {
		s.values[n] = 0
	}
	return s, nil
}

// Set sets a status signal (a door opened, the ignition turned).
func (s *BodySim) Set(signal string, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[signal] = v
}

// Get reads a status signal.
func (s *BodySim) Get(signal string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[signal]
}

// Silence stops (true) or resumes the status frames: a bus cut.
func (s *BodySim) Silence(silent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent = silent
}

// Commands returns the command frames' signals received so far, and a
// channel closed at the next one.
func (s *BodySim) Commands() ([]map[string]float64, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]float64(nil), s.commands...), s.seen
}

// SendStatus sends the status message(s) once, unless silenced.
func (s *BodySim) SendStatus(ctx context.Context) error {
	s.mu.Lock()
	if s.silent {
		s.mu.Unlock()
		return nil
	}
	v := maps.Clone(s.values)
	s.mu.Unlock()
	frames, err := s.stat.Encode(v)
	if err != nil {
		return err
	}
	for _, f := range frames {
		if _, err := s.conn.Write(marshalFrame(f)); err != nil {
			return err
		}
	}
	return nil
}

// Run sends the status every period and acts on commands until ctx ends.
func (s *BodySim) Run(ctx context.Context, period time.Duration) error {
	stop := context.AfterFunc(ctx, func() { s.conn.Close() })
	defer stop()
	go s.ReadCommands()
	t := time.NewTicker(period) // real time: this stands for another ECU
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.SendStatus(ctx); err != nil && ctx.Err() == nil {
				return err
			}
		}
	}
}

// ReadCommands applies command frames until the connection closes (Run
// calls it; a test that sends status itself calls it alone).
func (s *BodySim) ReadCommands() {
	buf := make([]byte, frameSize)
	for {
		f, err := readFrame(s.conn, buf)
		if errors.Is(err, errFrame) {
			continue
		}
		if err != nil {
			return
		}
		v, ok := s.cmd.Decode(f)
		if !ok {
			continue
		}
		s.apply(v)
	}
}

func (s *BodySim) apply(v map[string]float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c, st := range s.Locks {
		switch v[c] {
		case 1:
			s.values[st] = 1
		case 2:
			s.values[st] = 0
		}
	}
	for c, st := range s.Echo {
		if x, ok := v[c]; ok {
			s.values[st] = x
		}
	}
	s.commands = append(s.commands, v)
	close(s.seen)
	s.seen = make(chan struct{})
}
