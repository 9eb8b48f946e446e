package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// secret holds a sensitive string. It never renders its value through fmt,
// encoding/json or log/slog, so a config can be printed or logged safely.
type secret string

func (secret) String() string { return "[redacted]" }

func (secret) GoString() string { return `"[redacted]"` }

func (secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

func (secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// config is the runtime configuration, read from environment variables.
type config struct {
	ListenAddr      string
	LogLevel        slog.Level
	APIToken        secret
	FailHealth      bool
	FailAfter       time.Duration
	FailRequests    float64 // fraction of GET / answered 500, for testing error-ratio gates
	ShutdownTimeout time.Duration
	DrainDelay      time.Duration
}

// loadConfig builds a config from getenv (os.Getenv in production).
// All problems are reported together.
func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		ListenAddr: envOr(getenv, "LISTEN_ADDR", ":8080"),
		APIToken:   secret(getenv("API_TOKEN")),
	}
	var errs []error

	lvl, err := parseLogLevel(envOr(getenv, "LOG_LEVEL", "info"))
	if err != nil {
		errs = append(errs, err)
	}
	cfg.LogLevel = lvl

	fh, err := parseBoolFlag("FAIL_HEALTH", getenv("FAIL_HEALTH"))
	if err != nil {
		errs = append(errs, err)
	}
	cfg.FailHealth = fh || failHealth == "true"

	failAfterDefault := failHealthAfter
	if failAfterDefault == "" {
		failAfterDefault = "0s"
	}
	if cfg.FailAfter, err = parseDuration(getenv, "FAIL_HEALTH_AFTER", failAfterDefault); err != nil {
		errs = append(errs, err)
	}
	if v := getenv("FAIL_REQUESTS"); v != "" {
		f, perr := strconv.ParseFloat(v, 64)
		if perr != nil || f < 0 || f > 1 {
			errs = append(errs, fmt.Errorf("FAIL_REQUESTS must be a fraction from 0 to 1, got %q", v))
		}
		cfg.FailRequests = f
	}
	if cfg.ShutdownTimeout, err = parseDuration(getenv, "SHUTDOWN_TIMEOUT", "10s"); err != nil {
		errs = append(errs, err)
	}
	if cfg.DrainDelay, err = parseDuration(getenv, "DRAIN_DELAY", "0s"); err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("LOG_LEVEL: invalid value %q (want debug, info, warn or error)", s)
}

func parseBoolFlag(key, s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true":
		return true, nil
	case "", "0", "false":
		return false, nil
	}
	return false, fmt.Errorf("%s: invalid value %q (want 1, true, 0 or false)", key, s)
}

func parseDuration(getenv func(string) string, key, def string) (time.Duration, error) {
	s := envOr(getenv, key, def)
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: invalid duration %q (want e.g. 500ms, 10s, 1m)", key, s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s: duration %q must not be negative", key, s)
	}
	return d, nil
}
