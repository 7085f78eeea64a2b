package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/liveness"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/sdnotify"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
)

// configError is a bad config file or flag value: exit code 2.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// shutdownBound is how long the agent takes at most to stop after SIGTERM.
const shutdownBound = 1500 * time.Millisecond

type runFlags struct {
	config      string
	sim         bool
	dataDir     string
	site        string
	broker      string
	listen      string
	authorities multiFlag
}

func cmdRun(args []string, stderr io.Writer) error {
	var f runFlags
	fs := newFlagSet("run")
	fs.StringVar(&f.config, "config", "", "config file (TOML)")
	fs.BoolVar(&f.sim, "sim", false, "simulate every pin and sensor")
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory (overrides data_dir)")
	fs.StringVar(&f.site, "site", "", "site id (overrides site)")
	fs.StringVar(&f.broker, "broker", "", "MQTT broker URL (overrides mqtt.broker)")
	fs.StringVar(&f.listen, "listen", "", "LAN API address (overrides lan.listen)")
	fs.Var(&f.authorities, "authority", "pinned authority public key FILE.pub (repeatable; added to auth.authorities)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("run takes no arguments, got %q", pos)
	}
	if f.config == "" {
		return usagef("run needs --config FILE")
	}
	cfg, err := loadConfig(f)
	if err != nil {
		return err
	}
	cfg.Auth.Authorities = append(cfg.Auth.Authorities, f.authorities...)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log := newLogger(stderr, cfg.LogLevel)
	var hw devices.Options
	if f.sim {
		hw = devices.NewSim(clock.Real{}).Options()
	} else if hw, err = devices.Host(); err != nil { // sensors: DS18B20s under onewire_root
		return fmt.Errorf("gpio: %w", err)
	}
	return run(ctx, cfg, hw, f.sim, log)
}

