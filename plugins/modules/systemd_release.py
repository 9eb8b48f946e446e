#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: systemd_release
short_description: Deploy a release of a service under systemd in one step, gated by health checks, with rollback
version_added: 0.1.0
description:
  - Does on the host, in one task, what a deploy of one host needs; the go_service role and the rolling
    playbook use it so that a host costs one round trip rather than one per step.
  - Creates the service user and group and the directories (C(<base_dir>), C(<base_dir>/shared),
    C(<config_dir>)), puts the binary in C(<base_dir>/releases/<release_id>/) (sent from the controller only
    when it is missing, sha256 checked on the host before it is renamed into place), writes the environment
    file (mode 0640, root and the service group, secret values masked in diffs) and the unit file, reloads
    systemd when the unit changed, switches C(<base_dir>/current), and restarts the service when anything it
    runs changed.
  - After a restart it waits for O(checks) (on the host, or on the controller with O(probe=controller)).
    When they fail it records the release as failed, puts back the environment file and unit the previous
    release ran with, switches back to the last known good release, restarts and checks that one, and then
    fails with the last response and the journal tail of the release that failed.
  - Uses the same manifest (C(<base_dir>/releases.json)) as the M(gopherops.baremetal.release) module.
  - With O(state=rolled_back) it switches to O(to) (or the last known good release), restarts, checks and
    records the release it left as failed. The environment file and unit stay as they are.
  - One run of this module per O(name) at a time on a host; it takes C(/run/gopherops/<name>.release.lock)
    (not in check mode) and waits for a module an interrupted run left running there. From then on it ignores
    the hangup of its connection, so Ctrl-C on the controller does not stop it between stopping the service and
    starting it again; it ends its work on the host and its result is lost.
  - A service whose main process still runs another release than the one C(current) points to (a run stopped
    between the switch and the restart) is restarted; RV(stale_process) names that release. It is read from
    C(/proc/<pid>/exe), so a unit whose C(ExecStart) runs a wrapper that does not C(exec) the binary is not checked.
  - A container of the same name that M(gopherops.baremetal.container_release) started (docker mode before) is
    stopped and removed just before the unit starts, so a host group moves back to systemd mode with one variable.
