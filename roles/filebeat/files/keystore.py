# Fill Filebeat's keystore (run as `python3 -c`; argv: filebeat binary, config dir, data dir, digest
# file, "check" or "apply"; the entries as JSON on stdin). The keystore cannot be read back, so a
# digest of what was put in it is kept beside it (root only); when the entries change the keystore
# is created anew with exactly these keys. Prints JSON; never prints a value.
import hashlib
import json
import os
import subprocess
import sys

binary, config_dir, data_dir, digest_file, mode = sys.argv[1:6]
entries = json.loads(sys.stdin.read())
digest = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()
try:
    with open(digest_file, encoding="ascii") as fh:
        old = fh.read().strip()
except OSError:
    old = ""
keystore = os.path.join(data_dir, "filebeat.keystore")
result = {"changed": old != digest or (bool(entries) and not os.path.exists(keystore)), "keys": sorted(entries)}
if result["changed"] and mode == "apply":
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

    fb("keystore", "create", "--force")
    for key in sorted(entries):
        fb("keystore", "add", key, "--stdin", "--force", stdin=entries[key])
    os.makedirs(data_dir, exist_ok=True)
    tmp = digest_file + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(digest + "\n")
    os.replace(tmp, digest_file)
print(json.dumps(result))
