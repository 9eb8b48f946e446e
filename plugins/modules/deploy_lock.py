# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take or release a host's deploy lock for an app, write its audit line, and report the app's state
version_added: 0.1.0
description:
  - One rollout per app at a time. The lock is a small JSON file (C(<lock_dir>/<app>.lock)) that names
    its owner, the run id, the controller and its process id, when it was taken and for how long it is
    valid (O(ttl)).
  - O(state=locked) takes the lock, or keeps it when this run holds it already. When another run holds it
    the task fails with a message naming that run, unless O(conflict=report).
  - A lock past its TTL is broken only with O(break_lock=true). A lock taken from this same controller by an
    ansible-playbook process that no longer runs (interrupted with Ctrl-C, killed) is clearly stale and is
    taken over with a warning; the action plugin checks the process.
  - O(state=unlocked) removes the lock when this run holds it, and never someone else's.
  - With O(audit), appends that record as one JSON line to O(audit_log) (mode 0640), in the same round trip.
  - Also reports what the host runs (the app's manifest, whether the unit is active) and its architecture as
    the C(ansible_architecture) and C(ansible_system) facts, so a deploy plans and locks in one task.
  - Runs as an action. The decisions are made on the controller; on the host one command runs a small
    program with the host's C(python3) (standard library only, no module run), which creates, replaces or
    removes the lock file, appends the audit line and reads the app's files. Needs C(python3) on the host,
    found through C(ansible_python_interpreter) when it names one, else on the C(PATH).
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
    details: All of it runs in the action; see the description.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Reports the lock and the app's state; takes, releases and writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  app:
    description: Name of the app the lock is for.
    type: str
    required: true
  state:
    description: C(locked), C(unlocked), or C(query) to only report.
    type: str
    choices: [locked, unlocked, query]
    default: locked
  run_id:
    description: Id of this run; the same on every host of the run. Required unless O(state=query).
    type: str
  owner:
    description: Who runs the deploy. The action plugin sets it to C(user@controller) when empty.
    type: str
  ttl:
    description: Seconds the lock stays valid; after that another run may break it with O(break_lock).
    type: int
    default: 3600
  break_lock:
    description: Take the lock over when another run holds it past its TTL.
    type: bool
    default: false
  conflict:
    description: When another run holds the lock, C(fail) the task or C(report) it in RV(held_by) and go on.
    type: str
    choices: [fail, report]
    default: fail
  lock_dir:
    description: Directory of the lock files.
    type: path
    default: /var/lib/gopherops/locks
  base_dir:
    description: The app's base directory, whose manifest is reported in RV(app_state).
    type: path
  unit:
    description: systemd unit whose state is reported in RV(app_state).
    type: str
  container:
    description: Docker mode, the container whose state RV(app_state.observed) reports (C(container) with
      C(running), C(release) and C(spec) from its labels, or null).
    type: str
  config_dir:
    description:
      - Directory of the app's environment file (C(<config_dir>/<app>.env)), as in P(gopherops.baremetal.systemd_release#module).
      - With O(base_dir), RV(app_state.observed) reports it. Defaults to C(/etc/<app>).
    type: path
  binary_name:
    description: File name of the binary in each release directory. Defaults to O(app).
    type: str
  user:
    description: The service account whose id RV(app_state.observed) reports. Defaults to O(app).
    type: str
  group:
    description: The service group whose id RV(app_state.observed) reports. Defaults to O(user).
    type: str
  audit_log:
    description: File the O(audit) record is appended to.
    type: path
  audit:
    description: A record appended as one JSON line to O(audit_log).
    type: dict
  out_of_lb:
    description:
      - With O(state=unlocked), whether the run leaves this host out of its load balancer (drained, or in maintenance)
        at its end. True writes a marker beside the lock (C(<lock_dir>/<app>.lock.out-of-lb)), false removes it,
        unset leaves it as it is.
      - Every call reports the marker in RV(out_of_lb), so the next run knows to put the host back.
    type: bool
  backups_of:
    description:
      - With O(state=unlocked), the O(gopherops.baremetal.systemd_release#module:base_dir) of a service whose deploys
        kept the environment file and unit of the release before them
        (O(gopherops.baremetal.systemd_release#module:keep_backups)). Once this run's lock is released, in the same
        round trip, the C(.previous) directory under it is removed, so that no copy of the secrets is left.
      - Nothing is removed when the lock was not this run's (another run took it over).
    type: path
  fail_msg:
    description:
      - When set, the task fails with this message after it did everything else (released the lock, wrote the audit
        line). A rollout ends each host that failed this way, in the same round trip as its unlock.
      - When the host could not do its part, both messages are given.
    type: str
  refuse:
    description:
      - When set with O(state=locked), the task fails with this message at once, and the host is not contacted
        (no lock is taken). A rollout passes the problems it found in the host's settings, so it checks and locks
        each host in one task.
    type: str
  plan:
    description:
      - Returned as given, as RV(plan). A rollout passes what it compares, once the artifacts are built, with what
        the host runs (the version, the build target and the fingerprints of
        P(gopherops.baremetal.release_digest#filter)); P(gopherops.baremetal.release_plan#filter) reads it.
      - Pass no secret here; it is shown with the result.
    type: dict
"""

EXAMPLES = r"""
- name: Lock every host of the rollout (and learn what they run)
  gopherops.baremetal.deploy_lock:
    app: hello
    run_id: "{{ deploy_run_id }}"
    base_dir: /opt/hello
    unit: hello.service

- name: Release the lock and write the audit line
  gopherops.baremetal.deploy_lock:
    app: hello
    state: unlocked
    run_id: "{{ deploy_run_id }}"
    audit_log: /var/log/hello/deploy.log
    audit:
      run_id: "{{ deploy_run_id }}"
      result: deployed
"""

RETURN = r"""
acquired:
  description: Whether this task took the lock (or this run held it already).
  returned: always
  type: bool
released:
  description: Whether this task removed the lock.
  returned: always
  type: bool
held_by:
  description: The lock of another run, when there is one.
  returned: when another run holds the lock
  type: dict
owner:
  description: The owner this run recorded (C(user@controller) unless O(owner) was given).
  returned: always
  type: str
holder:
  description: One line naming the holder of the lock found.
  returned: always
  type: str
out_of_lb:
  description: The marker of the run that left this host out of its load balancer (its C(run_id)), or null.
  returned: always
  type: dict
broken:
  description: The lock that was broken or taken over.
  returned: when a lock was broken
  type: dict
base_dir:
  description: The O(base_dir) whose state C(app_state.observed) describes (what a later unlock's O(backups_of) takes).
  returned: when O(base_dir) is set
  type: str
refused:
  description: True when the task failed with O(refuse) without contacting the host.
  returned: when O(refuse) was set with O(state=locked)
  type: bool
plan:
  description: O(plan), as given.
  returned: when O(plan) is set
  type: dict
app_state:
  description: active, previous and last_known_good releases, failed releases, and whether the unit is active.
  returned: always
  type: dict
  contains:
    observed:
      description:
        - With O(base_dir), what a deploy would compare against, so the controller can tell which hosts need a change
          without asking again (the P(gopherops.baremetal.release_changes#filter) filter).
        - C(current) (the release the C(current) link points at), C(last_known_good), C(binaries) (release id to
          sha256), C(env) and C(unit) (sha256, mode, uid, gid of the environment file and the unit file, or null),
          C(uid) and C(gid) of the service account, C(active) and C(enabled) of the unit, C(running) (the release
          its main process was started from).
      returned: when O(base_dir) is set
      type: dict
"""
