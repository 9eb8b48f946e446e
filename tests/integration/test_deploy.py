"""The first end-to-end slice: build the example service, deploy it to every lab host as a
systemd service, prove it serves the stamped version and the secret, and that a rerun changes nothing.

Given/When/Then in each test; the hosts are real systemd+sshd containers reached over SSH."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess

from conftest import ROOT, get_json, playbook
from prober import haproxy_servers

VERSION = "1.0.0"


def ssh(lab, host, command):
    return subprocess.run(
        ["ssh", "-i", lab["key"], "-p", str(lab["ssh"][host]),
         "-o", "UserKnownHostsFile=%s" % os.path.join(lab["state_dir"], "known_hosts"),
         "-o", "BatchMode=yes", "deploy@127.0.0.1", command],
        text=True, capture_output=True, timeout=60, check=False)


def test_deploy_serves_the_stamped_version_on_every_host(lab):
    # Given the lab hosts; When the deploy playbook runs
    run = playbook("deploy.yml")
    # Then it succeeds and every host serves the version it was built with
    assert run.rc == 0, run.out[-4000:]
    for host, port in lab["hosts"].items():
        doc = get_json(port)
        assert doc["version"] == VERSION
        assert doc["hostname"] == host
        assert doc["commit"] != "" and doc["go_version"].startswith("go")


def test_the_secret_reaches_the_service_but_no_output(lab):
    with open(os.path.join(lab["state_dir"], "api_token"), encoding="utf-8") as fh:
        token = fh.read().split()[0]
    prefix = hashlib.sha256(token.encode()).hexdigest()[:8]
    # Given a deployed lab; When the deploy runs again at -vvv
    run = playbook("deploy.yml", "-vvv")
    # Then nothing changed, and the token is in no line of output while the service proves it has it
    assert run.rc == 0, run.out[-4000:]
    assert set(run.recap) >= set(lab["hosts"])
    for host in lab["hosts"]:
        assert run.changed(host) == 0, "second run changed %s:\n%s" % (host, run.out[-6000:])
    assert token not in run.out
    for port in lab["hosts"].values():
        assert get_json(port)["api_token_sha256_prefix"] == prefix


def test_layout_modes_and_hardening(lab):
    host = sorted(lab["hosts"])[0]
    res = ssh(lab, host, "sudo stat -c '%U:%G %a %n' /etc/hello/hello.env /opt/hello/shared "
                         "/opt/hello/current/hello; readlink /opt/hello/current; "
                         "systemctl is-enabled hello; sudo systemd-analyze security hello.service --no-pager | tail -1")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "root:hello 640 /etc/hello/hello.env"
    assert lines[1] == "hello:hello 750 /opt/hello/shared"
    assert lines[2] == "root:root 755 /opt/hello/current/hello"
    assert lines[3].startswith("releases/%s-" % VERSION)
    assert lines[4] == "enabled"
    exposure = float(lines[5].split("service:")[1].split()[0])
    assert exposure <= 2.0, lines[5]


def manifest(lab, host):
    res = ssh(lab, host, "cat /opt/hello/releases.json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_failing_release_is_rolled_back_on_the_canary_and_stops_the_run(lab):
    hosts = sorted(lab["hosts"])
    good = manifest(lab, hosts[0])["active"]
    # Given every host on 1.0.0; When a release whose binary fails its health check is deployed
    run = playbook("deploy.yml", extra_vars={
        "app_version": "1.0.1-broken",
        "go_build_ldflags": "-X main.failHealth=true",
        "go_service_health_timeout": 4,
    })
    # Then the run fails on the canary, names the reason, shows the unit's journal,
    assert run.rc != 0
    assert "did not become healthy" in run.out
    journal = run.out.split("journal of hello.service", 1)[1]
    assert "starting" in journal and "1.0.1-broken" in journal
    assert run.recap[hosts[0]]["failed"] == 1 and run.recap[hosts[0]]["rescued"] == 1
    # the canary is back on its last known good release and healthy, and says so
    assert "was rolled back to %s, which is healthy again" % good in run.out
    assert get_json(lab["hosts"][hosts[0]])["version"] == VERSION
    m = manifest(lab, hosts[0])
    assert m["active"] == good and m["last_known_good"] == good
    assert any(r.startswith("1.0.1-broken-") for r in m["failed"])
    # and no later batch started: the other hosts never saw the release, and did not fail either
    for host in hosts[1:]:
        assert get_json(lab["hosts"][host])["version"] == VERSION
        assert not any(r.startswith("1.0.1") for r in manifest(lab, host)["releases"])
        assert run.recap[host]["failed"] == 0, host
    assert "not started" in run.out and "has no attribute" not in run.out


def test_canary_that_breaks_while_it_soaks_is_switched_back_and_stops_the_run(lab):
    hosts = sorted(lab["hosts"])
    good = manifest(lab, hosts[0])["active"]
    env_before = ssh(lab, hosts[0], "sudo cat /etc/hello/hello.env").stdout
    # Given every host on 1.0.0; When a release that passes its gate but fails 8 s after it started
    # is deployed, with a new setting, and a canary soak longer than that
    run = playbook("deploy.yml", extra_vars={
        "app_version": "1.0.1-soak",
        "go_build_ldflags": "-X main.failHealthAfter=8s",
        "go_service_health_timeout": 4,
        "go_service_env": {"LISTEN_ADDR": ":8080", "LOG_LEVEL": "debug", "DRAIN_DELAY": "2s"},
        "rollout_canary_soak": 12,
    })
    # Then the canary passed its gate, failed its check after the soak, and the run says so
    assert run.rc != 0
    assert "%s failed at the soak phase: healthy at first, unhealthy after the 12 s soak" % hosts[0] in run.out, run.out[-3000:]
    assert "rolled back to %s, which is healthy again" % good in run.out
    assert "journal of hello.service" in run.out.split("failed at the soak phase", 1)[1]
    # the canary serves the release it ran before, which is its last known good again
    assert get_json(lab["hosts"][hosts[0]])["version"] == VERSION
    m = manifest(lab, hosts[0])
    assert m["active"] == good and m["last_known_good"] == good
    assert any(r.startswith("1.0.1-soak-") for r in m["failed"])
    # with the settings it ran with (its env file and the running process), and no copy of them left
    assert "LOG_LEVEL=debug" not in env_before
    assert ssh(lab, hosts[0], "sudo cat /etc/hello/hello.env").stdout == env_before
    assert proc_environ(lab, hosts[0])["LOG_LEVEL"] == "info"
    assert ssh(lab, hosts[0], "sudo test -e /opt/hello/.previous").returncode == 1
    # back in the load balancer
    for lb in lab["lb"].values():
        assert all(st == "UP" for st, _n in haproxy_servers(lb["container"]).values()), haproxy_servers(lb["container"])
    # and no later batch started
    for host in hosts[1:]:
        assert get_json(lab["hosts"][host])["version"] == VERSION
        assert not any(r.startswith("1.0.1-soak") for r in manifest(lab, host)["releases"])
        assert run.recap[host]["failed"] == 0, host


def test_rollback_scope_run_takes_earlier_batches_back_with_their_settings(lab):
    hosts = sorted(lab["hosts"])                   # batches: [h1], [h2], [h3, h4]
    good = manifest(lab, hosts[0])["active"]
    env_before = ssh(lab, hosts[0], "sudo cat /etc/hello/hello.env").stdout
    # Given every host on 1.0.0; When a release with new settings passes its gate on the canary but
    # fails it on the host of the second batch (whose new settings move the service off the port its
    # checks ask), with rollout_rollback_scope=run
    run = playbook("deploy.yml", extra_vars={
        "app_version": "1.0.9-scope",
        "go_service_env": {"LISTEN_ADDR": "{{ ':8080' if inventory_hostname == '%s' else ':8089' }}" % hosts[0],
                           "LOG_LEVEL": "debug", "DRAIN_DELAY": "2s"},
        "go_service_health_timeout": 3,
        "rollout_rollback_scope": "run",
    })
    # Then the run fails at the second batch, and the canary is taken back too: to the release it
    # ran before, with the env file it ran with, and no copy of the files left on any host
    assert run.rc != 0
    assert "%s failed at the health gate phase" % hosts[1] in run.out, run.out[-3000:]
    audit = json.loads(ssh(lab, hosts[0], "sudo tail -1 /var/log/hello/deploy.log").stdout)
    assert audit["result"] == "reverted" and audit["to"] == good, audit
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == VERSION, host
        assert manifest(lab, host)["active"] == good, host
        assert ssh(lab, host, "sudo test -e /opt/hello/.previous").returncode == 1, host
    assert ssh(lab, hosts[0], "sudo cat /etc/hello/hello.env").stdout == env_before
    assert proc_environ(lab, hosts[0])["LOG_LEVEL"] == "info"
    for host in hosts[2:]:
        assert not any(r.startswith("1.0.9-scope") for r in manifest(lab, host)["releases"])


def test_rollback_playbook_returns_to_the_previous_good_release(lab):
    hosts = sorted(lab["hosts"])
    before = manifest(lab, hosts[0])["active"]
    run = playbook("deploy.yml", extra_vars={"app_version": "1.0.2"})
    assert run.rc == 0, run.out[-4000:]
    assert all(get_json(port)["version"] == "1.0.2" for port in lab["hosts"].values())
    # When the operator rolls back
    run = playbook("rollback.yml")
    assert run.rc == 0, run.out[-4000:]
    # Then every host serves the release before, and the one left is recorded as failed
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == VERSION
        m = manifest(lab, host)
        assert m["active"] == before and any(r.startswith("1.0.2-") for r in m["failed"])
    # And deploying 1.0.0 again changes nothing: it is the active release already
    run = playbook("deploy.yml")
    assert run.rc == 0 and all(run.changed(h) == 0 for h in hosts), run.out[-4000:]


def test_rollback_with_nowhere_to_go_is_refused(lab):
    run = playbook("rollback.yml", extra_vars={"go_service_rollback_to": "9.9.9-nothere"})
    assert run.rc != 0 and "release 9.9.9-nothere is not on this host" in run.out
    assert all(get_json(port)["version"] == VERSION for port in lab["hosts"].values())


def test_bad_input_fails_before_any_host_changes(lab):
    run = playbook("deploy.yml", extra_vars={"go_service_name": "bad name!"})
    assert run.rc != 0
    assert "go_service_name must be a valid systemd unit name" in run.out
    assert all(r["changed"] == 0 for r in run.recap.values()), run.out[-3000:]
    for extra, message in (
            ({"go_service_env": {"1BAD": "x"}}, "invalid environment variable name '1BAD'"),
            ({"go_service_env": {"LIST": ["x"]}, "app_version": "1.1.0"}, "environment variable LIST: value of type list"),
            ({"go_service_env": {"A": "1"}, "go_service_secret_env": {"A": "2"}}, "in both go_service_env and go_service_secret_env"),
            ({"app_version": "1.1~rc1"}, "is not usable as a directory name"),
            ({"go_service_memory_max": "512MB"}, "Limits in systemd's syntax"),
            ({"go_service_health_checks": [{"url": "localhost:8080/readyz"}]}, "go_service_health_checks needs")):
        before = manifest(lab, sorted(lab["hosts"])[0])
        run = playbook("deploy.yml", extra_vars=extra)
        assert run.rc != 0 and message in run.out, (extra, run.out[-3000:])
        # refused before any host is locked: the lock task took no lock (it checks the settings first)
        lock_task = re.search(r"TASK \[[^\]]*Take the deploy lock[^\n]*\n(.*?)\n\n(?=TASK|PLAY)", run.out, re.S)
        assert lock_task and not re.search(r"^ok: \[app", lock_task.group(1), re.M), run.out[-3000:]
        # nothing changed on any host (a build on the controller may have: "changed: [app1 -> localhost]")
        assert not re.search(r"changed: \[app\d+\]", run.out), run.out[-3000:]
        assert manifest(lab, sorted(lab["hosts"])[0]) == before
    for port in lab["hosts"].values():
        assert get_json(port)["version"] == VERSION


def proc_environ(lab, host):
    res = ssh(lab, host, "sudo cat /proc/$(systemctl show -p MainPID --value hello)/environ | tr '\\0' '\\n'")
    assert res.returncode == 0, res.stderr
    return dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)


def test_limits_hooks_and_probing_from_the_controller(lab, tmp_path):
    host = sorted(lab["hosts"])[0]
    (tmp_path / "before.yml").write_text(
        "- name: Mark before\n  ansible.builtin.copy:\n    content: \"{{ _go_service_release }}\"\n"
        "    dest: /run/hook-before\n    mode: '0644'\n")
    (tmp_path / "after.yml").write_text(
        "- name: Mark after\n  ansible.builtin.copy:\n    content: \"{{ _go_service_status | default('healthy') }}\"\n"
        "    dest: /run/hook-after\n    mode: '0644'\n")
    run = playbook("deploy.yml", "--limit", host, extra_vars={
        "go_service_memory_max": "256M",
        "go_service_cpu_quota": "150%",
        "go_service_tasks_max": "64",
        "go_service_env": {"LISTEN_ADDR": ":8080", "LOG_LEVEL": "info", "GOMAXPROCS": "3"},
        "go_service_unit_extra_service": ["Environment=EXTRA_FROM_UNIT=yes"],
        "go_service_before_switch_tasks_file": str(tmp_path / "before.yml"),
        "go_service_after_switch_tasks_file": str(tmp_path / "after.yml"),
        "go_service_health_from": "controller",
        "go_service_health_checks": [
            {"url": "http://127.0.0.1:%d/readyz" % lab["hosts"][host]},
            {"url": "http://127.0.0.1:%d/version" % lab["hosts"][host], "json_field": "version", "json_equals": VERSION},
        ],
    })
    assert run.rc == 0, run.out[-4000:]
    shown = ssh(lab, host, "systemctl show hello -p MemoryMax -p MemoryLimit -p CPUQuotaPerSecUSec -p TasksMax; "
                           "cat /run/hook-before; echo; cat /run/hook-after").stdout
    assert "CPUQuotaPerSecUSec=1.500000s" in shown and "TasksMax=64" in shown
    assert "=268435456" in shown   # 256M as MemoryMax (cgroup v2) or MemoryLimit (v1)
    assert "\n" + manifest(lab, host)["active"] + "\n" in "\n" + shown
    environ = proc_environ(lab, host)
    assert environ["GOMEMLIMIT"] == str(int(256 * 1024 * 1024 * 0.9))
    assert environ["GOMAXPROCS"] == "3"          # the env file wins over the derived value
    assert environ["EXTRA_FROM_UNIT"] == "yes"
    # the env file and unit the deploy replaced were kept for a switch back until the run's unlock
    assert ssh(lab, host, "sudo test -e /opt/hello/.previous").returncode == 1
    # back to the defaults
    run = playbook("deploy.yml", "--limit", host)
    assert run.rc == 0, run.out[-4000:]
    environ = proc_environ(lab, host)
    assert "GOMEMLIMIT" not in environ and "EXTRA_FROM_UNIT" not in environ


# Runs on the host as root; reads the secret from stdin so it is never in an argument list or a log.
FIND_SECRET = r"""
import json, os, sys
secret = sys.stdin.read().strip().encode()
files = []
for top in ("/etc", "/opt", "/var/log", "/run", "/tmp", "/home", "/root"):
    for dirpath, dirs, names in os.walk(top):
        for name in names:
            path = os.path.join(dirpath, name)
            try:
                if os.path.isfile(path) and not os.path.islink(path):
                    with open(path, "rb") as fh:
                        if secret in fh.read():
                            files.append(path)
            except OSError:
                pass
