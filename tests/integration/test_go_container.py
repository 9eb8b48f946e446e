"""Docker mode on lab hosts with a real Docker engine inside: the engine from Debian's package by the
opt-in docker_engine role, the example service made into a FROM scratch image on the controller and
sent only when a host lacks it, a second run that sends and restarts nothing, a new release, a
failing release rolled back, a rollback on request, secrets absent from `docker inspect`, and bad
input stopped before anything changes. The service runs as "hellod" on host port 8090 so that the
systemd-mode "hello" of the other suites keeps its port."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess

import pytest
import yaml

from conftest import INVENTORY, ROOT, app_hosts, on, playbook

PLAY = os.path.join(ROOT, "tests", "integration", "files", "container.yml")
ROLLBACK = os.path.join(ROOT, "tests", "integration", "files", "container_rollback.yml")
PREBUILT = os.path.join(ROOT, "tests", "integration", "files", "container_prebuilt.yml")
HOSTS = app_hosts()
(ONE, ONE_CT), (TWO, TWO_CT) = HOSTS[:2]
BARE, BARE_CT = HOSTS[2]     # never gets a Docker engine here
NAME = "hellod"
BASE = {"go_container_name": NAME, "go_container_port": 8090, "go_container_ports": ["8090:8080"]}


def deploy(version, hosts="%s,%s" % (ONE, TWO), *args, **extra):
    return playbook(PLAY, *args, extra_vars=dict(BASE, app_version=version, container_hosts=hosts, **extra))


def served(container):
    out = on(container, "curl -sf http://127.0.0.1:8090/version").stdout
    return json.loads(out)["version"]


def results(run):
    """The container_release results printed by -v or -vvv, per host (the task results that carry sent_bytes)."""
    found = {}
    decoder = json.JSONDecoder()
    # one line at -v, indented over many at -vvv
    for match in re.finditer(r"^(?:changed|ok|fatal): \[(\w+)\][^\n]*? => (?=\{)", run.out, re.M):
        try:
            data = decoder.raw_decode(run.out, match.end())[0]
        except ValueError:
            continue
        if "sent_bytes" in data:
            found[match.group(1)] = data
    return found


def inspect(container):
    return json.loads(on(container, "docker inspect %s" % NAME).stdout)[0]


def test_no_engine_is_named_and_nothing_changes():
    # on a fresh lab this host has no Docker at all; where a suite installed it, its engine is stopped
    installed = on(BARE_CT, "command -v docker", check=False).returncode == 0
    before = host_state(BARE_CT)
    if installed:
        on(BARE_CT, "systemctl stop docker.socket docker.service")
    try:
        run = deploy("1.0.0", BARE)
    finally:
        if installed:
            on(BARE_CT, "systemctl start docker.socket docker.service")
    assert run.rc != 0
    want = "no Docker engine answers on this host" if installed else "no docker command on this host"
    assert want in run.out and "go_container_manage_engine: true" in run.out, run.out[-2000:]
    assert host_state(BARE_CT) == before


def host_state(container):
    """What a run could change on a host: Docker's presence, the service's files, its container."""
    return on(container, "command -v docker; ls -lR --time-style=full-iso /opt/%s /etc/docker 2>&1; "
                         "docker inspect -f '{{.Id}} {{.State.StartedAt}}' %s 2>&1" % (NAME, NAME), check=False).stdout


def test_bad_settings_stop_before_any_host_changes():
    before = {ct: host_state(ct) for ct in (ONE_CT, TWO_CT)}
    run = deploy("1.0.0", "%s,%s" % (ONE, TWO), go_container_memory="lots", go_container_user="root",
                 go_container_manage_engine=True)
    assert run.rc != 0
    assert "go_container_memory" in run.out and "go_container_user" in run.out
    # the settings are checked before the engine role: on a fresh lab not even Docker was installed
    assert {ct: host_state(ct) for ct in (ONE_CT, TWO_CT)} == before


@pytest.fixture(scope="module")
def first():
    # a lab this suite ran on before: start from no container, image or release of the service
    for ct in (ONE_CT, TWO_CT):
        on(ct, "if command -v docker >/dev/null; then docker rm -f %s; docker images -q %s | xargs -r docker rmi -f; fi; "
               "rm -rf /opt/%s" % (NAME, NAME, NAME))
    run = deploy("1.0.0", "%s,%s" % (ONE, TWO), "-v", go_container_manage_engine=True)
    assert run.rc == 0, run.out[-3000:]
    return run


def test_first_deploy_sends_the_image_once_per_host(first):
    got = results(first)
    assert set(got) == {ONE, TWO}
    for host, ct in ((ONE, ONE_CT), (TWO, TWO_CT)):
        assert got[host]["status"] == "deployed" and got[host]["uploaded"]
        assert 0 < got[host]["sent_bytes"] < 8 * 1024 * 1024
        assert served(ct) == "1.0.0"
        assert on(ct, "docker inspect -f '{{.State.Health.Status}}' %s" % NAME).stdout.strip() == "healthy"


def test_image_is_within_a_megabyte_of_the_binary(first):
    del first
    binary = os.path.join(ROOT, ".build", "artifacts", "hello", "1.0.0", "hello_linux_amd64")
    size = int(on(ONE_CT, "docker image inspect -f '{{.Size}}' $(docker inspect -f '{{.Image}}' %s)" % NAME).stdout)
    assert abs(size - os.path.getsize(binary)) < 1024 * 1024


def test_secrets_stay_out_of_docker_inspect(first, lab):
    del first
    token = open(os.path.join(lab["state_dir"], "api_token"), encoding="utf-8").read().strip()
    data = inspect(ONE_CT)
    text = json.dumps(data)
    assert token not in text and "API_TOKEN" not in text
    assert "ENV_FILE=/run/secrets/%s.env" % NAME in data["Config"]["Env"]
    mount = [m for m in data["Mounts"] if m["Destination"] == "/run/secrets/%s.env" % NAME][0]
    assert mount["RW"] is False
    st = on(ONE_CT, "stat -c '%%a %%u:%%g' %s" % mount["Source"]).stdout.split()
    assert st == ["600", "65532:65532"]
    assert token in on(ONE_CT, "cat %s" % mount["Source"]).stdout
    # the service read it: /version shows the prefix of the token's sha256
    prefix = hashlib.sha256(token.encode()).hexdigest()[:8]
    assert json.loads(on(ONE_CT, "curl -sf http://127.0.0.1:8090/version").stdout)["api_token_sha256_prefix"] == prefix
    assert data["HostConfig"]["ReadonlyRootfs"] is True and data["HostConfig"]["CapDrop"] == ["ALL"]
    assert data["Config"]["User"] == "65532:65532"


def test_second_run_sends_and_restarts_nothing(first, lab):
    before = {ct: inspect(ct)["Id"] for ct in (ONE_CT, TWO_CT)}
    # at -vvv with --diff, which print every module's arguments and result, the secret is in no line
    run = deploy("1.0.0", "%s,%s" % (ONE, TWO), "-vvv", "--diff")
    assert run.rc == 0
    token = open(os.path.join(lab["state_dir"], "api_token"), encoding="utf-8").read().strip()
    assert token not in run.out
    assert run.changed(ONE) == 0 and run.changed(TWO) == 0
    got = results(run)
    assert set(got) == {ONE, TWO}, run.out[-3000:]
    assert all(r["sent_bytes"] == 0 and r["status"] == "unchanged" for r in got.values()), got
    assert {ct: inspect(ct)["Id"] for ct in (ONE_CT, TWO_CT)} == before
    del first


def test_new_release_then_a_failing_one_rolls_back(first):
    del first
    run = deploy("1.1.0", "%s,%s" % (ONE, TWO), "-v")
    assert run.rc == 0, run.out[-3000:]
    got = results(run)
    assert set(got) == {ONE, TWO} and all(r["sent_bytes"] > 0 and r["restarted"] for r in got.values()), got
    assert served(ONE_CT) == served(TWO_CT) == "1.1.0"
    v11 = inspect(ONE_CT)["Config"]["Labels"]["org.gopherops.release"]

    bad = deploy("1.2.0", ONE, go_container_env={"LISTEN_ADDR": ":8080", "FAIL_HEALTH": "1"})
    assert bad.rc != 0
    assert re.search(r"release 1\.2\.0-\w+ failed its health check and was rolled back to %s, which is healthy again"
                     % re.escape(v11), bad.out), bad.out[-3000:]
    assert "log of container %s" % NAME in bad.out and "fail-health mode is on" in bad.out
    assert served(ONE_CT) == "1.1.0"
    manifest = json.loads(on(ONE_CT, "cat /opt/%s/releases.json" % NAME).stdout)
    assert manifest["active"] == v11 and any(r.startswith("1.2.0-") for r in manifest["failed"])
    # the images of both good releases are kept for a rollback
    assert len(on(ONE_CT, "docker images -q %s" % NAME).stdout.split()) >= 3


def test_rollback_on_request_then_forward_again(first):
    del first
    run = playbook(ROLLBACK, extra_vars=dict(BASE, app_version="1.1.0", container_hosts=TWO))
    assert run.rc == 0, run.out[-3000:]
    assert served(TWO_CT) == "1.0.0"
    again = deploy("1.1.0", TWO, "-v")
    assert again.rc == 0
    got = results(again)[TWO]
    assert got["sent_bytes"] == 0 and got["restarted"]   # the image was still there
    assert served(TWO_CT) == "1.1.0"


def test_port_taken_by_another_container_changes_nothing(first):
    del first
    image = inspect(ONE_CT)["Image"]
    on(ONE_CT, "docker rm -f squatter >/dev/null 2>&1; docker run -d --name squatter -p 8091:8080 %s" % image)
    try:
        before = (inspect(ONE_CT)["Id"], on(ONE_CT, "readlink /opt/%s/current; cat /opt/%s/releases.json" % (NAME, NAME)).stdout)
        # a new release on a port another container holds: refused before its files or current change
        run = deploy("1.5.0", ONE, go_container_ports=["8091:8080"], go_container_port=8091)
        assert run.rc != 0
        assert "8091" in run.out and "squatter" in run.out
        after = (inspect(ONE_CT)["Id"], on(ONE_CT, "readlink /opt/%s/current; cat /opt/%s/releases.json" % (NAME, NAME)).stdout)
        assert after == before and served(ONE_CT) == "1.1.0"
        assert on(ONE_CT, "ls /opt/%s/releases" % NAME).stdout.count("1.5.0") == 0
    finally:
        on(ONE_CT, "docker rm -f squatter", check=False)


def test_image_without_healthcheck_is_refused_before_sending(first):
    del first
    images = sorted(on(ONE_CT, "docker images -q --no-trunc").stdout.split())
    run = deploy("1.1.0", ONE, go_container_image_healthcheck=[])
    assert run.rc != 0
    assert "has no HEALTHCHECK" in run.out and "go_container_require_healthcheck" in run.out
    assert sorted(on(ONE_CT, "docker images -q --no-trunc").stdout.split()) == images
    assert served(ONE_CT) == "1.1.0"


def registry(lab, **over):
    """Registry mode against the lab's registry (Debian's docker-registry with basic auth on lb1)."""
    with open(os.path.join(lab["state_dir"], "registry_password"), encoding="ascii") as fh:
        password = fh.read().strip()
    inv = yaml.safe_load(open(os.path.join(INVENTORY, "hosts.yml"), encoding="utf-8"))
    app_vars = inv["all"]["children"]["app"]["vars"]
    out = {"go_container_registry": app_vars["lab_registry"], "go_container_registry_url": app_vars["lab_registry_url"],
           "go_container_registry_username": app_vars["lab_registry_user"], "go_container_registry_password": password,
           "go_container_manage_engine": True,
           "docker_engine_daemon_options_extra": {"insecure-registries": [app_vars["lab_registry"]]}}
    out.update(over)
    return out, password


def test_registry_mode_pushes_once_and_hosts_pull_by_digest(first, lab):
    del first
    extra, password = registry(lab)
    # a wrong password stops the run on the controller, before any host changes
    before = host_state(TWO_CT)
    wrong = dict(extra)
    wrong["go_container_registry_password"] = "wrong"
    bad = deploy("1.3.0", TWO, **wrong)
    assert bad.rc != 0 and "answered 401" in bad.out and "registry user and password" in bad.out
    assert host_state(TWO_CT) == before and password not in bad.out
    # When 1.3.0 is deployed through the registry
    run = deploy("1.3.0", TWO, "-vvv", **extra)
    assert run.rc == 0, run.out[-3000:]
    pushed = re.search(r'"reference": "(lb1:5000/hellod@sha256:[0-9a-f]{64})"', run.out)
    assert pushed, run.out[-3000:]
    got = results(run)[TWO]
    # Then the host pulled it (nothing sent over the play's connection), by the digest pushed
    assert got["uploaded"] and got["sent_bytes"] == 0 and "pull" in got["timings"]
    assert served(TWO_CT) == "1.3.0"
    digests = on(TWO_CT, "docker image inspect -f '{{json .RepoDigests}}' $(docker inspect -f '{{.Image}}' %s)" % NAME).stdout
    assert pushed.group(1) in digests
    # no credential stays on the host, and the password is in no output
    assert on(TWO_CT, "grep -rs lb1:5000 /root/.docker /home/deploy/.docker", check=False).returncode != 0
    assert password not in run.out
    # And a rerun pushes nothing and pulls nothing
    again = deploy("1.3.0", TWO, "-v", **extra)
    assert again.rc == 0 and again.changed(TWO) == 0, again.out[-3000:]
    assert '"sent_bytes": 0' in again.out and not results(again)[TWO]["uploaded"]
    # And the next release goes the same way
    nxt = deploy("1.4.0", TWO, "-v", **extra)
    assert nxt.rc == 0, nxt.out[-3000:]
    assert results(nxt)[TWO]["uploaded"] and results(nxt)[TWO]["sent_bytes"] == 0
    assert served(TWO_CT) == "1.4.0"


@pytest.fixture(scope="module")
def saved_image(tmp_path_factory):
    """An image built elsewhere, as CI would: the example built by `go build`, two COPY layers, a
    HEALTHCHECK, built by the controller's Docker engine and written by `docker save | gzip`."""
    work = tmp_path_factory.mktemp("prebuilt")
    version = "7.0.0"
    env = dict(os.environ, CGO_ENABLED="0", GOOS="linux", GOARCH="amd64", GOTOOLCHAIN="local")
    subprocess.run(["go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=%s" % version,
                    "-o", str(work / "hello"), "."], cwd=os.path.join(ROOT, "examples", "hello"), env=env, check=True)
    (work / "passwd").write_text("app:x:65532:65532::/:/sbin/nologin\n", encoding="ascii")
    (work / "Dockerfile").write_text(
        "FROM scratch\nCOPY passwd /etc/passwd\nCOPY hello /hello\nUSER 65532:65532\nEXPOSE 8080\n"
        'HEALTHCHECK --interval=2s CMD ["/hello", "-healthcheck"]\nENTRYPOINT ["/hello"]\n', encoding="ascii")
    tag = "ci.example/hellod:%s" % version
    subprocess.run(["docker", "build", "-q", "-t", tag, str(work)], env=dict(os.environ, DOCKER_BUILDKIT="0"),
                   check=True, capture_output=True)
    image_id = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", tag], check=True, capture_output=True,
                              text=True).stdout.strip()
    path = work / "hellod-7.0.0.tar.gz"
    with open(path, "wb") as out:
        save = subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE)
        subprocess.run(["gzip", "-c"], stdin=save.stdout, stdout=out, check=True)
        assert save.wait() == 0
    subprocess.run(["docker", "rmi", tag], check=True, capture_output=True)
    return {"path": str(path), "image_id": image_id, "version": version}


