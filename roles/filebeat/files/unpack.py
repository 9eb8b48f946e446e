# Put a Filebeat release from Elastic's tar.gz archive in place (run as `python3 -c`, the request as
# JSON in argv[1]: archive (a path on the host, or "" when the version is already unpacked), dir,
# version). The archive must hold one top directory, filebeat-<version>-linux-<arch> for this host's
# architecture, with plain files, directories and links that stay inside it. It is unpacked beside
# the releases in use, then becomes <dir>/<version>, and <dir>/current is switched to it in one
# rename; the release current named before is kept (a way back), older ones go. Prints JSON.
import json
import os
import posixpath
import re
import shutil
import sys
import tarfile

req = json.loads(sys.argv[1])
base, version, archive = req["dir"], req["version"], req["archive"]
ARCH = {"x86_64": ("x86_64",), "aarch64": ("arm64", "aarch64"), "arm64": ("arm64", "aarch64")}
VERSION_DIR = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$")


def clean(name):
    """A member's name without the leading ./ that some archivers write."""
    while name.startswith("./"):
        name = name[2:]
    return posixpath.normpath(name) if name else ""


def fail(msg):
    print(json.dumps({"failed": True, "msg": msg}))
    sys.exit(1)


def check(members):
    """The one top directory of the archive, after every member was found harmless."""
    machine = os.uname().machine
    for member in members:
        name = clean(member.name)
        if name.startswith("../") or name == ".." or member.name.startswith("/"):
            fail("the archive names a path outside its directory: %s" % member.name)
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            fail("the archive holds %s, which is neither a file, a directory nor a link" % member.name)
    tops = {clean(m.name).split("/", 1)[0] for m in members if clean(m.name) not in ("", ".")}
    if len(tops) != 1:
        fail("the archive must hold one directory, filebeat-%s-linux-<arch>; it holds %s"
             % (version, ", ".join(sorted(tops)[:5]) or "nothing"))
    top = tops.pop()
    found = re.match(r"^filebeat-(.+)-linux-([A-Za-z0-9_]+)$", top)
    if not found or found.group(1) != version:
        fail("the archive holds %s, not filebeat-%s-linux-<arch>: it is not Filebeat %s (filebeat_archive_src)"
             % (top, version, version))
    if found.group(2) not in ARCH.get(machine, (machine,)):
        fail("the archive is made for %s and this host is %s: use the archive for this host's architecture"
             % (found.group(2), machine))
    for member in members:
        if member.issym() or member.islnk():
            name = clean(member.name)
            target = clean(member.linkname) if member.islnk() else posixpath.normpath(
                posixpath.join(posixpath.dirname(name), member.linkname))
            if member.linkname.startswith("/") or not (target == top or target.startswith(top + "/")):
                fail("the archive's link %s points outside its directory (%s)" % (member.name, member.linkname))
    return top


def unpack(path, dest):
    try:
        tar = tarfile.open(path, "r:*")  # pylint: disable=consider-using-with
    except (OSError, tarfile.TarError) as exc:
        fail("cannot read the archive %s: %s" % (path, exc))
    with tar:
        members = tar.getmembers()
        top = check(members)
        staging = os.path.join(base, ".%s.partial" % version)
        shutil.rmtree(staging, ignore_errors=True)
        os.mkdir(staging, 0o755)
        for member in members:
            name = clean(member.name)
            if name in (top, "."):
                continue
            member.name = name[len(top) + 1:]
            if member.islnk():
                member.linkname = clean(member.linkname)[len(top) + 1:]
            # owned by root, writable by the owner only, no set-id bits
            member.uid = member.gid = 0
            member.uname = member.gname = "root"
            member.mode &= 0o755
            tar.extract(member, staging, set_attrs=not member.issym())
    os.rename(staging, dest)


def main():
    current = os.path.join(base, "current")
    dest = os.path.join(base, version)
    before = os.path.basename(os.readlink(current)) if os.path.islink(current) else ""
    try:
        if not os.path.isdir(dest):
            if not archive:
                fail("%s has no unpacked %s and no archive was sent" % (base, version))
            unpack(archive, dest)
    finally:
        if archive:
            try:
                os.unlink(archive)
            except OSError:
                pass
    link = os.path.join(base, ".current.new")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(version, link)
    os.replace(link, current)
    keep = {version, before}
    removed = []
    for entry in sorted(os.listdir(base)):
        path = os.path.join(base, entry)
        if VERSION_DIR.match(entry) and entry not in keep and os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
            removed.append(entry)
    print(json.dumps({"changed": True, "previous": before, "current": version, "removed": removed}))


main()
