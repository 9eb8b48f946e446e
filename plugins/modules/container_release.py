#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container_release
short_description: Deploy a release of a service as a Docker container in one step, gated by health checks, with rollback
version_added: 0.1.0
description:
  - The docker-mode twin of M(gopherops.baremetal.systemd_release), with the same manifest
    (C(<base_dir>/releases.json)), release ids, gate and rollback, in one task per host.
  - Loads the image from an archive (made by M(gopherops.baremetal.go_image)) when the host lacks its image id
    (the action plugin sends the archive only then) and checks the id after the load; or uses an image the host
    already has (pulled from a registry).
  - Writes the environment file C(<base_dir>/releases/<release_id>/env) (mode 0600, owned by the container's
    numeric user) and mounts it read-only at C(/run/secrets/<name>.env), named by C(ENV_FILE) in the container.
    Secret values are never on the C(docker run) command line and never in the container's configuration that
    C(docker inspect) shows; O(env) values are, as C(--env), for services that do not read C(ENV_FILE).
  - Runs the container read-only, with all capabilities dropped and C(no-new-privileges), the restart policy,
    memory and CPU limits, log driver options and published ports. A container that already runs the same
    image with the same options and environment is left alone (compared through a label holding their hash).
  - Waits for Docker's C(healthy) when the image has a C(HEALTHCHECK), then for O(checks).
    When either fails, records the release as failed, starts the last known good release's container again
    (its image, options and environment file are kept), checks it, and fails with Docker's health log and the
    container's log tail.
  - A service of the same name running under systemd (systemd mode before) is stopped and disabled just
    before the container starts, so a host group moves to docker mode with one variable.
  - One run of this module per O(name) at a time on a host; it takes C(/run/gopherops/<name>.release.lock)
    (not in check mode) and waits for a module an interrupted run left running there. From then on it ignores
    the hangup of its connection, so Ctrl-C on the controller does not stop it between stopping the service and
    starting it again; it ends its work on the host and its result is lost.
  - With O(state=rolled_back), starts the container of O(to) (or the last known good release) again.
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
    details: The action plugin sends the image archive only when the host lacks the image.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Reports what would change (transfer, environment, container) and changes nothing.
  diff_mode:
    support: full
    details: The environment file with secret values masked, and the active release.
  platform:
    platforms: posix
