# -*- coding: utf-8 -*-
"""docker run options and the settings check of docker mode."""

from __future__ import annotations

import pytest

from ansible_collections.gopherops.baremetal.plugins.module_utils import container_run as cr

BASE = {"name": "hello", "restart_policy": "unless-stopped", "memory": "256m", "cpus": "1.5", "user": "65532:65532",
        "read_only": True, "capabilities": [], "log_driver": "json-file", "log_options": {"max-size": "10m"},
        "network": "", "ports": ["8080:8080", "127.0.0.1:9090:9090/udp"], "env": {"LISTEN_ADDR": ":8080"},
        "secret_env": {"API_TOKEN": "s3cret"}, "stop_timeout": 30, "docker_options": []}


def test_run_options_carry_no_secret_and_mount_the_env_file():
    opts = cr.run_options(dict(BASE), "/opt/hello/releases/1/env")
    text = " ".join(opts)
    assert "s3cret" not in text and "API_TOKEN" not in text
    assert "--mount type=bind,source=/opt/hello/releases/1/env,target=/run/secrets/hello.env,readonly" in text
    assert "--env ENV_FILE=/run/secrets/hello.env" in text and "--env LISTEN_ADDR=:8080" in text
    assert "--publish 8080:8080/tcp" in text and "--publish 127.0.0.1:9090:9090/udp" in text
    for want in ("--read-only", "--cap-drop ALL", "no-new-privileges", "--memory 256m", "--cpus 1.5",
                 "--log-opt max-size=10m", "--restart unless-stopped", "--user 65532:65532"):
        assert want in text


def test_spec_hash_follows_what_the_container_runs():
    opts = cr.run_options(dict(BASE), "/e")
    first = cr.spec_hash("sha256:" + "a" * 64, opts, [], "e1")
    assert first == cr.spec_hash("sha256:" + "a" * 64, list(opts), [], "e1")
    assert first != cr.spec_hash("sha256:" + "b" * 64, opts, [], "e1")
    assert first != cr.spec_hash("sha256:" + "a" * 64, opts, ["-x"], "e1")
    assert first != cr.spec_hash("sha256:" + "a" * 64, opts, [], "e2")
    assert first != cr.spec_hash("sha256:" + "a" * 64, cr.run_options(dict(BASE, memory="512m"), "/e"), [], "e1")


@pytest.mark.parametrize("spec, want", [
    ("8080", ("", 8080, "tcp")), ("9000:8080", ("", 9000, "tcp")), ("10.0.0.1:80:8080/udp", ("10.0.0.1", 80, "udp")),
])
def test_host_ports(spec, want):
    assert cr.host_ports([spec]) == [want]


@pytest.mark.parametrize("key, value, words", [
    ("memory", "lots", "Docker memory size"), ("memory", "1m", "6 MB"), ("cpus", "-1", "CPUs"),
    ("ports", ["80:80:80:80"], "container_port"), ("ports", ["70000"], "1-65535"), ("ports", ["8080", "8080:8080"], "twice"),
    ("user", "root", "numeric uid"), ("user", "0", "numeric uid"), ("restart_policy", "sometimes", "restart_policy"),
    ("health_checks", [], "at least one check"), ("keep_releases", 0, "keep_releases"),
    ("gomemlimit_fraction", 2, "gomemlimit_fraction"), ("name", "-x", "go_container_name"), ("version", "", "version"),
    ("version", "1.0 beta", "directory name"), ("log_options", ["max-size"], "log_options"),
    ("env", {"API_TOKEN": "x"}, "both"), ("image_archive", ["/srv/a.tar"], "image_archive"),
    ("image_archive", {"linux_amd64": ""}, "image_archive"),
])
def test_problems_name_the_variable(key, value, words):
    settings = dict(BASE, version="1.0.0", health_checks=[{"url": "http://127.0.0.1:8080/readyz"}], keep_releases=5,
                    gomemlimit_fraction=0.9)
    assert cr.problems(settings) == []
    assert cr.problems(dict(settings, image_archive="/srv/a.tar")) == []
    assert cr.problems(dict(settings, image_archive={"linux_amd64": "/srv/a.tar", "linux_arm64": "b.tar"})) == []
    settings[key] = value
    found = cr.problems(settings)
    assert len(found) == 1 and words in found[0] and "go_container_" in found[0], found


def settings(**over):
    base = dict(BASE, base_dir="/opt/hello", release_id="1.0.0-abcdef12", args=[])
    base.update(over)
    return base


def test_controller_and_module_compute_the_same_spec():
    # the role's variables arrive templated (strings for numbers and booleans), the module's parameters
    # typed by its argument spec: both must name the same container
    image = "sha256:" + "c" * 64
    module_side = settings(stop_timeout=30, read_only=True, env={"PORT": 8080, "DEBUG": False})
    role_side = settings(stop_timeout="30", read_only="True", env={"PORT": "8080", "DEBUG": "false"})
    assert cr.expected_spec(module_side, image) == cr.expected_spec(role_side, image)
    assert cr.expected_spec(module_side, image) != cr.expected_spec(settings(read_only=False), image)
    # a secret's value decides too (through the file's hash), without appearing in the options
    assert cr.expected_spec(settings(secret_env={"API_TOKEN": "a"}), image) != \
        cr.expected_spec(settings(secret_env={"API_TOKEN": "b"}), image)


@pytest.mark.parametrize("observed, want", [
    (None, ["switched", "restarted"]),
    ({"current": "1.0.0-abcdef12", "last_known_good": "1.0.0-abcdef12",
      "container": {"running": True, "spec": "SPEC"}}, []),
    ({"current": "1.0.0-abcdef12", "last_known_good": "1.0.0-abcdef12",
      "container": {"running": False, "spec": "SPEC"}}, ["restarted"]),
    ({"current": "1.0.0-abcdef12", "last_known_good": "1.0.0-abcdef12",
      "container": {"running": True, "spec": "OTHER"}}, ["restarted"]),
    ({"current": "1.0.0-abcdef12", "last_known_good": "0.9.0-00000000",
      "container": {"running": True, "spec": "SPEC"}}, ["unproven"]),
    ({"current": "0.9.0-00000000", "last_known_good": "0.9.0-00000000", "container": None},
     ["switched", "restarted"]),
])
def test_changes(observed, want):
    assert cr.changes(observed, "1.0.0-abcdef12", "SPEC") == want
