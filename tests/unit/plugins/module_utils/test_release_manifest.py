from __future__ import annotations

import pytest

from ansible_collections.gopherops.baremetal.plugins.module_utils import release as rel


def deployed(*ids, good=(), failed=()):
    m = rel.empty_manifest("app")
    for i, rid in enumerate(ids):
        m = rel.record(m, rid, "%064x" % i, "2026-01-0%dT00:00:00Z" % (i + 1))
        m = rel.activate(m, rid, "2026-01-0%dT00:00:01Z" % (i + 1))
        if rid in good:
            m = rel.mark_good(m, rid)
        if rid in failed:
            m = rel.mark_failed(m, rid)
    return m


def test_activation_tracks_previous():
    m = deployed("r1", "r2")
    assert (m["active"], m["previous"]) == ("r2", "r1")
    assert rel.activate(m, "r2", "later") == m   # already active: nothing changes


def test_record_is_idempotent_and_notices_a_new_binary():
    m = deployed("r1")
    assert rel.record(m, "r1", "%064x" % 0, "later") == m
    changed = rel.record(m, "r1", "f" * 64, "later")
    assert changed["releases"]["r1"]["sha256"] == "f" * 64 and changed["releases"]["r1"]["status"] == "new"


def test_rollback_goes_to_the_last_known_good():
    m = deployed("r1", "r2", good=("r1",))
    assert rel.rollback_target(m) == "r1"


def test_rollback_when_the_active_release_is_the_last_known_good():
    m = deployed("r1", "r2", "r3", good=("r1", "r2", "r3"))
    assert rel.rollback_target(m) == "r2"   # the most recently activated other good release


def test_rollback_never_to_a_failed_or_untested_release():
    m = deployed("r1", "r2", "r3", good=("r1",), failed=("r2",))
    assert rel.rollback_target(m) == "r1"
    with pytest.raises(rel.ReleaseError, match="no release to roll back to"):
        rel.rollback_target(deployed("r1", "r2"))


def test_rollback_to_a_named_release():
    m = deployed("r1", "r2")
    assert rel.rollback_target(m, "r1") == "r1"
    with pytest.raises(rel.ReleaseError, match="release r9 is not on this host; it has: r1, r2"):
        rel.rollback_target(m, "r9")


def test_mark_failed_and_good():
    m = rel.mark_failed(deployed("r1", good=("r1",)), "r1")
    assert m["failed"] == ["r1"] and m["last_known_good"] is None and m["releases"]["r1"]["status"] == "failed"
    m = rel.mark_good(m, "r1")
    assert m["failed"] == [] and m["last_known_good"] == "r1"
    with pytest.raises(rel.ReleaseError):
        rel.mark_good(m, "nope")


def test_prune_keeps_the_newest_and_never_the_protected():
    m = deployed("r1", "r2", "r3", "r4", "r5", good=("r1",))
    # active r5, previous r4, last known good r1 (the oldest)
    assert rel.prune_candidates(m, 3) == ["r2", "r3"]
    assert rel.prune_candidates(m, 1) == ["r2", "r3"]     # protected ones are kept even past keep
    assert rel.prune_candidates(m, 10) == []
    assert set(rel.forget(m, ["r2"])["releases"]) == {"r1", "r3", "r4", "r5"}
    with pytest.raises(rel.ReleaseError):
        rel.prune_candidates(m, 0)


def test_prune_orders_by_the_manifest_not_by_name():
    m = rel.empty_manifest("app")
    for rid, created in (("b", "2026-01-01"), ("a", "2026-01-02"), ("c", "2026-01-03")):
        m = rel.record(m, rid, "0" * 64, created)
    m = rel.activate(m, "c", "t")
    assert rel.prune_candidates(m, 2) == ["b"]


@pytest.mark.parametrize("rid", ["", "../x", "a/b", ".hidden", "x" * 129, None])
def test_bad_release_ids(rid):
    with pytest.raises(rel.ReleaseError):
        rel.check_release_id(rid)


def test_normalize_keeps_what_it_knows():
    m = rel.normalize({"active": "r1", "releases": [], "extra": 1}, "app")
    assert m["active"] == "r1" and m["releases"] == {} and "extra" not in m and m["app"] == "app"


def test_prune_goes_for_failed_releases_first_and_keeps_the_way_back():
    # A and B good, C failed and rolled back to B, then B redeployed: previous is the failed C
    m = deployed("A", "B", "C", good=("A", "B"))
    m = rel.mark_failed(m, "C")
    m = rel.activate(m, "B", "t")
    assert m["previous"] == "C"
    # keep 2: C (failed) goes first; A, the release a rollback would go to, stays
    assert rel.prune_candidates(m, 2) == ["C"]
    assert rel.rollback_target(rel.forget(m, ["C"])) == "A"
