from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.to_env import FilterModule, to_env


def test_sorted_and_quoted():
    assert to_env({"B": "two words", "A": "x"}) == 'A="x"\nB="two words"\n'


def test_empty_mapping_gives_empty_file():
    assert to_env({}) == ""


@pytest.mark.parametrize("value, written", [
    ('say "hi"', r'"say \"hi\""'),
    ("back\\slash", r'"back\\slash"'),
    ("$HOME and ${X}", r'"\$HOME and \${X}"'),
    ("`cmd`", r'"\`cmd\`"'),
    ("# not a comment", '"# not a comment"'),
    ("line1\nline2", '"line1\nline2"'),
    ("  padded  ", '"  padded  "'),
    ("single ' quote", "\"single ' quote\""),
    ("", '""'),
])
def test_special_characters_are_escaped(value, written):
    assert to_env({"V": value}) == "V=%s\n" % written


@pytest.mark.parametrize("value, written", [
    (True, "true"), (False, "false"), (8080, "8080"), (0.5, "0.5"),
])
def test_scalars_are_converted(value, written):
    assert to_env({"V": value}) == 'V="%s"\n' % written


@pytest.mark.parametrize("value", [None, ["a"], {"k": "v"}])
def test_structured_values_are_rejected_with_the_name(value):
    with pytest.raises(AnsibleFilterError, match="environment variable MY_VAR"):
        to_env({"MY_VAR": value})


@pytest.mark.parametrize("name", ["1ABC", "A-B", "A B", "", "Ä"])
def test_invalid_names_are_rejected(name):
    with pytest.raises(AnsibleFilterError, match="invalid environment variable name"):
        to_env({name: "x"})


def test_nul_is_rejected():
    with pytest.raises(AnsibleFilterError, match="NUL"):
        to_env({"V": "a\x00b"})


def test_not_a_mapping():
    with pytest.raises(AnsibleFilterError, match="expected a mapping"):
        to_env(None)


def test_registered():
    assert FilterModule().filters()["to_env"] is to_env
