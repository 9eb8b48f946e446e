# -*- coding: utf-8 -*-
"""What image_push sends: the archive go_image wrote, read back; a compressed layer and a manifest
whose bytes (and so whose digest) depend on the image only."""

from __future__ import annotations

import json

import pytest

from ansible_collections.gopherops.baremetal.plugins.module_utils import container_image as ci
from ansible_collections.gopherops.baremetal.plugins.module_utils import registry as reg


@pytest.fixture()
def archive(tmp_path):
    binary = tmp_path / "hello"
    binary.write_bytes(b"\x7fELF" + b"x" * 5000)
    layer = ci.build_layer(str(binary), "/hello", 65532, 65532)
    config = ci.image_config("sha256:" + ci.sha256_hex(layer), "amd64", entrypoint="/hello")
    path = str(tmp_path / "hello.docker.tar.gz")
    ci.write_gzip(path, ci.archive(layer, config, "hello:1.0.0-abcdef12"))
    return path, ci.config_bytes(config), layer


def test_archive_reads_back(archive):
    path, config, layer = archive
    assert reg.read_archive(path) == (config, [layer])


def test_manifest_is_fixed_by_the_image(archive):
    _path, config, layer = archive
    first = reg.manifest_for(config, [reg.compress_layer(layer)])
    assert first == reg.manifest_for(config, [reg.compress_layer(layer)])
    doc = json.loads(first)
    assert doc["config"]["digest"] == "sha256:" + ci.sha256_hex(config)
    assert doc["layers"][0]["digest"] == reg.sha256_digest(reg.compress_layer(layer))
    assert doc["mediaType"] == reg.MANIFEST_TYPE and doc["schemaVersion"] == 2


class FakeRegistry(object):
    """Answers like a registry that holds the given manifest digest under the tag."""

    def __init__(self, digest):
        self.digest = digest
        self.calls = []

    def tag_digest(self, repo, tag):
        self.calls.append(("tag", repo, tag))
        return self.digest

    def put_blob(self, repo, data):
        self.calls.append(("blob", repo, len(data)))

    def call(self, method, path, **kw):
        self.calls.append((method, path))
        return 201, {}

    sent = 123


def test_a_tag_already_on_the_digest_sends_nothing(archive):
    _path, config, layer = archive
    digest = reg.sha256_digest(reg.manifest_for(config, [reg.compress_layer(layer)]))
    same = FakeRegistry(digest)
    assert reg.push(same, "hello", "1.0.0", config, [layer]) == {"digest": digest, "changed": False, "sent_bytes": 0}
    assert [c[0] for c in same.calls] == ["tag"]
    other = FakeRegistry("sha256:" + "0" * 64)
    out = reg.push(other, "hello", "1.0.0", config, [layer])
    assert out["changed"] and [c[0] for c in other.calls] == ["tag", "blob", "blob", "PUT"]
    assert other.calls[-1][1] == "v2/hello/manifests/1.0.0"


def test_a_compressed_layer_is_pushed_as_it_is_and_each_layer_is_sent(archive):
    _path, config, layer = archive
    packed = reg.compress_layer(layer)
    assert reg.compress_layer(packed) == packed
    other = FakeRegistry("sha256:" + "0" * 64)
    reg.push(other, "hello", "1.0.0", config, [layer, packed, b"more"])
    assert [c for c in other.calls if c[0] == "blob"] == [
        ("blob", "hello", len(config)), ("blob", "hello", len(packed)), ("blob", "hello", len(packed)),
        ("blob", "hello", len(reg.compress_layer(b"more")))]
    doc = json.loads(reg.manifest_for(config, [packed, reg.compress_layer(b"more")]))
    assert [layer["digest"] for layer in doc["layers"]] == [reg.sha256_digest(packed),
                                                            reg.sha256_digest(reg.compress_layer(b"more"))]
