# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How container_release runs a release: the `docker run` options built from its parameters, and the
spec hash that tells whether the running container is the one asked for. Pure functions, so the
rules are unit-tested without a Docker engine."""

from __future__ import annotations

import hashlib
import json
import os
import re

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.gopherops.baremetal.plugins.module_utils.envfile import env_value, render_service_env

LABEL_APP = "org.gopherops.app"
LABEL_RELEASE = "org.gopherops.release"
LABEL_SPEC = "org.gopherops.spec"
ENV_FILE_DIR = "/run/secrets"
# Docker's --memory: a positive number with an optional b, k, m or g suffix (either case)
MEMORY_RE = re.compile(r"^[1-9][0-9]*(\.[0-9]+)?[bkmgBKMG]?$")
CPUS_RE = re.compile(r"^([0-9]+(\.[0-9]+)?)$")
PORT_RE = re.compile(r"^(?:(?P<ip>[0-9]{1,3}(?:\.[0-9]{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(?:(?P<host>[0-9]{1,5}):)?"
                     r"(?P<container>[0-9]{1,5})(?:/(?P<proto>tcp|udp|sctp))?$")
RESTART = ("no", "always", "unless-stopped", "on-failure")
LOG_OPT_RE = re.compile(r"^[a-z][a-z0-9_.-]*$")


class SpecError(ValueError):
    """A run option Docker would refuse or misread; the message names it."""


def check_memory(value):
    """'' (no limit) or Docker's --memory syntax; at least 6 MB, as Docker requires."""
    if value in (None, ""):
        return ""
    text = str(value).strip()
    if not MEMORY_RE.match(text):
        raise SpecError("memory %r is not a Docker memory size: give a number of bytes or a number with b, k, m or g "
                        "(for example 512m or 2g)" % (value,))
    number, unit = (text[:-1], text[-1].lower()) if text[-1].isalpha() else (text, "b")
    size = float(number) * {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit]
    if size < 6 * 1024 ** 2:
        raise SpecError("memory %r is below the 6 MB minimum Docker accepts" % (value,))
    return text


def check_cpus(value):
    if value in (None, ""):
        return ""
    text = str(value).strip()
    if not CPUS_RE.match(text) or float(text) <= 0:
        raise SpecError("cpus %r is not a number of CPUs above 0 (for example 1.5)" % (value,))
    return text


def parse_port(spec):
    """'8080', '9000:8080', '127.0.0.1:9000:8080' or with /udp -> dict(ip, host, container, proto)."""
    match = PORT_RE.match(str(spec).strip())
    if not match:
        raise SpecError("ports: %r is not [ip:][host_port:]container_port[/tcp|/udp]" % (spec,))
    out = match.groupdict()
    out["proto"] = out["proto"] or "tcp"
    out["ip"] = out["ip"] or ""
    for key in ("host", "container"):
        if out[key] is not None and not 0 < int(out[key]) < 65536:
            raise SpecError("ports: %r has a port outside 1-65535" % (spec,))
    out["host"] = out["host"] or out["container"]
    return out


def host_ports(ports):
    """(ip, port, proto) a container with these ports binds on the host."""
    return [(p["ip"], int(p["host"]), p["proto"]) for p in (parse_port(s) for s in ports)]


def env_file_target(name):
    return "%s/%s.env" % (ENV_FILE_DIR, name)


def _flag(value):
    """A boolean as Ansible's argument spec reads it (yes/no, true/false, y/n, 1/0, on/off)."""
    return boolean(value, strict=False)


