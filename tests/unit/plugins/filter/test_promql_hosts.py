from __future__ import annotations

import re

from ansible_collections.gopherops.baremetal.plugins.filter.promql_hosts import promql_hosts


def unquote(text):
    """What PromQL makes of the text inside double quotes (its escapes \\\\ and \\")."""
    return re.sub(r'\\(.)', r'\1', text)


def test_dotted_and_dashed_names_match_only_themselves():
    got = promql_hosts(["app-1.staging.example.com", "app2"])
    assert "\\." not in got.replace("\\\\.", "")   # every escape is doubled for the string syntax
    regex = re.compile("^(?:%s)$" % unquote(got))
    assert regex.match("app-1.staging.example.com") and regex.match("app2")
    assert not regex.match("app-1Xstaging.example.com") and not regex.match("app")


def test_plain_names_are_unchanged_and_empty_is_empty():
    assert promql_hosts(["app1", "app2"]) == "app1|app2"
    assert promql_hosts([]) == ""
