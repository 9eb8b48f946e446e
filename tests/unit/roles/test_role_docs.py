"""docs/roles/*.md are generated from the argument_specs and must not fall behind them."""

from __future__ import annotations

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SPEC = importlib.util.spec_from_file_location("role_docs", os.path.join(ROOT, "scripts", "role_docs.py"))
role_docs = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(role_docs)


def test_every_role_has_current_docs():
    wanted = role_docs.wanted()
    assert {os.path.basename(p)[:-3] for p in wanted} == {
        r for r in os.listdir(os.path.join(ROOT, "roles")) if os.path.exists(os.path.join(ROOT, "roles", r, "meta", "argument_specs.yml"))}
    stale = [os.path.relpath(p, ROOT) for p, text in wanted.items()
             if not os.path.exists(p) or open(p, encoding="utf-8").read() != text]
    assert not stale, "out of date, run: python3 scripts/role_docs.py (%s)" % ", ".join(stale)


def test_markup_becomes_markdown():
    assert role_docs.plain("C(x) and O(go_service_name) in M(gopherops.baremetal.release)") == \
        "`x` and `go_service_name` in `gopherops.baremetal.release`"
    assert role_docs.plain("see P(gopherops.baremetal.health_check#module), I(then) B(now)") == \
        "see `gopherops.baremetal.health_check`, *then* **now**"
