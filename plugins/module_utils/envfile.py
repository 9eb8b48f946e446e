# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Render files in systemd's EnvironmentFile= syntax. Shared by the to_env filter and the roles
that write env files."""

from __future__ import annotations

import re

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Inside double quotes systemd treats these characters after a backslash as escaped.
_DQ_ESCAPE = {'"': '\\"', "\\": "\\\\", "$": "\\$", "`": "\\`"}


class EnvFileError(ValueError):
    """Invalid name or value for an environment file."""


def env_value(name, value):
    """Convert one value to a string by the documented rule: strings as they are, booleans as
    'true'/'false', integers and floats in decimal; None, lists and dicts are rejected."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise EnvFileError("environment variable %s: value contains a NUL byte" % name)
        return value
    raise EnvFileError("environment variable %s: value of type %s cannot be written to an environment "
                       "file; use a string, number or boolean (to_json it first for structured data)"
                       % (name, type(value).__name__))


def check_name(name):
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise EnvFileError("invalid environment variable name %r: use letters, digits and underscores, "
                           "not starting with a digit" % (name,))
    return name


def quote(value):
    """Double-quote a value so that systemd reads back exactly this string."""
    return '"' + "".join(_DQ_ESCAPE.get(ch, ch) for ch in value) + '"'


def render(env):
    """Render a mapping to file content; keys sorted so the output is stable."""
    if not isinstance(env, dict):
        raise EnvFileError("expected a mapping of variable names to values, got %s" % type(env).__name__)
    lines = []
    for name in sorted(env):
        check_name(name)
        lines.append("%s=%s" % (name, quote(env_value(name, env[name]))))
    return "".join(line + "\n" for line in lines)
