from __future__ import annotations

import itertools

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.filebeat_config import filebeat_config
from ansible_collections.gopherops.baremetal.plugins.filter.filebeat_problems import filebeat_problems
from ansible_collections.gopherops.baremetal.plugins.module_utils.filebeat import (
    DOCKER_LOGS, FilebeatConfigError, build, version_problem)

SECRET = "pa55-w0rd-that-must-not-leak"
API_KEY = "id:api-key-that-must-not-leak"
PASSPHRASE = "key-passphrase-that-must-not-leak"

OUTPUTS = {
    "elasticsearch": {"type": "elasticsearch", "hosts": ["https://es1:9200"], "username": "filebeat",
                      "secrets": {"password": SECRET}},
    "elasticsearch-api-key": {"type": "elasticsearch", "hosts": ["https://es1:9200"], "secrets": {"api_key": API_KEY}},
    "logstash": {"type": "logstash", "hosts": ["ls1:5044", "ls2:5044"], "loadbalance": True},
    "kafka": {"type": "kafka", "hosts": ["k1:9092"], "topic": "logs", "username": "fb", "secrets": {"password": SECRET}},
    "redis": {"type": "redis", "hosts": ["r1:6379"], "key": "filebeat", "secrets": {"password": SECRET}},
    "file": {"type": "file", "path": "/var/tmp/filebeat", "filename": "out"},
}
SERVICES = {
    "systemd": [{"name": "hello", "mode": "systemd", "version": "1.2.0"}],
    "docker": [{"name": "hello", "mode": "docker", "version": "1.2.0"}],
    "both": [{"name": "hello", "version": "1.2.0"}, {"name": "api", "mode": "docker"}],
}
TLS = {"certificate_authorities": ["/etc/pki/ca.pem"], "certificate": "/etc/pki/fb.pem", "key": "/etc/pki/fb.key",
       "verification_mode": "full", "key_passphrase": PASSPHRASE}


def rendered(result):
    """What the role would write: YAML of the config, read back as Filebeat would."""
    text = yaml.safe_dump(result["config"], sort_keys=True)
    return text, yaml.safe_load(text)


@pytest.mark.parametrize("services,output,tls", [c for c in itertools.product(SERVICES, OUTPUTS, [False, True])
                                                 if not (c[1] == "file" and c[2])])
def test_every_input_and_output_combination(services, output, tls):
    out = dict(OUTPUTS[output], tls=TLS) if tls else dict(OUTPUTS[output])
    result = build(services=SERVICES[services], output=out, env="prod",
                   extra_inputs=[{"id": "nginx", "paths": ["/var/log/nginx/*.log"]}])
    text, config = rendered(result)
    # no secret value anywhere in the file; each one is a keystore reference instead
    for secret in (SECRET, API_KEY, PASSPHRASE):
        assert secret not in text
    kind = out["type"]
    section = config["output.%s" % kind]
    assert [k for k in config if k.startswith("output.")] == ["output.%s" % kind]
    prefix = {"elasticsearch": "ES", "kafka": "KAFKA", "redis": "REDIS"}.get(kind)
    if "password" in out.get("secrets", {}):
        assert section["password"] == "${%s_PASSWORD}" % prefix
        assert result["keystore"]["%s_PASSWORD" % prefix] == SECRET
    if "api_key" in out.get("secrets", {}):
        assert section["api_key"] == "${ES_API_KEY}" and result["keystore"]["ES_API_KEY"] == API_KEY
    if tls:
        assert section["ssl"]["certificate_authorities"] == ["/etc/pki/ca.pem"]
        assert section["ssl"]["key"] == "/etc/pki/fb.key" and section["ssl"]["verification_mode"] == "full"
        key = "%s_SSL_KEY_PASSPHRASE" % {"elasticsearch": "ES", "logstash": "LOGSTASH", "kafka": "KAFKA",
                                         "redis": "REDIS", "file": "FILE"}[kind]
        assert section["ssl"]["key_passphrase"] == "${%s}" % key and result["keystore"][key] == PASSPHRASE
        assert result["tls_paths"] == ["/etc/pki/ca.pem", "/etc/pki/fb.key", "/etc/pki/fb.pem"]
    else:
        assert "ssl" not in section and result["tls_paths"] == []
    # one input per service plus the extra one, each tagged with app/env/version
    inputs = {i["id"]: i for i in config["filebeat.inputs"]}
    for svc in SERVICES[services]:
        mode = svc.get("mode", "systemd")
        one = inputs["%s-%s" % (svc["name"], "journald" if mode == "systemd" else "container")]
        assert one["fields"]["app"] == svc["name"] and one["fields"]["env"] == "prod"
        assert one["fields"].get("version") == svc.get("version")
        if mode == "systemd":
            assert one["type"] == "journald"
            assert one["include_matches"] == {"match": ["_SYSTEMD_UNIT=%s.service" % svc["name"]]}
        else:
            assert one["type"] == "filestream" and one["paths"] == [DOCKER_LOGS]
            drop = one["processors"][-1]["drop_event"]["when"]["not"]["equals"]
            assert drop == {"container.name": svc["name"]}
    assert inputs["nginx"]["paths"] == ["/var/log/nginx/*.log"] and inputs["nginx"]["fields"] == {"env": "prod"}


