"""Benchmark of the go_build module on the example service: a cold build (empty Go build cache,
no artifacts), a warm run (inputs unchanged) and a build after one source file changed, for one
and for three targets. Run from the repository root after `make venv collection`:

    .venv/bin/python bench/go_build.py

Prints seconds per case and how many times the compiler ('go build') ran."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = [{"goos": "linux", "goarch": "amd64"}, {"goos": "linux", "goarch": "arm64"},
           {"goos": "linux", "goarch": "arm", "goarm": "7"}]


def module(args, work, env):
    path = os.path.join(work, "args.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, fh)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.gopherops.baremetal.plugins.modules.go_build", path],
                          env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    result = json.loads(proc.stdout)
    if result.get("failed"):
        raise SystemExit(result["msg"])
    return elapsed, result


def builds(log):
    if not os.path.exists(log):
        return 0
    with open(log, encoding="utf-8") as fh:
        return fh.read().split().count("build")


def case(ntargets):
    work = tempfile.mkdtemp(prefix="gobuild-bench-")
    try:
        src = os.path.join(work, "src")
        shutil.copytree(os.path.join(ROOT, "examples", "hello"), src)
        log = os.path.join(work, "calls.log")
        wrapper = os.path.join(work, "go")
        with open(wrapper, "w", encoding="utf-8") as fh:
            fh.write('#!/bin/sh\necho "$1" >> %s\nexec %s "$@"\n' % (log, shutil.which("go")))
        os.chmod(wrapper, 0o755)
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"),
                   GOCACHE=os.path.join(work, "gocache"), GOTOOLCHAIN="local")
        args = dict(src=src, name="hello", output_dir=os.path.join(work, "dist"), targets=TARGETS[:ntargets],
                    go=wrapper, commit="bench", date="2026-01-01T00:00:00Z")
        rows = []
        for label, touch in (("cold", False), ("warm (unchanged)", False), ("one file changed", True)):
            if touch:
                with open(os.path.join(src, "server.go"), "a", encoding="utf-8") as fh:
                    fh.write("\nvar benchTouched = \"%d\"\n" % time.time_ns())
            before = builds(log)
            elapsed, _res = module(args, work, env)
            rows.append((label, elapsed, builds(log) - before))
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    print("go_build on examples/hello, %d CPU(s), %s" % (os.cpu_count(), subprocess.run(
        ["go", "version"], capture_output=True, text=True, check=False).stdout.strip()))
    print("%-8s %-18s %9s %15s" % ("targets", "case", "seconds", "compiler runs"))
    for ntargets in (1, 3):
        rows = case(ntargets)
        for label, elapsed, runs in rows:
            print("%-8d %-18s %9.2f %15d" % (ntargets, label, elapsed, runs))
        print("%-8d %-18s %8.1f%%" % (ntargets, "warm / cold", 100 * rows[1][1] / rows[0][1]))
    print()


if __name__ == "__main__":
    main()
