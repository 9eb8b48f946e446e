# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filebeat's configuration built from structured settings, as pure functions.

build() turns the settings a role gets (the Go services deployed on a host, extra inputs, one
output, processors) into the mapping written to filebeat.yml. Secrets never land in it: each
password or API key becomes a ``${KEY}`` reference, and the value is returned separately for the
Filebeat keystore. Every problem with the settings is reported at once, naming the setting.
"""

from __future__ import annotations

import re

OUTPUTS = ("elasticsearch", "logstash", "kafka", "redis", "file")
# the output settings that are secrets, per output, and the prefix of their keystore keys
SECRETS = {
    "elasticsearch": ("password", "api_key"),
    "logstash": (),
    "kafka": ("password",),
    "redis": ("password",),
    "file": (),
}
KEY_PREFIX = {"elasticsearch": "ES", "logstash": "LOGSTASH", "kafka": "KAFKA", "redis": "REDIS", "file": "FILE"}
TLS_PATHS = ("certificate_authorities", "certificate", "key")
TLS_OPTIONS = TLS_PATHS + ("verification_mode", "key_passphrase", "supported_protocols", "enabled")
VERIFICATION_MODES = ("full", "strict", "certificate", "none")
MODES = ("systemd", "docker")
DOCKER_LOGS = "/var/lib/docker/containers/*/*-json.log"
VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
KEYSTORE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class FilebeatConfigError(ValueError):
    """The settings cannot make a valid configuration; ``problems`` lists every reason."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))


def version_problem(version, var="filebeat_version"):
    """None, or why `version` is not an exact Filebeat version (8.15.3, 8.15.3-1)."""
    if version is None or str(version).strip() == "":
        return None
    if not VERSION.match(str(version)):
        return "%s must be an exact version such as 8.15.3 (got %r)." % (var, version)
    return None


def _service_inputs(services, env, problems):
    inputs = []
    seen = set()
    for index, svc in enumerate(services or []):
        where = "filebeat_services[%d]" % index
        if not isinstance(svc, dict):
            problems.append("%s must be a mapping with name and mode (got %r)." % (where, svc))
            continue
        name = str(svc.get("name") or "")
        mode = svc.get("mode", "systemd")
        if not NAME.match(name):
            problems.append("%s.name must be a service name (got %r)." % (where, svc.get("name")))
            continue
        if mode not in MODES:
            problems.append("%s.mode must be one of %s (got %r)." % (where, ", ".join(MODES), mode))
            continue
        if name in seen:
            problems.append("%s: the service %s is listed twice." % (where, name))
            continue
        seen.add(name)
        fields = {"app": name, "env": env}
        if svc.get("version") not in (None, ""):
            fields["version"] = str(svc["version"])
        if mode == "systemd":
            one = {"type": "journald", "id": "%s-journald" % name,
                   "include_matches": {"match": ["_SYSTEMD_UNIT=%s.service" % name]}}
        else:
            # json-file logs of every container; keep the events of the app's own container
            one = {"type": "filestream", "id": "%s-container" % name, "paths": [DOCKER_LOGS],
                   "parsers": [{"container": {"stream": "all"}}],
                   "processors": [{"add_docker_metadata": {}},
                                  {"drop_event": {"when": {"not": {"equals": {"container.name": name}}}}}]}
        one["fields"] = fields
        one["fields_under_root"] = False
        inputs.append(one)
    return inputs


def _extra_inputs(extra, env, problems):
    inputs = []
    for index, item in enumerate(extra or []):
        where = "filebeat_extra_inputs[%d]" % index
        if not isinstance(item, dict):
            problems.append("%s must be a mapping with id and paths (got %r)." % (where, item))
            continue
        ident = str(item.get("id") or "")
        paths = item.get("paths")
        if not NAME.match(ident):
            problems.append("%s.id must be set, letters, digits and ._@- (got %r)." % (where, item.get("id")))
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and p.startswith("/") for p in paths):
            problems.append("%s.paths must be a non-empty list of absolute paths (got %r)." % (where, paths))
            continue
        fields = dict(item.get("fields") or {})
        fields.setdefault("env", env)
        one = {"type": "filestream", "id": ident, "paths": list(paths), "fields": fields, "fields_under_root": False}
        for key in ("parsers", "processors", "prospector", "exclude_lines", "include_lines"):
            if key in item:
                one[key] = item[key]
        inputs.append(one)
    return inputs


