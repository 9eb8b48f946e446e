"""Rollouts through the lab's HAProxy: a client on the controller sends requests through the load
balancer the whole time, and not one of them may fail, whether the release is good or fails its
health gate on the canary."""

from __future__ import annotations

import socket

import pytest

from conftest import get_json, playbook
from prober import Prober, haproxy_statuses
from test_deploy import manifest, ssh
from test_rollout_lock_audit import audit_lines

# beside the lock: the host is out of the load balancer, for the next run to put it back
OUT_OF_LB = "/var/lib/gopherops/locks/hello.lock.out-of-lb"


@pytest.fixture(scope="module")
def lb(lab):
    if not lab["lb"]:
        pytest.fail("the lab has no load balancer host: run 'make lab-up' with LAB_LB=1 (the default)")
    return next(iter(lab["lb"].values()))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_prober_counts_failures():
    # a client that cannot see failures would prove nothing: nothing listens on this port
    with Prober(free_port(), interval=0.01, max_requests=20, timeout=1) as prober:
        while prober.sent < 20:
            prober._stop.wait(0.05)
    assert prober.ok == 0 and len(prober.failures) == 20


def test_v1_then_v2_with_zero_failed_requests_and_a_no_op_rerun(lab, lb):
    hosts = sorted(lab["hosts"])
    # Given every host on v1 behind HAProxy
    run = playbook("deploy.yml", extra_vars={"app_version": "2.0.0"})
    assert run.rc == 0, run.out[-4000:]
    assert haproxy_statuses(lb["container"]) == {h: "UP" for h in hosts}
    # When v2 rolls out while a client keeps sending requests through the load balancer
    with Prober(lb["http"]) as prober:
        run = playbook("deploy.yml", extra_vars={"app_version": "2.0.1"})
    # Then the rollout succeeds, every host serves v2, and not one request failed
    assert run.rc == 0, run.out[-4000:]
    assert not prober.failures, prober.report()
    assert prober.ok > 100 and set(prober.versions) == {"2.0.0", "2.0.1"}, prober.report()
    assert set(prober.servers) == set(hosts), prober.report()
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == "2.0.1"
    # each host was taken out of HAProxy for its deploy and is back in rotation
    assert run.out.count("TASK [gopherops.baremetal.rollout : Take the batch out of the load balancer]") == 3, run.out[-3000:]
    assert all(st == "UP" for st in haproxy_statuses(lb["container"]).values())
    # and, being out of HAProxy already, was stopped with go_service_drained_stop_signal (SIGINT in the
    # lab): no wait for the service's own 2 s DRAIN_DELAY
    for host in hosts:
        line = audit_lines(lab, host)[-1]
        assert line["to"].startswith("2.0.1-") and line["timings"]["restart"] < 1.5, line
        journal = ssh(lab, host, "sudo journalctl -u hello --since '-5min' -o cat | grep -c 'stopping without the drain delay'")
        assert int(journal.stdout.strip() or 0) >= 1, journal.stdout + journal.stderr
    # And a rerun changes nothing, not even HAProxy
    with Prober(lb["http"]) as prober:
        again = playbook("deploy.yml", extra_vars={"app_version": "2.0.1"})
    assert again.rc == 0, again.out[-4000:]
    assert sum(r["changed"] for r in again.recap.values()) == 0, again.out[-4000:]
    assert "Take the batch out of the load balancer" not in again.out
    assert not prober.failures and prober.versions == {"2.0.1": prober.ok}, prober.report()


