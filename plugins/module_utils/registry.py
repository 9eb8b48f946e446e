# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Push an image archive (made by go_image, or saved from an image built elsewhere) to a registry over the distribution API (v2), with no
Docker engine where it runs: the config and the gzip-compressed layers as blobs (each sent only when
the registry lacks it), then an image manifest (schema 2). The manifest's bytes are fixed by the
image, so its digest is too, and a tag that already names that digest is left alone."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urljoin
from ansible.module_utils.urls import Request
from ansible_collections.gopherops.baremetal.plugins.module_utils import container_image as ci

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"


class RegistryError(Exception):
    """The registry refused or could not be reached; the message says which request and why."""


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def read_archive(path):
    """(config bytes, [layer bytes]) of the one image in a docker save archive (go_image's, or one
    saved from an image built elsewhere)."""
    try:
        image = ci.read_image_archive(path, with_layers=True)
    except ci.ImageError as exc:
        raise RegistryError(str(exc))
    return image["config"], image["layer_data"]


def compress_layer(layer):
    """The layer gzip-compressed with no name or time in the header: the same bytes every time. A
    layer that is compressed already is pushed as it is."""
    if layer[:2] == b"\x1f\x8b":
        return layer
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as gz:
        gz.write(layer)
    return out.getvalue()


def manifest_for(config, layers_gz):
    doc = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "size": len(config), "digest": sha256_digest(config)},
        "layers": [{"mediaType": LAYER_TYPE, "size": len(gz), "digest": sha256_digest(gz)} for gz in layers_gz],
    }
    return json.dumps(doc, indent=2, sort_keys=True).encode("utf-8")


class Client(object):

    def __init__(self, url, username=None, password=None, validate_certs=True, timeout=60):
        self.url = url.rstrip("/") + "/"
        self.headers = {}
        if username:
            token = base64.b64encode(("%s:%s" % (username, password or "")).encode("utf-8")).decode("ascii")
            self.headers["Authorization"] = "Basic " + token
        # no redirects: a registry that keeps blobs elsewhere (object storage) answers with one, and the
        # Authorization header must not travel to that other host
        self.request = Request(validate_certs=validate_certs, timeout=timeout, use_proxy=False, follow_redirects="none")
        self.sent = 0

    def call(self, method, path, data=None, headers=None, ok=(200,)):
        """(status, headers) of the request; a status outside ok (and 404 when allowed) raises."""
        url = path if path.startswith("http") else urljoin(self.url, path.lstrip("/"))
        try:
            resp = self.request.open(method, url, data=data, headers=dict(self.headers, **(headers or {})))
            status = resp.getcode()
            hdrs = resp.headers
            resp.read()
        except HTTPError as exc:
            status, hdrs = exc.code, exc.headers
            if status not in ok:
                detail = exc.read().decode("utf-8", "replace")[:300] if hasattr(exc, "read") else ""
                hint = " (the registry wants credentials: set the registry user and password)" if status == 401 else ""
                raise RegistryError("%s %s answered %d%s %s" % (method, url, status, hint, detail.strip()))
        except (URLError, OSError) as exc:
            raise RegistryError("%s %s failed: %s" % (method, url, getattr(exc, "reason", exc)))
        if status not in ok:
            raise RegistryError("%s %s answered %d" % (method, url, status))
        if data:
            self.sent += len(data)
        return status, hdrs

    def has_blob(self, repo, digest):
        # a redirect to the blob's storage means the registry has it
        return self.call("HEAD", "v2/%s/blobs/%s" % (repo, digest), ok=(200, 404, 302, 307))[0] != 404

    def put_blob(self, repo, data):
        digest = sha256_digest(data)
        if self.has_blob(repo, digest):
            return False
        _status, hdrs = self.call("POST", "v2/%s/blobs/uploads/" % repo, ok=(202,))
        location = hdrs.get("Location")
        if not location:
            raise RegistryError("the registry started an upload without a Location header")
        location = urljoin(self.url, location)
        sep = "&" if "?" in location else "?"
        self.call("PUT", "%s%sdigest=%s" % (location, sep, digest), data=data,
                  headers={"Content-Type": "application/octet-stream"}, ok=(201,))
        return True

    def tag_digest(self, repo, tag):
        status, hdrs = self.call("HEAD", "v2/%s/manifests/%s" % (repo, tag), headers={"Accept": MANIFEST_TYPE},
                                 ok=(200, 404))
        return hdrs.get("Docker-Content-Digest") if status == 200 else None


def push(client, repo, tag, config, layers, check_mode=False):
    """Push the image (its config and its layers, in order); returns dict(digest, changed, sent_bytes)."""
    layers_gz = [compress_layer(layer) for layer in layers]
    manifest = manifest_for(config, layers_gz)
    digest = sha256_digest(manifest)
    if client.tag_digest(repo, tag) == digest:
        return {"digest": digest, "changed": False, "sent_bytes": 0}
    if check_mode:
        return {"digest": digest, "changed": True, "sent_bytes": 0}
    client.put_blob(repo, config)
    for layer_gz in layers_gz:
        client.put_blob(repo, layer_gz)
    client.call("PUT", "v2/%s/manifests/%s" % (repo, tag), data=manifest, headers={"Content-Type": MANIFEST_TYPE},
                ok=(201,))
    return {"digest": digest, "changed": True, "sent_bytes": client.sent}
