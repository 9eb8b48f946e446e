from __future__ import annotations

import http.server
import json
import socket
import threading

import pytest

from ansible_collections.gopherops.baremetal.plugins.module_utils import health as hc

BASE = dict(status_code=[200], body_regex=None, json_field=None, json_equals=None, headers={},
            validate_certs=True, request_timeout=2, url=None, tcp=None, command=None)


def params(**kw):
    out = dict(BASE)
    out.update(kw)
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    routes = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/header":
            code, body = 200, self.headers.get("X-Probe", "(none)")
        else:
            code, body = self.routes.get(self.path, (404, "not found"))
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    Handler.routes = {
        "/ok": (200, "ok\n"),
        "/version": (200, json.dumps({"version": "1.2.3", "build": {"commit": "abc"}, "n": 7})),
        "/down": (503, "unhealthy\n"),
        "/text": (200, "hello world"),
    }
    yield "http://127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()


def test_healthy_url(server):
    status, last, good = hc.probe_http(params(url=server + "/ok"))
    assert (status, good) == (200, True)
    assert last == "ok\n"


def test_bad_status_is_reported_with_the_body(server):
    status, last, good = hc.probe_http(params(url=server + "/down"))
    assert (status, good) == (503, False)
    assert "status 503, expected 200" in last and "unhealthy" in last


def test_other_status_codes_can_count_as_healthy(server):
    assert hc.probe_http(params(url=server + "/down", status_code=[503]))[2] is True


def test_json_field(server):
    assert hc.probe_http(params(url=server + "/version", json_field="version", json_equals="1.2.3"))[2]
    assert hc.probe_http(params(url=server + "/version", json_field="build.commit", json_equals="abc"))[2]
    assert hc.probe_http(params(url=server + "/version", json_field="n", json_equals="7"))[2]
    status, last, good = hc.probe_http(params(url=server + "/version", json_field="version", json_equals="9.9.9"))
    assert not good and "'1.2.3', expected '9.9.9'" in last


def test_json_field_missing_or_not_json(server):
    last = hc.probe_http(params(url=server + "/version", json_field="nope", json_equals="x"))[1]
    assert "JSON field 'nope' is missing" in last
    last = hc.probe_http(params(url=server + "/text", json_field="a", json_equals="x"))[1]
    assert "body is not JSON" in last


def test_body_regex(server):
    assert hc.probe_http(params(url=server + "/text", body_regex="wor.d"))[2]
    assert not hc.probe_http(params(url=server + "/text", body_regex="^world"))[2]


def test_connection_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status, last, good = hc.probe_http(params(url="http://127.0.0.1:%d/" % port))
    assert status is None and not good and "connection failed" in last
    assert hc.probe_tcp(params(tcp="127.0.0.1:%d" % port))[2] is False


def test_tcp_connects(server):
    port = server.rsplit(":", 1)[1]
    assert hc.probe_tcp(params(tcp="127.0.0.1:" + port))[2] is True


@pytest.mark.parametrize("spec", ["nohost", "host:", ":80", "host:0", "host:70000", "host:http"])
def test_tcp_spec_errors(spec):
    with pytest.raises(ValueError, match="host:port"):
        hc.parse_tcp(spec)


def test_tcp_spec_ipv6():
    assert hc.parse_tcp("[::1]:8080") == ("::1", 8080)


@pytest.mark.parametrize("url", ["localhost:8080/healthz", "ftp://host/x", "http:///path", "http://h:99999/"])
def test_url_errors(url):
    with pytest.raises(ValueError, match="url"):
        hc.check_url(url)


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def scripted(results):
    answers = iter(results)

    def probe(_params):
        good = next(answers)
        return 200 if good else 503, "good" if good else "bad", good
    return probe


def test_needs_consecutive_successes():
    fake = FakeTime()
    p = dict(delay=0, interval=1, timeout=30, successes=3)
    ok, attempts, elapsed, status, last = hc.run_check(
        p, scripted([True, True, False, True, True, True]), clock=fake.clock, sleep=fake.sleep)
    assert ok and attempts == 6 and elapsed == 5 and last == "good"


def test_gives_up_at_the_deadline_with_the_last_answer():
    fake = FakeTime()
    p = dict(delay=2, interval=1, timeout=4, successes=1)
    ok, attempts, elapsed, status, last = hc.run_check(
        p, scripted([False] * 10), clock=fake.clock, sleep=fake.sleep)
    assert not ok and status == 503 and last == "bad"
    assert fake.sleeps[0] == 2  # grace period before the first probe
    # until a first good answer the waits double from 0.05 s up to the interval
    assert fake.sleeps[1:] == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.8, 1, 1])
    assert attempts == 8 and elapsed == pytest.approx(3.55)  # the next probe would be past 4 s


def test_quick_first_probes_then_the_interval_between_successes():
    fake = FakeTime()
    p = dict(delay=0, interval=0.5, timeout=30, successes=2)
    ok, attempts, elapsed, status, last = hc.run_check(
        p, scripted([False, False, True, False, True, True]), clock=fake.clock, sleep=fake.sleep)
    # a good answer ends the quick probing: a failure after it waits the whole interval
    assert ok and attempts == 6
    assert fake.sleeps == pytest.approx([0.05, 0.1, 0.5, 0.5, 0.5])


def test_json_lookup_lists():
    assert hc.json_lookup({"a": [{"b": 1}]}, "a.0.b") == 1
    with pytest.raises(KeyError):
        hc.json_lookup({"a": [1]}, "a.5")


