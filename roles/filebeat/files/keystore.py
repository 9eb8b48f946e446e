# Fill Filebeat's keystore (run as `python3 -c`; argv: filebeat binary, config dir, data dir, state
# file prefix, mode). Modes: "check" and "apply" read the entries as JSON on stdin; "prune" reads
# the key names to keep. The keystore cannot be read back, so a keyed digest (HMAC with a random
# key kept beside it, both root only) of what was put in it tells whether it must be filled again.
# "apply" only adds or replaces keys, so the filebeat.yml in use keeps working until the new one
# passed its check; "prune" then removes the keys no longer named. Prints JSON; never a value.
import hashlib
import hmac
import json
import os
import subprocess
import sys

binary, config_dir, data_dir, state, mode = sys.argv[1:6]
entries = json.loads(sys.stdin.read())
paths = ["--path.config", config_dir, "--path.data", data_dir]


def fail(msg):
    print(json.dumps({"failed": True, "msg": msg}))
    sys.exit(1)


def fb(*args, stdin=None):
    try:
        res = subprocess.run([binary, *args, *paths], input=stdin, capture_output=True, text=True, check=False)
    except OSError as exc:
        fail("filebeat %s failed: cannot run %s (%s); the keystore needs Filebeat installed (filebeat_binary)"
             % (" ".join(args[:2]), binary, exc.strerror))
    if res.returncode != 0:
        detail = (res.stderr or res.stdout).strip()[-500:]
        fail("filebeat %s failed (rc=%d): %s" % (" ".join(args[:2]), res.returncode, detail))
    return res.stdout


def write_private(path, data):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


if mode == "prune":
    keep = set(entries)
    listed = fb("keystore", "list").split()
    stale = sorted(k for k in listed if k not in keep)
    for key in stale:
        fb("keystore", "remove", key)
    print(json.dumps({"changed": bool(stale), "removed": stale}))
    sys.exit(0)

try:
    with open(state + ".key", "rb") as fh:
        secret = fh.read()
except OSError:
    secret = b""
try:
    with open(state + ".sha256", encoding="ascii") as fh:
        old = fh.read().strip()
except OSError:
    old = ""
payload = json.dumps(entries, sort_keys=True).encode()
digest = hmac.new(secret, payload, hashlib.sha256).hexdigest() if secret else ""
keystore = os.path.join(data_dir, "filebeat.keystore")
result = {"changed": not secret or old != digest or (bool(entries) and not os.path.exists(keystore)), "keys": sorted(entries)}
if result["changed"] and mode == "apply":
    os.makedirs(data_dir, exist_ok=True)
    if not os.path.exists(keystore):
        fb("keystore", "create")
    for key in sorted(entries):
        fb("keystore", "add", key, "--stdin", "--force", stdin=entries[key])
    if not secret:
        secret = os.urandom(32)
        write_private(state + ".key", secret)
    write_private(state + ".sha256", (hmac.new(secret, payload, hashlib.sha256).hexdigest() + "\n").encode())
print(json.dumps(result))
