package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const testToken = "s3cr3t-token"

func testConfig(t *testing.T, env map[string]string) config {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	return cfg
}

// do sends one request through h and returns the recorded response.
func do(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func expect(t *testing.T, rec *httptest.ResponseRecorder, code int, body string) {
	t.Helper()
	if rec.Code != code || (body != "" && rec.Body.String() != body) {
		t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body.String(), code, body)
	}
}

func TestEndpoints(t *testing.T) {
	h := newServer(testConfig(t, nil), nil).Handler()

	expect(t, do(h, "GET", "/healthz"), 200, "ok\n")
	expect(t, do(h, "GET", "/readyz"), 200, "ready\n")
	expect(t, do(h, "GET", "/nope"), 404, "")
	expect(t, do(h, "GET", "/healthz/extra"), 404, "")
	expect(t, do(h, "POST", "/healthz"), 405, "")

	rec := do(h, "GET", "/")
	expect(t, rec, 200, "")
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("/ Content-Type = %q", ct)
	}
	var greeting map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &greeting); err != nil {
		t.Fatalf("/ body is not JSON: %v", err)
	}
	if greeting["version"] != version || greeting["hostname"] == "" || greeting["message"] == "" {
		t.Errorf("/ greeting = %v", greeting)
	}
}

func TestDrainingFailsOnlyReadiness(t *testing.T) {
	s := newServer(testConfig(t, nil), nil)
	h := s.Handler()
	s.StartDraining()
	expect(t, do(h, "GET", "/readyz"), 503, "draining\n")
	expect(t, do(h, "GET", "/healthz"), 200, "ok\n")
	expect(t, do(h, "GET", "/"), 200, "")
}

func TestFailHealth(t *testing.T) {
	for _, v := range []string{"1", "true", "TRUE"} {
		h := newServer(testConfig(t, map[string]string{"FAIL_HEALTH": v}), nil).Handler()
		expect(t, do(h, "GET", "/healthz"), 503, "")
		expect(t, do(h, "GET", "/readyz"), 503, "")
		expect(t, do(h, "GET", "/version"), 200, "")
	}
}

func TestFailRequests(t *testing.T) {
	h := newServer(testConfig(t, map[string]string{"FAIL_REQUESTS": "0.25"}), nil).Handler()
	failed := 0
	for i := 0; i < 200; i++ {
		switch code := do(h, "GET", "/").Code; code {
		case 500:
			failed++
		case 200:
		default:
			t.Fatalf("GET / answered %d", code)
		}
	}
	if failed != 50 {
		t.Errorf("%d of 200 requests failed, want 50", failed)
	}
	// the health checks and the rest are not touched
	expect(t, do(h, "GET", "/healthz"), 200, "")
	expect(t, do(h, "GET", "/version"), 200, "")
	if body := do(h, "GET", "/metrics").Body.String(); !strings.Contains(body, `http_requests_total{path="/",code="500"} 50`) {
		t.Errorf("the failures are not counted in the metrics:\n%s", body)
	}
}

func TestFailHealthBuildVariable(t *testing.T) {
	old := failHealth
	failHealth = "true"
	defer func() { failHealth = old }()

	cfg := testConfig(t, nil)
	if !cfg.FailHealth {
		t.Fatal("failHealth=true build variable did not enable fail-health mode")
	}
	expect(t, do(newServer(cfg, nil).Handler(), "GET", "/healthz"), 503, "")
}

func TestFailHealthAfter(t *testing.T) {
	old := failHealthAfter
	failHealthAfter = "500ms"
	defer func() { failHealthAfter = old }()

	h := newServer(testConfig(t, nil), nil).Handler()
	expect(t, do(h, "GET", "/healthz"), 200, "")
	expect(t, do(h, "GET", "/readyz"), 200, "")
	time.Sleep(700 * time.Millisecond)
	expect(t, do(h, "GET", "/healthz"), 503, "")
	expect(t, do(h, "GET", "/readyz"), 503, "")
	expect(t, do(h, "GET", "/version"), 200, "")

	// the environment variable overrides the build variable
	h = newServer(testConfig(t, map[string]string{"FAIL_HEALTH_AFTER": "0s"}), nil).Handler()
	time.Sleep(700 * time.Millisecond)
	expect(t, do(h, "GET", "/healthz"), 200, "")
	if _, err := loadConfig(func(k string) string {
		if k == "FAIL_HEALTH_AFTER" {
			return "soon"
		}
		return ""
	}); err == nil {
		t.Fatal("FAIL_HEALTH_AFTER=soon was accepted")
	}
}

