package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"time"
)

// server holds the HTTP handlers and their state. It never keeps the API
// token itself, only the short hash prefix shown on /version.
type server struct {
	logger      *slog.Logger
	metrics     *metrics
	failHealth  bool
	failAt      time.Time // zero: never
	failShare   float64   // fraction of GET / answered 500 (FAIL_REQUESTS)
	rootCount   atomic.Uint64
	draining    atomic.Bool
	hostname    string
	tokenPrefix string
}

func newServer(cfg config, logger *slog.Logger) *server {
	if logger == nil {
		logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return &server{
		logger:      logger,
		metrics:     newMetrics(),
		failHealth:  cfg.FailHealth,
		failAt:      failTime(cfg.FailAfter),
		failShare:   cfg.FailRequests,
		hostname:    host,
		tokenPrefix: tokenPrefix(string(cfg.APIToken)),
	}
}

// tokenPrefix returns the first 8 hex characters of sha256(token), or ""
// when no token is set. It lets operators check which token is deployed.
func tokenPrefix(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])[:8]
}

// StartDraining makes /readyz fail so that load balancers stop sending
// new traffic, while everything else keeps being served.
func (s *server) StartDraining() { s.draining.Store(true) }

// Handler returns the complete HTTP handler, with logging and metrics.
func (s *server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleRoot)
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.HandleFunc("GET /version", s.handleVersion)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	return s.instrument(mux)
}

func (s *server) handleRoot(w http.ResponseWriter, _ *http.Request) {
	if s.failShare > 0 && float64(s.rootCount.Add(1)%100) < s.failShare*100 {
		writeText(w, http.StatusInternalServerError, "injected failure (FAIL_REQUESTS)\n")
		return
	}
	writeJSON(w, map[string]string{
		"message":  "hello, world",
		"hostname": s.hostname,
		"version":  version,
	})
}

// failTime is when a server that starts now begins to fail its health
// checks (FAIL_HEALTH_AFTER), or the zero time for never.
func failTime(after time.Duration) time.Time {
	if after <= 0 {
		return time.Time{}
	}
	return time.Now().Add(after)
}

// unhealthy reports whether the health checks fail now.
func (s *server) unhealthy() bool {
	return s.failHealth || (!s.failAt.IsZero() && !time.Now().Before(s.failAt))
}

func (s *server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	if s.unhealthy() {
		writeText(w, http.StatusServiceUnavailable, "unhealthy\n")
		return
	}
	writeText(w, http.StatusOK, "ok\n")
}

func (s *server) handleReadyz(w http.ResponseWriter, _ *http.Request) {
	switch {
	case s.unhealthy():
		writeText(w, http.StatusServiceUnavailable, "unhealthy\n")
	case s.draining.Load():
		writeText(w, http.StatusServiceUnavailable, "draining\n")
	default:
		writeText(w, http.StatusOK, "ready\n")
	}
}

type versionInfo struct {
	Version     string `json:"version"`
	Commit      string `json:"commit"`
	Date        string `json:"date"`
	GoVersion   string `json:"go_version"`
	TokenPrefix string `json:"api_token_sha256_prefix"`
	Hostname    string `json:"hostname"`
}

func (s *server) handleVersion(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, versionInfo{
		Version:     version,
		Commit:      commit,
		Date:        date,
		GoVersion:   runtime.Version(),
		TokenPrefix: s.tokenPrefix,
		Hostname:    s.hostname,
	})
}

func (s *server) handleMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if err := s.metrics.writeTo(w); err != nil {
		s.logger.Debug("writing metrics", "error", err)
	}
}

// instrument logs one line per request and records request metrics.
func (s *server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		d := time.Since(start)

		s.metrics.observe(routeLabel(r.URL.Path), rec.code, d)
		s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path), // never the query string
			slog.Int("code", rec.code),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.code, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(v)
}
