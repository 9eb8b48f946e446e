"""Helpers for the end-to-end suites: they run the real playbooks against the lab hosts
(started by `make lab-up`) and look at the hosts through their loopback ports."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import tarfile
import threading
import time
import urllib.request

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# LAB_INVENTORY (the hosts.yml that `lab.py up` writes) points the suites at another lab; its
# directory needs the lab's group_vars beside it.
INVENTORY = (os.path.dirname(os.path.abspath(os.environ["LAB_INVENTORY"])) if os.environ.get("LAB_INVENTORY")
             else os.path.join(ROOT, "inventories", "lab"))
RECAP = re.compile(r"^(\S+)\s+:\s+(ok=\d+.*)$", re.M)


# the runs of the current test, shown when it fails (a recap alone rarely says why)
_RUNS = []


class Run:
    def __init__(self, rc, out):
        self.rc = rc
        self.out = out
        _RUNS.append(self)
        self.recap = {m.group(1): {k: int(v) for k, v in (kv.split("=") for kv in m.group(2).split())}
                      for m in RECAP.finditer(out)}

    def changed(self, host):
        return self.recap[host]["changed"]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):  # pylint: disable=unused-argument
    _RUNS.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # pylint: disable=unused-argument
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for number, run in enumerate(_RUNS, 1):
            report.sections.append((f"playbook run {number} (rc={run.rc}), last lines", run.out[-6000:]))
        _RUNS.clear()


def command(name, *args, extra_vars=None, env=None, inventory=INVENTORY):
    """The ansible-playbook command line and environment for a playbook of playbooks/ (or any
    playbook, given an absolute path)."""
    cmd = ["ansible-playbook", os.path.join(ROOT, "playbooks", name), "-i", inventory, *args]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    full_env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    if os.environ.get("LAB_CONNECTION") == "paramiko":
        full_env.update(paramiko_env(inventory))
    full_env.update(env or {})
    return cmd, full_env


def paramiko_env(inventory):
    """LAB_CONNECTION=paramiko: the same runs over Ansible's paramiko connection. Paramiko reads host
    keys from ~/.ssh/known_hosts only, so HOME is a directory of the suite's own that holds the
    lab's keys; Go's caches stay where they are, so builds stay warm."""
    with open(os.path.join(inventory, "hosts.yml"), encoding="utf-8") as fh:
        name = yaml.safe_load(fh)["all"]["vars"]["lab_name"]
    home = os.path.join(ROOT, ".build", "paramiko-home")
    os.makedirs(os.path.join(home, ".ssh"), mode=0o700, exist_ok=True)
    with open(os.path.join(ROOT, ".lab", name, "known_hosts"), encoding="utf-8") as src, \
            open(os.path.join(home, ".ssh", "known_hosts"), "w", encoding="utf-8") as dst:
        dst.write(src.read())
    go = subprocess.run(["go", "env", "GOCACHE", "GOMODCACHE", "GOPATH"], text=True, capture_output=True, check=True)
    gocache, gomodcache, gopath = go.stdout.split("\n")[:3]
    return {"ANSIBLE_TRANSPORT": "paramiko", "HOME": home, "GOCACHE": gocache, "GOMODCACHE": gomodcache,
            "GOPATH": gopath}


def playbook(name, *args, **kw):
    """Run a playbook to its end and parse its recap."""
    cmd, env = command(name, *args, **kw)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900, check=False)
    return Run(proc.returncode, proc.stdout)


class Background:
    """A playbook running in its own process group (as a terminal's foreground job would), whose
    output a test can wait on while it runs."""

    def __init__(self, name, *args, **kw):
        cmd, env = command(name, *args, **kw)
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, text, count=1, timeout=600):
        """Block until `text` was printed `count` times; fail when the run ends or time is up first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(text in line for line in list(self.lines)) >= count:
                return
            if self.proc.poll() is not None:
                self._reader.join(5)
                if sum(text in line for line in self.lines) >= count:
                    return
                pytest.fail("the run ended before printing %r %d time(s):\n%s" % (text, count, "".join(self.lines)[-4000:]))
            time.sleep(0.05)
        pytest.fail("%r not printed %d time(s) within %ss" % (text, count, timeout))

    def running(self):
        return self.proc.poll() is None

    def finish(self, timeout=900):
        self.proc.wait(timeout)
        self._reader.join(10)
        return Run(self.proc.returncode, "".join(self.lines))


def app_hosts():
    """(name, container) of the lab's app hosts, sorted by name; read at import time by the suites
    that pick hosts of their own."""
    with open(os.path.join(INVENTORY, "hosts.yml"), encoding="utf-8") as fh:
        hosts = yaml.safe_load(fh)["all"]["children"]["app"]["hosts"]
    return [(name, hosts[name]["lab_container"]) for name in sorted(hosts)]


def on(container, command, check=True, timeout=300):
    """Run a shell command inside a lab host's container (root, no SSH): for looking at a host."""
    proc = subprocess.run(["docker", "exec", container, "sh", "-c", command], text=True, capture_output=True,
                          timeout=timeout, check=False)
    if check:
        assert proc.returncode == 0, "%s: %s %s" % (command, proc.stdout, proc.stderr)
    return proc


@contextlib.contextmanager
def web_on_host(container, files, port=18999):
    """A web server on a lab host's own loopback (a transient systemd unit) serving files copied from the
    controller ({name: path}); yields the base URL, as the host sees it."""
    unit, root = "gopherops-fixture-web", "/srv/gopherops-fixture-web"
    on(container, "systemctl stop %s >/dev/null 2>&1; rm -rf %s && mkdir -p %s" % (unit, root, root))
    for name, path in files.items():
        subprocess.run(["docker", "cp", path, "%s:%s/%s" % (container, root, name)], check=True, capture_output=True)
    on(container, "systemd-run --unit %s --property WorkingDirectory=%s python3 -m http.server %d --bind 127.0.0.1"
       " && for i in $(seq 50); do curl -fso /dev/null http://127.0.0.1:%d/ && exit 0; sleep 0.2; done; exit 1"
       % (unit, root, port, port))
    try:
        yield "http://127.0.0.1:%d" % port
    finally:
        on(container, "systemctl stop %s; rm -rf %s" % (unit, root), check=False)


def node_exporter_archive(container, work):
    """A node_exporter release archive laid out as Prometheus publishes it, made from the real binary of
    Debian's package on a lab host (a test fixture in its packing only), in a 'mirror' directory under
    work on the controller: {version, url (a template with {asset}), sha256, cache, asset}."""
    version = on(container, "dpkg-query -W -f '${Version}' prometheus-node-exporter").stdout.split("-")[0].split("+")[0]
    binary = os.path.join(work, "node_exporter")
    subprocess.run(["docker", "cp", "%s:/usr/bin/prometheus-node-exporter" % container, binary], check=True)
    mirror = os.path.join(work, "mirror")
    os.makedirs(mirror, exist_ok=True)
    top = "node_exporter-%s.linux-amd64" % version
    path = os.path.join(mirror, "%s.tar.gz" % top)
    with tarfile.open(path, "w:gz") as tar:
        tar.add(binary, arcname="%s/node_exporter" % top)
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    return {"version": version, "url": mirror + "/{asset}", "sha256": digest, "cache": os.path.join(work, "cache"),
            "asset": os.path.basename(path)}


def get_json(port, path="/version"):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open("http://127.0.0.1:%d%s" % (port, path), timeout=5) as resp:
        return json.loads(resp.read().decode())


@pytest.fixture(scope="session")
def lab():
    path = os.path.join(INVENTORY, "hosts.yml")
    if not os.path.exists(path):
        pytest.fail("no lab inventory at %s: run 'make lab-up' (make integration does)" % path)
    with open(path, encoding="utf-8") as fh:
        inv = yaml.safe_load(fh)
    hosts = inv["all"]["children"]["app"]["hosts"]
    lbs = inv["all"]["children"].get("lb", {}).get("hosts", {})
    return {
        "lb": {name: {"http": h["lab_http_port"], "container": h["lab_container"]} for name, h in lbs.items()},
        "name": inv["all"]["vars"]["lab_name"],
        "hosts": {name: h["lab_http_port"] for name, h in hosts.items()},
        "ssh": {name: h["ansible_port"] for name, h in hosts.items()},
        "key": inv["all"]["vars"]["ansible_ssh_private_key_file"],
        "state_dir": os.path.join(ROOT, ".lab", inv["all"]["vars"]["lab_name"]),
    }