def test_a_secret_given_in_place_is_moved_to_the_keystore():
    result = build(services=SERVICES["systemd"],
                   output={"type": "elasticsearch", "hosts": ["es:9200"], "username": "u", "password": SECRET})
    text, config = rendered(result)
    assert SECRET not in text and config["output.elasticsearch"]["password"] == "${ES_PASSWORD}"
    assert result["keystore"] == {"ES_PASSWORD": SECRET}


def test_processors_and_settings_pass_through():
    result = build(services=SERVICES["systemd"], output=OUTPUTS["logstash"],
                   processors=[{"add_host_metadata": {}}], settings={"logging.level": "warning"})
    assert result["config"]["processors"] == [{"add_host_metadata": {}}]
    assert result["config"]["logging.level"] == "warning"
    assert result["keystore"] == {}


@pytest.mark.parametrize("kwargs,expected", [
    ({"output": {"type": "elasticsearch", "hosts": []}}, "filebeat_output.hosts must list at least one host for the elasticsearch output"),
    ({"output": {"type": "logstash"}}, "filebeat_output.hosts must list at least one host for the logstash output"),
    ({"output": {"type": "kafka", "hosts": ["k:9092"]}}, "filebeat_output.topic must be set for the kafka output"),
    ({"output": {"type": "file"}}, "filebeat_output.path must be an absolute directory"),
    ({"output": {"type": "syslog", "hosts": ["x"]}}, "filebeat_output.type must be one of"),
    ({"output": None}, "filebeat_output must be a mapping with a type"),
    ({"output": dict(OUTPUTS["logstash"], tls={"certificate_authorities": ["ca.pem"]})},
     "filebeat_output.tls.certificate_authorities must be absolute paths on the host"),
    ({"output": dict(OUTPUTS["logstash"], tls={"certificate": "/c.pem"})}, "needs certificate and key together"),
    ({"output": dict(OUTPUTS["logstash"], tls={"verification_mode": "lax"})}, "verification_mode must be one of"),
    ({"output": dict(OUTPUTS["logstash"], tls={"ca": "/ca.pem"})}, "filebeat_output.tls has unknown settings ca"),
    ({"output": dict(OUTPUTS["logstash"], secrets={"password": "x"})}, "filebeat_output.secrets.password is not a secret setting of the logstash output"),
    ({"output": {"type": "elasticsearch", "hosts": ["e"], "secrets": {"password": "x"}}}, "filebeat_output.username must be set with a password"),
    ({"services": [{"name": "hello", "mode": "podman"}]}, "filebeat_services[0].mode must be one of systemd, docker"),
    ({"services": [{"name": "bad name"}]}, "filebeat_services[0].name must be a service name"),
    ({"services": [{"name": "a"}, {"name": "a"}]}, "filebeat_services[1]: the service a is listed twice"),
    ({"services": [], "extra_inputs": []}, "nothing to ship"),
    ({"extra_inputs": [{"id": "x", "paths": ["relative.log"]}]}, "filebeat_extra_inputs[0].paths must be a non-empty list of absolute paths"),
    ({"extra_inputs": [{"id": "hello-journald", "paths": ["/x.log"]}]}, "input ids must be unique; used twice: hello-journald"),
    ({"settings": {"output.console": {}}}, "filebeat_settings must not set output.console"),
    ({"processors": {"add_host_metadata": {}}}, "filebeat_processors must be a list"),
    ({"output": dict(OUTPUTS["file"], tls={"certificate_authorities": ["/ca.pem"]})}, "filebeat_output.tls does not apply to the file output"),
])
def test_bad_settings_are_named(kwargs, expected):
    args = {"services": SERVICES["systemd"], "output": OUTPUTS["logstash"]}
    args.update(kwargs)
    with pytest.raises(FilebeatConfigError) as err:
        build(**args)
    assert expected in str(err.value)


def test_every_problem_is_listed_at_once():
    with pytest.raises(FilebeatConfigError) as err:
        build(services=[{"name": "a", "mode": "x"}], output={"type": "kafka", "hosts": []})
    assert len(err.value.problems) == 4, err.value.problems   # mode, nothing to ship, hosts, topic


def test_problems_never_show_a_secret():
    with pytest.raises(FilebeatConfigError) as err:
        build(services=SERVICES["systemd"], output={"type": "elasticsearch", "hosts": [], "secrets": {"password": SECRET}})
    assert SECRET not in str(err.value)


def test_the_filter_raises_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="filebeat_config: filebeat_output.type must be one of"):
        filebeat_config(SERVICES["systemd"], output={"type": "nope"})
    assert filebeat_config(SERVICES["systemd"], output=OUTPUTS["file"])["config"]["output.file"]["path"] == "/var/tmp/filebeat"


