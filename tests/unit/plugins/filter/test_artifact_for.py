from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.artifact_for import FilterModule, artifact_for

ARTIFACTS = {
    "linux_amd64": {"path": "/b/hello-amd64", "sha256": "a" * 64},
    "linux_arm_7": {"path": "/b/hello-arm7", "sha256": "b" * 64},
}


def test_the_architecture_picks_its_target():
    assert artifact_for(ARTIFACTS, "x86_64") == ARTIFACTS["linux_amd64"]
    assert artifact_for(ARTIFACTS, "armv7l") == ARTIFACTS["linux_arm_7"]


def test_an_explicit_target_wins_over_the_architecture():
    assert artifact_for(ARTIFACTS, "x86_64", target="linux_arm_7") == ARTIFACTS["linux_arm_7"]


def test_a_missing_target_names_the_target_the_host_and_what_there_is():
    with pytest.raises(AnsibleFilterError) as err:
        artifact_for(ARTIFACTS, "aarch64", host="app3")
    assert str(err.value) == ("No artifact for linux_arm64 (app3 is aarch64) in go_service_artifacts "
                              "(has: linux_amd64, linux_arm_7). Build for this target with the go_build role first.")


def test_no_artifacts_at_all_says_none():
    with pytest.raises(AnsibleFilterError, match=r"\(has: none\)"):
        artifact_for({}, "x86_64", variable="go_build_artifacts")


def test_artifacts_that_are_not_a_mapping_are_refused():
    with pytest.raises(AnsibleFilterError, match="must be a dictionary"):
        artifact_for(["linux_amd64"], "x86_64")


def test_the_filter_is_registered():
    assert FilterModule().filters()["artifact_for"] is artifact_for
