// Command hello is a small example HTTP service: health and readiness
// probes, build information, Prometheus metrics and graceful shutdown.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=... ...".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
	// failHealth, when set to "true", makes the health checks fail
	// (for testing the rollout of a broken release).
	failHealth = ""
	// failHealthAfter, a Go duration such as "5s", makes the health checks
	// start failing that long after start (for testing a canary that breaks
	// while it soaks).
	failHealthAfter = ""
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process-global parts; it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hello", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print version information and exit")
	healthcheck := fs.Bool("healthcheck", false, "check /healthz of the service on LISTEN_ADDR's port; exit 0 if healthy, else 1")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}

	if !*showVersion {
		var err error
		if getenv, err = withEnvFile(getenv, os.ReadFile); err != nil {
			fmt.Fprintf(stderr, "hello: %v\n", err)
			return 2
		}
	}

	switch {
	case *showVersion:
		b, _ := json.Marshal(map[string]string{
			"version": version, "commit": commit, "date": date, "go_version": runtime.Version(),
		})
		fmt.Fprintln(stdout, string(b))
		return 0
	case *healthcheck:
		url, err := healthcheckURL(envOr(getenv, "LISTEN_ADDR", ":8080"))
		if err == nil {
			err = checkHealth(url, 2*time.Second)
		}
		if err != nil {
			fmt.Fprintf(stderr, "hello: healthcheck failed: %v\n", err)
			return 1
		}
		return 0
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "hello: invalid configuration:\n%v\n", err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err := serve(ctx, cfg, logger); err != nil {
		logger.Error("server failed", "error", err)
		return 1
	}
	return 0
}

// serve runs the HTTP server until ctx is done or SIGTERM/SIGINT arrives,
// then shuts down gracefully. SIGTERM (and a cancelled ctx) first waits out
// DRAIN_DELAY with /readyz answering 503, so that load balancers polling it
// stop sending requests; SIGINT skips that wait, for a caller that has
// already taken this instance out of its load balancer.
func serve(ctx context.Context, cfg config, logger *slog.Logger) error {
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigc)

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return err
	}
	srv := newServer(cfg, logger)
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("starting", "version", version, "commit", commit, "listen_addr", ln.Addr().String())
	if cfg.FailHealth {
		logger.Warn("fail-health mode is on: health checks will fail")
	}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var sig os.Signal
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	case sig = <-sigc:
	}
	signal.Stop(sigc) // a second signal terminates the process immediately

	srv.StartDraining()
	if sig == os.Interrupt {
		logger.Info("stopping without the drain delay", "signal", "SIGINT")
	} else {
		logger.Info("draining", "drain_delay", cfg.DrainDelay.String())
		time.Sleep(cfg.DrainDelay)
	}

	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	<-errc // http.ErrServerClosed
	logger.Info("shutdown complete")
	return nil
}

// healthcheckURL builds the local /healthz URL from LISTEN_ADDR's port.
func healthcheckURL(listenAddr string) (string, error) {
	_, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return "", fmt.Errorf("LISTEN_ADDR %q: %w", listenAddr, err)
	}
	return "http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz", nil
}

// checkHealth returns nil if GET url answers 200 within timeout.
func checkHealth(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: timeout}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %s", url, resp.Status)
	}
	return nil
}
