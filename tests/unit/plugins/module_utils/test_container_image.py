# -*- coding: utf-8 -*-
"""The image archive go_image writes: reproducible bytes, the id Docker computes, the layer's
contents and metadata, and the errors that name their option."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile

import pytest

from ansible_collections.gopherops.baremetal.plugins.module_utils import container_image as ci


@pytest.fixture()
def binary(tmp_path):
    path = tmp_path / "hello"
    path.write_bytes(b"\x7fELF" + os.urandom(4096))
    return str(path)


def members(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: (m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()}


def test_layer_is_the_same_bytes_every_time(binary, tmp_path):
    zone = tmp_path / "zoneinfo"
    (zone / "Europe").mkdir(parents=True)
    (zone / "Europe" / "Berlin").write_bytes(b"TZif-berlin")
    os.symlink("Europe/Berlin", str(zone / "CET"))
    ca = tmp_path / "ca.crt"
    ca.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    first = ci.build_layer(binary, "/hello", 65532, 65532, "hello", str(ca), str(zone))
    os.utime(binary, (1, 1))
    os.utime(str(ca), (2, 2))
    second = ci.build_layer(binary, "/hello", 65532, 65532, "hello", str(ca), str(zone))
    assert first == second
    got = members(first)
    assert got["hello"][0].mode == 0o755 and got["hello"][1] == open(binary, "rb").read()
    assert got["tmp"][0].isdir() and got["tmp"][0].mode == 0o1777
    assert got["etc/ssl/certs/ca-certificates.crt"][1] == b"-----BEGIN CERTIFICATE-----\n"
    assert got["usr/share/zoneinfo/Europe/Berlin"][1] == b"TZif-berlin"
    assert got["usr/share/zoneinfo/CET"][0].issym() and got["usr/share/zoneinfo/CET"][0].linkname == "Europe/Berlin"
    assert b"hello:x:65532:65532:" in got["etc/passwd"][1]
    for member, _data in got.values():
        assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (0, 0, 0, "", "")
    # every directory comes before what it holds
    names = [m.name for m in tarfile.open(fileobj=io.BytesIO(first)).getmembers()]
    for i, name in enumerate(names):
        parent = os.path.dirname(name)
        assert not parent or parent in names[:i], name


def test_image_id_is_the_config_digest_and_changes_with_the_binary(binary):
    layer = ci.build_layer(binary, "/hello", 65532, 65532)
    cfg = ci.image_config("sha256:" + ci.sha256_hex(layer), "amd64", entrypoint="/hello", ports=["8080"],
                          healthcheck=["/hello", "-healthcheck"], labels={"a": "b"})
    again = ci.image_config("sha256:" + ci.sha256_hex(layer), "amd64", entrypoint="/hello", ports=["8080"],
                            healthcheck=["/hello", "-healthcheck"], labels={"a": "b"})
    assert ci.config_bytes(cfg) == ci.config_bytes(again)
    assert cfg["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(layer).hexdigest()]
    assert cfg["config"]["Healthcheck"]["Test"] == ["CMD", "/hello", "-healthcheck"]
    assert cfg["config"]["ExposedPorts"] == {"8080/tcp": {}}
    assert cfg["config"]["User"] == "65532:65532"
    with open(binary, "ab") as fh:
        fh.write(b"!")
    other = ci.build_layer(binary, "/hello", 65532, 65532)
    cfg2 = ci.image_config("sha256:" + ci.sha256_hex(other), "amd64", entrypoint="/hello", ports=["8080"],
                           healthcheck=["/hello", "-healthcheck"], labels={"a": "b"})
    assert ci.sha256_hex(ci.config_bytes(cfg2)) != ci.sha256_hex(ci.config_bytes(cfg))


def test_no_healthcheck_is_written_as_none(binary):
    cfg = ci.image_config("sha256:" + "0" * 64, "arm64", healthcheck=[])
    assert cfg["config"]["Healthcheck"] == {"Test": ["NONE"]}
    assert (cfg["architecture"], cfg["variant"]) == ("arm64", "v8")


def test_archive_is_what_docker_load_reads(binary, tmp_path):
    layer = ci.build_layer(binary, "/hello", 65532, 65532)
    cfg = ci.image_config("sha256:" + ci.sha256_hex(layer), "amd64", entrypoint="/hello")
    data = ci.archive(layer, cfg, "hello:1.0.0-abcdef12")
    got = members(data)
    manifest = json.loads(got["manifest.json"][1])
    config_name = manifest[0]["Config"]
    assert config_name == ci.sha256_hex(ci.config_bytes(cfg)) + ".json"
    assert got[config_name][1] == ci.config_bytes(cfg)
    assert got[manifest[0]["Layers"][0]][1] == layer
    assert manifest[0]["RepoTags"] == ["hello:1.0.0-abcdef12"]
    one, two = str(tmp_path / "a.tar.gz"), str(tmp_path / "b.tar.gz")
    ci.write_gzip(one, data)
    ci.write_gzip(two, data)
    assert open(one, "rb").read() == open(two, "rb").read()
    assert gzip.decompress(open(one, "rb").read()) == data


@pytest.mark.parametrize("call, words", [
    (lambda: ci.parse_user("0:0"), "root"),
    (lambda: ci.parse_user("nobody"), "numeric"),
    (lambda: ci.platform("mips"), "GOARCH"),
    (lambda: ci.check_name("Hello"), "lowercase"),
    (lambda: ci.check_tag("-x"), "tag"),
    (lambda: ci.duration_ns("health_interval", -1), "health_interval"),
    (lambda: ci.created_stamp("yesterday"), "ISO 8601"),
])
def test_bad_input_names_the_problem(call, words):
    with pytest.raises(ci.ImageError, match=words):
        call()


def test_created_stamp():
    assert ci.created_stamp("") == ci.EPOCH
    assert ci.created_stamp("2026-11-23T23:08:56+01:00") == "2026-11-23T22:08:56Z"
    assert ci.parse_user("1000") == (1000, 1000)
    assert ci.parse_user("1000:50") == (1000, 50)


def _saved(tmp_path, entries, files, name="saved.tar"):
    """A docker save archive with the given manifest entries and members, written as tar."""
    path = str(tmp_path / name)
    with tarfile.open(path, "w") as tar:
        for member, data in dict(files, **{"manifest.json": json.dumps(entries).encode()}).items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_an_archive_saved_elsewhere_is_read_with_its_layers(binary, tmp_path):
    layer = ci.build_layer(binary, "/hello", 65532, 65532)
    extra = b"second layer"
    config = ci.image_config("sha256:" + ci.sha256_hex(layer), "arm64", entrypoint="/hello")
    config["rootfs"]["diff_ids"].append("sha256:" + ci.sha256_hex(extra))
    cfg = ci.config_bytes(config)
    entry = {"Config": "blobs/sha256/" + ci.sha256_hex(cfg), "RepoTags": ["ci.example/hello:7"],
             "Layers": ["blobs/sha256/a", "blobs/sha256/b"]}
    path = _saved(tmp_path, [entry], {entry["Config"]: cfg, "blobs/sha256/a": layer, "blobs/sha256/b": extra})
    got = ci.read_image_archive(path, with_layers=True)
    assert got["image_id"] == "sha256:" + hashlib.sha256(cfg).hexdigest()
    assert got["repo_tags"] == ["ci.example/hello:7"] and got["layer_data"] == [layer, extra]
    ci.check_platform(got["parsed"], "arm64")
    with pytest.raises(ci.ImageError, match="is for arm64/v8, the host needs amd64"):
        ci.check_platform(got["parsed"], "amd64")
    # gzip-compressed, as docker save | gzip writes it, reads the same
    packed = str(tmp_path / "saved.tar.gz")
    with open(path, "rb") as src, gzip.open(packed, "wb") as dst:
        dst.write(src.read())
    assert ci.read_image_archive(packed)["image_id"] == got["image_id"]


@pytest.mark.parametrize("entries, files, words", [
    ([], {}, "holds 0 images"),
    ([{"Config": "c.json", "Layers": []}, {"Config": "c.json", "Layers": []}], {"c.json": b"{}"}, "holds 2 images"),
    ([{"Config": "c.json", "Layers": ["l.tar"]}], {"c.json": b'{"rootfs": {"diff_ids": []}}', "l.tar": b""},
     "names 0 layers, the archive has 1"),
    ([{"Config": "missing.json", "Layers": []}], {}, "cannot be read as a docker save archive"),
    ([{"Config": "c.json", "Layers": []}], {"c.json": b"not json"}, "the image config is not JSON"),
    ([{"Config": "c.json", "Layers": []}], {"c.json": b"[1]"}, "has no rootfs.diff_ids"),
    ([{"Config": "c.json", "Layers": []}], {"c.json": b'{"rootfs": null}'}, "has no rootfs.diff_ids"),
])
def test_an_archive_that_is_not_one_image_is_refused(tmp_path, entries, files, words):
    with pytest.raises(ci.ImageError, match=words):
        ci.read_image_archive(_saved(tmp_path, entries, files))


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    with pytest.raises(ci.ImageError, match="does not exist on the controller"):
        ci.read_image_archive(str(tmp_path / "nope.tar"))
    (tmp_path / "junk.tar").write_bytes(b"junk" * 100)
    with pytest.raises(ci.ImageError, match="cannot be read as a docker save archive"):
        ci.read_image_archive(str(tmp_path / "junk.tar"))
    with tarfile.open(str(tmp_path / "plain.tar"), "w") as tar:
        info = tarfile.TarInfo("hello")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(ci.ImageError, match="has no manifest.json"):
        ci.read_image_archive(str(tmp_path / "plain.tar"))
