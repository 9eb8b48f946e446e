"""The example inventories: secrets only in the encrypted vault.yml, named vault_<app>_<name>, each
referenced from vars.yml; both parse, decrypt with their vault id and give the deploy playbook what it
needs. Nothing here contacts a host."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENVS = {"production": "prod", "staging": "staging"}
EXAMPLE_PASSWORD = "gopherops-example-only"   # documented in inventories/README.md


def ansible(cmd, password_file, vault_id):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    res = subprocess.run([*cmd, "--vault-id", "%s@%s" % (vault_id, password_file)], cwd=ROOT, env=env,
                         text=True, capture_output=True, timeout=120, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res.stdout


@pytest.fixture(name="password_file")
def fixture_password_file(tmp_path):
    path = tmp_path / "vault-pass"
    path.write_text(EXAMPLE_PASSWORD, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("env", sorted(ENVS))
def test_vault_holds_the_secrets_and_vars_only_refer_to_them(env, password_file):
    gv = os.path.join(ROOT, "inventories", env, "group_vars", "all")
    with open(os.path.join(gv, "vault.yml"), encoding="utf-8") as fh:
        assert fh.readline().strip() == "$ANSIBLE_VAULT;1.2;AES256;" + ENVS[env]
    secrets = yaml.safe_load(ansible(["ansible-vault", "view", os.path.join(gv, "vault.yml")], password_file, ENVS[env]))
    assert secrets and all(re.match(r"^vault_[a-z0-9]+_[a-z0-9_]+$", k) for k in secrets), secrets
    with open(os.path.join(gv, "vars.yml"), encoding="utf-8") as fh:
        text = fh.read()
    for name, value in secrets.items():
        assert "{{ %s }}" % name in text, "%s is not used in vars.yml" % name
        assert str(value) not in text
    settings = yaml.safe_load(text)
    for key, value in settings["go_service_secret_env"].items():
        assert re.fullmatch(r"\{\{ vault_\w+ \}\}", value), "%s: a secret belongs in vault.yml" % key


@pytest.mark.parametrize("env", sorted(ENVS))
def test_the_inventory_resolves_its_secrets_and_the_playbooks_parse(env, password_file):
    inv = os.path.join("inventories", env)
    host = "app-1.%s.example.com" % ENVS[env]
    gv = os.path.join(ROOT, inv, "group_vars", "all")
    secrets = yaml.safe_load(ansible(["ansible-vault", "view", os.path.join(gv, "vault.yml")], password_file, ENVS[env]))
    # debug runs on the controller: no connection to the placeholder host is made
    out = ansible(["ansible", "-i", inv, host, "-m", "ansible.builtin.debug", "-a", "var=go_service_secret_env.API_TOKEN",
                   "-e", "app_version=1.0.0"], password_file, ENVS[env])
    assert secrets["vault_hello_api_token"] in out, out
    out = ansible(["ansible-inventory", "-i", inv, "--graph"], password_file, ENVS[env])
    assert "@app:" in out and "@lb:" in out and host in out, out
    assert "@monitoring:" in out, out
    for playbook in ("deploy.yml", "rollback.yml", "monitoring.yml"):
        ansible(["ansible-playbook", "-i", inv, os.path.join("playbooks", playbook), "--syntax-check"], password_file, ENVS[env])