def run_options(p, env_file):
    """The `docker run` options (without --name, the labels and the image) for parameters p of
    container_release; env_file is the environment file's path on the host. Values are normalized
    (numbers and booleans as the module's argument spec would read them), so the controller computes
    the same options from the role's variables as the module from its parameters."""
    policy = str(p.get("restart_policy") or "unless-stopped")
    if policy not in RESTART and not re.match(r"^on-failure:[0-9]+$", policy):
        raise SpecError("restart_policy %r: use one of %s or on-failure:N" % (policy, ", ".join(RESTART)))
    opts = ["--restart", policy]
    memory = check_memory(p.get("memory"))
    if memory:
        opts += ["--memory", memory]
    cpus = check_cpus(p.get("cpus"))
    if cpus:
        opts += ["--cpus", cpus]
    if p.get("user"):
        opts += ["--user", str(p["user"])]
    if _flag(p.get("read_only", True)):
        opts += ["--read-only", "--tmpfs", "/tmp:rw,noexec,nosuid,size=64m"]
    opts += ["--cap-drop", "ALL", "--security-opt", "no-new-privileges"]
    if _flag(p.get("host_uts", True)):
        # the machine's hostname, as in systemd mode (logs, metrics and /version name the host)
        opts += ["--uts", "host"]
    for cap in p.get("capabilities") or []:
        opts += ["--cap-add", str(cap)]
    if p.get("log_driver"):
        opts += ["--log-driver", str(p["log_driver"])]
    for key in sorted(p.get("log_options") or {}):
        if not LOG_OPT_RE.match(str(key)):
            raise SpecError("log_options: %r is not a log option name" % (key,))
        opts += ["--log-opt", "%s=%s" % (key, env_value(key, p["log_options"][key]))]
    if p.get("network"):
        opts += ["--network", str(p["network"])]
    for spec in p.get("ports") or []:
        port = parse_port(spec)
        bind = "%s:%s:%s/%s" % (port["ip"], port["host"], port["container"], port["proto"]) if port["ip"] else \
            "%s:%s/%s" % (port["host"], port["container"], port["proto"])
        opts += ["--publish", bind]
    opts += ["--mount", "type=bind,source=%s,target=%s,readonly" % (env_file, env_file_target(p["name"]))]
    opts += ["--env", "ENV_FILE=%s" % env_file_target(p["name"])]
    for key in sorted(p.get("env") or {}):
        opts += ["--env", "%s=%s" % (key, env_value(key, p["env"][key]))]
    if p.get("stop_timeout") not in (None, ""):
        opts += ["--stop-timeout", str(int(float(p["stop_timeout"])))]
    opts += [str(a) for a in (p.get("docker_options") or [])]
    return opts


def spec_hash(image_id, options, args, env_sha256):
    """What decides whether a running container is the one asked for: image, options, command
    arguments, and the environment file's content (its sha256, not its values)."""
    doc = json.dumps({"image": image_id, "options": options, "args": args, "env": env_sha256}, sort_keys=True)
    return hashlib.sha256(doc.encode("utf-8")).hexdigest()[:32]


def env_file_path(base_dir, release_id):
    """Where a release's environment file lives on the host."""
    return os.path.join(base_dir, "releases", release_id, "env")


def env_content(env, secret_env):
    """The environment file's bytes, as systemd mode writes them."""
    return render_service_env(env, secret_env).encode("utf-8")


def expected_spec(p, image_id):
    """The spec hash of release p["release_id"] for parameters p (container_release's, or the
    go_container role's settings under the same names): what the running container's label must say
    for the host to need no change."""
    content = env_content(p.get("env") or {}, p.get("secret_env") or {})
    options = run_options(p, env_file_path(p["base_dir"], p["release_id"]))
    return spec_hash(image_id, options, [str(a) for a in p.get("args") or []], hashlib.sha256(content).hexdigest())


def changes(observed, release_id, spec):
    """What deploying release_id with this spec hash would change on a host that reported observed
    (deploy_lock's app_state.observed with its container): switched, restarted, unproven, as
    container_release would say. Empty: the host runs exactly this release."""
    observed = observed or {}
    container = observed.get("container") or {}
    out = []
    if observed.get("current") != release_id:
        out.append("switched")
    if out or not container.get("running") or container.get("spec") != spec:
        out.append("restarted")
    if observed.get("current") == release_id and observed.get("last_known_good") != release_id:
        out.append("unproven")
    return out


