from __future__ import annotations

import grp
import os
import pwd
import stat

import pytest

from ansible_collections.gopherops.baremetal.plugins.modules import env_file as ef

SECRET = "s3cr3t-Value-never-shown"
ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def test_masked_lines():
    env = {"B": "secret", "A": "shown"}
    assert ef.masked_lines(env, {"A"}) == "A=shown\nB=********\n"
    assert ef.masked_lines(env, {"A"}, changed={"B"}) == "A=shown\nB=******** (changed)\n"


def test_write_then_nothing_to_do(tmp_path, run_module):
    path = tmp_path / "app.env"
    args = dict(path=str(path), env={"LISTEN_ADDR": ":8080", "GREETING": 'say "hi"'},
                secret_env={"API_TOKEN": SECRET}, owner=ME, group=MY_GROUP, mode="0640")
    res, raw = run_module("env_file", diff=True, **args)
    assert res["changed"] and res["keys"] == ["API_TOKEN", "GREETING", "LISTEN_ADDR"]
    assert path.read_text() == ('# secret names: API_TOKEN\nAPI_TOKEN="%s"\nGREETING="say \\"hi\\""\n'
                                'LISTEN_ADDR=":8080"\n' % SECRET)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert SECRET not in raw
    assert res["diff"]["after"] == 'API_TOKEN=******** (changed)\nGREETING=say "hi"\nLISTEN_ADDR=:8080\n'
    assert sorted(os.listdir(str(tmp_path))) == ["app.env", "env_file-args.json"]   # no temporary file left
    mtime = path.stat().st_mtime_ns
    res, raw = run_module("env_file", diff=True, **args)
    assert res["changed"] is False and res["changed_keys"] == [] and path.stat().st_mtime_ns == mtime


def test_a_changed_secret_shows_as_changed_but_masked(tmp_path, run_module):
    path = tmp_path / "app.env"
    base = dict(path=str(path), env={"A": "1"}, owner=ME, group=MY_GROUP)
    run_module("env_file", secret_env={"TOKEN": "old-" + SECRET}, **base)
    res, raw = run_module("env_file", diff=True, secret_env={"TOKEN": "new-" + SECRET}, **base)
    assert res["changed"] and res["changed_keys"] == ["TOKEN"]
    assert res["diff"]["before"] == "A=1\nTOKEN=********\n"
    assert res["diff"]["after"] == "A=1\nTOKEN=******** (changed)\n"
    assert SECRET not in raw and "new-" + SECRET in path.read_text()


def test_check_mode_changes_nothing(tmp_path, run_module):
    path = tmp_path / "app.env"
    res, _raw = run_module("env_file", check_mode=True, path=str(path), env={"A": "1"}, owner=ME, group=MY_GROUP)
    assert res["changed"] and not path.exists()


def test_mode_is_repaired_without_rewriting(tmp_path, run_module):
    path = tmp_path / "app.env"
    args = dict(path=str(path), env={"A": "1"}, owner=ME, group=MY_GROUP, mode="0600")
    run_module("env_file", **args)
    path.chmod(0o644)
    res, _raw = run_module("env_file", **args)
    assert res["changed"] and res["changed_keys"] == [] and stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("args, message", [
    (dict(env={"A": "1"}, secret_env={"A": "2"}), "A set in both env and secret_env"),
    (dict(env={"1A": "x"}), "invalid environment variable name '1A'"),
    (dict(env={"A": ["x"]}), "environment variable A: value of type list"),
    (dict(env={"A": "1"}, owner="no-such-user-here"), "no user 'no-such-user-here'"),
    (dict(env={"A": "1"}, mode="rw-r"), "mode must be octal"),
])
def test_bad_input(tmp_path, run_module, args, message):
    args.setdefault("owner", ME)
    res, _raw = run_module("env_file", path=str(tmp_path / "x.env"), group=MY_GROUP, **args)
    assert res["failed"] and message in res["msg"]
    assert not (tmp_path / "x.env").exists()


def test_secret_looking_names_warn(tmp_path, run_module):
    res, _raw = run_module("env_file", path=str(tmp_path / "x.env"), env={"DB_PASSWORD": "p", "PORT": "1"},
                           owner=ME, group=MY_GROUP)
    assert len(res["warnings"]) == 1 and "DB_PASSWORD looks like a secret" in str(res["warnings"][0])


def test_absent(tmp_path, run_module):
    path = tmp_path / "x.env"
    run_module("env_file", path=str(path), env={"A": "1"}, owner=ME, group=MY_GROUP)
    res, _raw = run_module("env_file", path=str(path), state="absent")
    assert res["changed"] and not path.exists()
    res, _raw = run_module("env_file", path=str(path), state="absent")
    assert res["changed"] is False


def test_a_secret_moved_to_env_stays_masked_on_the_before_side(tmp_path, run_module):
    path = tmp_path / "app.env"
    base = dict(path=str(path), owner=ME, group=MY_GROUP)
    run_module("env_file", env={"A": "1"}, secret_env={"TOKEN": SECRET}, **base)
    res, raw = run_module("env_file", diff=True, env={"A": "1", "TOKEN": "now-public"}, **base)
    assert res["diff"]["before"] == "A=1\nTOKEN=********\n"
    assert res["diff"]["after"] == "A=1\nTOKEN=now-public\n"
    assert SECRET not in raw
