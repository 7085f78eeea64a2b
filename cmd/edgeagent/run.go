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
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

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

// parts are what the services share, each made once by run in the order
// the principles ask: the hub (outputs safe) first, then the security
// state and the store, then the keeper.
type parts struct {
	cfg         *config.Config
	log         *slog.Logger
	hub         *devices.Hub
	store       *store.Store
	sec         *secstate.Dir // the security state that outlives the store
	keeper      *localauth.Keeper
	authorities []crypto.PublicKey // pinned: what the cloud's messages must be signed by
	live        *liveness.Registry // every long-running loop's beats: the watchdog's view
}

// service is a long-running part: it returns when ctx ends. An optional
// one (the cloud link, the LAN API) that fails is logged and local control
// goes on (principle 1); a required one that fails stops the agent.
type service struct {
	name     string
	run      func(ctx context.Context) error
	optional bool
}

// run is the agent: outputs safe first, then the store, then local control.
// hw supplies the pins and sensors (periph and 1-Wire, or simulated). Every
// exit path, an error at any step or a stop, leaves the outputs safe: the
// deferred hub.Shutdown (a no-op once hub.Run has done it).
func run(ctx context.Context, cfg *config.Config, hw devices.Options, sim bool, log *slog.Logger) error {
	started := time.Now()
	live := liveness.New(clock.Real{})
	// Principle 2: every output is at its safe level before anything that
	// can fail or wait (the store, the socket) is touched.
	car, err := openVehicle(cfg, sim, log)
	if err != nil {
		return configError{err}
	}
	hub, err := newHub(cfg, hw, car.hubBus(), live, log)
	if err != nil {
		return configError{err}
	}
	defer hub.Shutdown()
	log.Info("outputs safe", "devices", len(hub.List()), "sim", sim)

	authOpts, err := authOptions(cfg)
	if err != nil {
		return configError{err}
	}
	sec, st, err := openStore(cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	saved, err := st.DeviceStates()
	if err != nil {
		log.Error("reading saved device states; starting from safe defaults", "err", err)
	}
	hub.Start(st, saved)
	// Once started the hub journals to the store: its shutdown records go
	// there before the store closes.
	defer hub.Shutdown()

	authOpts.Store, authOpts.SecState, authOpts.CloudSync = st, sec, cfg.MQTT.Broker != ""
	authOpts.Vehicle = vehiclePolicy(cfg, hub)
	authOpts.Log = log.With("part", "localauth")
	keeper, err := localauth.New(authOpts)
	if err != nil {
		return fmt.Errorf("localauth: %w", err)
	}
	defer keeper.Close() // before st.Close: it writes the time floor

	adminLn, err := listenAdmin(cfg.SocketPath())
	if err != nil {
		return err
	}
	defer adminLn.Close() // removes the socket file, also when a later step fails

	p := &parts{cfg: cfg, log: log, hub: hub, store: st, sec: sec, keeper: keeper, authorities: authOpts.Authorities, live: live}
	// Optional parts: each is nil when not configured, and never blocks
	// local control (principle 1). The cloud link first: the LAN banner
	// reads its status.
	link, err := newSync(p)
	if err != nil {
		return err
	}
	hk, err := newHomeKit(p)
	if err != nil {
		return err
	}
	lan, err := newLAN(p, link.banner(), hk.status())
	if err != nil {
		return err
	}
	defer lan.close()
	bt, err := newBLE(p)
	if err != nil {
		return err
	}
	homes, err := newHomes(p, hk, link.status(), lan.info())
	if err != nil {
		return err
	}
	admin := &localapi.Admin{Hub: hub, Store: st, Keeper: keeper, Cloud: link.status(), LAN: lan.info(), BLE: bt.Status, HomeKit: hk.status(), Loops: live,
		Version: version, Site: cfg.Site, Sim: sim, Started: started, Log: log.With("part", "admin")}

	services := []service{
		{name: "devices", run: hub.Run},
		{name: "admin socket", run: serveAdmin(admin, adminLn, live)},
		{name: "store memory", run: releaseStoreMemory(st)},
		storeRetention(cfg, st, live),
	}
	services = append(services, link.services()...)
	services = append(services, lan.services()...)
	services = append(services, bt.services()...)
	services = append(services, homes.services()...)
	services = append(services, car.services(cfg, hub)...)
	if iv, ok := sdnotify.WatchdogInterval(); ok {
		services = append(services, watchdog(iv, hub, live, log))
	}
	return runServices(ctx, log, services, func() {
		log.Info("ready", "site", cfg.Site, "socket", cfg.SocketPath(), "boot", st.Boot(), "hub_id", keeper.HubID(), "startup", time.Since(started).Round(time.Millisecond))
		// systemd (Type=notify): ready only now, with outputs safe, the
		// store open and the admin socket listening. Never fatal: local
		// control goes on.
		if err := sdnotify.Ready(); err != nil {
			log.Warn("sd_notify READY", "err", err)
		}
	})
}

// newHub is the one place the device hub is made: from the config's
// devices, on hw's pins and sensors, each loop registered on live.
func newHub(cfg *config.Config, hw devices.Options, bus devices.Bus, live *liveness.Registry, log *slog.Logger) (*devices.Hub, error) {
	opts := hw
	opts.Clock = clock.Real{}
	opts.Log = log.With("part", "devices")
	opts.Liveness = live
	dc := cfg.Devices()
	if dc.Vehicle != nil {
		dc.Vehicle.Bus = bus // nil: GPIO relays
	}
	return devices.New(dc, opts)
}

// openStore opens the security state and the store. Principle 7: what must
// never go backwards is also kept apart from the store file, so that a
// recovered store does not reopen revoked keys nor set the event clock back.
func openStore(cfg *config.Config, log *slog.Logger) (*secstate.Dir, *store.Store, error) {
	sec, err := secstate.Open(cfg.SecStatePath())
	if err != nil {
		return nil, nil, fmt.Errorf("security state: %w", err)
	}
	st, rep, err := store.Open(cfg.StorePath(), store.Options{Log: log.With("part", "store"), SecState: sec, Retention: retention(cfg)})
	if errors.Is(err, store.ErrLocked) {
		return nil, nil, fmt.Errorf("store %s is held by another process (is another edgeagent running with this data dir?): %w", cfg.StorePath(), err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: %w", err)
	}
	if rep.Recovered {
		log.Error("STORE WAS CORRUPT: moved aside, starting with empty state", "path", rep.Path, "moved_to", rep.MovedTo, "reason", rep.Reason)
	}
	return sec, st, nil
}

// runServices runs every service in one errgroup until ctx ends or a
// required service fails, calling ready once they are started. Then it
// stops them all within shutdownBound: locks lock and the boiler stops
// (hub.Run's shutdown, or run's deferred one) even if a client holds a
// socket open or a service hangs, which is then left behind.
func runServices(ctx context.Context, log *slog.Logger, services []service, ready func()) error {
	g, gctx := errgroup.WithContext(ctx)
	failed := make(chan error, len(services))
	for _, s := range services {
		g.Go(func() error {
			err := s.run(gctx)
			switch {
			case err == nil || errors.Is(err, context.Canceled):
				return nil
			case s.optional:
				log.Error("service stopped; local control goes on", "service", s.name, "err", err)
				return nil
			}
			err = fmt.Errorf("%s: %w", s.name, err)
			failed <- err
			return err
		})
	}
	ready()
	<-gctx.Done()
	if ctx.Err() != nil {
		log.Info("stopping")
		_ = sdnotify.Stopping()
	}
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	bound := time.NewTimer(shutdownBound)
	defer bound.Stop()
	var err error
	select {
	case err = <-done:
	case <-bound.C:
		log.Error("a service did not stop within the shutdown bound; exiting without it", "bound", shutdownBound)
		select {
		case err = <-failed:
		default:
		}
	}
	log.Info("stopped")
	return err
}

// serveAdmin serves the admin API on ln until ctx ends. Its liveness is
// a request through the socket answered in time: a server that stopped
// accepting, or whose answers hang, stops the watchdog's pings.
func serveAdmin(admin *localapi.Admin, ln net.Listener, live *liveness.Registry) func(context.Context) error {
	loop := live.Add("admin socket", probeBound, true)
	client := localapi.NewAdminClient(ln.Addr().String())
	return func(ctx context.Context) error {
		// HTTP/1 only: a Unix socket has no TLS to negotiate HTTP/2 on, and
		// net/http would still set up its HTTP/2 server at every start.
		var http1 http.Protocols
		http1.SetHTTP1(true)
		srv := &http.Server{Handler: admin.Handler(), Protocols: &http1, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		probeCtx, stopProbe := context.WithCancel(ctx)
		probed := make(chan struct{})
		go func() { loop.Probe(probeCtx, probeEvery, client.Ping); close(probed) }()
		defer func() { stopProbe(); <-probed }()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), shutdownBound)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	}
}

// The servers' liveness probes: one request every probeEvery; a server
// with no request answered for probeBound (three probes, the input
// watchers' bound) is stalled.
const (
	probeEvery = 3 * time.Second
	probeBound = 10 * time.Second
)

// watchdog pings systemd only while the device hub answers and every
// required loop turns: a device stuck holding its lock, a watcher or
// poller stuck in a read, a server that no longer answers stops the pings,
// and systemd restarts the agent. The cloud loop is not required: offline
// is normal.
func watchdog(interval time.Duration, hub *devices.Hub, live *liveness.Registry, log *slog.Logger) service {
	return service{name: "watchdog", run: func(ctx context.Context) error {
		return sdnotify.Heartbeat(ctx, interval/2, func() error { hub.List(); return live.Check() }, func(err error) {
			log.Error("watchdog ping withheld", "err", err)
		})
	}}
}

// releaseStoreMemory keeps the store's file pages out of the agent's
// resident memory: once after start (the boot check and the outbox's count
// read the whole file) and then every half minute while a backlog drains.
func releaseStoreMemory(st *store.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			st.ReleaseMemory()
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	}
}

// storeRetention runs the store's history retention as a required loop: a
// store stuck in a commit stops its beats, and the watchdog's pings.
func storeRetention(cfg *config.Config, st *store.Store, live *liveness.Registry) service {
	loop := live.Add("store retention", retention(cfg).Every+5*time.Minute, true)
	return service{name: "store retention", run: func(ctx context.Context) error { return st.Run(ctx, loop.Beat) }}
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
	n := len(cfg.Locks) + len(cfg.Switches) + len(cfg.Boilers) + len(cfg.Covers) + len(cfg.Inputs) + len(cfg.Nodes)
	fmt.Fprintf(stdout, "%s: ok (site %s, %d devices: %d locks, %d switches, %d boilers, %d covers, %d inputs, %d nodes)\n",
		pos[0], cfg.Site, n, len(cfg.Locks), len(cfg.Switches), len(cfg.Boilers), len(cfg.Covers), len(cfg.Inputs), len(cfg.Nodes))
	return nil
}