options:
  name:
    description: Name of the container and of the service.
    type: str
    required: true
  state:
    description: C(deployed) makes O(release_id) the running, healthy release; C(rolled_back) goes back.
    type: str
    choices: [deployed, rolled_back]
    default: deployed
  release_id:
    description: Release id, for example C(1.4.0-1a2b3c4d). Required for O(state=deployed).
    type: str
  version:
    description: Version of the release, recorded in the manifest and used to retarget version checks on rollback.
    type: str
  sha256:
    description: sha256 of the service's binary, recorded in the manifest.
    type: str
    default: ""
  image_id:
    description: The image id (C(sha256:...)) the release runs. Required for O(state=deployed).
    type: str
  image_archive:
    description: An image archive on the controller (M(gopherops.baremetal.go_image)'s C(path)), sent and loaded
      when the host lacks O(image_id). Without it the image must already be on the host (pulled from a registry).
    type: path
  repo_tag:
    description: A C(name:tag) to give the image on the host, for people reading C(docker images).
    type: str
  pull:
    description:
      - Registry mode, the reference to pull when the host lacks O(image_id), by digest
        (M(gopherops.baremetal.image_push)'s C(reference), C(registry/repository@sha256:...)). The id is checked
        after the pull.
    type: str
  registry_username:
    description: User for the registry of O(pull). The login lives in a temporary Docker client configuration
      removed after the pull, so no credential stays on the host.
    type: str
  registry_password:
    description: Password for the registry of O(pull).
    type: str
  base_dir:
    description: Directory holding the manifest and C(releases/<id>/) (environment file and run options).
    type: path
    required: true
  user:
    description: Numeric C(uid:gid) the container runs as; it owns the environment file. Empty uses the image's.
    type: str
    default: ""
  env:
    description: Environment variables, in the file and passed with C(--env) (shown by C(docker inspect)).
    type: dict
    default: {}
  secret_env:
    description: Environment variables only in the file; their values are never shown.
    type: dict
    default: {}
  ports:
    description: Published ports, C([ip:][host_port:]container_port[/proto]).
    type: list
    elements: str
    default: []
  memory:
    description: Docker's C(--memory), for example C(512m); empty for none.
    type: str
    default: ""
  cpus:
    description: Docker's C(--cpus), for example C(1.5); empty for none.
    type: str
    default: ""
  restart_policy:
    description: Docker's restart policy.
    type: str
    default: unless-stopped
  log_driver:
    description: Docker's log driver; empty for the engine's default.
    type: str
    default: ""
  log_options:
    description: Log driver options, for example C(max-size) and C(max-file).
    type: dict
    default: {}
  network:
    description: Docker network; empty for the default bridge.
    type: str
    default: ""
  capabilities:
    description: Capabilities to add back after all are dropped.
    type: list
    elements: str
    default: []
  read_only:
    description: Read-only root file system with a tmpfs on C(/tmp).
    type: bool
    default: true
  host_uts:
    description: Share the host's UTS namespace (C(--uts host)), so the service sees the machine's hostname as in
      systemd mode rather than the container id. It cannot change it (all capabilities are dropped).
    type: bool
    default: true
  docker_options:
    description: More C(docker run) options, added as they are (part of what decides a restart).
    type: list
    elements: str
    default: []
  args:
    description: Arguments after the image (the container's command).
    type: list
    elements: str
    default: []
  stop_timeout:
    description: Seconds Docker waits after the stop signal before it kills the container.
    type: int
    default: 30
  drained_stop_signal:
    description: As for M(gopherops.baremetal.systemd_release); the old container gets this signal instead of
      its stop signal when the caller took the host out of its load balancer.
    type: str
  require_healthcheck:
    description: Fail, before anything changes, when the image has no C(HEALTHCHECK); and wait for C(healthy).
    type: bool
    default: true
  keep_releases:
    description: Releases to keep; the images of releases pruned beyond it are removed unless still used.
    type: int
    default: 5
  checks:
    description: Health checks that must all pass, as for M(gopherops.baremetal.health_check) O(checks).
    type: list
    elements: dict
    default: []
  health_timeout:
    description: Seconds to wait for Docker's C(healthy) and then for the checks.
    type: float
    default: 60
  health_interval:
    description: Seconds between probes once one has passed.
    type: float
    default: 0.5
  health_successes:
    description: Consecutive good probes needed.
    type: int
    default: 2
  rollback_on_failure:
    description: Go back to the last known good release when the checks fail.
    type: bool
    default: true
  to:
    description: For O(state=rolled_back), the release to go back to.
    type: str
  log_lines:
    description: Lines of the container's log shown when a release fails.
    type: int
    default: 30
  staged:
    description: Internal, set by the action plugin; where the archive was sent on the host.
    type: path
"""

EXAMPLES = r"""
- name: Deploy hello 1.4.0 as a container
  gopherops.baremetal.container_release:
    name: hello
    release_id: "{{ image.repo_tag.split(':')[1] }}"
    version: 1.4.0
    image_id: "{{ image.image_id }}"
    image_archive: "{{ image.path }}"
    base_dir: /opt/hello
    user: "65532:65532"
    ports: ["8080:8080"]
    env:
      LISTEN_ADDR: ":8080"
    secret_env:
      API_TOKEN: "{{ vault_hello_api_token }}"
    memory: 256m
    log_driver: json-file
    log_options: {max-size: 10m, max-file: "3"}
    checks:
      - url: http://127.0.0.1:8080/readyz
"""

RETURN = r"""
status:
  description: C(unchanged), C(deployed), C(rolled_back), C(failed) or C(pending) (check mode).
  returned: always
  type: str
release:
  description: The release the task was about.
  returned: always
  type: str
active:
  description: The release the host runs after the task.
  returned: always
  type: str
previous_release:
  description: The release that was active before the task.
  returned: always
  type: str
uploaded:
  description: Whether the image archive was sent and loaded.
  returned: always
  type: bool
restarted:
  description: Whether a container was (re)created.
  returned: always
  type: bool
env_changed:
  description: Whether the environment file changed.
  returned: always
  type: bool
container_id:
  description: Id of the running container.
  returned: success
  type: str
health:
  description: The gate's result.
  returned: when a gate ran
  type: dict
logs:
  description: Log tail of the container that failed.
  returned: on failure
  type: list
  elements: str
timings:
  description:
    - Seconds spent in each phase.
    - C(waited_for_host_lock) when it waited a second or more for another run's module.
  returned: always
  type: dict
pruned:
  description: Releases removed (and their images, when no kept release uses them).
  returned: always
  type: list
  elements: str
"""

import json
import os
import re
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible_collections.gopherops.baremetal.plugins.module_utils import container_run as cr
from ansible_collections.gopherops.baremetal.plugins.module_utils import release as rel
from ansible_collections.gopherops.baremetal.plugins.module_utils.envfile import (
    EnvFileError, masked_diff, render_service_env)
from ansible_collections.gopherops.baremetal.plugins.module_utils.fileutil import HostBusy, atomic_write, hold_host_lock
from ansible_collections.gopherops.baremetal.plugins.module_utils.health import (
    SIGNAL_NAME, gate, retarget_checks, rollback_clause, unhealthy_line)
from ansible_collections.gopherops.baremetal.plugins.module_utils.release_files import (
    load, manifest_differs, now, prune, save, switch_current)

IMAGE_ID_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
SPEC_FILE = "container.json"


class Failure(Exception):
    """Stops the task with a message."""


class Host(object):

    def __init__(self, module):
        self.m = module
        self.p = module.params
        self.check = module.check_mode
        self.name = self.p["name"]
        self.base = self.p["base_dir"]
        self.stamp = now()
        self.timings = {}
        self.diff = {"before": "", "after": ""}
        self.result = dict(changed=False, uploaded=False, switched=False, restarted=False, env_changed=False,
                           pruned=[], timings=self.timings)

    def changed(self, key=None):
        self.result["changed"] = True
        if key:
            self.result[key] = True

    def docker(self, *args, **kw):
        rc, out, err = self.m.run_command(["docker"] + [str(a) for a in args])
        if rc != 0 and kw.get("check", True):
            raise Failure("docker %s failed (rc=%d): %s" % (args[0], rc, (err or out).strip()))
        return rc, out.strip(), err.strip()

    # -- what the host has ---------------------------------------------------------------------
    def engine(self):
        if not self.m.get_bin_path("docker"):
            raise Failure("there is no docker command on this host. Install Docker first: set "
                          "go_container_manage_engine: true to let the gopherops.baremetal.docker_engine role "
                          "install Debian's docker.io, or install it your way")
        rc, out, err = self.docker("version", "--format", "{{.Server.Version}}", check=False)
        if rc != 0:
            raise Failure("no Docker engine answers on this host (%s). Start it (systemctl start docker) or set "
                          "go_container_manage_engine: true to let the gopherops.baremetal.docker_engine role "
                          "install and start it" % (err or out or "no output").splitlines()[-1])
        return out

    def image(self, ref):
        """The image's config (Id, Config) or None."""
        rc, out, _err = self.docker("image", "inspect", "--format", "{{json .}}", ref, check=False)
        if rc != 0 or not out:
            return None
        data = json.loads(out)
        return {"Id": data.get("Id"), "Config": data.get("Config") or {}, "RepoTags": data.get("RepoTags") or []}

    def container(self):
        rc, out, _err = self.docker("container", "inspect", "--format", "{{json .}}", self.name, check=False)
        if rc != 0 or not out:
            return None
        data = json.loads(out)
        state = data.get("State") or {}
        return {"Id": data.get("Id"), "Running": state.get("Running", False),
                "Labels": (data.get("Config") or {}).get("Labels") or {},
                "Health": (state.get("Health") or {})}

    # -- steps -----------------------------------------------------------------------------------
    def ensure_image(self):
        p = self.p
        img = self.image(p["image_id"])
        if img is None and p["pull"]:
            self.changed("uploaded")
            if self.check:
                return {"Config": {}, "RepoTags": []}
            start = time.monotonic()
            self.pull(p["pull"])
            img = self.image(p["image_id"])
            self.timings["pull"] = round(time.monotonic() - start, 3)
            if img is None:
                raise Failure("%s was pulled but this host still has no image %s: what the registry gave is not the "
                              "image made for this release. Nothing was changed." % (p["pull"], p["image_id"]))
        if img is None:
            if not p["staged"] and not self.check:
                if p["image_archive"]:
                    self.m.exit_json(changed=False, needs_upload=True)
                raise Failure("image %s is not on this host, and neither image_archive nor pull was given to get it"
                              % p["image_id"])
            self.changed("uploaded")
            if self.check:
                return {"Config": {}}
            start = time.monotonic()
            self.docker("load", "--quiet", "--input", p["staged"])
            img = self.image(p["image_id"])
            self.timings["load"] = round(time.monotonic() - start, 3)
            if img is None:
                raise Failure("the archive sent to this host did not load image %s; it was damaged or made from "
                              "another binary. Nothing was changed." % p["image_id"])
        if p["repo_tag"] and p["repo_tag"] not in img["RepoTags"]:
            self.changed()
            if not self.check:
                self.docker("tag", p["image_id"], p["repo_tag"])
        return img

    def pull(self, ref):
        """docker pull, logged in through a temporary client configuration when credentials are given."""
        p = self.p
        conf = tempfile.mkdtemp(prefix="gopherops-docker-")
        env = {"DOCKER_CONFIG": conf}
        try:
            if p["registry_username"]:
                registry = ref.split("/", 1)[0]
                rc, out, err = self.m.run_command(
                    ["docker", "login", "--username", p["registry_username"], "--password-stdin", registry],
                    data=p["registry_password"] or "", environ_update=env)
                if rc != 0:
                    raise Failure("docker login to %s failed: %s" % (registry, (err or out).strip()))
            rc, out, err = self.m.run_command(["docker", "pull", "--quiet", ref], environ_update=env)
            if rc != 0:
                raise Failure("docker pull %s failed: %s. Nothing was changed." % (ref, (err or out).strip()))
        finally:
            shutil.rmtree(conf, ignore_errors=True)

    def release_dir(self, rid):
        return os.path.join(self.base, "releases", rid)

    def user_ids(self, image_config):
        user = self.p["user"] or (image_config or {}).get("User") or "0:0"
        uid, _sep, gid = user.partition(":")
        if not uid.isdigit() or (gid and not gid.isdigit()):
            raise Failure("user %r: give a numeric uid:gid; the environment file is owned by it" % user)
        return int(uid), int(gid or uid)

    def write_env(self, rid, uid, gid):
        p = self.p
        try:
            content = cr.env_content(p["env"], p["secret_env"])
        except EnvFileError as exc:
            raise Failure(str(exc))
        path = cr.env_file_path(self.base, rid)
        try:
            with open(path, "rb") as fh:
                old = fh.read()
            st = os.stat(path)
            same_attrs = (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (uid, gid, 0o600)
        except FileNotFoundError:
            old, same_attrs = None, False
        if old != content or not same_attrs:
            self.changed("env_changed" if old != content else None)
            if not self.check:
                os.makedirs(self.release_dir(rid), 0o755, exist_ok=True)
                atomic_write(path, content, 0o600, uid, gid)
        if old != content and self.m._diff:
            before, after = masked_diff(path, to_text(old) if old is not None else None, to_text(content), p["env"])
            self.diff["before"] += before
            self.diff["after"] += after
        return path

    def write_spec(self, rid, spec):
        path = os.path.join(self.release_dir(rid), SPEC_FILE)
        data = to_bytes(json.dumps(spec, indent=1, sort_keys=True) + "\n")
        try:
            with open(path, "rb") as fh:
                if fh.read() == data:
                    return
        except FileNotFoundError:
            pass
        self.changed()
        if not self.check:
            os.makedirs(self.release_dir(rid), 0o755, exist_ok=True)
            atomic_write(path, data, 0o644, 0, 0)

    def read_spec(self, rid):
        try:
            with open(os.path.join(self.release_dir(rid), SPEC_FILE)) as fh:
                return json.load(fh)
        except (OSError, ValueError) as exc:
            raise Failure("release %s has no usable %s (%s); it cannot be started again" % (rid, SPEC_FILE, exc))

    def port_owners(self, ports):
        """Other containers that publish one of these host ports: {port: container name}."""
        taken = {}
        for _ip, port, proto in cr.host_ports(ports):
            _rc, out, _err = self.docker("ps", "--filter", "publish=%d/%s" % (port, proto), "--format", "{{.Names}}",
                                         check=False)
            for other in out.split():
                if other != self.name:
                    taken[port] = other
        return taken

    def stop_systemd_twin(self):
        """A service of the same name under systemd (systemd mode before) holds the port: stop it."""
        unit = "%s.service" % self.name
        if self.m.run_command(["systemctl", "is-active", "--quiet", unit])[0] == 0:
            self.changed()
            self.result["stopped_unit"] = unit
            if not self.check:
                self.m.run_command(["systemctl", "disable", "--now", unit])

    def remove_container(self, drained_signal=None):
        cur = self.container()
        if cur is None:
            return
        if drained_signal and cur["Running"]:
            # no restart while it stops on this signal, then wait until it has exited
            self.docker("update", "--restart", "no", self.name, check=False)
            if self.docker("kill", "--signal", drained_signal, self.name, check=False)[0] == 0:
                deadline = time.monotonic() + self.p["stop_timeout"]
                while time.monotonic() < deadline:
                    now_state = self.container()
                    if now_state is None or not now_state["Running"]:
                        break
                    time.sleep(0.05)
        elif cur["Running"]:
            self.docker("stop", "--time", self.p["stop_timeout"], self.name, check=False)
        self.docker("rm", "--force", self.name)

    def start(self, spec, drained_signal=None):
        """Replace the container with one made from spec."""
        start = time.monotonic()
        self.changed("restarted")
        if not self.check:
            self.remove_container(drained_signal)
            self.stop_systemd_twin()
            rc, out, err = self.docker(*spec["argv"][1:], check=False)
            if rc != 0:
                self.docker("rm", "--force", self.name, check=False)
                raise Failure("docker run of release %s failed: %s" % (spec["release"], (err or out).strip()))
        else:
            self.stop_systemd_twin()
        self.timings.setdefault("restart", round(time.monotonic() - start, 3))

    def wait_healthy(self, deadline):
        """Docker's own health status, when the image has a HEALTHCHECK: (healthy, detail)."""
        while True:
            cur = self.container()
            if cur is None or not cur["Running"]:
                return False, "the container is not running"
            status = cur["Health"].get("Status")
            if not status:
                return True, "no HEALTHCHECK"
            if status == "healthy":
                return True, status
            log = cur["Health"].get("Log") or []
            last = log[-1] if log else {}
            if status == "unhealthy" or time.monotonic() > deadline:
                return False, "Docker reports %s; last check: exit %s, %s" % (
                    status, last.get("ExitCode"), (last.get("Output") or "").strip()[:300])
            time.sleep(0.1)

    def probe(self, checks, key="health", docker_health=True):
        start = time.monotonic()
        p = self.p
        deadline = start + p["health_timeout"]
        ok, detail = self.wait_healthy(deadline) if docker_health else (True, "systemd unit")
        if not ok:
            res = {"healthy": False, "attempts": 0, "elapsed": round(time.monotonic() - start, 3), "status": None,
                   "last_response": detail, "target": "docker health"}
        elif checks:
            try:
                res = gate(checks, max(deadline - time.monotonic(), 0.5), p["health_interval"],
                           p["health_successes"])
            except ValueError as exc:
                raise Failure("checks: %s" % exc)
        else:
            res = {"healthy": True, "attempts": 1, "elapsed": 0, "status": None, "last_response": detail,
                   "target": "docker health"}
        self.timings[key] = round(time.monotonic() - start, 3)
        return res

    def logs(self):
        rc, out, err = self.docker("logs", "--tail", self.p["log_lines"], self.name, check=False)
        text = "\n".join(x for x in (out, err) if x)
        return text.splitlines()[-self.p["log_lines"]:] if rc == 0 else ["(no logs: %s)" % (err or out)]

    def prune(self, manifest):
        """Releases beyond keep_releases, their directories and then their images, unless a kept
        release uses the same image."""
        images = {rid: entry.get("image") for rid, entry in manifest["releases"].items()}
        manifest, gone = prune(self.base, manifest, self.p["keep_releases"], dry_run=self.check)
        self.result["pruned"] = gone
        kept = {entry.get("image") for entry in manifest["releases"].values()}
        if not self.check:
            for rid in gone:
                if images.get(rid) and images[rid] not in kept:
                    self.docker("image", "rm", images[rid], check=False)
        return manifest


def release_spec(h, rid, image_id, env_path):
    p = h.p
    try:
        options = cr.run_options(p, env_path)
        spec_id = cr.expected_spec(dict(p, release_id=rid, base_dir=h.base), image_id)
    except (cr.SpecError, EnvFileError) as exc:
        raise Failure(str(exc))
    return {"release": rid, "image": image_id, "spec": spec_id,
            "argv": cr.run_argv(h.name, rid, spec_id, image_id, options, p["args"]), "ports": p["ports"]}


def fail_message(h, res, logs, rolled_to, rollback_res):
    p = h.p
    if res.get("target") in ("docker health", "docker run"):
        msg = res["last_response"]
    else:
        msg = unhealthy_line(res["target"], p["health_timeout"], res["attempts"], p["health_successes"],
                             res["last_response"])
    what = "did not start" if res.get("target") == "docker run" else "failed its health check"
    head = "release %s %s%s" % (p["release_id"], what,
                                rollback_clause(rolled_to, rollback_res, p["rollback_on_failure"]))
    return "%s. %s\n--- log of container %s (last %d lines) ---\n%s" % (
        head, msg, h.name, p["log_lines"], "\n".join(logs))


def deploy(h, manifest, linked):
    p = h.p
    r = h.result
    rid = p["release_id"]
    start = time.monotonic()
    img = h.ensure_image()
    if p["require_healthcheck"] and img["Config"]:
        test = ((img.get("Config") or {}).get("Healthcheck") or {}).get("Test") or []
        if not test or test[0] == "NONE":
            raise Failure("image %s has no HEALTHCHECK, and require_healthcheck (go_container_require_healthcheck) "
                          "is on: build the image with one (go_image's healthcheck, e.g. the binary's -healthcheck "
                          "flag) or set go_container_require_healthcheck: false" % p["image_id"])
    uid, gid = h.user_ids(img.get("Config"))
    spec = release_spec(h, rid, p["image_id"], cr.env_file_path(h.base, rid))
    cur = h.container()
    running_spec = (cur or {}).get("Labels", {}).get(cr.LABEL_SPEC)
    must_start = cur is None or not cur["Running"] or running_spec != spec["spec"]
    if must_start:
        # before any file of the release is written or current moves
        taken = h.port_owners(p["ports"])
        if taken:
            raise Failure("host port(s) %s already published by container(s) %s; stop them or publish release %s "
                          "on another port (go_container_ports). Nothing was started."
                          % (", ".join(str(x) for x in sorted(taken)), ", ".join(sorted(set(taken.values()))), rid))
    h.write_env(rid, uid, gid)
    h.write_spec(rid, spec)
    manifest = rel.record(manifest, rid, p["sha256"] or p["image_id"], h.stamp, p["version"])
    manifest["releases"][rid]["image"] = p["image_id"]
    if linked != rid:
        h.changed("switched")
        if not h.check:
            switch_current(h.base, rid)
    manifest = rel.activate(manifest, rid, h.stamp)
    h.timings["prepare"] = round(time.monotonic() - start, 3)
    start_error = None
    if must_start:
        try:
            h.start(spec, p["drained_stop_signal"])
        except Failure as exc:
            start_error = str(exc)
    needs_gate = must_start or manifest["last_known_good"] != rid
    return manifest, needs_gate, start_error


def rollback_target(h, manifest):
    """(release, how) an automatic rollback can go back to: ("container") its container again when its
    run options and image are still on the host, ("unit") the systemd unit this run stopped when the
    host came from systemd mode; (None, None) when neither can run."""
    p = h.p
    lkg = manifest["last_known_good"]
    if not (p["rollback_on_failure"] and lkg and lkg != p["release_id"] and lkg in manifest["releases"]):
        return None, None
    try:
        spec = h.read_spec(lkg)
    except Failure:
        spec = None
    if spec and h.image(spec["image"]) is not None:
        return lkg, "container"
    if h.result.get("stopped_unit"):
        return lkg, "unit"
    return None, None


def switch_back(h, manifest, target, how):
    """Start the last known good release again and probe it; never raises: a rollback that fails is
    reported in the result (the release that failed is still recorded)."""
    checks = retarget_checks(h.p["checks"], h.p["version"], manifest["releases"][target].get("version"))
    try:
        switch_current(h.base, target)
        manifest = rel.activate(manifest, target, h.stamp)
        if how == "container":
            h.start(h.read_spec(target))
            return manifest, h.probe(checks, "rollback_health")
        # back to the systemd unit this run stopped: the container goes, the unit starts again
        h.docker("rm", "--force", h.name, check=False)
        unit = h.result["stopped_unit"]
        rc, out, err = h.m.run_command(["systemctl", "enable", "--now", unit])
        if rc != 0:
            raise Failure("systemctl enable --now %s failed: %s" % (unit, (err or out).strip()))
        h.result["restarted_unit"] = unit
        return manifest, h.probe(checks, "rollback_health", docker_health=False)
    except (Failure, OSError) as exc:
        return manifest, {"healthy": False, "attempts": 0, "elapsed": 0, "status": None,
                          "last_response": "the rollback itself failed: %s" % exc, "target": "rollback"}


def run_deployed(h, manifest, linked):
    p = h.p
    r = h.result
    rid = p["release_id"]
    manifest, needs_gate, start_error = deploy(h, manifest, linked)
    res = None
    if start_error:
        # the container did not start (a port taken, an option the engine refuses): as a failed gate
        res = {"healthy": False, "attempts": 0, "elapsed": 0, "status": None, "last_response": start_error,
               "target": "docker run"}
    elif not h.check and needs_gate:
        res = h.probe(p["checks"])
        r["health"] = res
    if res is None or res["healthy"]:
        manifest = rel.mark_good(manifest, rid)
        manifest = h.prune(manifest)
        # a release that ran unproven and passed its gate now is deployed too (the manifest records it)
        r["status"] = "pending" if h.check and r["changed"] else (
            "deployed" if r["changed"] or res is not None else "unchanged")
        return manifest, None
    logs = h.logs()
    target, how = rollback_target(h, manifest)
    manifest = rel.mark_failed(manifest, rid)
    rollback_res = None
    if target:
        start = time.monotonic()
        manifest, rollback_res = switch_back(h, manifest, target, how)
        if rollback_res["healthy"]:
            manifest = rel.mark_good(manifest, target)
        h.timings["rollback"] = round(time.monotonic() - start, 3)
    r.update(status="rolled_back" if rollback_res and rollback_res["healthy"] else "failed", rolled_back_to=target,
             logs=logs, rollback_health=rollback_res)
    return manifest, fail_message(h, res, logs, target, rollback_res)


def run_rolled_back(h, manifest):
    p = h.p
    r = h.result
    target = rel.rollback_target(manifest, p["to"])
    leaving = manifest["active"]
    r["release"] = target
    spec = h.read_spec(target)
    if h.image(spec["image"]) is None:
        raise Failure("the image %s of release %s is no longer on this host; deploy that version again instead"
                      % (spec["image"], target))
    if leaving == target:
        cur = h.container()
        if cur and cur["Running"] and cur["Labels"].get(cr.LABEL_SPEC) == spec["spec"]:
            r["status"] = "unchanged"
            return manifest, None
    if leaving and leaving != target:
        manifest = rel.mark_failed(manifest, leaving)
    manifest = rel.activate(manifest, target, h.stamp)
    h.changed("switched")
    if not h.check:
        switch_current(h.base, target)
    h.start(spec, p["drained_stop_signal"])
    r["rolled_back_from"] = leaving
    if h.check:
        r["status"] = "pending"
        return manifest, None
    to_version = manifest["releases"][target].get("version")
    checks = retarget_checks(p["checks"], p["version"], to_version) if p["version"] else p["checks"]
    res = h.probe(checks, "rollback_health")
    r["health"] = res
    if res["healthy"]:
        r["status"] = "rolled_back"
        return rel.mark_good(manifest, target), None
    r["status"] = "failed"
    r["logs"] = h.logs()
    return manifest, "rolled back to %s, which did not become healthy: %s\n--- log of container %s ---\n%s" % (
        target, res["last_response"][:500], h.name, "\n".join(r["logs"]))


def validate(h):
    p = h.p
    for value in (p["release_id"], p["to"]):
        if value is not None:
            rel.check_release_id(value)
    # in check mode the image may not be made yet (its binary is not built): an empty id
    if p["state"] == "deployed" and not IMAGE_ID_RE.match(p["image_id"] or "") and not (h.check and not p["image_id"]):
        raise Failure("image_id must be sha256: and 64 lowercase hex digits, got %r" % p["image_id"])
    if p["drained_stop_signal"] and not SIGNAL_NAME.match(p["drained_stop_signal"]):
        raise Failure("drained_stop_signal must be a signal name such as SIGINT, got %r" % p["drained_stop_signal"])
    if p["keep_releases"] < 1:
        raise Failure("keep_releases must be at least 1")
    if p["health_timeout"] <= 0 or p["health_interval"] <= 0 or p["health_successes"] < 1:
        raise Failure("health_timeout and health_interval must be above 0 and health_successes at least 1")
    try:
        cr.run_options(dict(p), "/dev/null")
        render_service_env(p["env"], p["secret_env"])
    except (cr.SpecError, EnvFileError) as exc:
        raise Failure(str(exc))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="deployed", choices=["deployed", "rolled_back"]),
            release_id=dict(type="str"),
            version=dict(type="str"),
            sha256=dict(type="str", default=""),
            image_id=dict(type="str"),
            image_archive=dict(type="path"),
            repo_tag=dict(type="str"),
            pull=dict(type="str"),
            registry_username=dict(type="str"),
            registry_password=dict(type="str", no_log=True),
            base_dir=dict(type="path", required=True),
            user=dict(type="str", default=""),
            env=dict(type="dict", default={}),
            secret_env=dict(type="dict", default={}, no_log=True),
            ports=dict(type="list", elements="str", default=[]),
            memory=dict(type="str", default=""),
            cpus=dict(type="str", default=""),
            restart_policy=dict(type="str", default="unless-stopped"),
            log_driver=dict(type="str", default=""),
            log_options=dict(type="dict", default={}),
            network=dict(type="str", default=""),
            capabilities=dict(type="list", elements="str", default=[]),
            read_only=dict(type="bool", default=True),
            host_uts=dict(type="bool", default=True),
            docker_options=dict(type="list", elements="str", default=[]),
            args=dict(type="list", elements="str", default=[]),
            stop_timeout=dict(type="int", default=30),
            drained_stop_signal=dict(type="str"),
            require_healthcheck=dict(type="bool", default=True),
            keep_releases=dict(type="int", default=5),
            checks=dict(type="list", elements="dict", default=[]),
            health_timeout=dict(type="float", default=60),
            health_interval=dict(type="float", default=0.5),
            health_successes=dict(type="int", default=2),
            rollback_on_failure=dict(type="bool", default=True),
            to=dict(type="str"),
            log_lines=dict(type="int", default=30),
            staged=dict(type="path"),
        ),
        required_if=[("state", "deployed", ("release_id", "image_id"))],
        supports_check_mode=True,
    )
    p = module.params
    h = Host(module)
    try:
        validate(h)
        try:
            h.engine()
        except Failure as exc:
            if not h.check:
                raise
            # check mode before the engine is installed (go_container_manage_engine): all of it would change
            module.exit_json(changed=True, status="pending", release=p["release_id"], active=None,
                             previous_release=None, uploaded=True, switched=True, restarted=True, env_changed=True,
                             pruned=[], timings={}, warnings=["container_release: %s" % exc])
        if not module.check_mode:
            # one release module per app at a time on this host (see hold_host_lock)
            # the other module's worst case: two starts with their gates, each after a stop, plus a load or pull
            _lock, waited = hold_host_lock(p["name"], 2 * p["health_timeout"] + 4 * p["stop_timeout"] + 300)
            h.stamp = now()
            if waited >= 1:
                h.timings["waited_for_host_lock"] = waited
        before, manifest, linked = load(h.base, p["name"])
        r = h.result
        r["previous_release"] = manifest["active"]
        r["release"] = p["release_id"]
        if p["state"] == "deployed":
            manifest, msg = run_deployed(h, manifest, linked)
        else:
            manifest, msg = run_rolled_back(h, manifest)
        if manifest_differs(manifest, before):
            r["changed"] = True
            if not h.check:
                save(h.base, manifest, h.stamp)
        r["active"] = manifest["active"]
        r["last_known_good"] = manifest["last_known_good"]
        cur = None if h.check else h.container()
        r["container_id"] = (cur or {}).get("Id", "")
        if module._diff:
            h.diff["before"] += "active: %s\n" % (before["active"] or "(none)")
            h.diff["after"] += "active: %s\n" % (manifest["active"] or "(none)")
            r["diff"] = h.diff
        if msg:
            module.fail_json(msg=msg, **r)
        module.exit_json(**r)
    except (Failure, HostBusy, rel.ReleaseError, OSError, ValueError) as exc:
        module.fail_json(msg="container_release: %s" % exc, **h.result)


if __name__ == "__main__":
    main()
