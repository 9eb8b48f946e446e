"""The upload's round trips: the action plugin's one shell command that checks the binary on the host
and makes the upload's directory only when needed (run here by a real sh, with real sha256sum and
mkdir), and the module's removal of the upload once installed."""

from __future__ import annotations

import hashlib
import os
import subprocess

import pytest

from ansible.plugins.loader import shell_loader
from ansible_collections.gopherops.baremetal.plugins.action.systemd_release import ActionModule
from ansible_collections.gopherops.baremetal.plugins.modules.systemd_release import drop_upload


class Connection:
    def __init__(self):
        self._shell = shell_loader.get("sh")
        self._shell.set_options({})
        self.commands = []


def action_for(tmp_path):
    action = ActionModule.__new__(ActionModule)
    action._connection = Connection()

    def run(cmd, sudoable=True, in_data=None):
        action._connection.commands.append((cmd, sudoable))
        proc = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, check=False)
        return {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}

    action._low_level_execute_command = run
    action._is_become_unprivileged = lambda: False
    action.get_shell_option = lambda name, default=None: str(tmp_path / "remote_tmp")
    return action


def args_for(tmp_path, data):
    return {"base_dir": str(tmp_path / "base"), "release_id": "1.0-abcd", "name": "hello",
            "sha256": hashlib.sha256(data).hexdigest()}


def test_a_host_without_the_binary_gets_a_new_directory_in_one_round_trip(tmp_path):
    action = action_for(tmp_path)
    made = action._stage(args_for(tmp_path, b"new binary"))
    assert os.path.isdir(made) and made.startswith(str(tmp_path / "remote_tmp") + "/")
    assert oct(os.stat(made).st_mode & 0o777) == "0o700"
    assert len(action._connection.commands) == 1 and action._connection.commands[0][1] is False


def test_a_host_with_the_binary_gets_nothing(tmp_path):
    action = action_for(tmp_path)
    args = args_for(tmp_path, b"same binary")
    dest = tmp_path / "base" / "releases" / "1.0-abcd" / "hello"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"same binary")
    assert action._stage(args) is None
    assert not (tmp_path / "remote_tmp").exists()
    dest.write_bytes(b"damaged")
    assert os.path.isdir(action._stage(args))


def test_a_name_with_shell_characters_stays_one_word(tmp_path):
    action = action_for(tmp_path)
    args = dict(args_for(tmp_path, b"x"), release_id="1.0 $(touch pwned)")
    assert os.path.isdir(action._stage(args))
    assert not os.path.exists("pwned") and not (tmp_path / "pwned").exists()


def test_the_module_removes_the_upload_and_its_directory(tmp_path):
    made = tmp_path / "ansible-tmp-1"
    made.mkdir()
    (made / "release-upload").write_bytes(b"bin")
    assert drop_upload(str(made / "release-upload")) is True
    assert not made.exists()


def test_a_directory_with_anything_else_in_it_is_left(tmp_path):
    made = tmp_path / "ansible-tmp-2"
    made.mkdir()
    (made / "release-upload").write_bytes(b"bin")
    (made / "other").write_bytes(b"keep")
    assert drop_upload(str(made / "release-upload")) is False
    assert (made / "other").exists()


@pytest.mark.parametrize("missing", ["file", "directory"])
def test_nothing_to_remove_is_not_an_error(tmp_path, missing):
    made = tmp_path / "ansible-tmp-3"
    if missing == "file":
        made.mkdir()
    assert drop_upload(str(made / "release-upload")) is False