def _tls(kind, tls, problems, keystore):
    """The ssl.* settings of an output, and the paths on the host that must exist."""
    if not tls:
        return {}, []
    if not isinstance(tls, dict):
        problems.append("filebeat_output.tls must be a mapping (got %r)." % (tls,))
        return {}, []
    unknown = sorted(set(tls) - set(TLS_OPTIONS))
    if unknown:
        problems.append("filebeat_output.tls has unknown settings %s (known: %s)." % (", ".join(unknown), ", ".join(TLS_OPTIONS)))
    ssl = {}
    paths = []
    for key in TLS_PATHS:
        value = tls.get(key)
        if value in (None, "", []):
            continue
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if not isinstance(v, str) or not v.startswith("/")]
        if bad:
            problems.append("filebeat_output.tls.%s must be absolute paths on the host (got %r)." % (key, bad))
            continue
        paths.extend(values)
        ssl[key] = values if key == "certificate_authorities" else values[0]
    if bool(tls.get("certificate")) != bool(tls.get("key")):
        problems.append("filebeat_output.tls needs certificate and key together (a client certificate).")
    mode = tls.get("verification_mode")
    if mode is not None:
        if mode not in VERIFICATION_MODES:
            problems.append("filebeat_output.tls.verification_mode must be one of %s (got %r)."
                            % (", ".join(VERIFICATION_MODES), mode))
        else:
            ssl["verification_mode"] = mode
    for key in ("supported_protocols", "enabled"):
        if key in tls:
            ssl[key] = tls[key]
    if tls.get("key_passphrase"):
        name = "%s_SSL_KEY_PASSPHRASE" % KEY_PREFIX[kind]
        keystore[name] = str(tls["key_passphrase"])
        ssl["key_passphrase"] = "${%s}" % name
    return ({"ssl": ssl} if ssl else {}), paths


def _output(output, problems, keystore):
    if not isinstance(output, dict) or not output.get("type"):
        problems.append("filebeat_output must be a mapping with a type, one of %s." % ", ".join(OUTPUTS))
        return {}, []
    kind = output["type"]
    if kind not in OUTPUTS:
        problems.append("filebeat_output.type must be one of %s (got %r)." % (", ".join(OUTPUTS), kind))
        return {}, []
    settings = {k: v for k, v in output.items() if k not in ("type", "tls", "secrets")}
    if kind == "file":
        if not str(settings.get("path") or "").startswith("/"):
            problems.append("filebeat_output.path must be an absolute directory for the file output (got %r)."
                            % settings.get("path"))
    else:
        hosts = settings.get("hosts")
        if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) and h.strip() for h in hosts):
            problems.append("filebeat_output.hosts must list at least one host for the %s output (got %r)." % (kind, hosts))
    if kind == "kafka" and not settings.get("topic"):
        problems.append("filebeat_output.topic must be set for the kafka output.")
    # secrets: given in filebeat_output.secrets (or, for convenience, in place), kept out of the file
    secrets = dict(output.get("secrets") or {})
    for key in SECRETS[kind]:
        if key in settings:
            secrets.setdefault(key, settings.pop(key))
    allowed = set(SECRETS[kind])
    for key in sorted(secrets):
        if key not in allowed:
            problems.append("filebeat_output.secrets.%s is not a secret setting of the %s output (known: %s)."
                            % (key, kind, ", ".join(sorted(allowed)) or "none"))
            continue
        value = secrets[key]
        if value in (None, ""):
            continue
        name = "%s_%s" % (KEY_PREFIX[kind], key.upper())
        keystore[name] = str(value)
        settings[key] = "${%s}" % name
    if kind == "elasticsearch" and settings.get("password") and not settings.get("username"):
        problems.append("filebeat_output.username must be set with a password for the elasticsearch output.")
    if kind == "elasticsearch" and settings.get("password") and settings.get("api_key"):
        problems.append("filebeat_output: use a password or an api_key for the elasticsearch output, not both.")
    if kind == "file" and output.get("tls"):
        problems.append("filebeat_output.tls does not apply to the file output; drop it.")
        return {"output.%s" % kind: settings}, []
    ssl, paths = _tls(kind, output.get("tls"), problems, keystore)
    settings.update(ssl)
    return {"output.%s" % kind: settings}, paths


