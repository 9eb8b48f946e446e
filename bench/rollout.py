"""Rollout benchmark: the collection's deploy playbook against a plain playbook and bare ssh/scp,
on a lab of its own with N app hosts (N = 2, 4, 8, 16 by default). Run from the repository root:

    .venv/bin/python bench/rollout.py --hosts 2,4 [--repeat 3] [--only ours] [--down]

(--repeat: changed/no-op pairs per contender, the table shows the median; --only: some of the
contenders, ours, plain and bare, the others shown as "-"; --down: remove the
bench lab at the end, which is otherwise left up for the next run.)

For each N, after one untimed warm-up per contender, it times:
  ours   playbooks/deploy.yml with a new app_version (changed), then the same version (no-op);
  plain  bench/plain/deploy.yml with Ansible's defaults, service hello-plain on port 8090;
  bare   per batch and per host in parallel: scp, ssh restart of hello-bare (port 8091) and a curl
         loop until /version reports the new version; its "no-op" is the same steps again;
  floor  bench/floor/lock_unlock.yml: the two tasks per host a rerun of ours cannot do without (the
         lock that reads what the host runs, the unlock) and nothing else, with ours' ansible.cfg:
         what Ansible itself costs per host on this machine (timed as a no-op only).
Every contender uses the same batches, serial [1, '25%', '100%']. The changed figures of plain
and bare include the `go build` of the new version, as ours includes its go_build role.
Logs go to .build/bench/logs/, figures to .build/bench/rollout.json.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, ".build", "bench")
LAB_DIR = os.path.join(BENCH, "lab")
INVENTORY = os.path.join(LAB_DIR, "hosts.yml")
LOGS = os.path.join(BENCH, "logs")
LAB_NAME = "gopherops-bench"
LAB_ENV = {"LAB_NAME": LAB_NAME, "LAB_SSH_BASE_PORT": "2400", "LAB_HTTP_BASE_PORT": "18400",
           "LAB_INVENTORY": INVENTORY}
SERIAL = [1, "25%", "100%"]
CONTENDERS = ("ours", "plain", "bare", "floor")
BARE_UNIT = """[Unit]
Description=hello-bare
[Service]
DynamicUser=yes
Environment=LISTEN_ADDR=:8091 LOG_LEVEL=info DRAIN_DELAY=2s
ExecStart=/opt/hello-bare/hello
[Install]
WantedBy=multi-user.target
"""
RECAP = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class RunFailed(Exception):
    pass


def base_env(**extra):
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-buildvcs=false", ANSIBLE_FORCE_COLOR="0",
               PATH=os.path.join(ROOT, ".venv", "bin") + os.pathsep + os.environ["PATH"])
    env.update(extra)
    return env


def run(cmd, log, env=None, cwd=ROOT):
    """Run cmd with its output in log; return the seconds it took. A failure raises RunFailed."""
    with open(log, "w", encoding="utf-8") as fh:
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=cwd, env=env or base_env(), stdin=subprocess.DEVNULL,
                              stdout=fh, stderr=subprocess.STDOUT, check=False)
        elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise RunFailed("'%s' exited %d; log: %s" % (" ".join(cmd[:3]), proc.returncode, log))
    return elapsed


def recap_changed(log):
    """{host: changed} from the PLAY RECAP of an ansible-playbook log."""
    with open(log, encoding="utf-8") as fh:
        rows = RECAP.findall(fh.read())
    if not rows:
        raise RunFailed("no PLAY RECAP in %s" % log)
    return {host: int(changed) for host, changed, _unreachable, _failed in rows}


def batches(hosts):
    """The batches ansible-playbook cuts for serial [1, '25%', '100%']."""
    out, rest, i = [], list(hosts), 0
    while rest:
        item = SERIAL[min(i, len(SERIAL) - 1)]
        size = int(len(hosts) * int(item[:-1]) / 100) if isinstance(item, str) else item
        size = max(size, 1)
        out.append(rest[:size])
        rest, i = rest[size:], i + 1
    return out


def write_group_vars():
    """The lab's group_vars find the example source, the artifacts and the API token through
    `inventory_dir ~ '/../..'`, which from .build/bench/lab is .build, not the checkout. So the bench
    inventory gets group_vars/all/ as a directory: the lab's file linked in as it is (one source of
    truth for everything else) and, loaded after it, a file that sets those three paths absolutely,
    with the artifacts and the token kept apart from the default lab's."""
    gv = os.path.join(LAB_DIR, "group_vars", "all")
    os.makedirs(gv, exist_ok=True)
    link = os.path.join(gv, "10-lab.yml")
    if not os.path.islink(link):
        os.symlink(os.path.join(ROOT, "inventories", "lab", "group_vars", "all.yml"), link)
    token = os.path.join(ROOT, ".lab", LAB_NAME, "api_token")  # removed with the lab by lab.py down
    paths = {
        "go_build_src": os.path.join(ROOT, "examples", "hello"),
        "go_build_output_dir": os.path.join(BENCH, "artifacts") + "/{{ app_name }}/{{ app_version }}",
        "go_service_secret_env": {"API_TOKEN": "{{ lookup('ansible.builtin.password', %r, length=32, "
                                               "chars=['ascii_letters', 'digits']) }}" % token},
    }
    with open(os.path.join(gv, "20-bench-paths.yml"), "w", encoding="utf-8") as fh:
        fh.write("---\n# Written by bench/rollout.py: paths that do not resolve from this directory.\n")
        yaml.safe_dump(paths, fh, default_flow_style=False, sort_keys=True, width=200)


