"""State of a host after the filebeat role with the fixture package, read from the host itself."""

from __future__ import annotations

import yaml

MARKER = "# managed by gopherops.baremetal.filebeat\n"


def test_the_package_is_installed_at_its_version_and_held(host):
    assert host.package("gopherops-test-fixture").version == "8.15.3"
    assert "gopherops-test-fixture" in host.check_output("apt-mark showhold").split()


def test_filebeat_yml_is_private_and_loads_inputs_d_and_modules_d(host):
    conf = host.file("/etc/filebeat/filebeat.yml")
    assert (conf.user, conf.group, conf.mode) == ("root", "root", 0o640)
    assert host.file("/etc/filebeat").mode == 0o750
    config = yaml.safe_load(conf.content_string)
    assert "filebeat.inputs" not in config
    assert config["filebeat.config.inputs"]["path"] == "${path.config}/inputs.d/*.yml"
    assert config["filebeat.config.modules"]["path"] == "${path.config}/modules.d/*.yml"
    assert config["output.logstash"] == {"hosts": ["logstash.example.com:5044"]}


def test_each_input_and_module_has_its_own_marked_file(host):
    ssh = host.file("/etc/filebeat/inputs.d/ssh-journald.yml")
    assert (ssh.user, ssh.group, ssh.mode) == ("root", "root", 0o640)
    assert ssh.content_string.startswith(MARKER)
    assert yaml.safe_load(ssh.content_string) == [{
        "type": "journald", "id": "ssh-journald", "include_matches": {"match": ["_SYSTEMD_UNIT=ssh.service"]},
        "fields": {"app": "ssh", "env": "molecule"}, "fields_under_root": False}]
    system = host.file("/etc/filebeat/modules.d/system.yml")
    assert system.content_string.startswith(MARKER)
    assert yaml.safe_load(system.content_string) == [{"module": "system", "auth": {"enabled": True}}]