// loadConfig reads the file and applies the command-line overrides, each
// checked like the key it replaces: a --site with / or # would otherwise
// become extra MQTT topic levels.
func loadConfig(f runFlags) (*config.Config, error) {
	cfg, err := config.Load(f.config)
	if err != nil {
		return nil, configError{err}
	}
	for _, o := range []struct {
		flag, value string
		check       func(string) error
		dst         *string
	}{
		{"--data-dir", f.dataDir, nil, &cfg.DataDir},
		{"--site", f.site, config.CheckSite, &cfg.Site},
		{"--broker", f.broker, config.CheckBroker, &cfg.MQTT.Broker},
		{"--listen", f.listen, config.CheckListen, &cfg.LAN.Listen},
	} {
		if o.value == "" {
			continue
		}
		if o.check != nil {
			if err := o.check(o.value); err != nil {
				return nil, configError{fmt.Errorf("%s: %w", o.flag, err)}
			}
		}
		*o.dst = o.value
	}
	return cfg, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// agent is the running parts, wired by hand. Services (the admin socket,
// the device loops, the cloud link, the LAN API) are func(ctx) error that
// return when ctx ends.
type agent struct {
	ble         *bleRunner // BLE's status (cmd/edgeagent/ble.go)
	cfg         *config.Config
	log         *slog.Logger
	sim         bool
	started     time.Time
	hub         *devices.Hub
	store       *store.Store
	sec         *secstate.Dir // the security state that outlives the store
	keeper      *localauth.Keeper
	authorities []crypto.PublicKey // pinned: what the cloud's messages must be signed by
	admin       *localapi.Admin
	cloud       func() localapi.CloudStatus // nil without a cloud link
	homes       homes                       // metrics, Home Assistant (homes.go)
}

// service is a long-running part: it returns when ctx ends.
type service func(ctx context.Context) error

// run is the agent: outputs safe first, then the store, then local control.
// hw supplies the pins and sensors (periph and 1-Wire, or simulated).
func run(ctx context.Context, cfg *config.Config, hw devices.Options, sim bool, log *slog.Logger) error {
	a := &agent{cfg: cfg, log: log, sim: sim, started: time.Now()}
	opts := hw
	opts.Clock = clock.Real{}
	opts.Log = log.With("part", "devices")
	// The watchdog's view of the hub's loops (input watchers, sensor pollers).
	live := liveness.New(opts.Clock)
	opts.Liveness = live
	// Principle 2: every output is at its safe level before anything that
	// can fail or wait (the store, the socket) is touched.
	hub, err := devices.New(cfg.Devices(), opts)
	if err != nil {
		return configError{err}
	}
	a.hub = hub
	log.Info("outputs safe", "devices", len(hub.List()), "sim", sim)

	authOpts, err := authOptions(cfg)
	if err != nil {
		hub.Shutdown()
		return configError{err}
	}
	// Principle 7: what must never go backwards is also kept apart from the
	// store file, so that a recovered store does not reopen revoked keys nor
	// set the event clock back.
	sec, err := secstate.Open(cfg.SecStatePath())
	if err != nil {
		hub.Shutdown()
		return fmt.Errorf("security state: %w", err)
	}
	st, rep, err := store.Open(cfg.StorePath(), store.Options{Log: log.With("part", "store"), SecState: sec, Retention: retention(cfg)})
	if errors.Is(err, store.ErrLocked) {
		hub.Shutdown()
		return fmt.Errorf("store %s is held by another process (is another edgeagent running with this data dir?): %w", cfg.StorePath(), err)
	}
	if err != nil {
		hub.Shutdown()
		return fmt.Errorf("store: %w", err)
	}
	defer st.Close()
	a.store = st
	if rep.Recovered {
		log.Error("STORE WAS CORRUPT: moved aside, starting with empty state", "path", rep.Path, "moved_to", rep.MovedTo, "reason", rep.Reason)
	}
	saved, err := st.DeviceStates()
	if err != nil {
		log.Error("reading saved device states; starting from safe defaults", "err", err)
	}
	hub.Start(st, saved)

	a.sec = sec
	authOpts.Store, authOpts.SecState, authOpts.CloudSync = st, sec, cfg.MQTT.Broker != ""
	authOpts.Log = log.With("part", "localauth")
	keeper, err := localauth.New(authOpts)
	if err != nil {
		hub.Shutdown()
		return fmt.Errorf("localauth: %w", err)
	}
	defer keeper.Close() // before st.Close: it writes the time floor
	a.keeper, a.authorities = keeper, authOpts.Authorities

	ln, err := listenAdmin(cfg.SocketPath())
	if err != nil {
		hub.Shutdown()
		return err
	}
	a.admin = &localapi.Admin{Hub: hub, Store: st, Keeper: keeper, Version: version, Site: cfg.Site, Sim: sim, Started: a.started, Log: log.With("part", "admin")}
	// Optional parts: each returns nil when not configured, and never
	// blocks local control (principle 1).
	var services []service
	// The cloud link first: the LAN banner reads its status.
	for _, build := range []func() (service, error){a.syncService, a.lanService, a.bleService, a.haService, a.homekitService, a.metricsService} {
		svc, err := build()
		if err != nil {
			hub.Shutdown()
			return err
		}
		if svc != nil {
			services = append(services, svc)
		}
	}
	services = append(services, a.releaseStoreMemory, a.storeRetention(live))
	srv := &http.Server{Handler: a.admin.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	svcCtx, stopServices := context.WithCancel(ctx)
	defer stopServices()
	hubDone := make(chan error, 1)
	go func() { hubDone <- hub.Run(svcCtx) }()
	var svcWG sync.WaitGroup
	for _, svc := range services {
		svcWG.Go(func() {
			if err := svc(svcCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("service stopped", "err", err)
			}
		})
	}
	log.Info("ready", "site", cfg.Site, "socket", cfg.SocketPath(), "boot", st.Boot(), "hub_id", keeper.HubID(), "startup", time.Since(a.started).Round(time.Millisecond))
	// systemd (Type=notify): ready only now, with outputs safe, the store
	// open and the admin socket serving. Never fatal: local control goes on.
	if err := sdnotify.Ready(); err != nil {
		log.Warn("sd_notify READY", "err", err)
	}
	if iv, ok := sdnotify.WatchdogInterval(); ok {
		// Pings only while the device hub answers and every required loop
		// turns: a device stuck holding its lock, or a watcher or poller
		// stuck in a read, stops them, and systemd restarts the agent.
		svcWG.Go(func() {
			_ = sdnotify.Heartbeat(svcCtx, iv/2, func() error { hub.List(); return live.Check() }, func(err error) {
				log.Error("watchdog ping withheld", "err", err)
			})
		})
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping")
		_ = sdnotify.Stopping()
	case err := <-srvErr:
		runErr = fmt.Errorf("admin socket: %w", err)
	}
	// Every step shares one deadline: locks lock and the boiler stops even
	// if a client holds the socket open or a service hangs.
	deadline := time.Now().Add(shutdownBound)
	stopServices() // hub.Run shuts the devices down safely on its way out
	select {
	case <-hubDone:
	case <-time.After(time.Until(deadline)):
		hub.Shutdown()
	}
	sctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	_ = srv.Shutdown(sctx)
	waitBounded(&svcWG, time.Until(deadline))
	_ = os.Remove(cfg.SocketPath())
	log.Info("stopped")
	return runErr
}

// releaseStoreMemory keeps the store's file pages out of the agent's
// resident memory: once after start (the boot check and the outbox's count
// read the whole file) and then every half minute while a backlog drains.
func (a *agent) releaseStoreMemory(ctx context.Context) error {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		a.store.ReleaseMemory()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// storeRetention runs the store's history retention as a required loop: a
// store stuck in a commit stops its beats, and the watchdog's pings.
func (a *agent) storeRetention(live *liveness.Registry) service {
	r := retention(a.cfg)
	loop := live.Add("store retention", r.Every+5*time.Minute, true)
	return func(ctx context.Context) error { return a.store.Run(ctx, loop.Beat) }
}

// retention maps the [history] section onto the store's retention: with a
// cloud link, what the cloud has not acknowledged is held.
func retention(cfg *config.Config) store.Retention {
	return store.Retention{
		MaxAge:      cfg.History.MaxAge.D(),
		AuditMaxAge: cfg.History.AuditMaxAge.D(),
		MaxBytes:    int64(cfg.History.MaxMB) << 20,
		Hold:        cfg.MQTT.Broker != "",
		Every:       store.DefaultPruneEvery,
	}
}

// waitBounded waits for wg at most d: a stuck service must not hold up the
// exit (the outputs are safe by then).
func waitBounded(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// authOptions reads the auth section: time zone and pinned authority keys.
func authOptions(cfg *config.Config) (localauth.Options, error) {
	loc, err := cfg.Auth.Location()
	if err != nil {
		return localauth.Options{}, fmt.Errorf("auth.timezone: %w", err)
	}
	o := localauth.Options{
		Site:             cfg.Site,
		Location:         loc,
		MaxGrants:        cfg.Auth.MaxGrants,
		MaxRevoked:       cfg.Auth.MaxRevoked,
		TrustedTimeBound: cfg.Auth.TrustedTimeBound.D(),
		PIN: localauth.PINPolicy{
			Attempts:   cfg.Auth.PINAttempts,
			Lockout:    cfg.Auth.PINLockout.D(),
			MaxLockout: cfg.Auth.PINMaxLockout.D(),
		},
	}
	for _, p := range cfg.Auth.Authorities {
		pub, err := localauth.LoadPublicKey(p)
		if err != nil {
			return localauth.Options{}, fmt.Errorf("authority key %s: %w", p, err)
		}
		o.Authorities = append(o.Authorities, pub)
	}
	return o, nil
}

// listenAdmin opens the admin socket, root only. A socket file left by a
// killed agent is removed; one that answers belongs to a running agent.
func listenAdmin(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("admin socket %s: another agent is running there", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	// The umask makes the socket 0600 from its first instant, not after a
	// chmod that a fast client could race.
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	return ln, nil
}

func cmdConfigCheck(args []string, stdout io.Writer) error {
	fs := newFlagSet("config check")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: edgeagent config check FILE")
	}
	cfg, err := config.Load(pos[0])
	if err != nil {
		return configError{err}
	}
	n := len(cfg.Locks) + len(cfg.Switches) + len(cfg.Boilers) + len(cfg.Covers) + len(cfg.Inputs)
	fmt.Fprintf(stdout, "%s: ok (site %s, %d devices: %d locks, %d switches, %d boilers, %d covers, %d inputs)\n",
		pos[0], cfg.Site, n, len(cfg.Locks), len(cfg.Switches), len(cfg.Boilers), len(cfg.Covers), len(cfg.Inputs))
	return nil
}