func TestVersion(t *testing.T) {
	for _, tc := range []struct{ token, prefix string }{
		{"", ""},
		{testToken, "fb07916a"}, // sha256("s3cr3t-token")[:8]
	} {
		h := newServer(testConfig(t, map[string]string{"API_TOKEN": tc.token}), nil).Handler()
		rec := do(h, "GET", "/version")
		expect(t, rec, 200, "")
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		var got map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("body is not JSON: %v", err)
		}
		for _, k := range []string{"version", "commit", "date", "go_version", "api_token_sha256_prefix", "hostname"} {
			if _, ok := got[k]; !ok {
				t.Errorf("missing field %q in %s", k, rec.Body)
			}
		}
		if got["version"] != version || got["commit"] != commit || got["date"] != date ||
			!strings.HasPrefix(got["go_version"], "go") || got["hostname"] == "" {
			t.Errorf("unexpected version info: %v", got)
		}
		if got["api_token_sha256_prefix"] != tc.prefix {
			t.Errorf("token prefix = %q, want %q", got["api_token_sha256_prefix"], tc.prefix)
		}
	}
}

func TestTokenNeverExposed(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := testConfig(t, map[string]string{"API_TOKEN": testToken})
	h := newServer(cfg, logger).Handler()

	for _, p := range []string{"/", "/healthz", "/readyz", "/version", "/metrics", "/nope?token=" + testToken} {
		if rec := do(h, "GET", p); strings.Contains(rec.Body.String(), testToken) {
			t.Errorf("GET %s leaks the API token", p)
		}
	}
	logger.Info("config", "config", cfg)
	if strings.Contains(logs.String(), testToken) {
		t.Errorf("logs leak the API token:\n%s", logs.String())
	}
}

func TestMetrics(t *testing.T) {
	h := newServer(testConfig(t, nil), nil).Handler()
	do(h, "GET", "/healthz")
	do(h, "GET", "/healthz")
	do(h, "GET", "/does-not-exist")
	do(h, "GET", "/another/unknown/path")

	rec := do(h, "GET", "/metrics")
	expect(t, rec, 200, "")
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q", ct)
	}
	body := rec.Body.String()
	for _, want := range []string{
		"# HELP http_requests_total ",
		"# TYPE http_requests_total counter\n",
		`http_requests_total{path="/healthz",code="200"} 2` + "\n",
		`http_requests_total{path="other",code="404"} 2` + "\n",
		"# TYPE http_request_duration_seconds histogram\n",
		`http_request_duration_seconds_bucket{path="/healthz",le="+Inf"} 2` + "\n",
		`http_request_duration_seconds_count{path="/healthz"} 2` + "\n",
		`http_request_duration_seconds_sum{path="/healthz"} `,
		"# TYPE hello_build_info gauge\n",
		`hello_build_info{version="` + version + `",commit="` + commit + `",go_version="`,
		"# TYPE process_start_time_seconds gauge\n",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics output lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "does-not-exist") {
		t.Error("unknown paths must be labelled \"other\"")
	}
	if strings.Index(body, `path="/healthz",code`) > strings.Index(body, `path="other",code`) {
		t.Error("series are not in deterministic (sorted) order")
	}
	if second := do(h, "GET", "/metrics").Body.String(); !strings.Contains(second, `http_requests_total{path="/metrics",code="200"} 1`) {
		t.Error("scrapes of /metrics are not counted")
	}
}