def test_a_failing_canary_is_rolled_back_with_zero_failed_requests(lab, lb):
    hosts = sorted(lab["hosts"])
    before = {h: manifest(lab, h)["active"] for h in hosts}
    # Given every host on 2.0.1; When a release that fails its health check rolls out under load
    with Prober(lb["http"]) as prober:
        run = playbook("deploy.yml", extra_vars={
            "app_version": "2.0.2-broken", "go_build_ldflags": "-X main.failHealth=true",
            "go_service_health_timeout": 4})
    # Then the run fails naming the canary and showing its journal,
    assert run.rc != 0
    canary = hosts[0]
    assert "%s failed at the health gate phase" % canary in run.out, run.out[-4000:]
    assert "journal of hello.service" in run.out
    # the canary runs its last known good release again, healthy and back in HAProxy,
    assert manifest(lab, canary)["active"] == before[canary]
    assert get_json(lab["hosts"][canary])["version"] == "2.0.1"
    assert any(r.startswith("2.0.2-broken-") for r in manifest(lab, canary)["failed"])
    assert all(st == "UP" for st in haproxy_statuses(lb["container"]).values())
    # the other hosts never changed, and no request through the load balancer failed
    for host in hosts[1:]:
        assert manifest(lab, host)["active"] == before[host]
        assert not any(r.startswith("2.0.2") for r in manifest(lab, host)["releases"])
    assert not prober.failures, prober.report()
    assert prober.versions == {"2.0.1": prober.ok} and prober.ok > 50, prober.report()


def test_the_load_balancer_drain_alone_keeps_every_request_whole(lab, lb):
    hosts = sorted(lab["hosts"])
    no_delay = {"LISTEN_ADDR": ":8080", "LOG_LEVEL": "info", "DRAIN_DELAY": "0s"}
    # Given services that stop at once on SIGTERM (no /readyz drain delay of their own; a process
    # keeps the environment it started with, hence the first rollout)
    run = playbook("deploy.yml", extra_vars={"app_version": "2.1.0", "go_service_env": no_delay})
    assert run.rc == 0, run.out[-4000:]
    # and no HAProxy drain: then requests fail while hosts restart, which the lab's strict HAProxy shows
    with Prober(lb["http"]) as prober:
        run = playbook("deploy.yml", extra_vars={
            "app_version": "2.1.1", "go_service_env": no_delay, "rollout_haproxy_hosts": []})
    assert run.rc == 0, run.out[-4000:]
    assert prober.failures, "no request failed without any drain: the lab cannot tell drained from not. " + prober.report()
    # When the same kind of rollout takes each batch out of HAProxy first
    with Prober(lb["http"]) as prober:
        run = playbook("deploy.yml", extra_vars={"app_version": "2.1.2", "go_service_env": no_delay})
    # Then not one request fails
    assert run.rc == 0, run.out[-4000:]
    assert not prober.failures, prober.report()
    assert set(prober.versions) == {"2.1.1", "2.1.2"} and set(prober.servers) == set(hosts), prober.report()


def test_the_rollback_playbook_rolls_back_in_batches_through_the_load_balancer(lab, lb):
    hosts = sorted(lab["hosts"])
    # Given every host on 2.1.2 (after 2.1.1), whose service stops at once on SIGTERM
    assert all(get_json(port)["version"] == "2.1.2" for port in lab["hosts"].values())
    # When the operator rolls back under load
    with Prober(lb["http"]) as prober:
        run = playbook("rollback.yml")
    # Then each host is back on 2.1.1, batch by batch, drained first, and no request failed
    assert run.rc == 0, run.out[-4000:]
    assert not prober.failures, prober.report()
    assert set(prober.versions) == {"2.1.1", "2.1.2"}, prober.report()
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == "2.1.1"
        m = manifest(lab, host)
        assert m["active"].startswith("2.1.1-") and any(r.startswith("2.1.2-") for r in m["failed"])
    assert run.out.count("TASK [gopherops.baremetal.rollout : Take the batch out of the load balancer]") == 3
    summary = run.out.split("TASK [gopherops.baremetal.rollout : Summary]", 1)[1]
    assert summary.count("rolled_back") == len(hosts), summary[:2000]
    assert all(st == "UP" for st in haproxy_statuses(lb["container"]).values())
    # And a rollback to a release that is on no host is refused before any host changes
    run = playbook("rollback.yml", extra_vars={"go_service_rollback_to": "0.0.1-nothere"})
    assert run.rc != 0 and "No host was changed" in run.out and "release 0.0.1-nothere is not on this host" in run.out
    assert all(get_json(port)["version"] == "2.1.1" for port in lab["hosts"].values())


