# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Building Go binaries: the pure pieces (targets, flags, input digest) apart from the code that
runs the toolchain, so that the first are unit-tested and the second stays small."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess

# Files the Go tool ignores: names starting with "." or "_", and testdata directories.
_SKIP_DIRS = {"testdata", "node_modules"}
_ENV_AFFECTING_BUILD = (
    "GOFLAGS", "GOEXPERIMENT", "GOAMD64", "GOARM", "GOARM64", "GO386", "GOMIPS", "GOMIPS64", "GOPPC64",
    "GORISCV64", "GOWASM", "CGO_ENABLED", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS",
    "CC", "CXX", "GOPROXY", "GOPRIVATE", "GONOSUMDB", "GONOPROXY", "GOSUMDB", "GOINSECURE", "GOWORK",
    "GOTOOLCHAIN", "GOROOT", "GOFIPS140", "CGO_FFLAGS", "AR", "PKG_CONFIG",
)
TARGET_KEYS = ("goos", "goarch", "goarm", "goamd64")
GOARM_VALUES = ("5", "6", "7")
GOAMD64_VALUES = ("v1", "v2", "v3", "v4")
OUTPUT_LIMIT = 4000


class GoBuildError(Exception):
    """A build problem to report as the module's failure message."""


def find_module_root(src):
    """Walk up from src to the directory holding go.mod; return (root, package path relative to it)."""
    src = os.path.abspath(src)
    if not os.path.isdir(src):
        raise GoBuildError("src %s is not a directory" % src)
    here = src
    while True:
        if os.path.isfile(os.path.join(here, "go.mod")):
            rel = os.path.relpath(src, here)
            return here, "." if rel == "." else "./" + rel.replace(os.sep, "/")
        parent = os.path.dirname(here)
        if parent == here:
            raise GoBuildError("no go.mod in %s or any parent directory: src must be inside a Go module "
                               "(run 'go mod init' there)" % src)
        here = parent


def normalize_target(raw, index=0):
    """Check one target dict and return it with string values and a name like linux_arm_7."""
    if not isinstance(raw, dict):
        raise GoBuildError("targets[%d] must be a dict with goos and goarch, got %r" % (index, raw))
    unknown = set(raw) - set(TARGET_KEYS) - {"name"}
    if unknown:
        raise GoBuildError("targets[%d]: unknown key(s) %s; allowed: %s"
                           % (index, ", ".join(sorted(unknown)), ", ".join(TARGET_KEYS)))
    target = {k: str(raw[k]) for k in TARGET_KEYS if raw.get(k) not in (None, "")}
    for key in ("goos", "goarch"):
        if not re.match(r"^[a-z0-9]+$", target.get(key, "")):
            raise GoBuildError("targets[%d]: %s is missing or not a Go name: %r" % (index, key, raw.get(key)))
    if "goarm" in target and (target["goarch"] != "arm" or target["goarm"] not in GOARM_VALUES):
        raise GoBuildError("targets[%d]: goarm=%s needs goarch=arm and one of %s"
                           % (index, target["goarm"], ", ".join(GOARM_VALUES)))
    if "goamd64" in target and (target["goarch"] != "amd64" or target["goamd64"] not in GOAMD64_VALUES):
        raise GoBuildError("targets[%d]: goamd64=%s needs goarch=amd64 and one of %s"
                           % (index, target["goamd64"], ", ".join(GOAMD64_VALUES)))
    target["name"] = target_name(target)
    return target


def target_name(target):
    """<goos>_<goarch>[_<goarm>][_<goamd64>]: the name of a target's artifact and its key in results."""
    return "_".join(target[key] for key in TARGET_KEYS if target.get(key))


def normalize_targets(raw_targets):
    targets, seen = [], set()
    for index, raw in enumerate(raw_targets or []):
        target = normalize_target(raw, index)
        if target["name"] not in seen:
            seen.add(target["name"])
            targets.append(target)
    if not targets:
        raise GoBuildError("targets is empty: give at least one {goos, goarch}")
    return targets


def compose_ldflags(stamps, ldflags_vars, extra="", strip=True):
    """-s -w, then -X <var>=<value> for each stamp whose variable path is set, then extra flags."""
    parts = ["-s", "-w"] if strip else []
    for key in ("version", "commit", "date"):
        var = (ldflags_vars or {}).get(key)
        if var:
            value = stamps.get(key, "")
            if re.search(r"\s", value):
                raise GoBuildError("the %s stamp %r contains white space, which -ldflags -X cannot carry" % (key, value))
            parts.append("-X %s=%s" % (var, value))
    if extra:
        parts.append(extra.strip())
    return " ".join(parts)