def prebuilt(version, hosts, *args, **extra):
    return playbook(PREBUILT, *args, extra_vars=dict(BASE, app_version=version, container_hosts=hosts, **extra))


def test_an_image_built_elsewhere_runs_without_a_build(first, saved_image, lab):
    del first
    image_id, archive = saved_image["image_id"], saved_image["path"]
    release = "7.0.0-" + image_id[7:15]
    # bad input stops on the controller, before any host changes
    before = host_state(ONE_CT)
    missing = prebuilt("7.0.0", ONE, go_container_image_archive=archive + ".missing")
    assert missing.rc != 0 and archive + ".missing does not exist on the controller" in missing.out
    wrong_arch = prebuilt("7.0.0", ONE, go_container_image_archive={"linux_arm64": archive}, go_container_target="linux_arm64")
    assert wrong_arch.rc != 0 and "is for amd64, the host needs arm64" in wrong_arch.out, wrong_arch.out[-2000:]
    no_key = prebuilt("7.0.0", ONE, go_container_image_archive={"linux_arm64": archive})
    assert no_key.rc != 0 and "go_container_image_archive has no archive for linux_amd64" in no_key.out
    assert host_state(ONE_CT) == before
    # When the archive is deployed (no go_build in this playbook at all)
    run = prebuilt("7.0.0", ONE, "-v", go_container_image_archive=archive)
    assert run.rc == 0, run.out[-3000:]
    got = results(run)[ONE]
    # Then the host loaded that very image, runs it as the release named by its id, and it is healthy
    assert got["status"] == "deployed" and got["uploaded"] and got["active"] == release
    assert 0 < got["sent_bytes"] <= os.path.getsize(archive) + 4096
    assert inspect(ONE_CT)["Image"] == image_id and served(ONE_CT) == "7.0.0"
    layers = json.loads(on(ONE_CT, "docker image inspect -f '{{json .RootFS.Layers}}' %s" % image_id).stdout)
    assert len(layers) == 2
    assert on(ONE_CT, "docker inspect -f '{{.State.Health.Status}}' %s" % NAME).stdout.strip() == "healthy"
    manifest = json.loads(on(ONE_CT, "cat /opt/%s/releases.json" % NAME).stdout)
    assert release in json.dumps(manifest) and image_id[7:] in json.dumps(manifest)
    # And a second run sends and restarts nothing
    again = prebuilt("7.0.0", ONE, "-v", go_container_image_archive=archive)
    assert again.rc == 0 and again.changed(ONE) == 0, again.out[-3000:]
    assert results(again)[ONE]["sent_bytes"] == 0 and not results(again)[ONE]["uploaded"]
    # And in registry mode its two layers are pushed as they are and the host pulls it by digest
    extra, password = registry(lab, go_container_image_archive=archive)
    pushed = prebuilt("7.0.0", TWO, "-v", **extra)
    assert pushed.rc == 0, pushed.out[-3000:]
    assert results(pushed)[TWO]["sent_bytes"] == 0 and "pull" in results(pushed)[TWO]["timings"]
    assert inspect(TWO_CT)["Image"] == image_id and served(TWO_CT) == "7.0.0" and password not in pushed.out