def test_docker_mode_with_zero_failed_requests_there_and_back(lab, lb):
    """deploy_mode: docker on the same playbook: the hosts move from their systemd units to containers
    (Docker from Debian's package, opt-in), roll forward, refuse a broken release, and move back, all
    under load through HAProxy without one failed request."""
    hosts = sorted(lab["hosts"])
    docker = {"deploy_mode": "docker", "go_container_manage_engine": True}
    # Given every host on a systemd unit; When the first docker-mode release fails its gate on the canary
    canary = hosts[0]
    with Prober(lb["http"]) as prober:
        bad = playbook("deploy.yml", extra_vars=dict(docker, app_version="6.0.0-broken",
                                                     go_build_ldflags="-X main.failHealth=true",
                                                     go_container_health_timeout=8))
    # Then its container goes and the systemd unit it stopped runs again, healthy, with nothing failed
    assert bad.rc != 0
    assert "%s failed at the health gate phase" % canary in bad.out and "which is healthy again" in bad.out, bad.out[-4000:]
    assert get_json(lab["hosts"][canary])["version"] == "2.1.1"
    state = ssh(lab, canary, "systemctl is-active hello; systemctl is-enabled hello; "
                             "sudo docker ps -aq --filter name=^/hello$ | wc -l").stdout.split()
    assert state == ["active", "enabled", "0"], state
    assert not prober.failures, prober.report()
    # When the same playbook deploys in docker mode under load
    with Prober(lb["http"]) as prober:
        run = playbook("deploy.yml", extra_vars=dict(docker, app_version="6.1.0"))
    # Then every host serves 3.0.0 from a container, its unit stopped and disabled, and nothing failed
    assert run.rc == 0, run.out[-4000:]
    assert not prober.failures, prober.report()
    assert set(prober.versions) == {"2.1.1", "6.1.0"} and set(prober.servers) == set(hosts), prober.report()
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == "6.1.0"
        state = ssh(lab, host, "systemctl is-active hello; sudo docker inspect -f '{{.State.Running}} "
                               "{{index .Config.Labels \"org.gopherops.release\"}}' hello").stdout.split()
        assert state[0] != "active" and state[1] == "true" and state[2].startswith("6.1.0-"), state
        assert audit_lines(lab, host)[-1]["to"].startswith("6.1.0-")
    # When the next release rolls out in docker mode, and then the same one again
    with Prober(lb["http"]) as prober:
        run = playbook("deploy.yml", extra_vars=dict(docker, app_version="6.1.1"))
        again = playbook("deploy.yml", extra_vars=dict(docker, app_version="6.1.1"))
    assert run.rc == 0 and again.rc == 0, run.out[-3000:] + again.out[-3000:]
    assert not prober.failures, prober.report()
    assert set(prober.versions) == {"6.1.0", "6.1.1"}, prober.report()
    # the rerun sent nothing and changed nothing, not even HAProxy
    assert sum(r["changed"] for r in again.recap.values()) == 0, again.out[-4000:]
    assert "Take the batch out of the load balancer" not in again.out
    # When a release that fails its health check rolls out in docker mode
    with Prober(lb["http"]) as prober:
        bad = playbook("deploy.yml", extra_vars=dict(docker, app_version="6.1.2-broken",
                                                     go_build_ldflags="-X main.failHealth=true",
                                                     go_container_health_timeout=8))
    # Then the canary is back on 3.0.1 with its container log shown, the others never changed
    assert bad.rc != 0
    assert "%s failed at the health gate phase" % canary in bad.out, bad.out[-4000:]
    assert "log of container hello" in bad.out and "fail-health mode is on" in bad.out
    assert all(get_json(lab["hosts"][h])["version"] == "6.1.1" for h in hosts)
    assert not any(r.startswith("6.1.2") for h in hosts[1:] for r in manifest(lab, h)["releases"])
    assert not prober.failures, prober.report()
    # When the operator rolls the docker-mode fleet back with rollback.yml under load
    with Prober(lb["http"]) as prober:
        back = playbook("rollback.yml", extra_vars=docker)
    # Then every host runs 6.1.0's container again, batch by batch through HAProxy, and nothing failed
    assert back.rc == 0, back.out[-4000:]
    assert not prober.failures, prober.report()
    assert set(prober.versions) == {"6.1.0", "6.1.1"}, prober.report()
    assert back.out.count("TASK [gopherops.baremetal.rollout : Take the batch out of the load balancer]") == 3
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == "6.1.0"
        label = ssh(lab, host, "sudo docker inspect -f '{{index .Config.Labels \"org.gopherops.release\"}}' hello").stdout
        m = manifest(lab, host)
        assert label.startswith("6.1.0-") and m["active"].startswith("6.1.0-"), (label, m)
        assert any(r.startswith("6.1.1-") for r in m["failed"]), m
        assert audit_lines(lab, host)[-1]["to"].startswith("6.1.0-")
    # When the group goes back to systemd mode under load
    with Prober(lb["http"]) as prober:
        back = playbook("deploy.yml", extra_vars={"app_version": "6.2.0"})
    # Then the containers are gone, the units run 3.1.0, and nothing failed
    assert back.rc == 0, back.out[-4000:]
    assert not prober.failures, prober.report()
    assert set(prober.versions) == {"6.1.0", "6.2.0"}, prober.report()
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == "6.2.0"
        state = ssh(lab, host, "systemctl is-active hello; sudo docker ps -aq --filter name=^/hello$ | wc -l").stdout.split()
        assert state == ["active", "0"], state


