"""node_exporter on lab hosts through the shared exporter installer: Debian's package on one host;
on another a release archive made by the test from that package's real binary, served from a
directory on the controller through the cache with its sha256. Basic auth, idempotence, the
sandbox score, a damaged cached archive and bad settings stopping the run before any change."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading

import pytest

from conftest import ROOT, app_hosts, node_exporter_archive, on, playbook

PLAY = os.path.join(ROOT, "tests", "integration", "files", "node_exporter.yml")
PASSWORD = "scrape-password-for-the-lab"


(PKG_HOST, PKG_CT), (TAR_HOST, TAR_CT) = app_hosts()[:2]


def metrics(container, auth=None):
    """(status, body) of /metrics, asked from the host itself."""
    script = ("import urllib.request,base64,sys\n"
              "r=urllib.request.Request('http://127.0.0.1:9100/metrics')\n"
              "a=sys.argv[1] if len(sys.argv)>1 else ''\n"
              "if a: r.add_header('Authorization','Basic '+base64.b64encode(a.encode()).decode())\n"
              "try:\n  resp=urllib.request.urlopen(r,timeout=5); print(resp.status); print(resp.read().decode()[:200000])\n"
              "except urllib.error.HTTPError as e:\n  print(e.code)\n")
    proc = subprocess.run(["docker", "exec", container, "python3", "-c", script] + ([auth] if auth else []),
                          text=True, capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    status, _sep, body = proc.stdout.partition("\n")
    return int(status), body


def run(host, *args, **extra):
    return playbook(PLAY, *args, extra_vars=dict(extra, target=host))


@pytest.fixture(scope="module")
def package_install():
    res = run(PKG_HOST, node_exporter_install="package", node_exporter_flags=["--collector.processes"])
    assert res.rc == 0, res.out[-4000:]
    return res


@pytest.fixture(scope="module")
def archive(package_install, tmp_path_factory):  # pylint: disable=unused-argument,redefined-outer-name
    """A release archive as Prometheus lays it out, made from the package's real binary (a test fixture
    in its packing only), in a 'mirror' directory on the controller, and its sha256."""
    return node_exporter_archive(PKG_CT, str(tmp_path_factory.mktemp("exporter")))


def tarball_vars(archive, **extra):  # pylint: disable=redefined-outer-name
    settings = dict(node_exporter_install="tarball", node_exporter_version=archive["version"], node_exporter_url=archive["url"],
                    node_exporter_checksums={"amd64": archive["sha256"]}, node_exporter_cache_dir=archive["cache"],
                    node_exporter_basic_auth_users={"prometheus": PASSWORD})
    settings.update(extra)
    return settings


def test_the_package_runs_with_its_flags_sandboxed_and_a_rerun_changes_nothing(package_install):
    assert "node_exporter_build_info" in metrics(PKG_CT)[1]
    args = on(PKG_CT, "cat /etc/default/prometheus-node-exporter").stdout
    assert 'ARGS="--web.listen-address=:9100 --collector.textfile.directory=/var/lib/node_exporter/textfile --collector.processes"' in args
    assert on(PKG_CT, "systemctl show -p ProtectSystem --value prometheus-node-exporter").stdout.strip() == "strict"
    again = run(PKG_HOST, node_exporter_install="package", node_exporter_flags=["--collector.processes"])
    assert again.rc == 0 and again.changed(PKG_HOST) == 0, again.out[-4000:]


def test_the_archive_installs_through_the_cache_with_basic_auth(archive):  # pylint: disable=redefined-outer-name
    res = run(TAR_HOST, **tarball_vars(archive))
    assert res.rc == 0, res.out[-4000:]
    assert os.path.exists(os.path.join(archive["cache"], archive["asset"]))
    # Then only a scraper with the password gets the metrics
    assert metrics(TAR_CT)[0] == 401
    assert metrics(TAR_CT, "prometheus:wrong")[0] == 401
    status, body = metrics(TAR_CT, "prometheus:" + PASSWORD)
    assert status == 200 and "node_exporter_build_info" in body
    # and web.yml holds a bcrypt hash, never the password; the unit is sandboxed like the Go service
    web = on(TAR_CT, "stat -c '%U:%G %a' /etc/node_exporter/web.yml; cat /etc/node_exporter/web.yml").stdout
    assert web.startswith("root:node_exporter 640") and "$2b$" in web and PASSWORD not in web
    score = on(TAR_CT, "systemd-analyze security node_exporter.service --no-pager | tail -1").stdout
    assert float(score.split("service:")[1].split()[0]) <= 2.0, score
    # And a rerun changes nothing: same binary (not sent again), same hash, no restart
    pid = on(TAR_CT, "systemctl show -p MainPID --value node_exporter").stdout.strip()
    again = run(TAR_HOST, "-vvv", "--diff", **tarball_vars(archive))
    assert again.rc == 0 and again.changed(TAR_HOST) == 0, again.out[-4000:]
    assert on(TAR_CT, "systemctl show -p MainPID --value node_exporter").stdout.strip() == pid
    assert PASSWORD not in again.out


def test_latest_and_the_checksums_file_are_looked_up_on_the_controller(archive, tmp_path):  # pylint: disable=redefined-outer-name
    # Given a mirror that answers like GitHub's releases API and has the release's sha256sums.txt
    mirror = os.path.dirname(archive["url"])
    with open(os.path.join(mirror, "latest.json"), "w", encoding="utf-8") as fh:
        json.dump({"tag_name": "v%s" % archive["version"], "name": "test fixture"}, fh)
    with open(os.path.join(mirror, "sha256sums.txt"), "w", encoding="utf-8") as fh:
        other = "node_exporter-%s.linux-arm64.tar.gz" % archive["version"]
        fh.write("%s  %s\n%s  %s\n" % ("0" * 64, other, archive["sha256"], archive["asset"]))
    lookups = dict(node_exporter_version="latest", node_exporter_checksums={},
                   node_exporter_latest_url=mirror + "/latest.json",
                   node_exporter_checksums_url=mirror + "/sha256sums.txt")
    # When the exporter is installed as "latest", with the checksums fetched
    res = run(TAR_HOST, **tarball_vars(archive, **lookups))
    # Then it is the version the mirror names, already there: nothing changes, and the checksums were cached
    assert res.rc == 0 and res.changed(TAR_HOST) == 0, res.out[-4000:]
    assert os.path.exists(os.path.join(archive["cache"], "node_exporter-%s.sha256sums.txt" % archive["version"]))
    assert metrics(TAR_CT, "prometheus:" + PASSWORD)[0] == 200
    unit = on(TAR_CT, "cat /etc/systemd/system/node_exporter.service").stdout
    # When the checksums file gives another sha256 for the archive (a fresh cache, so it is fetched again)
    with open(os.path.join(mirror, "sha256sums.txt"), "w", encoding="utf-8") as fh:
        fh.write("%s  %s\n" % ("1" * 64, archive["asset"]))
    bad = run(TAR_HOST, **tarball_vars(archive, node_exporter_cache_dir=str(tmp_path / "cache"), **lookups))
    flat = " ".join(bad.out.split())
    assert bad.rc != 0 and "No host was changed. Could not fetch %s" % archive["asset"] in flat and "1" * 64 in flat, bad.out[-3000:]
    # When the look-up answers something that names no version
    with open(os.path.join(mirror, "latest.json"), "w", encoding="utf-8") as fh:
        fh.write("rate limit exceeded")
    bad = run(TAR_HOST, **tarball_vars(archive, **lookups))
    flat = " ".join(bad.out.split())
    assert bad.rc != 0 and "prometheus_exporter_version is latest" in flat and "gave no tag_name" in flat, bad.out[-3000:]
    # When neither URL answers at all
    gone = {**lookups, "node_exporter_latest_url": mirror + "/missing.json"}
    bad = run(TAR_HOST, **tarball_vars(archive, **gone))
    flat = " ".join(bad.out.split())
    assert bad.rc != 0 and "prometheus_exporter_version is latest" in flat and "did not answer" in flat, bad.out[-3000:]
    gone = {**lookups, "node_exporter_version": archive["version"], "node_exporter_checksums_url": mirror + "/missing.txt"}
    bad = run(TAR_HOST, **tarball_vars(archive, node_exporter_cache_dir=str(tmp_path / "cache2"), **gone))
    flat = " ".join(bad.out.split())
    assert bad.rc != 0 and "The release's checksums could not be fetched from %s/missing.txt" % mirror in flat, bad.out[-3000:]
    # Then the host kept what it had through all of them
    assert on(TAR_CT, "cat /etc/systemd/system/node_exporter.service").stdout == unit
    assert metrics(TAR_CT, "prometheus:" + PASSWORD)[0] == 200


class _Proxy(http.server.BaseHTTPRequestHandler):
    """An HTTP proxy on the controller's loopback that answers every request itself from `files`
    (absolute URL -> bytes, or -> the URL it redirects to, as GitHub does for downloads), so nothing
    leaves the machine, and records what it was sent."""
    files = {}
    seen = []

    def do_GET(self):  # pylint: disable=invalid-name
        self.seen.append((self.path, self.headers.get("Authorization")))
        body = self.files.get(self.path)
        if isinstance(body, str):
            self.send_response(302)
            self.send_header("Location", body)
            body = b""
        else:
            self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


def test_the_token_goes_only_to_github_hosts_through_the_proxy(archive, tmp_path):  # pylint: disable=redefined-outer-name
    # Given a proxy on loopback standing in for GitHub and the host it sends downloads on to (.invalid
    # names: nothing else could answer)
    version, token = archive["version"], "ghp_test-token-never-shown"
    with open(os.path.join(archive["cache"], archive["asset"]), "rb") as fh:
        tarball = fh.read()
    # every answer on a GitHub host is a redirect to another host, as GitHub answers downloads: that host
    # must not get the token
    mirror = "http://objects.mirror.invalid/"
    _Proxy.files = {
        "http://api.github.invalid/repos/prometheus/node_exporter/releases/latest": mirror + "latest.json",
        mirror + "latest.json": json.dumps({"tag_name": "v" + version}).encode(),
        "http://github.invalid/prometheus/node_exporter/releases/download/v%s/sha256sums.txt" % version: mirror + "sums",
        mirror + "sums": ("%s  %s\n" % (archive["sha256"], archive["asset"])).encode(),
        "http://github.invalid/prometheus/node_exporter/releases/download/v%s/%s" % (version, archive["asset"]):
            mirror + archive["asset"],
        mirror + archive["asset"]: tarball,
    }
    _Proxy.seen = []
    pid = on(TAR_CT, "systemctl show -p MainPID --value node_exporter").stdout.strip()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # When the latest version, its checksums and its archive are fetched through the proxy, with a token
        res = run(TAR_HOST, "-vvv", **tarball_vars(
            archive, node_exporter_version="latest", node_exporter_checksums={},
            node_exporter_cache_dir=str(tmp_path / "cache"), node_exporter_proxy="http://127.0.0.1:%d" % server.server_port,
            node_exporter_github_token=token, node_exporter_github_hosts=["GitHub.invalid"],
            node_exporter_latest_url="http://api.github.invalid/repos/prometheus/{name}/releases/latest",
            node_exporter_checksums_url="http://github.invalid/prometheus/{name}/releases/download/v{version}/sha256sums.txt",
            node_exporter_url="http://github.invalid/prometheus/{name}/releases/download/v{version}/{asset}"))
    finally:
        server.shutdown()
    # Then all of them went through the proxy, and only the GitHub hosts were sent the token, as a Bearer
    # header, never the host each request was redirected to
    # (the same release as installed: the host keeps its binary and its running exporter)
    assert res.rc == 0, res.out[-4000:]
    assert on(TAR_CT, "systemctl show -p MainPID --value node_exporter").stdout.strip() == pid
    assert sorted({url for url, _auth in _Proxy.seen}) == sorted(_Proxy.files), _Proxy.seen
    for url, auth in _Proxy.seen:
        assert auth == (None if url.startswith(mirror) else "Bearer " + token), (url, auth)
    # and the token is never shown, even at -vvv
    assert token not in res.out


def test_a_damaged_cached_archive_stops_the_run_before_any_change(archive):  # pylint: disable=redefined-outer-name
    unit = on(TAR_CT, "cat /etc/systemd/system/node_exporter.service").stdout
    cached = os.path.join(archive["cache"], archive["asset"])
    with open(cached, "r+b") as fh:
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    try:
        res = run(TAR_HOST, **tarball_vars(archive, node_exporter_flags=["--collector.processes"]))
        assert res.rc != 0
        flat = " ".join(res.out.split())
        assert "No host was changed. The archive %s has sha256" % cached in flat, res.out[-3000:]
        assert "Remove it to fetch it again" in flat
        assert on(TAR_CT, "cat /etc/systemd/system/node_exporter.service").stdout == unit
    finally:
        os.remove(cached)   # fetched again, and checked, by the next run


def test_bad_settings_and_a_flag_the_exporter_rejects(archive):  # pylint: disable=redefined-outer-name
    unit = on(TAR_CT, "cat /etc/systemd/system/node_exporter.service").stdout
    res = run(TAR_HOST, **tarball_vars(archive, node_exporter_version="1.8", node_exporter_flags=["collector.systemd"],
                                       node_exporter_basic_auth_users={"prometheus": ""}))
    assert res.rc != 0
    flat = " ".join(res.out.split())
    for part in ("prometheus_exporter_version must be an exact version", "'collector.systemd' is not a flag",
                 "prometheus has no password"):
        assert part in flat, (part, res.out[-3000:])
    # a well-formed flag that node_exporter does not know: its own error is shown and the unit stays
    res = run(TAR_HOST, **tarball_vars(archive, node_exporter_flags=["--collector.sytemd"]))
    assert res.rc != 0
    flat = " ".join(res.out.split())
    assert "rejects its command line" in flat and "unknown long flag '--collector.sytemd'" in flat, res.out[-3000:]
    assert on(TAR_CT, "cat /etc/systemd/system/node_exporter.service").stdout == unit
    assert metrics(TAR_CT, "prometheus:" + PASSWORD)[0] == 200