INPUTS_GLOB = "${path.config}/inputs.d/*.yml"
MODULES_GLOB = "${path.config}/modules.d/*.yml"
MANAGED_KEYS = ("filebeat.inputs", "filebeat.config.inputs", "filebeat.config.modules", "filebeat.modules")


def _modules(modules, problems):
    """modules.d/<name>.yml of each module: [{module: name, <fileset>: {...}, ...}]."""
    if modules in (None, ""):
        return {}
    if not isinstance(modules, dict):
        problems.append("filebeat_modules must be a mapping of module names to their filesets (got %r)." % (modules,))
        return {}
    files = {}
    for name in sorted(modules, key=str):
        body = modules[name] if modules[name] is not None else {}
        if not NAME.match(str(name)):
            problems.append("filebeat_modules: %r is not a module name." % (name,))
        elif not isinstance(body, dict):
            problems.append("filebeat_modules.%s must be a mapping of filesets, such as {access: {enabled: true}} "
                            "(got %r)." % (name, body))
        elif not all(isinstance(key, str) for key in body):
            problems.append("filebeat_modules.%s has keys that are not names: %s." % (name, ", ".join(
                repr(key) for key in body if not isinstance(key, str))))
        elif "module" in body:
            problems.append("filebeat_modules.%s must not set module: the key is the module's name." % name)
        else:
            one = {"module": str(name)}
            one.update(body)
            files[str(name)] = [one]
    return files


def build(services=None, extra_inputs=None, output=None, processors=None, env="", settings=None, modules=None,
          inputs_dir=False):
    """The filebeat.yml mapping, the keystore entries, the TLS paths to check on the host, and the
    files of inputs.d (with inputs_dir: one per input, which Filebeat reloads by itself) and of
    modules.d (one per module).

    Raises FilebeatConfigError listing every problem."""
    problems = []
    keystore = {}
    env = str(env or "")
    inputs = _service_inputs(services, env, problems) + _extra_inputs(extra_inputs, env, problems)
    ids = [i["id"] for i in inputs]
    dupes = sorted(set(i for i in ids if ids.count(i) > 1))
    if dupes:
        problems.append("input ids must be unique; used twice: %s." % ", ".join(dupes))
    if not inputs:
        problems.append("nothing to ship: filebeat_services and filebeat_extra_inputs are both empty.")
    out, paths = _output(output, problems, keystore)
    if processors is not None and not isinstance(processors, list):
        problems.append("filebeat_processors must be a list (got %r)." % (processors,))
    extra = dict(settings or {})
    # a managed key itself, a dotted key below one, or a mapping above one (Filebeat reads dots as paths)
    clash = sorted(str(k) for k in extra if str(k) == "output" or str(k).startswith("output.") or any(
        str(k) == m or str(k).startswith(m + ".") or m.startswith(str(k) + ".") for m in MANAGED_KEYS))
    if clash:
        problems.append("filebeat_settings must not set %s: use filebeat_services, filebeat_extra_inputs, "
                        "filebeat_modules and filebeat_output (other filebeat.* settings as dotted keys, such as "
                        "filebeat.registry.path)." % ", ".join(clash))
    module_files = _modules(modules, problems)
    for name in keystore:
        if not KEYSTORE_KEY.match(name):
            problems.append("keystore key %r is not valid." % name)
    if problems:
        raise FilebeatConfigError(problems)
    config = dict(extra)
    input_files = {}
    if inputs_dir:
        input_files = {i["id"]: [i] for i in inputs}
        config["filebeat.config.inputs"] = {"enabled": True, "path": INPUTS_GLOB, "reload.enabled": True,
                                            "reload.period": "10s"}
    else:
        config["filebeat.inputs"] = inputs
    if module_files:
        config["filebeat.config.modules"] = {"enabled": True, "path": MODULES_GLOB, "reload.enabled": False}
    config.update(out)
    if processors:
        config["processors"] = list(processors)
    return {"config": config, "keystore": keystore, "tls_paths": sorted(set(paths)),
            "input_files": input_files, "module_files": module_files}


def problems(**kwargs):
    """Every problem build() would raise for these settings, or an empty list."""
    try:
        build(**kwargs)
    except FilebeatConfigError as exc:
        return exc.problems
    return []
