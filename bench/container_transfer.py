"""Docker mode's no-registry transfer against plain `docker save | gzip | ssh docker load`, on one
host of the bench lab (with its Docker engine). Run from the repository root:

    .venv/bin/python bench/container_transfer.py [--repeat 3] [--down]

For a changed release (a new version, so a new binary and image) and for the same release again:
  ours   tests/integration/files/container.yml (go_image on the controller, container_release on the
         host): bytes sent over the connection and seconds of the send + docker load, from the task's
         result, and the whole playbook's wall time;
  plain  the same image from the controller's own Docker engine: docker save | gzip | ssh sudo docker
         load, bytes through the pipe and its seconds. It has no idempotence: an unchanged release is
         sent again.
Goal: unchanged = zero bytes sent; changed = at most the compressed image size. Figures go to
.build/bench/container_transfer.json, logs to .build/bench/logs/.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rollout as rb  # noqa: E402  (the bench lab, its inventory and helpers)

PLAY = os.path.join(rb.ROOT, "tests", "integration", "files", "container.yml")
NAME = "hellod"
EXTRA = {"go_container_name": NAME, "go_container_port": 8090, "go_container_ports": ["8090:8080"],
         "container_hosts": "app1", "go_container_manage_engine": True}


def ours(version, log):
    extra = dict(EXTRA, app_version=version)
    seconds = rb.run(["ansible-playbook", PLAY, "-i", rb.INVENTORY, "-v", "-e", json.dumps(extra)], log)
    with open(log, encoding="utf-8") as fh:
        text = fh.read()
    for match in re.finditer(r"^(?:changed|ok): \[app1\] => (\{.*\})$", text, re.M):
        data = json.loads(match.group(1))
        if "sent_bytes" in data:
            t = data.get("timings", {})
            return {"wall": round(seconds, 2), "sent_bytes": data["sent_bytes"],
                    "transfer": round(t.get("upload", 0) + t.get("load", 0), 3),
                    "image": data.get("container_id", "")}
    raise rb.RunFailed("no container_release result in %s" % log)


def archive_of(version):
    pattern = os.path.join(rb.BENCH, "artifacts", "hello", version, "images")
    names = [n for n in os.listdir(pattern) if n.endswith(".tar.gz")]
    return os.path.join(pattern, names[0])


def plain(version, ssh):
    """docker save | gzip | ssh sudo docker load of the same image; (bytes, seconds)."""
    archive = archive_of(version)
    tag = subprocess.run(["docker", "load", "-q", "-i", archive], check=True, capture_output=True,
                         text=True).stdout.split("Loaded image:")[-1].strip()
    start = time.monotonic()
    save = subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE)
    gz = subprocess.Popen(["gzip", "-6", "-c"], stdin=save.stdout, stdout=subprocess.PIPE)
    save.stdout.close()
    load = subprocess.Popen(ssh + ["sudo docker load -q"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    sent = 0
    for chunk in iter(lambda: gz.stdout.read(1 << 16), b""):
        sent += len(chunk)
        load.stdin.write(chunk)
    load.stdin.close()
    if load.wait() != 0 or gz.wait() != 0 or save.wait() != 0:
        raise rb.RunFailed("docker save | gzip | ssh docker load failed")
    return sent, round(time.monotonic() - start, 3), os.path.getsize(archive)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--down", action="store_true", help="remove the bench lab at the end")
    args = parser.parse_args()
    os.makedirs(rb.LOGS, exist_ok=True)
    rb.write_group_vars()
    env = rb.base_env(**dict(rb.LAB_ENV, LAB_HOSTS="1", LAB_LB="0"))
    rb.run([sys.executable, "scripts/lab.py", "up"], os.path.join(rb.LOGS, "ct-lab-up.log"), env=env)
    _name, ssh, _scp, _addr = rb.lab_hosts()[0]
    stamp = time.strftime("%H%M%S")
    ours("0.9.%s" % stamp, os.path.join(rb.LOGS, "ct-warmup.log"))   # engine, first image
    rows = []
    for i in range(args.repeat):
        version = "1.%d.%s" % (i, stamp)
        changed = ours(version, os.path.join(rb.LOGS, "ct-ours-changed-%d.log" % i))
        same = ours(version, os.path.join(rb.LOGS, "ct-ours-same-%d.log" % i))
        plain_bytes, plain_seconds, archive_bytes = plain(version, ssh)
        rows.append({"version": version, "archive_bytes": archive_bytes, "ours_changed": changed, "ours_same": same,
                     "plain_bytes": plain_bytes, "plain_seconds": plain_seconds})
    med = statistics.median
    summary = {
        "archive_bytes": med(r["archive_bytes"] for r in rows),
        "ours_changed_bytes": med(r["ours_changed"]["sent_bytes"] for r in rows),
        "ours_changed_transfer_s": med(r["ours_changed"]["transfer"] for r in rows),
        "ours_changed_wall_s": med(r["ours_changed"]["wall"] for r in rows),
        "ours_same_bytes": med(r["ours_same"]["sent_bytes"] for r in rows),
        "ours_same_wall_s": med(r["ours_same"]["wall"] for r in rows),
        "plain_bytes": med(r["plain_bytes"] for r in rows),
        "plain_s": med(r["plain_seconds"] for r in rows),
    }
    print(json.dumps(summary, indent=2))
    ok = summary["ours_same_bytes"] == 0 and summary["ours_changed_bytes"] <= summary["archive_bytes"]
    print("goal (unchanged sends 0 bytes, changed at most the compressed image): %s" % ("met" if ok else "NOT met"))
    with open(os.path.join(rb.BENCH, "container_transfer.json"), "w", encoding="utf-8") as fh:
        json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "repeat": args.repeat, "rows": rows,
                   "median": summary, "goal_met": ok}, fh, indent=2)
    if args.down:
        rb.run([sys.executable, "scripts/lab.py", "down"], os.path.join(rb.LOGS, "ct-lab-down.log"), env=env)
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except rb.RunFailed as exc:
        print("FAILED: %s" % exc, file=sys.stderr)
        sys.exit(1)