argv = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as fh:
            if secret in fh.read():
                argv.append(pid)
    except OSError:
        pass
print(json.dumps({"files": sorted(files), "argv": argv}))
"""


def test_secret_is_only_in_the_env_file(lab):
    with open(os.path.join(lab["state_dir"], "api_token"), encoding="utf-8") as fh:
        token = fh.read().split()[0]
    for host in lab["hosts"]:
        res = subprocess.run(
            ["ssh", "-i", lab["key"], "-p", str(lab["ssh"][host]), "-o", "BatchMode=yes",
             "-o", "UserKnownHostsFile=%s" % os.path.join(lab["state_dir"], "known_hosts"), "deploy@127.0.0.1",
             "sudo python3 -c 'import base64; exec(base64.b64decode(\"%s\"))'"
             % base64.b64encode(FIND_SECRET.encode()).decode()],
            input=token, text=True, capture_output=True, timeout=120, check=False)
        assert res.returncode == 0, res.stderr
        found = json.loads(res.stdout)
        # test_go_container's app (hellod, docker mode, same lab secrets) keeps its secrets in each release's
        # env file, mounted into the container at /run/secrets: by design, and there only when it ran first
        other_app = [f for f in found["files"] if re.match(r"^/opt/hellod/releases/[^/]+/env$", f)]
        found["files"] = [f for f in found["files"] if f not in other_app]
        assert found == {"files": ["/etc/hello/hello.env"], "argv": []}, (host, found)


def test_check_mode_says_what_would_change_and_changes_nothing(lab):
    hosts = sorted(lab["hosts"])
    before = {h: manifest(lab, h) for h in hosts}
    env_before = ssh(lab, hosts[0], "sudo md5sum /etc/hello/hello.env /etc/systemd/system/hello.service").stdout
    run = playbook("deploy.yml", "--check", "--diff", extra_vars={
        "app_version": "1.0.9-check",
        "go_service_env": {"LISTEN_ADDR": ":8080", "LOG_LEVEL": "debug"},
        "go_service_memory_max": "300M",
        "deploy_serial": ["100%"],
    })
    assert run.rc == 0, run.out[-4000:]
    build = run.out.split("Build the artifacts on the controller]", 1)[1].split("TASK [", 1)[0]
    assert "changed: [" in build                                                # a build would happen...
    assert not os.path.exists(os.path.join(ROOT, ".build", "artifacts", "hello", "1.0.9-check"))  # ...none did
    assert "-LOG_LEVEL=info" in run.out and "+LOG_LEVEL=debug" in run.out      # the env file's diff
    assert "+MemoryMax=300M" in run.out                                         # the unit's diff
    assert "+active: 1.0.9-check-unbuilt" in run.out                            # the release switch
    for h in hosts:
        assert run.changed(h) > 0
        assert manifest(lab, h) == before[h]
        assert get_json(lab["hosts"][h])["version"] == VERSION
    assert ssh(lab, hosts[0], "sudo md5sum /etc/hello/hello.env /etc/systemd/system/hello.service").stdout == env_before


def test_health_check_module_alone_with_a_command(lab, tmp_path):
    play = tmp_path / "probe.yml"
    play.write_text("""
- name: Probe with commands
  hosts: app
  gather_facts: false
  become: true
  tasks:
    - name: The binary answers its own health check
      gopherops.baremetal.health_check:
        command: [/opt/hello/current/hello, -healthcheck]
        successes: 2
        interval: 0.2
    - name: A command that fails shows its output and the journal
      gopherops.baremetal.health_check:
        command: "sh -c 'echo not-ready; exit 4'"
        timeout: 1
        interval: 0.3
        unit: hello.service
        journal_lines: 5
      run_once: true
""")
    run = playbook(str(play))
    assert run.rc != 0
    first = run.out.split("The binary answers its own health check]", 1)[1].split("TASK [", 1)[0]
    assert first.count("ok: [") == len(lab["hosts"]), first
    assert "exit code 4: not-ready" in run.out and "journal of hello.service (last 5 lines)" in run.out