notes:
  - Where the connection pipelines modules (the ssh connection with pipelining on) and every check the host
    probes is C(tcp), a command or an C(http://) URL with certificate checks on, the action plugin runs the module
    directly with the host's python3 (its C(ansible_python_interpreter), or C(python3) when that is left to
    discovery), without Ansible's module wrapper. The arguments are checked on the controller against the same
    specification first, and go to the host on stdin with the module's source. This saves the host about 0.15 s
    of CPU per run. Elsewhere (paramiko, C(https://) checks, pipelining off) the module runs as any module does.
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
    details: The action plugin sends the binary when the host lacks it, and probes from the controller when asked.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Reports what would change (upload, environment, unit, switch, restart) and changes nothing.
  diff_mode:
    support: full
    details: The environment file with secret values masked, the unit, and the active release.
  platform:
    platforms: posix
options:
  name:
    description: Name of the service; the unit is C(<name>.service).
    type: str
    required: true
  state:
    description:
      - C(deployed) makes O(release_id) the running, healthy release.
      - C(rolled_back) goes back to O(to), or to the last known good release. The environment file and unit stay
        as they are, unless a deploy with O(keep_backups) kept the ones that release ran with.
    type: str
    choices: [deployed, rolled_back]
    default: deployed
  release_id:
    description: Release directory name, for example C(1.4.0-1a2b3c4d). Required for O(state=deployed).
    type: str
  version:
    description: Version of the release, recorded in the manifest and used to retarget version checks on rollback.
    type: str
  src:
    description: The binary on the controller. Required for O(state=deployed).
    type: path
  sha256:
    description: sha256 of O(src). Required for O(state=deployed); may be empty in check mode (not built yet).
    type: str
  binary_name:
    description: File name of the binary inside the release directory.
    type: str
  base_dir:
    description: Directory holding C(releases/), C(current), C(shared/) and the manifest.
    type: path
    required: true
  config_dir:
    description: Directory of the environment file C(<name>.env).
    type: path
  user:
    description: User the service runs as; created as a system user without a login shell when missing.
    type: str
  group:
    description: Group of the service user; may read the environment file.
    type: str
  env:
    description: Environment variables shown in diffs and logs.
    type: dict
    default: {}
  secret_env:
    description: Environment variables whose values are never shown.
    type: dict
    default: {}
  unit:
    description: Content of the unit file. Required for O(state=deployed).
    type: str
  unit_path:
    description: Where the unit file goes; defaults to C(/etc/systemd/system/<name>.service).
    type: path
  keep_releases:
    description: Releases to keep on the host (see M(gopherops.baremetal.release) for which are never pruned).
    type: int
    default: 5
  keep_backups:
    description:
      - When the environment file or the unit changes, the module keeps what they held before in
        C(<base_dir>/.previous/) (root only, mode 0600) until the health gate decides, so that an automatic rollback
        puts them back. With V(true) they stay there after the gate passes too, and a later O(state=rolled_back) to
        the release that ran with them restores them before the restart.
      - For a rollout that may still switch the host back after its gate (a canary soak, a metrics gate,
        C(rollout_rollback_scope=run)). Whoever sets it removes the directory at the end, as the rollout's
        M(gopherops.baremetal.deploy_lock) unlock does; the next O(state=deployed) removes what is left.
    type: bool
    default: false
  checks:
    description:
      - Health checks that must all pass, as for M(gopherops.baremetal.health_check) O(checks).
      - Empty means no gate.
    type: list
    elements: dict
    default: []
  health_timeout:
    description: Seconds to wait for the checks after a restart.
    type: float
    default: 30
  health_interval:
    description: Seconds between probes once one has passed; until then the first retry comes after 0.05 s and the wait doubles up to this.
    type: float
    default: 0.5
  health_successes:
    description: Consecutive good probes needed.
    type: int
    default: 2
  health_delay:
    description: Seconds to wait after a restart before the first probe.
    type: float
    default: 0
  drained_stop_signal:
    description:
      - Set this only when the caller has taken the host out of its load balancer before this task (the
        rollout role does so when it drives HAProxy). The running service is then sent this signal (for
        example C(SIGINT)) instead of its unit's C(KillSignal), the module waits until it has stopped
        (at most O(stop_wait) seconds) and starts it again. When the service has no running process to signal,
        it is restarted as usual.
      - For a service that waits out a drain delay on SIGTERM so that load balancers polling its
        readiness can let it go, and stops at once on this signal; with nothing left to drain that
        wait is only lost time.
      - Unset, a restart is C(systemctl restart).
    type: str
  stop_wait:
    description:
      - Seconds to wait for the service to stop after O(drained_stop_signal); then C(systemctl restart) stops it
        the unit's way (KillSignal, then SIGKILL after C(TimeoutStopSec=)). The go_service role passes its
        C(go_service_stop_timeout).
    type: float
    default: 90
  probe:
    description: Where the checks run. C(controller) is handled by the action plugin.
    type: str
    choices: [host, controller]
    default: host
  rollback_on_failure:
    description: Go back to the last known good release when the checks fail.
    type: bool
    default: true
  to:
    description: For O(state=rolled_back), the release to go back to.
    type: str
  journal_lines:
    description: Journal lines shown when a release fails.
    type: int
    default: 30
  staged:
    description: Internal, set by the action plugin; where the binary was sent on the host.
    type: path
  host_lacks_binary:
    description:
      - Set when the caller already knows the host lacks this release's binary (a rollout's plan read it from the
        host). Where the module runs directly (see the notes), the binary is then sent with the module's run, one
        round trip instead of a check, an upload and the run.
    type: bool
    default: false
  gate_results:
    description: Internal, set by the action plugin; results of checks run on the controller.
    type: dict
    default: {}
  phase:
    description: Internal, set by the action plugin; the step after a check run on the controller.
    type: str
    choices: [all, finish, rollback_finish]
    default: all
"""

EXAMPLES = r"""
- name: Deploy hello 1.4.0
  gopherops.baremetal.systemd_release:
    name: hello
    release_id: "1.4.0-{{ artifact.sha256[:8] }}"
    version: 1.4.0
    src: "{{ artifact.path }}"
    sha256: "{{ artifact.sha256 }}"
    base_dir: /opt/hello
    config_dir: /etc/hello
    env:
      LISTEN_ADDR: ":8080"
    secret_env:
      API_TOKEN: "{{ vault_api_token }}"
    unit: "{{ lookup('ansible.builtin.template', 'hello.service.j2') }}"
    checks:
      - url: http://127.0.0.1:8080/readyz
      - url: http://127.0.0.1:8080/version
        json_field: version
        json_equals: 1.4.0
  no_log: false

- name: Back to the last known good release
  gopherops.baremetal.systemd_release:
    name: hello
    base_dir: /opt/hello
    state: rolled_back
    checks:
      - url: http://127.0.0.1:8080/readyz
"""

RETURN = r"""
status:
  description: C(unchanged), C(deployed), C(rolled_back) (the release failed, the host runs the last known good one),
    C(failed) (the release failed and nothing healthy runs) or C(pending) (check mode).
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
  description: Whether the binary was sent.
  returned: always
  type: bool
switched:
  description: Whether C(current) changed.
  returned: always
  type: bool
restarted:
  description: Whether the service was restarted.
  returned: always
  type: bool
stale_process:
  description:
    - The release the running process was started from, when that is not the active release (a run
      interrupted between the switch and the restart leaves this behind); the service is then restarted.
  returned: when the running process is from another release
  type: str
env_changed:
  description: Whether the environment file changed.
  returned: always
  type: bool
unit_changed:
  description: Whether the unit file changed.
  returned: always
  type: bool
env_restored:
  description: With O(state=rolled_back), whether the environment file and unit that the release switched to ran
    with were put back (see O(keep_backups)).
  returned: always
  type: bool
health:
  description: The last gate's result (healthy, attempts, elapsed, status, last_response).
  returned: when a gate ran
  type: dict
journal:
  description: Journal tail of the release that failed its gate.
  returned: on failure
  type: list
  elements: str
timings:
  description:
    - Seconds spent in each phase (prepare, restart, health, rollback).
    - C(waited_for_host_lock) when it waited a second or more for another run's module.
  returned: always
  type: dict
pruned:
  description: Releases removed.
  returned: always
  type: list
  elements: str
needs_upload:
  description: Internal, for the action plugin.
  returned: when the binary must be sent
  type: bool
"""

import grp
import os
import pwd
import shutil
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible_collections.gopherops.baremetal.plugins.module_utils import release as rel
from ansible_collections.gopherops.baremetal.plugins.module_utils.envfile import (
    EnvFileError, masked_diff, render_service_env)
from ansible_collections.gopherops.baremetal.plugins.module_utils.fileutil import (
    HostBusy, atomic_write, hold_host_lock, sha256_file)
from ansible_collections.gopherops.baremetal.plugins.module_utils.health import (
    SIGNAL_NAME, gate, journal_tail, retarget_checks, rollback_clause, unhealthy_line)
from ansible_collections.gopherops.baremetal.plugins.module_utils.release_files import (
    BACKUP_DIR, install_binary, load, manifest_differs, now, prune, save, service_paths, switch_current)
from ansible_collections.gopherops.baremetal.plugins.module_utils.systemd_release_spec import ARGUMENT_SPEC, REQUIRED_IF


class Failure(Exception):
    """Stops the task with a message; nothing after the point of failure was done."""


def read_bytes(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


class Host(object):
    """The host-side steps, each recording what it changed in self.result."""

    def __init__(self, module):
        self.m = module
        self.p = module.params
        self.check = module.check_mode
        self.unit_name = "%s.service" % self.p["name"]
        self.env_path, self.unit_path = service_paths(self.p["name"], self.p["config_dir"], self.p["unit_path"])
        self.base = self.p["base_dir"]
        self.config_dir = os.path.dirname(self.env_path)
        self.user = self.p["user"] or self.p["name"]
        self.group = self.p["group"] or self.user
        self.binary = self.p["binary_name"] or self.p["name"]
        self.stamp = now()
        self.replacing = None   # (release running before, release deployed) while a deploy writes its files
        self.timings = {}
        self.diff = {"before": "", "after": ""}
        self.result = dict(changed=False, uploaded=False, switched=False, restarted=False, env_changed=False,
                           unit_changed=False, env_restored=False, pruned=[], timings=self.timings)

    # -- small helpers -------------------------------------------------------------------------
    def systemctl(self, *args, **kw):
        rc, out, err = self.m.run_command(["systemctl"] + list(args))
        if rc != 0 and kw.get("check", True):
            raise Failure("systemctl %s failed (rc=%d): %s" % (" ".join(args), rc, (err or out).strip()))
        return rc, out.strip()

    def changed(self, key=None):
        self.result["changed"] = True
        if key:
            self.result[key] = True

    def ids(self):
        try:
            return pwd.getpwnam(self.user).pw_uid, grp.getgrnam(self.group).gr_gid
        except KeyError:
            return None, None

    def backup_path(self, kind):
        return os.path.join(self.base, BACKUP_DIR, kind)

    def backup_owner(self):
        """(release that ran with the backups, release that replaced it), or None."""
        data = read_bytes(self.backup_path("releases"))
        words = to_text(data or b"", errors="surrogate_or_replace").split()
        return tuple(words) if len(words) == 2 else None

    # -- deploy steps ----------------------------------------------------------------------------
    def ensure_account(self):
        try:
            grp.getgrnam(self.group)
        except KeyError:
            self.changed()
            if not self.check:
                self.run(["groupadd", "--system", self.group])
        try:
            pwd.getpwnam(self.user)
        except KeyError:
            self.changed()
            if not self.check:
                self.run(["useradd", "--system", "--gid", self.group, "--shell", "/usr/sbin/nologin",
                          "--home-dir", self.base, "--no-create-home", self.user])

    def run(self, argv):
        rc, out, err = self.m.run_command(argv)
        if rc != 0:
            raise Failure("%s failed (rc=%d): %s" % (argv[0], rc, (err or out).strip()))

    def ensure_dir(self, path, uid, gid, mode):
        if not os.path.isdir(path):
            self.changed()
            if self.check:
                return
            os.makedirs(path, mode)
        st = os.stat(path)
        want = (0 if uid is None else uid, 0 if gid is None else gid, mode)
        if (st.st_uid, st.st_gid, st.st_mode & 0o7777) != want:
            self.changed()
            if not self.check:
                os.chown(path, want[0], want[1])
                os.chmod(path, mode)

    def ensure_dirs(self):
        uid, gid = self.ids()
        if uid is None and self.check:
            uid = gid = None
        self.ensure_dir(self.base, 0, 0, 0o755)
        self.ensure_dir(os.path.join(self.base, "releases"), 0, 0, 0o755)
        self.ensure_dir(os.path.join(self.base, "shared"), uid, gid, 0o750)
        self.ensure_dir(self.config_dir, 0, gid, 0o750)

    def put_file(self, path, data, mode, gid, kind):
        """Write data to path when content or attributes differ; keep the old content for a revert."""
        current = read_bytes(path)
        content_changed = current != data
        attrs_changed = False
        if current is not None and not content_changed:
            st = os.stat(path)
            attrs_changed = (st.st_uid, st.st_gid, st.st_mode & 0o7777) != (0, gid if gid is not None else 0, mode)
        if not (content_changed or attrs_changed):
            return current, False
        self.changed()
        if not self.check:
            if content_changed and current is not None:
                os.makedirs(os.path.join(self.base, BACKUP_DIR), 0o700, exist_ok=True)
                atomic_write(self.backup_path(kind), current, 0o600, 0, 0)
                if self.replacing:
                    atomic_write(self.backup_path("releases"), to_bytes(" ".join(self.replacing) + "\n"), 0o600, 0, 0)
            atomic_write(path, data, mode, 0, gid)
        return current, content_changed

    def write_env(self):
        p = self.p
        try:
            content = render_service_env(p["env"], p["secret_env"])
        except EnvFileError as exc:
            raise Failure(str(exc))
        gid = self.ids()[1]
        old, changed = self.put_file(self.env_path, to_bytes(content), 0o640, gid, "env")
        self.result["env_changed"] = changed
        if changed and self.m._diff:
            old_text = to_text(old, errors="surrogate_or_strict") if old is not None else None
            before, after = masked_diff(self.env_path, old_text, content, p["env"])
            self.diff["before"] += before
            self.diff["after"] += after

    def write_unit(self):
        data = to_bytes(self.p["unit"])
        old, changed = self.put_file(self.unit_path, data, 0o644, 0, "unit")
        self.result["unit_changed"] = changed
        if changed and self.m._diff:
            self.diff["before"] += "# %s\n%s" % (self.unit_path, to_text(old or b""))
            self.diff["after"] += "# %s\n%s" % (self.unit_path, self.p["unit"])
        if changed and not self.check:
            self.systemctl("daemon-reload")

    def is_active(self):
        return self.m.run_command(["systemctl", "is-active", "--quiet", self.unit_name])[0] == 0

    def is_enabled(self):
        return self.m.run_command(["systemctl", "is-enabled", "--quiet", self.unit_name])[0] == 0

    def service_state(self):
        return self.is_active(), self.is_enabled()

    def running_release(self):
        """The release the service's main process was started from, read from /proc/<pid>/exe
        (the path the current link pointed to at exec time). None when nothing runs or it cannot tell."""
        rc, out, _err = self.m.run_command(["systemctl", "show", "--property=MainPID", "--value", self.unit_name])
        pid = out.strip()
        if rc != 0 or not pid.isdigit() or pid == "0":
            return None
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
        except OSError:
            return None
        # a deleted binary reads "<path> (deleted)": the release directory before it is what counts
        releases = os.path.realpath(os.path.join(self.base, "releases")) + os.sep
        if not exe.startswith(releases):
            return None
        return exe[len(releases):].split(os.sep, 1)[0]

    def stale_process(self, rid):
        """True when the service runs, but from another release than rid: a run interrupted
        between the switch and the restart leaves that behind."""
        running = self.running_release()
        if running is not None and running != rid:
            self.result["stale_process"] = running
            return True
        return False

    def remove_container_twin(self):
        """Docker mode before: the container of the same name that container_release started holds
        the port. Removed just before the unit starts (only a container carrying our label)."""
        if not self.m.get_bin_path("docker"):
            return
        rc, out, _err = self.m.run_command(["docker", "ps", "-aq", "--filter", "name=^/%s$" % self.p["name"],
                                            "--filter", "label=org.gopherops.app=%s" % self.p["name"]])
        if rc == 0 and out.strip():
            self.result["removed_container"] = out.strip()
            if not self.check:
                self.m.run_command(["docker", "update", "--restart", "no", self.p["name"]])
                self.m.run_command(["docker", "stop", "--time", str(int(self.p["stop_wait"])), self.p["name"]])
                self.m.run_command(["docker", "rm", "--force", self.p["name"]])

    def restart(self, enable=True):
        start = time.monotonic()
        self.changed("restarted")
        self.remove_container_twin()
        if not self.check:
            if enable and not self.is_enabled():
                self.systemctl("enable", self.unit_name)
            self.restart_unit()
        self.timings["restart"] = round(time.monotonic() - start, 3)

    def restart_unit(self):
        """systemctl restart; with drained_stop_signal, first that signal and a wait until the
        service has stopped (the host is already out of its load balancer)."""
        sig = self.p["drained_stop_signal"]
        # a process that already exited (a crash loop) has nothing to signal: then restart as usual
        if sig and self.is_active() and self.m.run_command(
                ["systemctl", "kill", "--kill-who=main", "--signal=" + sig, self.unit_name])[0] == 0:
            deadline = time.monotonic() + self.p["stop_wait"]
            while time.monotonic() < deadline:
                state = self.m.run_command(["systemctl", "is-active", self.unit_name])[1].strip()
                if state not in ("active", "deactivating", "reloading", "refreshing"):
                    break
                time.sleep(0.05)
        self.systemctl("restart", self.unit_name)

    def probe(self, checks, key="health"):
        start = time.monotonic()
        try:
            res = gate(checks, self.p["health_timeout"], self.p["health_interval"], self.p["health_successes"],
                       delay=self.p["health_delay"])
        except ValueError as exc:
            raise Failure("checks: %s" % exc)
        self.timings[key] = round(time.monotonic() - start, 3)
        return res

    def restore_backups(self):
        """Put back the env file and unit the previous release ran with (kept by put_file)."""
        restored = False
        gid = self.ids()[1]
        for kind, path, mode, owner_gid in (("env", self.env_path, 0o640, gid), ("unit", self.unit_path, 0o644, 0)):
            data = read_bytes(self.backup_path(kind))
            if data is not None:
                atomic_write(path, data, mode, 0, owner_gid)
                restored = True
                if kind == "unit":
                    self.systemctl("daemon-reload")
        self.drop_backups()
        return restored

    def drop_backups(self):
        shutil.rmtree(os.path.join(self.base, BACKUP_DIR), ignore_errors=True)


def fail_message(h, res, journal, rolled_to, rollback_res):
    p = h.p
    msg = unhealthy_line(res["target"], p["health_timeout"], res["attempts"], p["health_successes"],
                         res["last_response"])
    head = "release %s failed its health check%s" % (
        p["release_id"], rollback_clause(rolled_to, rollback_res, p["rollback_on_failure"]))
    return "%s. %s\n--- journal of %s (last %d lines) ---\n%s" % (
        head, msg, h.unit_name, p["journal_lines"], "\n".join(journal))


def drop_upload(staged):
    """Remove the upload and the temporary directory the action plugin made for it (one round trip
    fewer for the action plugin). True when both are gone."""
    for remove, path in ((os.unlink, staged), (os.rmdir, os.path.dirname(staged))):
        try:
            remove(path)
        except OSError:
            return False
    return True


def deploy(h, manifest, linked):
    """state=deployed. Returns (manifest, result-ish dict)."""
    p = h.p
    rid = p["release_id"]
    r = h.result
    start = time.monotonic()
    dest = os.path.join(h.base, "releases", rid, h.binary)
    pending_build = h.check and not p["sha256"]
    if pending_build or sha256_file(dest) != p["sha256"]:
        if not p["staged"] and not h.check:
            h.m.exit_json(changed=False, needs_upload=True, dest=dest, release_id=rid)
        h.changed("uploaded")
    if not h.check:
        h.drop_backups()   # left by an interrupted run: they would not be what this host runs now
    h.ensure_account()
    h.ensure_dirs()
    if p["staged"] and not h.check:
        os.makedirs(os.path.dirname(dest), 0o755, exist_ok=True)
        install_binary(p["staged"], dest, p["sha256"])
        r["staged_removed"] = drop_upload(p["staged"])
    manifest = rel.record(manifest, rid, p["sha256"], h.stamp, p["version"])
    if manifest["active"] and manifest["active"] != rid:
        h.replacing = (manifest["active"], rid)
    h.write_env()
    h.write_unit()
    if linked != rid:
        h.changed("switched")
        if not h.check:
            switch_current(h.base, rid)
    manifest = rel.activate(manifest, rid, h.stamp)
    h.timings["prepare"] = round(time.monotonic() - start, 3)
    active, enabled = h.service_state()
    must_restart = r["switched"] or r["uploaded"] or r["env_changed"] or r["unit_changed"] or not active
    must_restart = must_restart or h.stale_process(rid)
    if must_restart:
        h.restart()
    elif not enabled:
        h.changed()
        if not h.check:
            h.systemctl("enable", h.unit_name)
    # a release that runs but never passed its gate is checked again
    needs_gate = must_restart or manifest["last_known_good"] != rid
    return manifest, needs_gate


def rollback_to(h, manifest):
    """The release an automatic rollback goes to, or None."""
    p = h.p
    lkg = manifest["last_known_good"]
    if p["rollback_on_failure"] and lkg and lkg != p["release_id"] and lkg in manifest["releases"]:
        return lkg
    return None


def switch_back(h, manifest, target):
    h.restore_backups()
    switch_current(h.base, target)
    manifest = rel.activate(manifest, target, h.stamp)
    h.restart_unit()
    to_version = manifest["releases"][target].get("version")
    return manifest, retarget_checks(h.p["checks"], h.p["version"], to_version)


def outcome(h, manifest, res, journal):
    """After the gate of state=deployed: record, roll back on failure, build the result."""
    p = h.p
    rid = p["release_id"]
    r = h.result
    if res is None or res["healthy"]:
        manifest = rel.mark_good(manifest, rid)
        if not h.check and not p["keep_backups"]:
            h.drop_backups()
        manifest, r["pruned"] = prune(h.base, manifest, p["keep_releases"], dry_run=h.check)
        # a release that ran unproven and passed its gate now is deployed too (the manifest records it)
        r["status"] = "pending" if h.check and r["changed"] else (
            "deployed" if r["changed"] or res is not None else "unchanged")
        return manifest, None
    target = rollback_to(h, manifest)
    manifest = rel.mark_failed(manifest, rid)
    rollback_res = None
    if target:
        start = time.monotonic()
        rollback_res = p["gate_results"].get("rollback_health")
        if rollback_res is None:   # probing on the host: switch back and probe here
            manifest, checks = switch_back(h, manifest, target)
            rollback_res = h.probe(checks, "rollback_health")
        if rollback_res["healthy"]:
            manifest = rel.mark_good(manifest, target)
        h.timings["rollback"] = round(time.monotonic() - start, 3)
    r.update(status="rolled_back" if rollback_res and rollback_res["healthy"] else "failed",
             rolled_back_to=target, journal=journal, rollback_health=rollback_res)
    return manifest, fail_message(h, res, journal, target, rollback_res)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    p = module.params
    h = Host(module)
    try:
        for value in (p["release_id"], p["to"]):
            if value is not None:
                rel.check_release_id(value)
        if "/" in h.binary or h.binary in ("", ".", ".."):
            raise Failure("binary_name must be a plain file name, got %r" % h.binary)
        if p["state"] == "deployed" and not (module.check_mode and not p["sha256"]) and (
                len(p["sha256"]) != 64 or set(p["sha256"]) - set("0123456789abcdef")):
            raise Failure("sha256 must be 64 lowercase hex digits, got %r" % p["sha256"])
        if p["drained_stop_signal"] and not SIGNAL_NAME.match(p["drained_stop_signal"]):
            raise Failure("drained_stop_signal must be a signal name such as SIGINT, got %r" % p["drained_stop_signal"])
        if p["keep_releases"] < 1:
            raise Failure("keep_releases must be at least 1")
        if p["health_timeout"] <= 0 or p["health_interval"] <= 0 or p["health_successes"] < 1:
            raise Failure("health_timeout and health_interval must be above 0 and health_successes at least 1")
        if not module.check_mode:
            # one release module per app at a time on this host (see hold_host_lock)
            # the other module's worst case: two starts with their gates (deploy and rollback), each after a stop
            wait = 2 * (p["health_timeout"] + p["health_delay"]) + 4 * p["stop_wait"] + 60
            _lock, waited = hold_host_lock(p["name"], wait)
            h.stamp = now()
            if waited >= 1:
                h.timings["waited_for_host_lock"] = waited
        before, manifest, linked = load(h.base, p["name"], h.binary)
        r = h.result
        r["previous_release"] = manifest["active"]
        r["release"] = p["release_id"]
        msg = None
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
        if module._diff:
            h.diff["before"] += "active: %s\n" % (before["active"] or "(none)")
            h.diff["after"] += "active: %s\n" % (manifest["active"] or "(none)")
            r["diff"] = h.diff
        if msg:
            module.fail_json(msg=msg, **r)
        module.exit_json(**r)
    except (Failure, HostBusy, rel.ReleaseError, OSError) as exc:
        module.fail_json(msg="systemd_release: %s" % exc, **h.result)


def run_deployed(h, manifest, linked):
    p = h.p
    if p["phase"] == "finish":
        # probed on the controller: the action plugin passes the results in
        res = p["gate_results"]["health"]
        h.result.update(p["gate_results"].get("carry", {}))
    else:
        manifest, needs_gate = deploy(h, manifest, linked)
        if h.check or not needs_gate or not p["checks"]:
            return outcome(h, manifest, None, [])
        if p["probe"] == "controller":
            h.result["needs_gate"] = True
            return manifest, None
        res = h.probe(p["checks"])
    h.result["health"] = res
    journal = journal_tail(h.unit_name, p["journal_lines"]) if not res["healthy"] else []
    if not res["healthy"] and p["probe"] == "controller" and "rollback_health" not in p["gate_results"]:
        target = rollback_to(h, manifest)
        if target:
            # switch back now; the action plugin probes the release switched to and calls once more
            manifest, checks = switch_back(h, manifest, target)
            h.result.update(needs_gate=True, rollback_checks=checks, journal=journal)
            return manifest, None
    return outcome(h, manifest, res, journal)


def run_rolled_back(h, manifest):
    p = h.p
    r = h.result
    if p["phase"] == "rollback_finish":
        res = p["gate_results"]["rollback_health"]
        target = manifest["active"]
        r.update(p["gate_results"].get("carry", {}), release=target)
    else:
        target = rel.rollback_target(manifest, p["to"])
        if not os.path.isdir(os.path.join(h.base, "releases", target)):
            raise rel.ReleaseError("release %s is in the manifest but its directory is gone" % target)
        leaving = manifest["active"]
        r["release"] = target
        if leaving == target and h.stale_process(target):
            # the process is not what current points to: start the release current names
            if not h.check:
                h.restart()
            else:
                h.changed("restarted")
        elif leaving != target:
            if leaving:
                manifest = rel.mark_failed(manifest, leaving)
            manifest = rel.activate(manifest, target, h.stamp)
            h.changed("switched")
            # the env file and unit target ran with, kept by a deploy with keep_backups that replaced it
            if h.backup_owner() == (target, leaving):
                h.changed("env_restored")
                if not h.check:
                    h.restore_backups()
            if not h.check:
                switch_current(h.base, target)
                h.restart()
            else:
                h.changed("restarted")
        r["rolled_back_from"] = leaving
        moved = r["switched"] or r["restarted"]
        if h.check or not p["checks"] or not moved:
            r["status"] = "pending" if h.check and r["changed"] else ("rolled_back" if moved else "unchanged")
            return manifest, None
        to_version = manifest["releases"][target].get("version")
        checks = retarget_checks(p["checks"], p["version"], to_version) if p["version"] else p["checks"]
        if p["probe"] == "controller":
            r.update(needs_gate=True, rollback_checks=checks)
            return manifest, None
        res = h.probe(checks, "rollback_health")
    r["health"] = res
    if res["healthy"]:
        manifest = rel.mark_good(manifest, target)
        r["status"] = "rolled_back"
        return manifest, None
    r["status"] = "failed"
    r["journal"] = journal_tail(h.unit_name, p["journal_lines"])
    return manifest, "rolled back to %s, which did not become healthy: %s\n--- journal of %s ---\n%s" % (
        target, res["last_response"][:500], h.unit_name, "\n".join(r["journal"]))


if __name__ == "__main__":
    main()
