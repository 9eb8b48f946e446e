# What the filebeat role needs to know about a host, in one round trip (run as `python3 -c`, the
# request as JSON in argv[1]): the installed package version, which named paths are missing,
# which services are deployed, the package manager (apt on Debian-like hosts, else dnf) with the
# version rpm has and the versions dnf's versionlock holds, whether this role filled the keystore
# before, and for an install from the archive: the release <archive_dir>/current names, those
# unpacked, whether the running Filebeat is the program installed, and whether the filebeat unit in
# /etc/systemd/system is the one this role writes for it.
import json
import os
import re
import shutil
import subprocess
import sys

req = json.loads(sys.argv[1])
out = {"version": "", "missing": [], "absent_services": [], "keystore_known": False, "binary": os.path.exists(req["binary"])}
try:
    res = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status} ${Version}", req["package"]],
                         capture_output=True, text=True, check=False)
    status, _sep, version = res.stdout.partition(" ")
    if res.returncode == 0 and status == "installed":
        out["version"] = version.strip()
except OSError:
    pass
out["pm"] = "apt" if os.path.exists("/etc/debian_version") or not shutil.which("dnf") else "dnf"
out["rpm_version"] = ""
if shutil.which("rpm"):
    res = subprocess.run(["rpm", "-q", "--queryformat", "%{VERSION}", req["package"]], capture_output=True, text=True, check=False)
    if res.returncode == 0:
        out["rpm_version"] = res.stdout.strip()
out["versionlock"] = os.path.exists("/etc/dnf/plugins/versionlock.conf")
out["locked"] = []
try:
    with open("/etc/dnf/plugins/versionlock.list", encoding="utf-8") as fh:
        for line in fh:
            # name-[epoch:]version-release.*
            found = re.match(r"^%s-(?:[0-9]+:)?([^-\s]+)-[^-\s]+$" % re.escape(req["package"]), line.strip())
            if found:
                out["locked"].append(found.group(1))
except OSError:
    pass
out["missing"] = [p for p in req["paths"] if not os.path.exists(p)]
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/lib/systemd/system",
             "/usr/lib/systemd/system")
for svc in req["services"]:
    if svc.get("mode", "systemd") == "systemd":
        found = any(os.path.exists(os.path.join(d, svc["name"] + ".service")) for d in UNIT_DIRS)
    else:
        try:
            found = subprocess.run(["docker", "container", "inspect", svc["name"]], capture_output=True,
                                   check=False).returncode == 0
        except OSError:
            found = False
    if not found:
        out["absent_services"].append(svc["name"])
out["keystore_known"] = os.path.exists(req["digest_file"])
current = os.path.join(req["archive_dir"], "current")
out["archive_version"] = os.path.basename(os.readlink(current)) if os.path.islink(current) and os.path.isdir(current) else ""
try:
    out["archive_versions"] = sorted(e for e in os.listdir(req["archive_dir"])
                                     if os.path.isfile(os.path.join(req["archive_dir"], e, ".gopherops-release")))
except OSError:
    out["archive_versions"] = []
# a Filebeat running another program than the one installed (a restart that never came: a run that
# stopped after an upgrade) is restarted by the role
out["stale_process"] = False
try:
    pid = subprocess.run(["systemctl", "show", "--property=MainPID", "--value", "filebeat"], capture_output=True, text=True,
                         check=False).stdout.strip()
    if pid.isdigit() and int(pid) > 0:
        exe = os.readlink("/proc/%s/exe" % pid)
        out["stale_process"] = exe.endswith(" (deleted)") or (
            bool(out["archive_version"]) and req["install"] == "archive"
            and os.path.realpath(exe) != os.path.realpath(os.path.join(current, "filebeat")))
except OSError:
    pass
try:
    with open("/etc/systemd/system/filebeat.service", encoding="utf-8", errors="replace") as fh:
        out["own_unit"] = req["unit_marker"] in fh.read(4096)
except OSError:
    out["own_unit"] = False
print(json.dumps(out))
