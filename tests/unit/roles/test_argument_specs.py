"""Each role's meta/argument_specs.yml and defaults/main.yml stay in step: every default is
documented, documented defaults equal the real ones, and the documented type fits the value."""

from __future__ import annotations

import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = sorted(d for d in os.listdir(os.path.join(ROOT, "roles")) if os.path.isdir(os.path.join(ROOT, "roles", d)))
TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool, "list": list, "dict": dict, "path": str, "raw": object}


def load(role, *path):
    with open(os.path.join(ROOT, "roles", role, *path), encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def templated(value):
    """Whether a default is computed from other variables (anywhere inside it)."""
    return "{{" in yaml.safe_dump(value)


def role_cases():
    for role in ROLES:
        defaults = load(role, "defaults", "main.yml")
        specs = load(role, "meta", "argument_specs.yml")["argument_specs"]
        yield role, defaults, specs


@pytest.mark.parametrize("role,defaults,specs", list(role_cases()), ids=ROLES)
def test_every_default_is_documented(role, defaults, specs):
    documented = {name for spec in specs.values() for name in spec.get("options", {})}
    missing = sorted(name for name in defaults if not name.startswith("_") and name not in documented)
    assert not missing, "%s: defaults no entry point of meta/argument_specs.yml documents: %s" % (role, missing)


@pytest.mark.parametrize("role,defaults,specs", list(role_cases()), ids=ROLES)
def test_documented_defaults_and_types_match_the_real_ones(role, defaults, specs):
    problems = []
    for entry, spec in specs.items():
        for name, option in spec.get("options", {}).items():
            if name not in defaults:
                if "default" in option and not option.get("required"):
                    problems.append("%s.%s documents default %r but defaults/main.yml has none"
                                    % (entry, name, option["default"]))
                continue
            value = defaults[name]
            # a required variable may have an empty placeholder, so that the role's own checks name it
            if option.get("required") and value not in ("", [], {}, None):
                problems.append("%s.%s is required but defaults to %r" % (entry, name, value))
            if templated(value):
                continue   # computed from other variables; the description says how
            kind = option.get("type", "str")
            if value is not None and not isinstance(value, TYPES[kind]) or (kind in ("int", "float") and isinstance(value, bool)):
                problems.append("%s.%s is documented as %s but defaults to %r" % (entry, name, kind, value))
            if "default" in option and option["default"] != value:
                problems.append("%s.%s documents default %r, defaults/main.yml has %r" % (entry, name, option["default"], value))
            choices = option.get("choices")
            if choices and value not in choices:
                problems.append("%s.%s defaults to %r, not one of its choices %s" % (entry, name, value, choices))
    assert not problems, "%s:\n  %s" % (role, "\n  ".join(problems))


@pytest.mark.parametrize("role,defaults,specs", list(role_cases()), ids=ROLES)
def test_every_option_has_a_description(role, defaults, specs):
    bare = ["%s.%s" % (entry, name) for entry, spec in specs.items()
            for name, option in spec.get("options", {}).items() if not option.get("description")]
    assert not bare, "%s: options without a description: %s" % (role, bare)
