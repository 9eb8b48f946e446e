# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A minimal container image for one Go binary, written as an archive that C(docker load) reads,
with no Docker engine and no Dockerfile: one layer holding the binary (and, when asked, CA
certificates, time zone data, /etc/passwd and /etc/group for the numeric user, an empty /tmp), and
an image config. Every byte is fixed by the inputs (sorted entries, zero times, root owners), so the
same binary gives the same image id on every build and every controller; the id is the sha256 of
the config, as Docker computes it."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json
import os
import re
import tarfile

EPOCH = "1970-01-01T00:00:00Z"
NAME_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
USER_RE = re.compile(r"^([0-9]+)(?::([0-9]+))?$")
PLATFORMS = {
    # GOARCH -> (architecture, variant) in the image config
    "amd64": ("amd64", None), "arm64": ("arm64", "v8"), "arm": ("arm", "v7"), "386": ("386", None),
    "ppc64le": ("ppc64le", None), "s390x": ("s390x", None), "riscv64": ("riscv64", None),
}
NANOS = 1000000000


class ImageError(ValueError):
    """Inputs that cannot make an image; the message names the option."""


def check_name(name):
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ImageError("image name %r: use lowercase letters, digits and . _ - (a Docker repository name)" % (name,))
    return name


def check_tag(tag):
    if not isinstance(tag, str) or not TAG_RE.match(tag):
        raise ImageError("image tag %r: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"
                         % (tag,))
    return tag


def parse_user(user):
    """'65532' or '65532:65532' -> (uid, gid). Names are refused: a FROM scratch image has no
    user database to resolve them when the container starts."""
    match = USER_RE.match(str(user))
    if not match:
        raise ImageError("user %r: give a numeric uid or uid:gid (e.g. 65532:65532); a name cannot be resolved "
                         "in a FROM scratch image" % (user,))
    uid = int(match.group(1))
    gid = int(match.group(2)) if match.group(2) is not None else uid
    if uid == 0:
        raise ImageError("user %r: the service must not run as root (uid 0) in its container" % (user,))
    return uid, gid


def platform(goarch, goarm=None):
    if goarch not in PLATFORMS:
        raise ImageError("no image platform for GOARCH %r (known: %s)" % (goarch, ", ".join(sorted(PLATFORMS))))
    arch, variant = PLATFORMS[goarch]
    if goarch == "arm" and goarm:
        variant = "v%s" % goarm
    return arch, variant


def created_stamp(value):
    """An RFC 3339 time in UTC for the image's creation time, from a date such as go_build's
    'date' stamp (the commit date); empty gives 1970-01-01."""
    if not value:
        return EPOCH
    text = str(value).strip().replace("Z", "+00:00")
    try:
        stamp = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ImageError("created %r is not an ISO 8601 date and time such as 2026-11-23T22:08:56+00:00" % (value,))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return stamp.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration_ns(name, seconds):
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise ImageError("%s must be a number of seconds, got %r" % (name, seconds))
    if value < 0:
        raise ImageError("%s must not be negative, got %r" % (name, seconds))
    return int(round(value * NANOS))


class _Layer(object):
    """A tar stream with fixed metadata; entries are added in sorted order by build_layer."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.USTAR_FORMAT)
        self.dirs = set()

    def _info(self, path, kind, mode, size=0, uid=0, gid=0):
        info = tarfile.TarInfo(path)
        info.type = kind
        info.mode = mode
        info.size = size
        info.mtime = 0
        info.uid, info.gid = uid, gid
        info.uname = info.gname = ""
        return info

    def parents(self, path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.dirs:
                self.dirs.add(d)
                self.tar.addfile(self._info(d + "/", tarfile.DIRTYPE, 0o755))

    def add_dir(self, path, mode):
        self.parents(path)
        self.dirs.add(path)
        self.tar.addfile(self._info(path + "/", tarfile.DIRTYPE, mode))

    def add_file(self, path, data, mode):
        self.parents(path)
        self.tar.addfile(self._info(path, tarfile.REGTYPE, mode, len(data)), io.BytesIO(data))

    def add_symlink(self, path, target):
        self.parents(path)
        info = self._info(path, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self.tar.addfile(info)

    def close(self):
        self.tar.close()
        return self.buf.getvalue()


def _tree(root):
    """(relative path, absolute path) of every file and symlink under root, sorted."""
    found = []
    for here, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files + [d for d in dirs if os.path.islink(os.path.join(here, d))]):
            full = os.path.join(here, name)
            found.append((os.path.relpath(full, root), full))
    return sorted(found)


def build_layer(binary_path, entrypoint, uid, gid, account="app", ca_certificates=None, zoneinfo=None):
    """The layer tar (bytes). entrypoint is the binary's absolute path inside the image."""
    with open(binary_path, "rb") as fh:
        binary = fh.read()
    files = {}
    files[entrypoint.lstrip("/")] = (binary, 0o755)
    files["etc/passwd"] = (("root:x:0:0:root:/:/sbin/nologin\n%s:x:%d:%d::/nonexistent:/sbin/nologin\n"
                            % (account, uid, gid)).encode(), 0o644)
    files["etc/group"] = (("root:x:0:\n%s:x:%d:\n" % (account, gid)).encode(), 0o644)
    if ca_certificates:
        with open(ca_certificates, "rb") as fh:
            files["etc/ssl/certs/ca-certificates.crt"] = (fh.read(), 0o644)
    links = {}
    if zoneinfo:
        for rel, full in _tree(zoneinfo):
            path = "usr/share/zoneinfo/" + rel
            if os.path.islink(full):
                links[path] = os.readlink(full)
            else:
                with open(full, "rb") as fh:
                    files[path] = (fh.read(), 0o644)
    layer = _Layer()
    layer.add_dir("tmp", 0o1777)
    for path in sorted(set(files) | set(links)):
        if path in links:
            layer.add_symlink(path, links[path])
        else:
            data, mode = files[path]
            layer.add_file(path, data, mode)
    return layer.close()


