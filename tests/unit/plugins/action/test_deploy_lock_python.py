"""Which Python deploy_lock runs its host program with: the host's own, also when the task is
delegated to another host."""

from __future__ import annotations

from ansible_collections.gopherops.baremetal.plugins.action.deploy_lock import host_python


def test_the_hosts_interpreter():
    assert host_python({"ansible_python_interpreter": "/usr/bin/python3.11"}) == "/usr/bin/python3.11"


def test_unset_or_discovery_means_python3():
    assert host_python({}) == "python3"
    assert host_python({"ansible_python_interpreter": "auto_silent"}) == "python3"
    assert host_python({"ansible_python_interpreter": ""}) == "python3"


def test_a_delegated_task_uses_the_delegated_hosts_interpreter_not_its_own():
    task_vars = {"ansible_python_interpreter": "/usr/bin/python3",
                 "ansible_delegated_vars": {"app2": {"ansible_python_interpreter": "/usr/libexec/platform-python"}}}
    assert host_python(task_vars, "app2") == "/usr/libexec/platform-python"
    assert host_python(task_vars) == "/usr/bin/python3"


def test_a_delegated_host_without_one_gets_python3():
    task_vars = {"ansible_python_interpreter": "/usr/bin/python3", "ansible_delegated_vars": {"app2": {}}}
    assert host_python(task_vars, "app2") == "python3"


def test_the_value_is_templated():
    assert host_python({"ansible_python_interpreter": "{{ py }}"}, template=lambda v: "/opt/py/bin/python3") \
        == "/opt/py/bin/python3"
