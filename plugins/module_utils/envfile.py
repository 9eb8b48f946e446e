# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Render files in systemd's EnvironmentFile= syntax. Shared by the to_env filter and the roles
that write env files."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

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
    if value is None:
        kind = "null"
    elif isinstance(value, Mapping):
        kind = "dict"
    elif isinstance(value, (Sequence, Set)):
        kind = "list"
    else:
        kind = type(value).__name__
    raise EnvFileError("environment variable %s: value of type %s cannot be written to an environment "
                       "file; use a string, number or boolean (to_json it first for structured data)"
                       % (name, kind))


def check_name(name):
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise EnvFileError("invalid environment variable name %r: use letters, digits and underscores, "
                           "not starting with a digit" % (name,))
    return name


def quote(value):
    """Double-quote a value so that systemd reads back exactly this string."""
    return '"' + "".join(_DQ_ESCAPE.get(ch, ch) for ch in value) + '"'


SECRET_HEADER = "# secret names: "


def secret_names_of(text):
    """Names the file's header marks as secret (written by render(..., secret_names=...))."""
    for line in text.splitlines()[:1]:
        if line.startswith(SECRET_HEADER):
            return {name for name in line[len(SECRET_HEADER):].split(",") if name}
    return set()


def render(env, secret_names=()):
    """Render a mapping to file content; keys sorted so the output is stable. With secret_names, a
    first comment line lists those names (never values), so a later diff can keep masking them."""
    if not isinstance(env, dict):
        raise EnvFileError("expected a mapping of variable names to values, got %s" % type(env).__name__)
    lines = [SECRET_HEADER + ",".join(sorted(secret_names))] if secret_names else []
    for name in sorted(env):
        check_name(name)
        lines.append("%s=%s" % (name, quote(env_value(name, env[name]))))
    return "".join(line + "\n" for line in lines)


def render_service_env(env, secret_env):
    """The environment file of a service: env and secret_env merged (a name in both is an error),
    secret names listed in the header. Used where the file is written and where it is compared."""
    env, secret_env = dict(env or {}), dict(secret_env or {})
    both = sorted(set(env) & set(secret_env))
    if both:
        raise EnvFileError("%s set in both env and secret_env; keep each name in one of them" % ", ".join(both))
    merged = dict(env)
    merged.update(secret_env)
    return render(merged, secret_names=secret_env.keys())


_WHITESPACE = " \t\n\r"
_NEWLINE = "\n\r"
_COMMENTS = "#;"
_SHELL_NEED_ESCAPE = '"\\`$'


def parse(text):
    """Read EnvironmentFile= content the way systemd does (a state machine after its env-file
    parser): comments start with # or ;, unquoted values lose trailing white space, quoted parts
    and bare words concatenate, a backslash escapes the next character (a newline after it joins
    lines), and names that are not valid variable names are skipped, as systemd skips them.
    Returns a dict in file order; a later assignment of a name wins."""
    env = {}
    state = "pre_key"
    key, value = [], []
    key_ws = value_ws = None  # index where trailing white space began, or None

    def push():
        name = "".join(key[:key_ws] if key_ws is not None else key)
        val = "".join(value[:value_ws] if value_ws is not None else value)
        if NAME_RE.fullmatch(name):
            env[name] = val

    for c in text:
        if state == "pre_key":
            if c in _COMMENTS:
                state = "comment"
            elif c not in _WHITESPACE:
                state, key, key_ws = "key", [c], None
        elif state == "key":
            if c in _NEWLINE:
                state, key = "pre_key", []
            elif c == "=":
                state, value, value_ws = "pre_value", [], None
            else:
                if c not in _WHITESPACE:
                    key_ws = None
                elif key_ws is None:
                    key_ws = len(key)
                key.append(c)
        elif state == "pre_value":
            if c in _NEWLINE:
                push()
                state, key, value = "pre_key", [], []
            elif c == "'":
                state = "single"
            elif c == '"':
                state = "double"
            elif c == "\\":
                state = "value_escape"
            elif c not in _WHITESPACE:
                state = "value"
                value.append(c)
        elif state == "value":
            if c in _NEWLINE:
                push()
                state, key, value = "pre_key", [], []
            elif c == "\\":
                state, value_ws = "value_escape", None
            else:
                if c not in _WHITESPACE:
                    value_ws = None
                elif value_ws is None:
                    value_ws = len(value)
                value.append(c)
        elif state == "value_escape":
            state = "value"
            if c not in _NEWLINE:
                value.append(c)
        elif state == "single":
            if c == "'":
                state = "pre_value"
            else:
                value.append(c)
        elif state == "double":
            if c == '"':
                state = "pre_value"
            elif c == "\\":
                state = "double_escape"
            else:
                value.append(c)
        elif state == "double_escape":
            state = "double"
            if c in _SHELL_NEED_ESCAPE:
                value.append(c)
            elif c != "\n":
                value.extend(("\\", c))
        elif state == "comment":
            if c == "\\":
                state = "comment_escape"
            elif c in _NEWLINE:
                state = "pre_key"
        elif state == "comment_escape":
            state = "comment"
    if state in ("pre_value", "value", "value_escape", "single", "double", "double_escape"):
        push()
    return env


MASK = "********"


def masked_lines(env, shown, changed=()):
    lines = []
    for name in sorted(env):
        if name in shown:
            lines.append("%s=%s" % (name, env[name]))
        else:
            lines.append("%s=%s%s" % (name, MASK, " (changed)" if name in changed else ""))
    return "".join(line + "\n" for line in lines)


def masked_diff(path, old_text, new_text, shown):
    """(before, after) diff text of an environment file at path: values of names in shown are
    printed, every other value masked (and names the old file's header marks secret stay masked);
    old_text None means the file did not exist. Shared by systemd_release and container_release."""
    old_env, new_env = parse(old_text or ""), parse(new_text)
    keys = {k for k in set(old_env) | set(new_env) if old_env.get(k) != new_env.get(k)}
    before = "# %s\n%s" % (path, masked_lines(old_env, set(shown) - secret_names_of(old_text or ""))
                           if old_text is not None else "")
    after = "# %s\n%s" % (path, masked_lines(new_env, set(shown), changed=keys))
    return before, after