def image_config(diff_id, goarch, goarm=None, entrypoint="/app", args=None, user="65532:65532", env=None,
                 ports=(), labels=None, healthcheck=None, health_interval=10, health_timeout=3,
                 health_start_period=0, health_retries=3, created=EPOCH):
    """The image config as a dict (see config_bytes for the bytes whose sha256 is the image id).
    created must be fixed by the inputs too (the commit date, not the build time)."""
    arch, variant = platform(goarch, goarm)
    uid, gid = parse_user(user)
    cfg = {
        "User": "%d:%d" % (uid, gid),
        "Entrypoint": [entrypoint],
        "WorkingDir": "/",
        "Env": ["PATH=/"] + ["%s=%s" % (k, v) for k, v in sorted((env or {}).items())],
        "Labels": dict(labels or {}),
    }
    if args:
        cfg["Cmd"] = [str(a) for a in args]
    if ports:
        cfg["ExposedPorts"] = {"%s/tcp" % int(p) if "/" not in str(p) else str(p): {} for p in ports}
    if healthcheck:
        cfg["Healthcheck"] = {
            "Test": ["CMD"] + [str(a) for a in healthcheck],
            "Interval": duration_ns("health_interval", health_interval),
            "Timeout": duration_ns("health_timeout", health_timeout),
            "StartPeriod": duration_ns("health_start_period", health_start_period),
            "Retries": int(health_retries),
        }
    else:
        cfg["Healthcheck"] = {"Test": ["NONE"]}
    doc = {
        "architecture": arch,
        "os": "linux",
        "created": created,
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created, "created_by": "gopherops.baremetal.go_image", "comment": "one layer"}],
    }
    if variant:
        doc["variant"] = variant
    return doc


def config_bytes(config):
    return json.dumps(config, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def archive(layer, config, repo_tag):
    """The docker-archive tar (uncompressed) holding one image: manifest.json, the config, the layer."""
    cfg = config_bytes(config)
    cfg_hex = sha256_hex(cfg)
    layer_hex = sha256_hex(layer)
    manifest = json.dumps([{"Config": "%s.json" % cfg_hex, "RepoTags": [repo_tag],
                            "Layers": ["%s/layer.tar" % layer_hex]}], separators=(",", ":")).encode()
    out = _Layer()
    out.add_file("%s.json" % cfg_hex, cfg, 0o644)
    out.add_file("%s/layer.tar" % layer_hex, layer, 0o644)
    out.add_file("%s/VERSION" % layer_hex, b"1.0", 0o644)
    out.add_file("manifest.json", manifest, 0o644)
    return out.close()


def write_gzip(path, data, level=6):
    """Write data gzip-compressed with no name and no time in the header, atomically."""
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        with open(tmp, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=level) as gz:
                gz.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_image_archive(path, with_layers=False):
    """What the one image of a C(docker save) archive (tar, or tar.gz) holds, without a Docker engine:
    dict(config=<bytes>, image_id, repo_tags, layers=[member names], and with with_layers the layer
    bytes as they are in the archive). An archive with more or fewer than one image is refused."""
    if not os.path.isfile(path):
        raise ImageError("%s does not exist on the controller (or is not a file)" % path)
    try:
        with tarfile.open(path, "r:*") as tar:
            try:
                entries = json.loads(tar.extractfile("manifest.json").read())
            except KeyError:
                raise ImageError("%s has no manifest.json: it is not an archive that docker save writes" % path)
            if not isinstance(entries, list) or len(entries) != 1:
                raise ImageError("%s holds %d images; save one image into it (docker save IMAGE)"
                                 % (path, len(entries) if isinstance(entries, list) else 0))
            entry = entries[0]
            config = tar.extractfile(entry["Config"]).read()
            out = {"config": config, "image_id": "sha256:" + sha256_hex(config),
                   "repo_tags": list(entry.get("RepoTags") or []), "layers": list(entry.get("Layers") or [])}
            if with_layers:
                out["layer_data"] = [tar.extractfile(name).read() for name in out["layers"]]
    except ImageError:
        raise
    except (tarfile.TarError, EOFError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ImageError("%s cannot be read as a docker save archive: %s" % (path, exc))
    try:
        parsed = json.loads(out["config"])
    except ValueError:
        raise ImageError("%s: the image config is not JSON" % path)
    rootfs = parsed.get("rootfs") if isinstance(parsed, dict) else None
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list):
        raise ImageError("%s: the image config has no rootfs.diff_ids; it is not an image config" % path)
    if len(diff_ids) != len(out["layers"]):
        raise ImageError("%s: the image config names %d layers, the archive has %d" % (path, len(diff_ids), len(out["layers"])))
    out["parsed"] = parsed
    return out


def check_platform(parsed, goarch, goarm=None, what="the image"):
    """Refuse an image config made for another platform than the host's GOARCH (and ARM variant)."""
    arch, variant = platform(goarch, goarm)
    got_arch, got_variant = parsed.get("architecture"), parsed.get("variant")
    if got_arch != arch or (goarch == "arm" and got_variant and got_variant != variant):
        raise ImageError("%s is for %s%s, the host needs %s%s" % (
            what, got_arch, "/" + got_variant if got_variant else "", arch, "/" + variant if variant else ""))
