//go:build linux

// Command vmguest runs inside the VM test's guest (scripts/vm/init starts
// it as "vmguest run SCENARIOS"): it drives the arm64 edgeagent on a real
// arm64 kernel and prints one line per check for scripts/vm/run.sh:
//
//	VMCHECK <scenario> <check> ok|FAIL <detail>
//	VMBENCH <name> <value> <unit>
//
// It is test code: it is built only into the VM's initramfs, never into
// the agent. Its helper subcommands run in a process of their own so that
// the lines they request are released when they exit.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

const agentBin = "/bin/edgeagent"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: vmguest run SCENARIO[,SCENARIO] | periph-out NAME | hold NAME | can-flood DURATION")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		scen := ""
		if len(os.Args) > 2 {
			scen = os.Args[2]
		}
		os.Exit(run(scen))
	case "periph-out":
		err = periphOut(os.Args[2])
	case "hold":
		err = hold(os.Args[2])
	case "can-flood":
		var d time.Duration
		if d, err = time.ParseDuration(os.Args[2]); err == nil {
			err = canFlood(d)
		}
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmguest:", err)
		os.Exit(1)
	}
}

var scenarios = map[string]func(r *report) error{
	"gpio":     gpioScenario,
	"powercut": powercutScenario,
	"network":  networkScenario,
	"can":      canScenario,
}

func run(list string) int {
	r := &report{}
	for _, name := range strings.Split(list, ",") {
		f, ok := scenarios[name]
		if !ok {
			r.check("boot", "scenario-"+name, errors.New("no such scenario"), "")
			continue
		}
		r.scenario = name
		if err := f(r); err != nil {
			r.check(name, "scenario", err, "")
		}
	}
	if r.failed {
		return 1
	}
	return 0
}

// report prints the checks; any failure makes the run fail.
type report struct {
	scenario string
	failed   bool
}

func (r *report) check(scenario, name string, err error, detail string) {
	if err != nil {
		r.failed = true
		detail = strings.TrimSpace(detail + " " + err.Error())
		fmt.Printf("VMCHECK %s %s FAIL %s\n", scenario, name, oneLine(detail))
		return
	}
	fmt.Printf("VMCHECK %s %s ok %s\n", scenario, name, oneLine(detail))
}

func (r *report) ok(name string, err error, format string, args ...any) bool {
	r.check(r.scenario, name, err, fmt.Sprintf(format, args...))
	return err == nil
}

func bench(name string, value float64, unit string) {
	fmt.Printf("VMBENCH %s %.1f %s\n", name, value, unit)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// waitFor polls cond until it holds or the bound passes: the guest watches
// a kernel or another process, which offers nothing to block on.
func waitFor(bound time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(bound)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// agent is a running edgeagent with its log kept for failure messages.
type agent struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	log     bytes.Buffer
	ready   chan struct{}
	done    chan struct{}
	err     error
	onReady func()
}

// startAgent runs "edgeagent run --config cfg extra..."; onReady (may be nil) is
// called from the log reader the moment the agent logs "ready".
func startAgent(cfg string, onReady func(), extra ...string) (*agent, error) {
	return startAgentArgv(append([]string{agentBin, "run", "--config", cfg}, extra...), onReady)
}

// startAgentArgv runs the agent with argv (in a network namespace: "ip
// netns exec hub edgeagent ...").
func startAgentArgv(argv []string, onReady func()) (*agent, error) {
	a := &agent{ready: make(chan struct{}), done: make(chan struct{}), onReady: onReady}
	a.cmd = exec.Command(argv[0], argv[1:]...)
	stderr, err := a.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	a.cmd.Stdout = os.Stdout
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		readySeen := false
		for sc.Scan() {
			line := sc.Text()
			if !readySeen && strings.Contains(line, "msg=ready") {
				readySeen = true
				if a.onReady != nil {
					a.onReady()
				}
				close(a.ready)
			}
			a.mu.Lock()
			a.log.WriteString(line + "\n")
			a.mu.Unlock()
		}
		a.err = a.cmd.Wait()
		close(a.done)
	}()
	return a, nil
}

func (a *agent) logText() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.log.String()
}

func (a *agent) waitReady(bound time.Duration) error {
	select {
	case <-a.ready:
		return nil
	case <-a.done:
		return fmt.Errorf("agent exited before ready (%v): %s", a.err, a.logText())
	case <-time.After(bound):
		return fmt.Errorf("agent not ready after %s: %s", bound, a.logText())
	}
}

// exited waits for the agent to exit on its own and returns its error.
func (a *agent) exited(bound time.Duration) (error, bool) {
	select {
	case <-a.done:
		return a.err, true
	case <-time.After(bound):
		return nil, false
	}
}

// stop sends SIGTERM and waits (bounded), then SIGKILL.
func (a *agent) stop() error {
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	if err, ok := a.exited(20 * time.Second); ok {
		return err
	}
	_ = a.cmd.Process.Kill()
	<-a.done
	return errors.New("agent did not stop within 20s of SIGTERM")
}

// kill is a SIGKILL: the process ends at once, the kernel keeps its writes.
func (a *agent) kill() {
	_ = a.cmd.Process.Kill()
	<-a.done
}