def run_argv(name, release_id, spec, image_id, options, args):
    """The whole `docker run` command line."""
    return (["docker", "run", "--detach", "--name", name,
             "--label", "%s=%s" % (LABEL_APP, name), "--label", "%s=%s" % (LABEL_RELEASE, release_id),
             "--label", "%s=%s" % (LABEL_SPEC, spec)]
            + list(options) + [image_id] + [str(a) for a in args])


NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")
RELEASE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
USER_RE = re.compile(r"^[1-9][0-9]*(:[0-9]+)?$")


def problems(s):
    """Every problem of the go_container role's settings s (keys without the go_container_ prefix),
    one sentence each, naming the variable; empty when there is none."""
    out = []

    def bad(message):
        out.append(message)

    name = s.get("name") or ""
    if not NAME_RE.match(str(name)):
        bad("go_container_name must be a container name (letters, digits, '_', '.', '-', at most 63; got %r)." % name)
    version = str(s.get("version") or "")
    if not version:
        bad("go_container_version must be set.")
    elif not RELEASE_RE.match(version + "-00000000"):
        bad("go_container_version %r makes a release id that is not usable as a directory name: use letters, digits, "
            "'.', '_', '+' and '-'." % version)
    ports = s.get("ports")
    if not isinstance(ports, list):
        bad("go_container_ports must be a list such as ['8080:8080'] (got %r)." % (ports,))
    else:
        seen = set()
        for spec in ports:
            try:
                bound = host_ports([spec])[0]
            except SpecError as exc:
                bad("go_container_%s." % exc)
                continue
            if bound[1:] in seen:
                bad("go_container_ports publishes host port %d/%s twice." % bound[1:])
            seen.add(bound[1:])
    for key, check in (("memory", check_memory), ("cpus", check_cpus)):
        try:
            check(s.get(key))
        except SpecError as exc:
            bad("go_container_%s." % exc)
    user = str(s.get("user") or "")
    if not USER_RE.match(user):
        bad("go_container_user must be a numeric uid or uid:gid other than root, such as 65532:65532 (got %r); a FROM "
            "scratch image cannot resolve names." % user)
    env, secret_env = s.get("env") or {}, s.get("secret_env") or {}
    if not isinstance(env, dict) or not isinstance(secret_env, dict):
        bad("go_container_env and go_container_secret_env must be mappings of names to values.")
    else:
        both = sorted(set(env) & set(secret_env))
        if both:
            bad("These names are in both go_container_env and go_container_secret_env: %s; keep each in one of them."
                % ", ".join(both))
    archive = s.get("image_archive")
    if archive not in (None, "") and not isinstance(archive, str) and not (
            isinstance(archive, dict) and all(isinstance(v, str) and v for v in archive.values())):
        bad("go_container_image_archive must be the path of a docker save archive on the controller, or a mapping of "
            "targets such as linux_amd64 to such paths (got %r)." % (archive,))
    checks = s.get("health_checks")
    if not isinstance(checks, list) or not checks or not all(
            isinstance(c, dict) and ("url" in c or "tcp" in c) for c in checks):
        bad("go_container_health_checks needs at least one check, each with a 'url' or a 'tcp' (got %r)." % (checks,))
    policy = str(s.get("restart_policy") or "")
    if policy not in RESTART and not re.match(r"^on-failure:[0-9]+$", policy):
        bad("go_container_restart_policy must be one of %s or on-failure:N (got %r)." % (", ".join(RESTART), policy))
    opts = s.get("log_options")
    if not isinstance(opts, dict) or any(not LOG_OPT_RE.match(str(k)) for k in opts):
        bad("go_container_log_options must be a mapping of log option names (such as max-size) to values (got %r)."
            % (opts,))
    try:
        if int(s.get("keep_releases", 5)) < 1:
            raise ValueError
    except (TypeError, ValueError):
        bad("go_container_keep_releases must be a whole number of at least 1 (got %r)." % (s.get("keep_releases"),))
    try:
        fraction = float(s.get("gomemlimit_fraction", 0.9))
        if not 0 < fraction <= 1:
            raise ValueError
    except (TypeError, ValueError):
        bad("go_container_gomemlimit_fraction must be above 0 and at most 1 (got %r)." % (s.get("gomemlimit_fraction"),))
    return out
