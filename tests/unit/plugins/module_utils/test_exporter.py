"""Prometheus exporter helpers: archives per architecture, checksums, settings problems, web config."""

from __future__ import annotations

import pytest

from ansible_collections.gopherops.baremetal.plugins.module_utils import exporter as ex
from ansible_collections.gopherops.baremetal.plugins.module_utils.systemd_unit import hardening_lines

SUMS = """\
1111111111111111111111111111111111111111111111111111111111111111  node_exporter-1.8.2.linux-amd64.tar.gz
2222222222222222222222222222222222222222222222222222222222222222  node_exporter-1.8.2.linux-arm64.tar.gz
3333333333333333333333333333333333333333333333333333333333333333 *node_exporter-1.8.2.linux-armv7.tar.gz
"""


def test_asset_and_url_per_architecture():
    assert ex.asset_name("node_exporter", "1.8.2", "arm64") == "node_exporter-1.8.2.linux-arm64.tar.gz"
    url = ex.asset_url("https://mirror.example.com/{name}/v{version}/{asset}", "node_exporter", "1.8.2", "armv7")
    assert url == "https://mirror.example.com/node_exporter/v1.8.2/node_exporter-1.8.2.linux-armv7.tar.gz"
    with pytest.raises(ex.ExporterError, match="only {name}"):
        ex.asset_url("https://x/{release}", "node_exporter", "1.8.2", "amd64")
    assert ex.target_arch({"goarch": "arm", "goarm": "6"}) == "armv6"
    assert ex.target_arch({"goarch": "arm64"}) == "arm64"


def test_each_architecture_has_its_own_checksum():
    # from sha256sums.txt text: every architecture gets its own line, not the first one's
    assert ex.checksum_for(SUMS, "node_exporter", "1.8.2", "amd64") == "1" * 64
    assert ex.checksum_for(SUMS, "node_exporter", "1.8.2", "arm64") == "2" * 64
    assert ex.checksum_for(SUMS, "node_exporter", "1.8.2", "armv7") == "3" * 64
    assert ex.checksum_for({"amd64": "sha256:" + "A" * 64}, "node_exporter", "1.8.2", "amd64") == "a" * 64
    with pytest.raises(ex.ExporterError, match="no sha256 for node_exporter-1.8.2.linux-arm64.tar.gz"):
        ex.checksum_for({"amd64": "1" * 64}, "node_exporter", "1.8.2", "arm64")
    with pytest.raises(ex.ExporterError, match="not 64 hex digits"):
        ex.checksum_for({"amd64": "abc"}, "node_exporter", "1.8.2", "amd64")


def test_problems_name_each_variable():
    ok = ex.problems("node_exporter", "1.8.2", "tarball", ["--collector.systemd"], SUMS,
                     [{"goarch": "amd64"}, {"goarch": "arm64"}], {"prom": "pw"}, {})
    assert ok == []
    bad = ex.problems("Node Exporter", "latest", "zip", ["collector.systemd", 3], {}, [],
                      {"prom": "", "a:b": "x", "long": "x" * 73}, {"cert_file": "/etc/x.crt"})
    text = " ".join(bad)
    for part in ("prometheus_exporter_name", "prometheus_exporter_install must be package or tarball",
                 "prometheus_exporter_flags must be a list of strings", "prom has no password", "'a:b' is not a user name",
                 "the password of long is longer than bcrypt's 72 bytes",
                 "tls_cert_file and prometheus_exporter_tls_key_file go together"):
        assert part in text, (part, bad)
    assert "exact version" in " ".join(ex.problems("node_exporter", "latest", "tarball", [], {}, [], {}, {}))
    # a package takes its own version strings, or a start of one, or none
    for version in ("", "1.5", "1.5.0-1+b6"):
        assert ex.problems("node_exporter", version, "package", [], {}, [], {}, {}) == [], version
    assert "package version" in " ".join(ex.problems("node_exporter", "latest!", "package", [], {}, [], {}, {}))
    assert "is not a flag" in " ".join(ex.problems("node_exporter", "", "package", ["--a=b\n--c"], {}, [], {}, {}))
    # a mixed fleet: the architecture without a sum is named, and a flag typo is named
    bad = ex.problems("node_exporter", "1.8.2", "tarball", ["-collector.systemd"], {"amd64": "1" * 64},
                      [{"goarch": "amd64"}, {"goarch": "arm64"}, {"goarch": "mips"}], {}, {})
    text = " ".join(bad)
    assert "linux-arm64.tar.gz" in text and "linux-amd64" not in text and "architecture 'mips'" in text, bad
    assert "'-collector.systemd' is not a flag" in text


def test_bcrypt_hashes_stay_while_the_password_does():
    first = ex.hash_users({"prom": "s3cret", "ops": "other"}, {}, rounds=4)
    assert all(h.startswith("$2") for h in first.values())
    again = ex.hash_users({"prom": "s3cret", "ops": "other"}, first, rounds=4)
    assert again == first
    changed = ex.hash_users({"prom": "new", "ops": "other"}, first, rounds=4)
    assert changed["ops"] == first["ops"] and changed["prom"] != first["prom"]
    assert ex.web_config({}, {}) == {}
    web = ex.web_config({"cert_file": "/c", "key_file": "/k", "client_ca_file": "/ca"}, changed)
    assert web["tls_server_config"]["client_auth_type"] == "RequireAndVerifyClientCert"
    assert set(web["basic_auth_users"]) == {"ops", "prom"} and "new" not in str(web)


def test_command_line_is_quoted_for_systemd():
    line = ex.systemd_quote(["/usr/local/bin/node_exporter", "--web.listen-address=:9100",
                             "--collector.filesystem.mount-points-exclude=^/(dev|proc)($|/)", 'a"b\\c', "100%"])
    assert line == ('"/usr/local/bin/node_exporter" "--web.listen-address=:9100" '
                    '"--collector.filesystem.mount-points-exclude=^/(dev|proc)($$|/)" "a\\"b\\\\c" "100%%"')


def test_hardening_is_the_go_service_sandbox():
    lines = hardening_lines(["/opt/hello/shared"], ["CAP_NET_BIND_SERVICE"])
    assert lines[:6] == ["NoNewPrivileges=yes", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                         "AmbientCapabilities=CAP_NET_BIND_SERVICE", "ProtectSystem=strict", "ProtectHome=yes",
                         "ReadWritePaths=/opt/hello/shared"]
    assert "PrivateTmp=yes" in lines and lines[-1] == "UMask=0077"
    bare = hardening_lines([], address_families=["AF_INET", "AF_NETLINK"], private_tmp=False)
    assert not any(x.startswith("ReadWritePaths") or x == "PrivateTmp=yes" for x in bare)
    assert "RestrictAddressFamilies=AF_INET AF_NETLINK" in bare


def test_denied_system_calls_can_be_narrowed():
    assert "SystemCallFilter=~@privileged @resources" in hardening_lines([])
    assert "SystemCallFilter=~@privileged" in hardening_lines([], denied_syscalls=["@privileged"])
    assert not any(x.startswith("SystemCallFilter=~") for x in hardening_lines([], denied_syscalls=[]))
    lines = hardening_lines([], syscall_errno="EPERM", protect_home="read-only", protect_proc=False)
    assert lines[-2:] == ["SystemCallErrorNumber=EPERM", "UMask=0077"]
    assert "ProtectHome=read-only" in lines and not any(x.startswith("ProtectProc") for x in lines)