func TestMetricsConcurrent(t *testing.T) {
	h := newServer(testConfig(t, nil), nil).Handler()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 25; j++ {
				do(h, "GET", "/readyz")
				do(h, "GET", "/metrics")
			}
		}()
	}
	wg.Wait()
	body := do(h, "GET", "/metrics").Body.String()
	if !strings.Contains(body, `http_requests_total{path="/readyz",code="200"} 500`+"\n") {
		t.Errorf("lost updates under concurrency:\n%s", body)
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg := testConfig(t, nil)
	if cfg.ListenAddr != ":8080" || cfg.LogLevel != slog.LevelInfo || cfg.FailHealth ||
		cfg.ShutdownTimeout != 10*time.Second || cfg.DrainDelay != 0 || cfg.APIToken != "" {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	cfg = testConfig(t, map[string]string{
		"LISTEN_ADDR": "127.0.0.1:9000", "LOG_LEVEL": "debug",
		"SHUTDOWN_TIMEOUT": "30s", "DRAIN_DELAY": "5s",
	})
	if cfg.ListenAddr != "127.0.0.1:9000" || cfg.LogLevel != slog.LevelDebug ||
		cfg.ShutdownTimeout != 30*time.Second || cfg.DrainDelay != 5*time.Second {
		t.Errorf("env not applied: %+v", cfg)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ key, val string }{
		{"LOG_LEVEL", "verbose"},
		{"SHUTDOWN_TIMEOUT", "10"},
		{"SHUTDOWN_TIMEOUT", "-1s"},
		{"DRAIN_DELAY", "soon"},
		{"FAIL_HEALTH", "maybe"},
		{"FAIL_REQUESTS", "half"},
		{"FAIL_REQUESTS", "1.5"},
	} {
		env := map[string]string{tc.key: tc.val}
		getenv := func(k string) string { return env[k] }
		_, err := loadConfig(getenv)
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s=%q: error %v should name the variable", tc.key, tc.val, err)
		}

		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), nil, getenv, &stdout, &stderr); code != 2 {
			t.Errorf("%s=%q: exit code %d, want 2", tc.key, tc.val, code)
		}
		if !strings.Contains(stderr.String(), tc.key) {
			t.Errorf("%s=%q: stderr %q should name the variable", tc.key, tc.val, stderr.String())
		}
	}
}

func TestVersionFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return map[string]string{"API_TOKEN": testToken}[k] }
	if code := run(context.Background(), []string{"-version"}, getenv, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr.String())
	}
	var got map[string]string
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || got["version"] != version {
		t.Errorf("-version printed %q (%v)", stdout.String(), err)
	}
	if strings.Contains(stdout.String(), testToken) {
		t.Error("-version leaks the API token")
	}
}

func TestHealthcheck(t *testing.T) {
	if u, err := healthcheckURL(":8080"); err != nil || u != "http://127.0.0.1:8080/healthz" {
		t.Errorf("healthcheckURL(:8080) = %q, %v", u, err)
	}
	if _, err := healthcheckURL("8080"); err == nil {
		t.Error("healthcheckURL accepted an address without a port")
	}

	healthy := httptest.NewServer(newServer(testConfig(t, nil), nil).Handler())
	defer healthy.Close()
	if err := checkHealth(healthy.URL+"/healthz", 2*time.Second); err != nil {
		t.Errorf("healthy service: %v", err)
	}

	sick := httptest.NewServer(newServer(testConfig(t, map[string]string{"FAIL_HEALTH": "1"}), nil).Handler())
	defer sick.Close()
	if err := checkHealth(sick.URL+"/healthz", 2*time.Second); err == nil {
		t.Error("failing service reported healthy")
	}

	port := healthy.URL[strings.LastIndex(healthy.URL, ":")+1:]
	getenv := func(k string) string { return map[string]string{"LISTEN_ADDR": ":" + port}[k] }
	var out bytes.Buffer
	if code := run(context.Background(), []string{"-healthcheck"}, getenv, &out, &out); code != 0 {
		t.Errorf("-healthcheck exit code %d: %s", code, out.String())
	}
}

