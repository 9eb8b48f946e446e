#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: env_file
short_description: Write an environment file for systemd or Docker, keeping secrets out of every output
version_added: 0.1.0
description:
  - Writes O(env) and O(secret_env) as one file in the syntax of systemd's C(EnvironmentFile=), one
    C(NAME="value") line per variable, sorted, quoted so the service sees exactly the value given
    (see P(gopherops.baremetal.to_env#filter)). A first comment line lists the names (not the values) of
    the secret variables, so that later diffs keep masking them.
  - The file is written to a temporary file that already has its final owner, group and mode, then
    renamed over the old one, so nobody ever reads a half-written file or one with loose permissions.
  - Secret values never appear in the result, in warnings or in the diff. The diff shows values of
    O(env) and masks every other value; a secret whose value changed shows as C(NAME=******** (changed)).
  - Warns when a name in O(env) looks like a secret (contains PASSWORD, PASSWD, TOKEN, SECRET or KEY).
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Secret values are masked.
  platform:
    platforms: posix
options:
  path:
    description: The environment file.
    type: path
    required: true
  env:
    description:
      - Variables that are not secret. Values are strings, numbers or booleans (C(true)/C(false));
        null, lists and dicts are refused.
    type: dict
    default: {}
  secret_env:
    description:
      - Secret variables, for example from Ansible Vault or a C(community.hashi_vault) lookup. Same rules
        as O(env); a name may not be in both.
    type: dict
    default: {}
  owner:
    description: Owner of the file.
    type: str
    default: root
  group:
    description: Group of the file; typically the service's group, so the service may read it.
    type: str
    default: root
  mode:
    description: Mode of the file.
    type: raw
    default: "0640"
  state:
    description: C(absent) removes the file.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Env file of the hello service
  gopherops.baremetal.env_file:
    path: /etc/hello/hello.env
    env:
      LISTEN_ADDR: ":8080"
      LOG_LEVEL: info
    secret_env:
      API_TOKEN: "{{ vault_hello_api_token }}"
      DB_PASSWORD: "{{ lookup('community.hashi_vault.vault_kv2_get', 'hello/db', engine_mount_point='apps').secret.password }}"
    group: hello
    mode: "0640"
  notify: Restart hello
"""

RETURN = r"""
keys:
  description: Names the file sets, sorted.
  returned: state is present
  type: list
  elements: str
changed_keys:
  description: Names added, removed or whose value changed.
  returned: always
  type: list
  elements: str
"""

import grp
import os
import pwd
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible_collections.gopherops.baremetal.plugins.module_utils.envfile import (
    EnvFileError, masked_lines, parse, render, secret_names_of)
from ansible_collections.gopherops.baremetal.plugins.module_utils.fileutil import atomic_write

SECRET_LOOKING = re.compile(r"PASSWORD|PASSWD|TOKEN|SECRET|KEY", re.I)


def read_current(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def resolve_ids(module, owner, group):
    """uid and gid; in check mode an owner or group that an earlier task would create is None."""
    ids = []
    for kind, name, lookup in (("user", owner, lambda n: pwd.getpwnam(n).pw_uid),
                               ("group", group, lambda n: grp.getgrnam(n).gr_gid)):
        try:
            ids.append(int(name) if name.isdigit() else lookup(name))
        except KeyError:
            if not module.check_mode:
                module.fail_json(msg="env_file: no %s %r on this host; create it first or set %s"
                                 % (kind, name, "owner" if kind == "user" else "group"))
            ids.append(None)
    return ids[0], ids[1]


def parse_mode(module, mode):
    text = str(mode)
    if isinstance(mode, int) and not isinstance(mode, bool):
        text = "%o" % mode if mode > 0o777 or mode < 0 else oct(mode)[2:]
    if not re.match(r"^0?[0-7]{3,4}$", text):
        module.fail_json(msg="env_file: mode must be octal like '0640', got %r" % (mode,))
    return int(text, 8)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            env=dict(type="dict", default={}),
            secret_env=dict(type="dict", default={}, no_log=True),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
            mode=dict(type="raw", default="0640"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    current = read_current(path)
    old_text = to_text(current, errors="surrogate_or_strict") if current is not None else ""
    old_env = parse(old_text)
    shown = set(p["env"])
    # a name that was secret before stays masked on the "before" side, even when it moves to env
    shown_before = shown - secret_names_of(old_text)

    if p["state"] == "absent":
        changed_keys = sorted(old_env)
        if current is not None and not module.check_mode:
            os.unlink(path)
        module.exit_json(changed=current is not None, changed_keys=changed_keys, diff=dict(
            before=masked_lines(old_env, set()), after="", before_header=path, after_header=path))

    both = sorted(set(p["env"]) & set(p["secret_env"]))
    if both:
        module.fail_json(msg="env_file: %s set in both env and secret_env; keep each name in one of them"
                         % ", ".join(both))
    looks_secret = sorted(name for name in p["env"] if SECRET_LOOKING.search(name))
    for name in looks_secret:
        module.warn("env_file: %s looks like a secret but is in env, so its value may be shown in diffs and "
                    "logs; move it to secret_env (go_service_secret_env)" % name)
    merged = dict(p["env"])
    merged.update(p["secret_env"])
    try:
        content = render(merged, secret_names=p["secret_env"].keys())
    except EnvFileError as exc:
        module.fail_json(msg="env_file: %s" % exc)
    new_env = parse(content)
    uid, gid = resolve_ids(module, p["owner"], p["group"])
    mode = parse_mode(module, p["mode"])

    changed_keys = sorted(k for k in set(old_env) | set(new_env) if old_env.get(k) != new_env.get(k))
    data = to_bytes(content)
    content_changed = current != data
    attrs_changed = False
    if current is not None and not content_changed:
        st = os.stat(path)
        attrs_changed = (st.st_uid, st.st_gid, st.st_mode & 0o7777) != (uid, gid, mode)
    if (content_changed or attrs_changed) and not module.check_mode:
        if not os.path.isdir(os.path.dirname(path) or "."):
            module.fail_json(msg="env_file: directory of %s does not exist; create it first" % path)
        if content_changed:
            atomic_write(path, data, mode, uid, gid)
        else:
            os.chown(path, uid, gid)
            os.chmod(path, mode)
    result = dict(changed=content_changed or attrs_changed, keys=sorted(new_env), changed_keys=changed_keys)
    if module._diff:
        result["diff"] = dict(
            before=masked_lines(old_env, shown_before) if current is not None else "",
            after=masked_lines(new_env, shown, changed=set(changed_keys)),
            before_header=path, after_header=path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