def test_a_host_left_out_by_a_busy_release_is_put_back_by_the_next_run(lab, lb):
    hosts = sorted(lab["hosts"])
    canary = hosts[0]
    # Given every host on 2.2.0 behind HAProxy
    run = playbook("deploy.yml", extra_vars={"app_version": "2.2.0"})
    assert run.rc == 0, run.out[-4000:]
    # and, on the canary, another release of hello still holding the host's release lock
    hold = ssh(lab, canary, "sudo mkdir -p -m 0755 /run/gopherops && sudo systemd-run --quiet --unit=gopherops-test-busy "
                            "--collect flock /run/gopherops/hello.release.lock sleep 600")
    assert hold.returncode == 0, hold.stderr
    try:
        # When 2.2.1 rolls out (short waits: the module gives up after 2 x 4 s + 4 x 2 s + 60 s)
        busy = playbook("deploy.yml", extra_vars={"app_version": "2.2.1", "go_service_health_timeout": 4,
                                                  "go_service_stop_timeout": 2})
    finally:
        ssh(lab, canary, "sudo systemctl stop gopherops-test-busy")
    # Then the canary fails without a change, naming the other release, and the run stops there
    assert busy.rc != 0
    assert "another release of hello is still being deployed on this host" in busy.out, busy.out[-4000:]
    assert manifest(lab, canary)["active"].startswith("2.2.0-")
    assert all(manifest(lab, h)["active"].startswith("2.2.0-") for h in hosts)
    # it was drained for its deploy and is still out of HAProxy, which the host remembers
    assert haproxy_statuses(lb["container"])[canary] != "UP"
    assert ssh(lab, canary, "sudo cat %s" % OUT_OF_LB).stdout.strip()
    # When the next run finds nothing to deploy
    again = playbook("deploy.yml", extra_vars={"app_version": "2.2.0"})
    # Then it puts the canary back in HAProxy, and forgets the mark
    assert again.rc == 0, again.out[-4000:]
    assert haproxy_statuses(lb["container"]) == {h: "UP" for h in hosts}
    assert ssh(lab, canary, "sudo test -e %s" % OUT_OF_LB).returncode != 0
    assert "Take the batch out of the load balancer" not in again.out


