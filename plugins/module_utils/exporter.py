# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared logic of the Prometheus exporter roles: release asset names and URLs per architecture,
the sha256 each one must have, the command line, and the web configuration (TLS, basic auth with
bcrypt hashes that stay the same while the password does)."""

from __future__ import annotations

import re

VERSION = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
ARCHES = ("amd64", "arm64", "armv5", "armv6", "armv7", "386", "ppc64le", "s390x", "riscv64", "mips64le")
FLAG = re.compile(r"^--[a-z0-9][a-z0-9._-]*(=[^\n\r]*)?$")
BCRYPT_MAX = 72


class ExporterError(ValueError):
    pass


def asset_dir(name, version, arch):
    """The top directory inside a release archive: node_exporter-1.8.2.linux-amd64."""
    return "%s-%s.linux-%s" % (name, version, arch)


def asset_name(name, version, arch):
    """The release archive of Prometheus' exporters: node_exporter-1.8.2.linux-amd64.tar.gz."""
    return asset_dir(name, version, arch) + ".tar.gz"


def asset_url(template, name, version, arch):
    """template with {name}, {version}, {arch} and {asset} filled in."""
    try:
        return template.format(name=name, version=version, arch=arch, asset=asset_name(name, version, arch))
    except (KeyError, IndexError, ValueError) as exc:
        raise ExporterError("the URL template %r may use only {name}, {version}, {arch} and {asset}: %s" % (template, exc))


def arch_of(goarch, goarm=None):
    """Prometheus' archive suffix for a Go target (arm with GOARM 7 is armv7)."""
    if goarch == "arm":
        return "armv%s" % (goarm or "7")
    return goarch


def parse_sha256sums(text):
    """{file name: sha256} from the lines of a sha256sums.txt."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and SHA256.match(parts[0].lower()):
            out[parts[1].lstrip("*")] = parts[0].lower()
    return out


def target_arch(target):
    """The archive suffix for the goarch filter's result ({goarch, goarm}) or an archive suffix as is."""
    if isinstance(target, dict):
        if "goarch" not in target:
            raise ExporterError("expected the goarch filter's result, got %r" % (target,))
        return arch_of(target["goarch"], target.get("goarm"))
    return str(target)


def checksum_for(checksums, name, version, arch):
    """The sha256 for arch, from a mapping keyed by architecture or by archive name, or from the
    text of a sha256sums.txt."""
    if isinstance(checksums, str):
        checksums = parse_sha256sums(checksums)
    asset = asset_name(name, version, arch)
    value = checksums.get(arch) or checksums.get(asset)
    if not value:
        raise ExporterError("no sha256 for %s (architecture %s): add it to the checksums, keyed by %r or %r, or "
                            "fetch the release's sha256sums.txt with prometheus_exporter_checksums_url"
                            % (asset, arch, arch, asset))
    value = str(value).lower().replace("sha256:", "")
    if not SHA256.match(value):
        raise ExporterError("the sha256 for %s is not 64 hex digits: %r" % (asset, value))
    return value


def problems(name, version, install, flags, checksums, arches, users, tls):
    """Every problem of the settings, each naming its variable, before any host changes."""
    out = []
    prefix = "prometheus_exporter_"
    if not re.match(r"^[a-z][a-z0-9_]*$", name or ""):
        out.append("%sname must be a lower-case binary name such as node_exporter, got %r." % (prefix, name))
    if install not in ("package", "tarball"):
        out.append("%sinstall must be package or tarball, got %r." % (prefix, install))
    if install == "tarball" and not VERSION.match(str(version or "")):
        out.append("%sversion must be an exact version such as 1.8.2, got %r." % (prefix, version))
    if install == "package" and version and not re.match(r"^[0-9][0-9A-Za-z.+~:-]*$", str(version)):
        out.append("%sversion must be a package version or its start, such as 1.5 or 1.5.0-1, got %r." % (prefix, version))
    if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        out.append("%sflags must be a list of strings such as --collector.systemd, got %r." % (prefix, flags))
    else:
        for flag in flags:
            if not FLAG.match(flag):
                out.append("%sflags: %r is not a flag (--name or --name=value)." % (prefix, flag))
    if install == "tarball" and VERSION.match(str(version or "")):
        for arch in sorted({target_arch(a) for a in arches}):
            if arch not in ARCHES:
                out.append("no %s release is made for architecture %r; known: %s." % (name, arch, ", ".join(ARCHES)))
                continue
            try:
                checksum_for(checksums or {}, name, version, arch)
            except ExporterError as exc:
                out.append("%schecksums: %s." % (prefix, exc))
    if not isinstance(users, dict):
        out.append("%sbasic_auth_users must map user names to passwords, got %r." % (prefix, type(users).__name__))
    else:
        for user, password in users.items():
            if not user or ":" in str(user):
                out.append("%sbasic_auth_users: %r is not a user name." % (prefix, user))
            if password is None or str(password) == "":
                out.append("%sbasic_auth_users: %s has no password; give one (from a vault) or remove the user." % (prefix, user))
            elif len(str(password).encode("utf-8")) > BCRYPT_MAX:
                out.append("%sbasic_auth_users: the password of %s is longer than bcrypt's %d bytes." % (prefix, user, BCRYPT_MAX))
        if users:
            try:
                import bcrypt  # noqa: F401 pylint: disable=import-outside-toplevel,unused-import
            except ImportError:
                out.append("%sbasic_auth_users needs the Python package bcrypt on the controller (pip install bcrypt)." % prefix)
    if bool(tls.get("cert_file")) != bool(tls.get("key_file")):
        out.append("%stls_cert_file and %stls_key_file go together: set both or neither." % (prefix, prefix))
    return out


def hash_users(users, existing, rounds=12):
    """{user: bcrypt hash}: the hash already in use when it still matches the password, so a rerun
    changes nothing; a new hash for a new user or a changed password."""
    import bcrypt  # pylint: disable=import-outside-toplevel
    out = {}
    for user in sorted(users):
        password = str(users[user]).encode("utf-8")
        old = (existing or {}).get(user)
        if isinstance(old, str) and old.startswith("$2"):
            try:
                if bcrypt.checkpw(password, old.encode("ascii")):
                    out[user] = old
                    continue
            except ValueError:
                pass
        out[user] = bcrypt.hashpw(password, bcrypt.gensalt(rounds)).decode("ascii")
    return out


def web_config(tls, hashed_users):
    """The exporter-toolkit web configuration (web.yml) as a mapping; empty when neither is set."""
    out = {}
    if tls.get("cert_file"):
        out["tls_server_config"] = {"cert_file": tls["cert_file"], "key_file": tls["key_file"]}
        if tls.get("client_ca_file"):
            out["tls_server_config"]["client_ca_file"] = tls["client_ca_file"]
            out["tls_server_config"]["client_auth_type"] = "RequireAndVerifyClientCert"
        out["tls_server_config"]["min_version"] = "TLS12"
    if hashed_users:
        out["basic_auth_users"] = dict(sorted(hashed_users.items()))
    return out


def systemd_quote(args):
    """An argv as one systemd ExecStart= value: each word quoted, % and $ kept literal."""
    return " ".join('"%s"' % a.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$") for a in args)