func TestServeShutsDownGracefully(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	cfg := testConfig(t, map[string]string{
		"LISTEN_ADDR": "127.0.0.1:0", "API_TOKEN": testToken, "DRAIN_DELAY": "10ms",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := serve(ctx, cfg, logger); err != nil {
		t.Fatalf("serve: %v", err)
	}
	for _, want := range []string{`"msg":"starting"`, `"listen_addr":"127.0.0.1:`, `"msg":"draining"`, `"msg":"shutdown complete"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), testToken) {
		t.Error("logs leak the API token")
	}
}

// SIGTERM waits out DRAIN_DELAY; SIGINT (the instance is already out of its
// load balancer) shuts down without it.
func TestServeSignals(t *testing.T) {
	for _, tc := range []struct {
		sig       syscall.Signal
		wantDrain bool
	}{{syscall.SIGTERM, true}, {syscall.SIGINT, false}} {
		var logs bytes.Buffer
		cfg := testConfig(t, map[string]string{
			"LISTEN_ADDR": "127.0.0.1:0", "API_TOKEN": testToken, "DRAIN_DELAY": "600ms",
		})
		done := make(chan error, 1)
		go func() { done <- serve(context.Background(), cfg, slog.New(slog.NewJSONHandler(&logs, nil))) }()
		time.Sleep(100 * time.Millisecond) // let serve install its signal handler
		start := time.Now()
		if err := syscall.Kill(os.Getpid(), tc.sig); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%v: serve: %v", tc.sig, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%v: serve did not return", tc.sig)
		}
		took := time.Since(start)
		drained := strings.Contains(logs.String(), `"msg":"draining"`)
		if drained != tc.wantDrain || (tc.wantDrain && took < 600*time.Millisecond) || (!tc.wantDrain && took >= 600*time.Millisecond) {
			t.Errorf("%v: drained=%v after %v, want drain=%v:\n%s", tc.sig, drained, took, tc.wantDrain, logs.String())
		}
	}
}

func TestParseEnvFile(t *testing.T) {
	// the first lines are what the collection's env file renderer writes
	text := "# secret names: API_TOKEN\n" +
		"API_TOKEN=\"a\\\"b\\\\c\\$d\\`e\"\n" +
		"LISTEN_ADDR=\":9090\"\n" +
		"MULTI=\"line one\nline two\"\n" +
		"; another comment\n" +
		"  BARE = value with spaces   \n" +
		"SINGLE='it''s'\n" +
		"JOINED=one\\\ntwo\n" +
		"KEEP=\"back\\slash\"\n" +
		"1BAD=skipped\n" +
		"LISTEN_ADDR=\":9191\"\n" +
		"NOEQUALS\n" +
		"EMPTY="
	want := map[string]string{
		"API_TOKEN":   "a\"b\\c$d`e",
		"LISTEN_ADDR": ":9191",
		"MULTI":       "line one\nline two",
		"BARE":        "value with spaces",
		"SINGLE":      "its",
		"JOINED":      "onetwo",
		"KEEP":        "back\\slash",
		"EMPTY":       "",
	}
	got := parseEnvFile(text)
	if len(got) != len(want) {
		t.Errorf("parsed %d names %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestEnvFile(t *testing.T) {
	healthy := httptest.NewServer(newServer(testConfig(t, nil), nil).Handler())
	defer healthy.Close()
	port := healthy.URL[strings.LastIndex(healthy.URL, ":")+1:]
	path := t.TempDir() + "/hello.env"
	if err := os.WriteFile(path, []byte("LISTEN_ADDR=\":"+port+"\"\nAPI_TOKEN=\"from-file\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	env := map[string]string{"ENV_FILE": path}
	getenv := func(k string) string { return env[k] }
	if code := run(context.Background(), []string{"-healthcheck"}, getenv, &out, &out); code != 0 {
		t.Errorf("-healthcheck with LISTEN_ADDR from ENV_FILE: exit code %d: %s", code, out.String())
	}

	// the process environment wins over the file
	env["API_TOKEN"] = "from-env"
	merged, err := withEnvFile(getenv, os.ReadFile)
	if err != nil || merged("API_TOKEN") != "from-env" || merged("LISTEN_ADDR") != ":"+port {
		t.Errorf("withEnvFile: API_TOKEN=%q LISTEN_ADDR=%q err=%v", merged("API_TOKEN"), merged("LISTEN_ADDR"), err)
	}

	out.Reset()
	env["ENV_FILE"] = path + ".missing"
	if code := run(context.Background(), nil, getenv, &out, &out); code != 2 || !strings.Contains(out.String(), "ENV_FILE") {
		t.Errorf("missing ENV_FILE: exit code %d, output %q; want 2 naming ENV_FILE", code, out.String())
	}
}