def lab_hosts():
    """[(name, ssh argv prefix, scp argv prefix)] from the bench inventory."""
    with open(INVENTORY, encoding="utf-8") as fh:
        inv = yaml.safe_load(fh)["all"]
    common = ["-o", "BatchMode=yes", "-i", inv["vars"]["ansible_ssh_private_key_file"],
              *shlex.split(inv["vars"]["ansible_ssh_common_args"])]
    user = inv["vars"]["ansible_user"]
    out = []
    for name, hv in inv["children"]["app"]["hosts"].items():
        port, addr = str(hv["ansible_port"]), "%s@%s" % (user, hv["ansible_host"])
        out.append((name, ["ssh", *common, "-p", port, addr], ["scp", "-q", *common, "-P", port], addr))
    return out


def go_build(version, outdir, log):
    binary = os.path.join(outdir, "hello-" + version)
    cmd = ["go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=" + version, "-o", binary, "."]
    return run(cmd, log, env=base_env(CGO_ENABLED="0"), cwd=os.path.join(ROOT, "examples", "hello")), binary


def ours(version, log):
    cmd = ["ansible-playbook", "playbooks/deploy.yml", "-i", INVENTORY, "-e", "app_version=" + version]
    return run(cmd, log, env=base_env(ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg")))


def floor(log):
    cmd = ["ansible-playbook", "bench/floor/lock_unlock.yml", "-i", INVENTORY]
    return run(cmd, log, env=base_env(ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg")))


def plain(version, binary, log):
    cmd = ["ansible-playbook", "bench/plain/deploy.yml", "-i", INVENTORY,
           "-e", "plain_version=" + version, "-e", "plain_binary=" + binary]
    return run(cmd, log, env=base_env(ANSIBLE_CONFIG=os.path.join(ROOT, "bench", "plain", "ansible.cfg")))


def bare_setup(hosts, log):
    """Install the hello-bare unit and a directory the deploy user may write (not timed)."""
    script = ("sudo install -d -o deploy -m 0755 /opt/hello-bare && "
              "sudo tee /etc/systemd/system/hello-bare.service >/dev/null && "
              "sudo systemctl daemon-reload && sudo systemctl enable -q hello-bare")
    with open(log, "w", encoding="utf-8") as fh:
        for name, ssh, _scp, _addr in hosts:
            proc = subprocess.run([*ssh, script], input=BARE_UNIT, text=True, stdout=fh, stderr=subprocess.STDOUT,
                                  check=False)
            if proc.returncode != 0:
                raise RunFailed("bare setup on %s exited %d; log: %s" % (name, proc.returncode, log))


def bare(hosts, version, binary, log_prefix):
    """Per batch, every host at once: scp, then one ssh that restarts and polls /version."""
    script = ("mv -f /opt/hello-bare/hello.new /opt/hello-bare/hello && sudo systemctl restart hello-bare && "
              "for i in $(seq 300); do curl -fsS http://127.0.0.1:8091/version 2>/dev/null "
              "| grep -qF '\"version\":\"%s\"' && exit 0; sleep 0.1; done; echo 'no new version'; exit 1" % version)

    def one(host):
        name, ssh, scp, addr = host
        log = "%s-%s.log" % (log_prefix, name)
        with open(log, "w", encoding="utf-8") as fh:
            for cmd in ([*scp, binary, addr + ":/opt/hello-bare/hello.new"], [*ssh, script]):
                proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT, check=False)
                if proc.returncode != 0:
                    raise RunFailed("bare %s on %s exited %d; log: %s" % (cmd[0], name, proc.returncode, log))

    start = time.monotonic()
    for batch in batches(hosts):
        with concurrent.futures.ThreadPoolExecutor(len(batch)) as pool:
            for future in [pool.submit(one, host) for host in batch]:
                future.result()
    return time.monotonic() - start


def measure(n, repeat, stamp, tmp, flags, only=CONTENDERS):
    def prefix(name):
        return os.path.join(LOGS, "n%02d-%s" % (n, name))

    def log(name):
        return prefix(name) + ".log"

    def version(tag):
        return "%s-n%d-%s" % (stamp, n, tag)

    print("N=%d: lab up" % n, flush=True)
    run([sys.executable, "scripts/lab.py", "up", "--hosts", str(n)], log("lab-up"), env=base_env(**LAB_ENV))
    hosts = lab_hosts()
    # the load average tells how busy the (shared) machine was while the figures were taken
    row = {"hosts": n, "batches": [len(b) for b in batches(hosts)], "load1": os.getloadavg()[0], "samples": {}}

    def check(tag, want_changes):
        # a no-op must change nothing anywhere; a changed run must change every app host
        changed = {h: c for h, c in recap_changed(log(tag)).items() if not want_changes or h != "localhost"}
        bad = sorted(h for h, c in changed.items() if (c > 0) != want_changes)
        if bad:
            note = "N=%d %s: %s on %s (see %s)" % (n, tag, "changed=0" if want_changes else "changed!=0",
                                                   ", ".join(bad), log(tag))
            flags.append(note)
            row.setdefault("flags", []).append(note)
            print("  FLAG " + note, flush=True)

    def contender(name, deploy, has_recap, kinds=(("changed", True), ("noop", False))):
        """deploy(version, tag, fresh) -> seconds. One warm-up, then `repeat` pairs of a changed run
        (a new version) and a rerun of the same version (or the kinds given)."""
        print("N=%d: %s" % (n, name), flush=True)
        deploy(version(name + "-warm"), name + "-warm", True)
        for i in range(1, repeat + 1):
            for kind, fresh in kinds:
                tag = "%s-%d-%s" % (name, i, kind)
                seconds = deploy(version("%s-%d" % (name, i)), tag, fresh)
                row["samples"].setdefault(name + "_" + kind, []).append(seconds)
                if has_recap:
                    check(tag, fresh)

    def with_build(push):
        def deploy(ver, tag, fresh):
            build_s = go_build(ver, tmp, log("build-" + tag))[0] if fresh else 0.0
            return build_s + push(ver, os.path.join(tmp, "hello-" + ver), tag)
        return deploy

    if "ours" in only:
        contender("ours", lambda ver, tag, _fresh: ours(ver, log(tag)), True)
    if "plain" in only:
        contender("plain", with_build(lambda ver, binary, tag: plain(ver, binary, log(tag))), True)
    if "bare" in only:
        bare_setup(hosts, log("bare-setup"))
        contender("bare", with_build(lambda ver, binary, tag: bare(hosts, ver, binary, prefix(tag))), False)
    if "floor" in only:
        contender("floor", lambda _ver, tag, _fresh: floor(log(tag)), True, kinds=(("noop", False),))
    row.update({key: statistics.median(values) for key, values in row["samples"].items()})
    return row


def cell(value):
    """A figure of the table: seconds, batch sizes (1+1+2), or '-' for a contender not run."""
    if isinstance(value, float):
        return "%.1f s" % value
    if isinstance(value, list):
        return "+".join(map(str, value))
    return str(value)


def table(rows):
    cols = [("hosts", "hosts"), ("batches", "batches"), ("ours_changed", "ours changed"),
            ("ours_noop", "ours no-op"), ("plain_changed", "plain changed"), ("plain_noop", "plain no-op"),
            ("bare_changed", "bare changed"), ("bare_noop", "bare repeat*"), ("floor_noop", "floor")]
    cells = [[label for _key, label in cols]]
    for row in rows:
        cells.append([cell(row.get(key, "-")) for key, _label in cols])
    widths = [max(len(r[i]) for r in cells) for i in range(len(cols))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--hosts", default="2,4,8,16", help="comma-separated host counts (default 2,4,8,16)")
    parser.add_argument("--repeat", type=int, default=1, help="changed/no-op pairs per contender and size; "
                        "the table shows the median (default 1)")
    parser.add_argument("--down", action="store_true", help="remove the bench lab at the end")
    parser.add_argument("--only", default=",".join(CONTENDERS),
                        help="comma-separated contenders to run (default: %s)" % ",".join(CONTENDERS))
    args = parser.parse_args()
    only = [c.strip() for c in args.only.split(",") if c.strip()]
    if not only or set(only) - set(CONTENDERS):
        parser.error("--only takes some of: %s" % ", ".join(CONTENDERS))
    sizes = [int(x) for x in args.hosts.split(",") if x.strip()]
    os.makedirs(LOGS, exist_ok=True)
    for old in glob.glob(os.path.join(LOGS, "*.log")):
        os.remove(old)
    write_group_vars()
    stamp, rows, flags = time.strftime("%Y%m%d%H%M%S"), [], []
    status = 0
    with tempfile.TemporaryDirectory(prefix="rollout-bench-") as tmp:
        try:
            for n in sizes:
                rows.append(measure(n, args.repeat, stamp, tmp, flags, only))
        except RunFailed as exc:
            print("FAILED: %s" % exc, file=sys.stderr)
            status = 1
    if rows:
        print("\n" + table(rows) + ("\n(median of %d runs each)" % args.repeat if args.repeat > 1 else ""))
        print("\nplain and bare changed include `go build` of the new version (ours includes its go_build role);"
              "\n* bare has no idempotence: its repeat run copies and restarts again.")
        for note in flags:
            print("FLAG " + note)
        result = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cpus": os.cpu_count(), "serial": SERIAL,
                  "repeat": args.repeat, "complete": status == 0, "rows": rows, "flags": flags}
        with open(os.path.join(BENCH, "rollout.json"), "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)
        print("figures: %s" % os.path.relpath(os.path.join(BENCH, "rollout.json"), ROOT))
    if args.down:
        run([sys.executable, "scripts/lab.py", "down"], os.path.join(LOGS, "lab-down.log"), env=base_env(**LAB_ENV))
    return status


if __name__ == "__main__":
    sys.exit(main())
