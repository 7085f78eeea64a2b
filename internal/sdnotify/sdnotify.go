// Package sdnotify owns the agent's side of systemd's service notification
// protocol (sd_notify(3)): READY=1 once local control is served, WATCHDOG=1
// pings while the agent is healthy, STOPPING=1 on the way out.
//
// A notification is one datagram to the unix socket named by $NOTIFY_SOCKET.
// Every function is a no-op returning nil when that variable is unset (the
// agent run by hand, in tests, or under another supervisor), so callers never
// need to know whether systemd is there. A failure to notify is returned for
// logging; it must never stop the agent, which keeps serving local control
// whatever its supervisor hears.
package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// Notify sends state (one or more newline-separated VAR=value assignments)
// to $NOTIFY_SOCKET. It returns nil without doing anything when the variable
// is unset.
func Notify(state string) error {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil
	}
	// "@name" is a socket in the abstract namespace (a leading NUL byte).
	if addr[0] == '@' {
		addr = "\x00" + addr[1:]
	} else if addr[0] != '/' {
		return fmt.Errorf("sdnotify: NOTIFY_SOCKET %q is neither a path nor an abstract socket", addr)
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	defer c.Close()
	// A datagram socket never blocks for long, but systemd may be busy: a
	// bound keeps a health loop from hanging on its own notification.
	if err := c.SetWriteDeadline(time.Now().Add(time.Second)); err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	return nil
}

// Ready tells systemd that start-up is complete: with Type=notify, units
// ordered after edgeagent start only now, and `systemctl start` returns.
func Ready() error { return Notify("READY=1") }

// Stopping tells systemd that the agent is shutting down.
func Stopping() error { return Notify("STOPPING=1") }

// Watchdog pings the service watchdog (WatchdogSec= in the unit). Without a
// ping within the interval systemd kills the agent with SIGABRT (the Go
// runtime prints every goroutine's stack to the journal) and restarts it.
func Watchdog() error { return Notify("WATCHDOG=1") }

// WatchdogInterval returns the watchdog timeout systemd expects pings within
// (from $WATCHDOG_USEC), and false when no watchdog is enabled for this
// process ($WATCHDOG_PID, when set, names another process).
func WatchdogInterval() (time.Duration, bool) {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0, false
	}
	if p := os.Getenv("WATCHDOG_PID"); p != "" {
		pid, err := strconv.Atoi(p)
		if err != nil || pid != os.Getpid() {
			return 0, false
		}
	}
	return time.Duration(usec) * time.Microsecond, true
}

// ErrUnhealthy is returned by Heartbeat's check when it did not answer in
// time; it is reported to Heartbeat's onMiss.
var ErrUnhealthy = errors.New("sdnotify: health check did not answer in time")

// Heartbeat calls check every interval and sends WATCHDOG=1 only when check
// returned nil within half the interval. A check that hangs (a device loop stuck
// on a pin or a mutex) therefore stops the pings, and systemd restarts the
// agent; a hung check is never started twice, so a stuck device cannot pile
// up goroutines. onMiss, when not nil, is told about every missed ping (the
// check's error, or ErrUnhealthy), and about notification failures.
// Heartbeat returns nil when ctx is done.
//
// Call it with half of WatchdogInterval, as systemd recommends.
func Heartbeat(ctx context.Context, interval time.Duration, check func() error, onMiss func(error)) error {
	if interval <= 0 {
		return fmt.Errorf("sdnotify: heartbeat interval %s is not positive", interval)
	}
	if onMiss == nil {
		onMiss = func(error) {}
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var pending chan error // the check still running from an earlier tick
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if pending == nil {
			pending = make(chan error, 1)
			go func(out chan<- error) { out <- check() }(pending)
		}
		// Real time, not an injected clock: this bounds how long a live
		// process may take to answer, which is what systemd measures. Half
		// an interval keeps the gap between two pings under 1.5 intervals
		// (0.75 of WatchdogSec when interval is half of it).
		wait := time.NewTimer(interval / 2)
		select {
		case err := <-pending:
			pending = nil
			wait.Stop()
			if err != nil {
				onMiss(err)
				continue
			}
			if err := Watchdog(); err != nil {
				onMiss(err)
			}
		case <-wait.C:
			onMiss(ErrUnhealthy)
		case <-ctx.Done():
			wait.Stop()
			return nil
		}
	}
}