def test_a_rollout_of_an_image_built_elsewhere_needs_no_build(first, saved_image):
    del first
    image_id = saved_image["image_id"]
    # go_build_src points nowhere: a build would fail
    extra = dict(BASE, go_service_name=NAME, deploy_mode="docker", deploy_hosts=ONE, rollout_haproxy_hosts=[],
                 app_version="7.0.0", go_container_image_archive=saved_image["path"], go_build_src="/nonexistent")
    plan = playbook("deploy.yml", "--check", extra_vars=extra)
    assert plan.rc == 0, plan.out[-3000:]
    # the host runs that image from the test before: the plan names its release and changes nothing
    row = r"%s +7\.0\.0-%s +7\.0\.0-%s +- +-" % (ONE, image_id[7:15], image_id[7:15])
    assert re.search(row, plan.out), plan.out[-3000:]
    on(ONE_CT, "docker rm -f %s" % NAME)
    run = playbook("deploy.yml", extra_vars=extra)
    assert run.rc == 0, run.out[-3000:]
    assert inspect(ONE_CT)["Image"] == image_id and served(ONE_CT) == "7.0.0"
    audit = on(ONE_CT, "tail -n 1 /var/log/%s/deploy.log" % NAME).stdout
    line = json.loads(audit)
    assert line["to"] == "7.0.0-" + image_id[7:15] and line["sha256"] == image_id[7:] and line["result"] == "deployed"
