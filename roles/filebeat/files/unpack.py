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
# the file in each release directory that says this role unpacked it
MARK = ".gopherops-release"
VERSION_DIR = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$")


def clean(name):
    """A member's name without the leading ./ that some archivers write."""
    while name.startswith("./"):
        name = name[2:]
    return posixpath.normpath(name) if name else ""


def fail(msg):
    if archive and "filebeat_" not in msg:
        msg += " (filebeat_archive_src)"
    print(json.dumps({"failed": True, "msg": msg}))
    sys.exit(1)


def check(members):
    """The one top directory of the archive, after every member was found harmless: no path out of
    it, no member under one of its symbolic links (nothing written through a link), no name twice,
    hard links only to an earlier file of its own."""
    machine = os.uname().machine
    names = [clean(m.name) for m in members]
    symlinks = {name for name, m in zip(names, members) if m.issym()}
    seen, files = set(), set()
    for name, member in zip(names, members):
        if name.startswith("../") or name == ".." or member.name.startswith("/"):
            fail("the archive names a path outside its directory: %s" % member.name)
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            fail("the archive holds %s, which is neither a file, a directory nor a link" % member.name)
        if name in seen and not member.isdir():
            fail("the archive holds %s twice" % member.name)
        seen.add(name)
        parts = name.split("/")
        under = [p for p in ("/".join(parts[:i]) for i in range(1, len(parts))) if p in symlinks]
        if under:
            fail("the archive's %s lies under its link %s" % (member.name, under[0]))
        if member.islnk() and clean(member.linkname) not in files:
            fail("the archive's hard link %s does not name an earlier file of the archive (%s)" % (member.name, member.linkname))
        if member.isfile():
            files.add(name)
    tops = {name.split("/", 1)[0] for name in names if name not in ("", ".")}
    if len(tops) != 1:
        fail("the archive must hold one directory, filebeat-%s-linux-<arch>; it holds %s"
             % (version, ", ".join(sorted(tops)[:5]) or "nothing"))
    top = tops.pop()
    found = re.match(r"^filebeat-(.+)-linux-([A-Za-z0-9_]+)$", top)
    if not found or found.group(1) != version:
        fail("the archive holds %s, not filebeat-%s-linux-<arch>: it is not Filebeat %s" % (top, version, version))
    if found.group(2) not in ARCH.get(machine, (machine,)):
        fail("the archive is made for %s and this host is %s: use the archive for this host's architecture"
             % (found.group(2), machine))
    for name, member in zip(names, members):
        if member.issym():
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
            if member.linkname.startswith("/") or not (target == top or target.startswith(top + "/")):
                fail("the archive's link %s points outside its directory (%s)" % (member.name, member.linkname))
    return top


def unpack(path, dest, staging):
    try:
        tar = tarfile.open(path, "r:*")  # pylint: disable=consider-using-with
    except (OSError, tarfile.TarError) as exc:
        fail("cannot read the archive: %s" % exc)
    with tar:
        members = tar.getmembers()
        top = check(members)
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
    # what the links lead to on disk, links through links included
    root = os.path.realpath(staging)
    for folder, dirs, files in os.walk(staging):
        for entry in dirs + files:
            path = os.path.join(folder, entry)
            if os.path.islink(path):
                real = os.path.realpath(path)
                if real != root and not real.startswith(root + os.sep):
                    fail("the archive's link %s leads outside its directory (%s)" % (os.path.relpath(path, staging), real))
    with open(os.path.join(staging, MARK), "w", encoding="ascii") as fh:
        fh.write(version + "\n")
    os.rename(staging, dest)


def main():
    current = os.path.join(base, "current")
    dest = os.path.join(base, version)
    staging = os.path.join(base, ".%s.partial" % version)
    before = os.path.basename(os.readlink(current)) if os.path.islink(current) else ""
    try:
        if not os.path.isfile(os.path.join(dest, MARK)):
            if os.path.lexists(dest):
                fail("%s is there but was not unpacked by this role: move it away, or choose another filebeat_archive_dir" % dest)
            if not archive:
                fail("%s has no unpacked %s and no archive was sent" % (base, version))
            try:
                unpack(archive, dest, staging)
            except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
                fail("unpacking the archive failed: %s" % exc)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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
    # only releases this role unpacked (its mark inside) are removed
    keep = {version, before}
    removed = []
    for entry in sorted(os.listdir(base)):
        path = os.path.join(base, entry)
        if (entry not in keep and VERSION_DIR.match(entry) and not os.path.islink(path)
                and os.path.isfile(os.path.join(path, MARK))):
            shutil.rmtree(path)
            removed.append(entry)
    print(json.dumps({"changed": True, "previous": before, "current": version, "removed": removed}))


if __name__ == "__main__":
    main()