def build_env(target, cgo, env, base=None):
    """Environment for one target: the caller's, then the user's env, then the target's variables."""
    out = dict(base if base is not None else os.environ)
    out["CGO_ENABLED"] = "1" if cgo else "0"
    out.update({k: str(v) for k, v in (env or {}).items()})
    out["GOOS"], out["GOARCH"] = target["goos"], target["goarch"]
    for key in ("goarm", "goamd64"):
        out.pop(key.upper(), None)
        if key in target:
            out[key.upper()] = target[key]
    return out


def build_command(go, package, output, ldflags, flags=(), tags=(), gcflags="", trimpath=True):
    cmd = [go, "build"]
    if trimpath:
        cmd.append("-trimpath")
    # The stamps come from -ldflags; VCS stamping would fail outside a git checkout and make the
    # output depend on the checkout's state, so it is off unless the flags ask for it.
    if not any(str(f).startswith("-buildvcs") for f in flags or ()):
        cmd.append("-buildvcs=false")
    if tags:
        cmd += ["-tags", ",".join(tags)]
    if gcflags:
        cmd += ["-gcflags", gcflags]
    cmd += ["-ldflags", ldflags]
    cmd += list(flags or [])
    cmd += ["-o", output, package]
    return cmd


def iter_source_files(root, include_vendor, exclude=()):
    """Files that can change what 'go build' produces, relative to the module root, sorted.
    Directories in exclude (absolute paths, such as the output directory) are left out."""
    out = []
    skip = {os.path.abspath(e) for e in exclude}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        keep = []
        for d in dirnames:
            if os.path.join(os.path.abspath(dirpath), d) in skip:
                continue
            if d.startswith((".", "_")) or d in _SKIP_DIRS:
                continue
            if d == "vendor" and rel_dir == "." and not include_vendor:
                continue
            # a nested module is not part of this one
            if os.path.isfile(os.path.join(dirpath, d, "go.mod")):
                continue
            keep.append(d)
        dirnames[:] = sorted(keep)
        for name in filenames:
            if name.startswith((".", "_")) or name.endswith("_test.go"):
                continue
            out.append(os.path.normpath(os.path.join(rel_dir, name)))
    return sorted(out)


def source_digest(root, include_vendor=False, exclude=()):
    """sha256 over the paths and contents of the module's source files."""
    digest = hashlib.sha256()
    for rel in iter_source_files(root, include_vendor, exclude):
        digest.update(rel.encode("utf-8") + b"\0")
        with open(os.path.join(root, rel), "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def input_digest(sources, go_version, target, command, env, user_env=None):
    """What decides whether a build is needed: sources, toolchain, target, the exact command, the
    environment variables that change the output, and every variable the user passed explicitly."""
    relevant = {k: env.get(k, "") for k in _ENV_AFFECTING_BUILD}
    relevant.update({"user:" + k: str(v) for k, v in (user_env or {}).items()})
    blob = json.dumps({"sources": sources, "go": go_version, "target": target,
                       "command": list(command[1:]), "env": relevant}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def trim_output(text, limit=OUTPUT_LIMIT):
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    return "...(%d characters cut)...\n%s" % (len(text) - limit, text[-limit:])


def parse_build_info(text):
    """'go version -m' output -> {'go': ..., 'path': ..., 'mod': ..., 'deps': [...], 'settings': {...}}."""
    info = {"go": "", "path": "", "mod": "", "deps": [], "settings": {}}
    lines = (text or "").splitlines()
    if lines and ":" in lines[0]:
        info["go"] = lines[0].split(":", 1)[1].strip()
    for line in lines[1:]:
        fields = line.strip().split("\t")
        if not fields:
            continue
        kind, rest = fields[0], fields[1:]
        if kind == "path" and rest:
            info["path"] = rest[0]
        elif kind == "mod" and rest:
            info["mod"] = " ".join(rest)
        elif kind == "dep" and rest:
            info["deps"].append(" ".join(rest))
        elif kind == "build" and rest:
            key, _sep, value = rest[0].partition("=")
            info["settings"][key] = value
    return info


def checksums_text(artifacts):
    """The <name>_checksums.txt content: '<sha256>  <file name>' per artifact, sorted by name."""
    rows = sorted((os.path.basename(a["path"]), a["sha256"]) for a in artifacts)
    return "".join("%s  %s\n" % (sha, name) for name, sha in rows)


def run(cmd, cwd=None, env=None, timeout=None):
    """Run a command; return (rc, stdout, stderr). A missing program is rc 127."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        return 127, "", str(exc)
    except PermissionError as exc:
        return 126, "", str(exc)
    except subprocess.TimeoutExpired:
        return 124, "", "%s did not finish within %s seconds" % (" ".join(cmd[:2]), timeout)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