def test_checks_must_all_pass(server):
    base = params(status_code=[200])
    checks = hc.expand_checks(dict(base, checks=[
        {"url": server + "/ok"},
        {"url": server + "/version", "json_field": "version", "json_equals": "1.2.3"},
    ]))
    status, last, good = hc.probe_all(checks)(None)
    assert good and status == 200 and '"version"' in last
    checks = hc.expand_checks(dict(base, checks=[
        {"url": server + "/down"},
        {"url": server + "/version", "json_field": "version", "json_equals": "1.2.3"},
    ]))
    status, last, good = hc.probe_all(checks)(None)
    assert not good and status == 503 and last.startswith(server + "/down: status 503")


def test_checks_take_defaults_from_the_top_level(server):
    (one,) = hc.expand_checks(dict(params(status_code=[503]), checks=[{"url": server + "/down"}]))
    assert one["status_code"] == [503] and hc.probe_all([one])(None)[2]


@pytest.mark.parametrize("item, message", [
    ({"url": "http://h/", "tcp": "h:1"}, "exactly one of url, tcp and command"),
    ({}, "exactly one of url, tcp and command"),
    ({"command": ["true"], "json_field": "v", "json_equals": "1"}, "not to a command"),
    ({"url": "http://h/", "json_field": "v"}, "go together"),
    ({"url": "http://h/", "bogus": 1}, "unknown key(s) bogus"),
    ({"tcp": "h:1", "body_regex": "x"}, "do not apply to a tcp check"),
    ({"url": "http://h/", "status_code": "two hundred"}, "status_code must be a number"),
])
def test_check_items_are_validated(item, message):
    with pytest.raises(ValueError) as err:
        hc.expand_checks(dict(params(), checks=[item]))
    assert message in str(err.value) and "checks[0]" in str(err.value)


def test_command_checks(tmp_path):
    ok = hc.probe_command(params(command=["sh", "-c", "echo fine"]))
    assert ok == (None, "fine\n", True)
    bad = hc.probe_command(params(command=["sh", "-c", "echo broken; exit 3"]))
    assert bad[2] is False and bad[1] == "exit code 3: broken\n"
    assert hc.probe_command(params(command=["sh", "-c", "echo fine"], body_regex="^nope"))[2] is False
    missing = hc.probe_command(params(command=[str(tmp_path / "missing")]))
    assert missing[2] is False and "could not run" in missing[1]
    slow = hc.probe_command(params(command=["sleep", "5"], request_timeout=0.2))
    assert slow[2] is False and "timed out" in slow[1]


def test_command_forms():
    assert hc.command_argv("/bin/x -healthcheck 'a b'") == ["/bin/x", "-healthcheck", "a b"]
    assert hc.command_argv(["/bin/x", 1]) == ["/bin/x", "1"]
    for bad in ("", [], [{"a": 1}], 5):
        with pytest.raises(ValueError, match="command must be"):
            hc.command_argv(bad)


def test_a_failing_check_is_named_among_several(server):
    checks = hc.expand_checks(dict(params(), checks=[{"url": server + "/ok"}, {"command": ["false"]}]))
    for one in checks:
        hc.validate(one)
    status, last, good = hc.probe_all(checks)(None)
    assert not good and last.startswith("false: exit code 1")


def test_status_codes_in_items_are_numbers(server):
    (one,) = hc.expand_checks(dict(params(), checks=[{"url": server + "/down", "status_code": "503"}]))
    assert one["status_code"] == [503] and hc.probe_all([one])(None)[2]


# A plain http:// URL goes through urllib's own handlers, Ansible's Request otherwise: both must
# send the check's headers and follow a redirect of a GET.
@pytest.mark.parametrize("validate_certs", [True, False], ids=["urllib", "ansible-request"])
def test_headers_are_sent_and_redirects_followed_on_both_paths(server, validate_certs):
    status, last, good = hc.probe_http(params(url=server + "/header", headers={"X-Probe": "p1"},
                                              validate_certs=validate_certs))
    assert (status, last, good) == (200, "p1", True)
    status, last, good = hc.probe_http(params(url=server + "/moved", validate_certs=validate_certs))
    assert (status, good) == (200, True) and last.startswith("ok")


def test_a_plain_http_probe_makes_no_tls_context(server, monkeypatch):
    import ssl

    def no_context(*args, **kwargs):
        raise AssertionError("a TLS context was made for an http:// probe")

    monkeypatch.setattr(ssl, "create_default_context", no_context)
    monkeypatch.setattr(ssl, "SSLContext", no_context)
    assert hc.probe_http(params(url=server + "/ok"))[2] is True


@pytest.mark.parametrize("checks, plain", [
    ([{"url": "http://127.0.0.1:8080/readyz"}, {"tcp": "127.0.0.1:8080"}, {"command": ["true"]}], True),
    ([{"url": "HTTP://127.0.0.1:8080/", "validate_certs": True}], True),
    ([], True),
    ([{"url": "https://127.0.0.1:8443/readyz"}], False),
    ([{"url": "http://127.0.0.1:8080/", "validate_certs": False}], False),
    ([{"url": "http://127.0.0.1:8080/", "validate_certs": "no"}], False),
    ("http://127.0.0.1:8080/", False),
    (["http://127.0.0.1:8080/"], False),
])
def test_plain_http_follows_http_gets_own_rule(checks, plain):
    """plain_http says whether probing needs ansible.module_utils.urls, as http_get decides it."""
    assert hc.plain_http(checks) is plain