def test_a_host_the_load_balancer_does_not_know_fails_at_the_drain_and_is_not_touched(lab, lb):
    hosts = sorted(lab["hosts"])
    canary = hosts[0]
    run = playbook("deploy.yml", extra_vars={"app_version": "2.3.0"})
    assert run.rc == 0, run.out[-4000:]
    before = {h: manifest(lab, h)["active"] for h in hosts}
    # When the canary's server name is one HAProxy does not have, while a client keeps sending requests
    with Prober(lb["http"]) as prober:
        run = playbook("deploy.yml", extra_vars={
            "app_version": "2.3.1",
            "rollout_haproxy_server": "{{ 'no-such-server' if inventory_hostname == '%s' else '' }}" % canary})
    # Then the canary fails at the drain, before its release is touched, and no later batch starts
    assert run.rc != 0
    assert "%s failed at the drain phase" % canary in run.out, run.out[-4000:]
    assert "no-such-server" in run.out.split("failed at the drain phase", 1)[1]
    assert not prober.failures, prober.report()
    for host in hosts:
        assert manifest(lab, host)["active"] == before[host], host
        assert not any(r.startswith("2.3.1") for r in manifest(lab, host)["releases"]), host
        assert get_json(lab["hosts"][host])["version"] == "2.3.0"
        assert ssh(lab, host, "sudo test -e /var/lib/gopherops/locks/hello.lock").returncode != 0, host
    # every server still in rotation
    assert haproxy_statuses(lb["container"]) == {h: "UP" for h in hosts}
    # the canary counts as possibly out of rotation (with two load balancers one may have drained it),
    # so the next run, which has nothing to deploy, puts it back and forgets the mark
    assert ssh(lab, canary, "sudo cat %s" % OUT_OF_LB).stdout.strip()
    again = playbook("deploy.yml", extra_vars={"app_version": "2.3.0"})
    assert again.rc == 0 and all(again.changed(h) == 0 for h in hosts), again.out[-4000:]
    assert ssh(lab, canary, "sudo test -e %s" % OUT_OF_LB).returncode != 0


def test_a_host_healthy_by_its_checks_that_haproxy_never_sees_up_fails_at_the_enable(lab, lb):
    hosts = sorted(lab["hosts"])
    canary = hosts[0]
    run = playbook("deploy.yml", extra_vars={"app_version": "2.4.0"})
    assert run.rc == 0, run.out[-4000:]
    # When the canary's new settings move it to a port HAProxy does not check (its own checks follow
    # it there, so its health gate passes), while a client keeps sending requests
    port = "{{ '8089' if inventory_hostname == '%s' else '8080' }}" % canary
    with Prober(lb["http"]) as prober:
        run = playbook("deploy.yml", extra_vars={
            "app_version": "2.4.1",
            "go_service_env": {"LISTEN_ADDR": ":" + port, "LOG_LEVEL": "info", "DRAIN_DELAY": "2s"},
            "go_service_health_checks": [{"url": "http://127.0.0.1:%s/readyz" % port}],
            "rollout_drain_timeout": 4})
    # Then the canary fails when it is put back, the run stops there, and no request failed
    assert run.rc != 0
    assert "%s failed at the enable phase: healthy on 2.4.1-" % canary in run.out, run.out[-4000:]
    assert "but not back in the load balancer" in run.out
    assert not prober.failures, prober.report()
    # it runs the new release but stays out of rotation, which the host remembers; no later batch started
    assert manifest(lab, canary)["active"].startswith("2.4.1-")
    assert haproxy_statuses(lb["container"])[canary] != "UP"
    assert ssh(lab, canary, "sudo cat %s" % OUT_OF_LB).stdout.strip()
    for host in hosts[1:]:
        assert manifest(lab, host)["active"].startswith("2.4.0-"), host
    # When the next run has the usual settings, the canary gets them back and returns to rotation
    again = playbook("deploy.yml", extra_vars={"app_version": "2.4.1"})
    assert again.rc == 0, again.out[-4000:]
    assert haproxy_statuses(lb["container"]) == {h: "UP" for h in hosts}
    assert ssh(lab, canary, "sudo test -e %s" % OUT_OF_LB).returncode != 0
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == "2.4.1", host