def test_problems_filter_lists_what_build_would_raise():
    assert filebeat_problems(SERVICES["systemd"], output=OUTPUTS["logstash"]) == []
    found = filebeat_problems([{"name": "a", "mode": "x"}], output={"type": "kafka", "hosts": []})
    assert len(found) == 4 and any("topic must be set" in p for p in found)


@pytest.mark.parametrize("version,ok", [("8.15.3", True), ("8.15.3-1", True), ("", True), (None, True),
                                        ("8", False), ("8.x", False), ("latest", False), ("8.15", False)])
def test_version_must_be_exact(version, ok):
    assert (version_problem(version) is None) == ok


def test_modules_get_a_file_each_and_filebeat_yml_loads_them():
    built = build(services=SERVICES["systemd"], output=OUTPUTS["file"],
                  modules={"nginx": {"access": {"enabled": True, "var.paths": ["/var/log/nginx/access.log*"]}}, "system": None})
    assert built["module_files"] == {
        "nginx": [{"module": "nginx", "access": {"enabled": True, "var.paths": ["/var/log/nginx/access.log*"]}}],
        "system": [{"module": "system"}]}
    assert built["config"]["filebeat.config.modules"] == {"enabled": True, "path": "${path.config}/modules.d/*.yml",
                                                          "reload.enabled": False}
    # the inputs stay in filebeat.yml unless inputs_dir is asked for
    assert built["input_files"] == {} and len(built["config"]["filebeat.inputs"]) == 1


def test_with_inputs_dir_each_input_has_its_own_file_that_filebeat_reloads():
    extra = [{"id": "nginx-errors", "paths": ["/var/log/nginx/error.log"]}]
    built = build(services=SERVICES["both"], extra_inputs=extra, output=OUTPUTS["file"], env="prod", inputs_dir=True)
    assert "filebeat.inputs" not in built["config"] and "filebeat.config.modules" not in built["config"]
    assert built["config"]["filebeat.config.inputs"] == {"enabled": True, "path": "${path.config}/inputs.d/*.yml",
                                                         "reload.enabled": True, "reload.period": "10s"}
    assert sorted(built["input_files"]) == ["api-container", "hello-journald", "nginx-errors"]
    assert built["input_files"]["nginx-errors"] == [{
        "type": "filestream", "id": "nginx-errors", "paths": ["/var/log/nginx/error.log"], "fields": {"env": "prod"},
        "fields_under_root": False}]
    # the same inputs as in the single-file layout, one per file
    inline = build(services=SERVICES["both"], extra_inputs=extra, output=OUTPUTS["file"], env="prod")
    expected = sorted(inline["config"]["filebeat.inputs"], key=lambda i: i["id"])
    assert [f[0] for _id, f in sorted(built["input_files"].items())] == expected


@pytest.mark.parametrize("modules, expected", [
    (["nginx"], "filebeat_modules must be a mapping of module names"),
    ({"ng inx": {}}, "filebeat_modules: 'ng inx' is not a module name"),
    ({"nginx": ["access"]}, "filebeat_modules.nginx must be a mapping of filesets"),
    ({"nginx": {"module": "apache"}}, "filebeat_modules.nginx must not set module"),
])
def test_bad_modules_are_named(modules, expected):
    with pytest.raises(FilebeatConfigError, match=expected):
        build(services=SERVICES["systemd"], output=OUTPUTS["file"], modules=modules)


@pytest.mark.parametrize("key", ["filebeat.config.inputs", "filebeat.config.modules", "filebeat.modules"])
def test_settings_cannot_take_over_what_the_role_manages(key):
    with pytest.raises(FilebeatConfigError, match="filebeat_settings must not set %s" % key):
        build(services=SERVICES["systemd"], output=OUTPUTS["file"], settings={key: {}})


def test_a_fileset_key_that_is_not_a_name_is_a_problem_not_a_crash():
    with pytest.raises(FilebeatConfigError, match=r"filebeat_modules.nginx has keys that are not names: 1"):
        build(services=SERVICES["systemd"], output=OUTPUTS["file"], modules={"nginx": {1: {"enabled": True}}})


@pytest.mark.parametrize("key", ["filebeat", "filebeat.config", "output", "filebeat.config.inputs.path",
                                 "filebeat.config.modules.reload.enabled", "filebeat.inputs.0.type"])
def test_nested_and_dotted_forms_of_managed_settings_are_refused(key):
    with pytest.raises(FilebeatConfigError, match="filebeat_settings must not set %s:" % key):
        build(services=SERVICES["systemd"], output=OUTPUTS["file"], settings={key: {"inputs": []}})


def test_other_filebeat_settings_pass_as_dotted_keys():
    built = build(services=SERVICES["systemd"], output=OUTPUTS["file"], settings={"filebeat.registry.path": "/x"})
    assert built["config"]["filebeat.registry.path"] == "/x"
