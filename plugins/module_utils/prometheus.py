# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scrape registration: the file_sd target lists of each job (the service, each exporter, each
blackbox probe) and the scrape configs of a Prometheus that reads them."""

from __future__ import annotations

import re

JOB_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
ADDRESS_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)$")
MODULE_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
PATH_RE = re.compile(r"^/[^\s#]*$")
PROBE_KEYS = ("name", "module", "path", "port", "scheme", "exporter")
PROBE_DEFAULTS = {"path": "/readyz", "scheme": "http", "exporter": "127.0.0.1:9115"}


class TargetError(ValueError):
    pass


def port_number(name, value):
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536 or str(value).strip() != str(port):
        raise TargetError("%s must be a port number from 1 to 65535 (got %r)" % (name, value))
    return port


def probe_jobs(probes, app_port):
    """The probe jobs, checked and with their defaults: name -> {module, path, port, scheme, exporter}."""
    if probes is None:
        probes = []
    if not isinstance(probes, list):
        raise TargetError("prometheus_targets_probes must be a list of probes (got %r)" % (probes,))
    out = {}
    for index, probe in enumerate(probes):
        where = "prometheus_targets_probes[%d]" % index
        if not isinstance(probe, dict):
            raise TargetError("%s must be a mapping with name and module (got %r)" % (where, probe))
        unknown = sorted(str(k) for k in probe if k not in PROBE_KEYS)
        if unknown:
            raise TargetError("%s has unknown keys: %s (known: %s)" % (where, ", ".join(unknown), ", ".join(PROBE_KEYS)))
        name, module = str(probe.get("name") or ""), str(probe.get("module") or "")
        if not name or not MODULE_RE.match(module):
            raise TargetError("%s needs a name (its job) and module (the blackbox_exporter module that probes) "
                              "(got name %r, module %r)" % (where, probe.get("name"), probe.get("module")))
        if name in out:
            raise TargetError("prometheus_targets_probes names the job %s twice" % name)
        job = dict(PROBE_DEFAULTS, **{k: str(v) for k, v in probe.items() if k in PROBE_DEFAULTS and v})
        if not PATH_RE.match(job["path"]):
            raise TargetError("%s.path must start with / (got %r)" % (where, job["path"]))
        if job["scheme"] not in ("http", "https"):
            raise TargetError("%s.scheme must be http or https (got %r)" % (where, job["scheme"]))
        host, _sep, port = job["exporter"].rpartition(":")
        if not ADDRESS_RE.match(host):
            raise TargetError("%s.exporter must be the host:port of the blackbox_exporter that Prometheus asks "
                              "(got %r)" % (where, job["exporter"]))
        port_number("%s.exporter" % where, port)
        job.update(module=module, port=port_number("%s.port" % where, app_port if probe.get("port") is None else probe["port"]))
        out[name] = job
    return out


def _jobs(app, app_port, exporters, probes):
    """job -> (port, kind): kind is 'app', 'exporter' or the probe's settings."""
    if not isinstance(exporters, dict):
        raise TargetError("prometheus_targets_exporters must be a mapping of job names to ports (got %r)" % (exporters,))
    jobs = {}
    if app:
        jobs[str(app)] = (port_number("prometheus_targets_app_port", app_port), "app")
    for job, port in exporters.items():
        if str(job) in jobs:
            raise TargetError("prometheus_targets_exporters names the job %s, which is the service's "
                              "(prometheus_targets_app); give the exporter another job name" % job)
        jobs[str(job)] = (port_number("prometheus_targets_exporters.%s" % job, port), "exporter")
    for job, probe in probe_jobs(probes, app_port).items():
        if job in jobs:
            raise TargetError("prometheus_targets_probes names the job %s, which is already the service's or an "
                              "exporter's; give the probe another name" % job)
        jobs[job] = (probe["port"], probe)
    for job in jobs:
        if not JOB_RE.match(job):
            raise TargetError("%r is not a usable job name (letters, digits, '_', '.', '-')" % job)
    return jobs


def targets(hosts, app, app_port, exporters, env, labels=None, probes=None):
    """job -> the list its file_sd file holds, one entry per host with its labels."""
    labels = dict(labels or {})
    bad = sorted(str(k) for k in labels if not LABEL_RE.match(str(k)) or str(k).startswith("__"))
    if bad:
        raise TargetError("prometheus_targets_labels has names Prometheus refuses: %s (letters, digits and _, "
                          "not starting with a digit or __)" % ", ".join(bad))
    out = {}
    for job, (port, kind) in sorted(_jobs(app, app_port, exporters, probes).items()):
        entries = []
        for host in hosts:
            address = str(host.get("address") or host["name"])
            if not ADDRESS_RE.match(address):
                raise TargetError("prometheus_targets_address of %s is not a host name or address (got %r)"
                                  % (host["name"], address))
            entry_labels = dict({str(k): str(v) for k, v in labels.items()}, env=str(env), host=str(host["name"]))
            if kind != "exporter" and app:
                entry_labels.update(app=str(app), version=str(host.get("version") or ""))
            if isinstance(kind, dict):
                target = "%s://%s:%d%s" % (kind["scheme"], address, port, kind["path"])
            else:
                target = "%s:%d" % (address, port)
            entries.append({"targets": [target], "labels": entry_labels})
        out[job] = entries
    return out


def scrape_configs(jobs, directory, app, app_path="/metrics", app_scheme="http", probes=None, app_port=8080):
    """Prometheus' own job, then one job per target file; a probe job asks its blackbox_exporter to
    probe each target URL, which stays the instance label."""
    probe = probe_jobs(probes, app_port)
    out = [{"job_name": "prometheus", "static_configs": [{"targets": ["localhost:9090"]}]}]
    for job in sorted(jobs):
        config = {"job_name": job, "file_sd_configs": [{"files": ["%s/%s.yml" % (directory.rstrip("/"), job)]}]}
        if job == app:
            config.update(metrics_path=app_path, scheme=app_scheme)
        elif job in probe:
            config.update(metrics_path="/probe", params={"module": [probe[job]["module"]]}, relabel_configs=[
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["__param_target"], "target_label": "instance"},
                {"target_label": "__address__", "replacement": probe[job]["exporter"]},
            ])
        out.append(config)
    return out
