"""The local lab: Debian 12 hosts with systemd as PID 1 and sshd, in Docker containers.

Usage (normally through the Makefile):

    python scripts/lab.py image              build the base image unless it exists
    python scripts/lab.py up [--hosts N]     image + N app hosts + the HAProxy host + inventories/lab/hosts.yml
    python scripts/lab.py down               remove exactly what "up" created (the image stays)
    python scripts/lab.py purge              down, and remove the base image too
    python scripts/lab.py status             print the hosts and their ports

Settings come from the environment so that make targets can pass them through:
LAB_NAME (default "gopherops-lab"), LAB_HOSTS (4), LAB_SSH_BASE_PORT (2221),
LAB_HTTP_BASE_PORT (18081), LAB_INVENTORY (inventories/lab/hosts.yml),
LAB_MIRROR (http://deb.debian.org/debian), LAB_LB (1: a host "lb1" with Debian's haproxy in front of
the app hosts; 0: none).

The load balancer's frontend is published on 127.0.0.1:<LAB_HTTP_BASE_PORT + 32>, the registry on the
same host (Debian's docker-registry, for docker mode) on 127.0.0.1:<LAB_HTTP_BASE_PORT + 33>, and its
SSH on 127.0.0.1:<LAB_SSH_BASE_PORT + 32>. Every port is published on 127.0.0.1 only.
"""

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = "bookworm"
PACKAGES = [
    "systemd", "systemd-sysv", "dbus", "openssh-server", "python3", "iproute2",
    "sudo", "ca-certificates", "curl", "procps", "netbase",
    # Debian's dnf and rpm: the filebeat role's YUM repository and .rpm paths run for real (tests/integration/test_filebeat_dnf.py)
    "dnf", "dnf-plugins-core", "rpm",
]
DEPLOY_USER = "deploy"
APP_PORT = 8080
LABEL = "org.gopherops.lab"
MAX_HOSTS = 32
LB_NAME = "lb1"
LB_PORT = 80
LB_SOCKET = "/run/haproxy/admin.sock"
# Debian's docker-registry on the load balancer host, for docker mode's registry transfer: the app
# hosts pull from lb1:5000 on the lab network; the controller pushes to its loopback port
REGISTRY_PORT = 5000
LB_PACKAGES = ["haproxy", "docker-registry"]

# The lab's load balancer: what an operator would have in front of the app hosts, health checks on
# /readyz, but strict: no retry and no redispatch, so a request sent to a server that is
# restarting fails, and the tests see every request a rollout did not keep away from one.
HAPROXY_CFG = """\
global
    log /dev/log local0
    stats socket {socket} mode 660 level admin
    stats timeout 30s
    user haproxy
    group haproxy
    daemon

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 0

# Docker's DNS, so a lab host that comes back with another address is found again
resolvers docker
    nameserver dns 127.0.0.11:53
    hold valid 1s

frontend www
    bind :{port}
    default_backend app

backend app
    option httpchk GET /readyz
    http-check expect status 200
    default-server check inter 500ms fall 2 rise 2 init-addr last,libc,none resolvers docker
{servers}
"""

# Run inside the debootstrapped tree before it becomes an image.
CHROOT_SETUP = r"""
set -eu
useradd --create-home --shell /bin/bash {user}
printf '%s ALL=(ALL) NOPASSWD: ALL\n' {user} > /etc/sudoers.d/{user}
chmod 0440 /etc/sudoers.d/{user}
rm -f /etc/ssh/ssh_host_*
cat > /etc/ssh/sshd_config.d/lab.conf <<'EOF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UseDNS no
MaxStartups 100:30:200
MaxSessions 100
EOF
cat > /etc/systemd/system/lab-hostkeys.service <<'EOF'
[Unit]
Description=Generate SSH host keys on first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
EOF
ln -s /etc/systemd/system/lab-hostkeys.service /etc/systemd/system/multi-user.target.wants/lab-hostkeys.service
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
            systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount \
            systemd-remount-fs.service apt-daily.timer apt-daily-upgrade.timer; do
  ln -sf /dev/null /etc/systemd/system/$unit
done
cat > /etc/apt/sources.list <<'EOF'
deb {mirror} {suite} main
deb {mirror} {suite}-updates main
deb {security} {suite}-security main
EOF
echo 'Acquire::Languages "none";' > /etc/apt/apt.conf.d/90lab
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log
: > /etc/machine-id
"""


class LabError(Exception):
    """A problem the operator can fix; printed without a traceback."""


def settings():
    env = os.environ
    name = env.get("LAB_NAME", "gopherops-lab")
    try:
        hosts = int(env.get("LAB_HOSTS", "4"))
        ssh_base = int(env.get("LAB_SSH_BASE_PORT", "2221"))
        http_base = int(env.get("LAB_HTTP_BASE_PORT", "18081"))
    except ValueError as exc:
        raise LabError(f"LAB_HOSTS, LAB_SSH_BASE_PORT and LAB_HTTP_BASE_PORT must be integers: {exc}")
    return {
        "name": name,
        "hosts": hosts,
        "lb": env.get("LAB_LB", "1") not in ("0", "", "no", "false"),
        "ssh_base": ssh_base,
        "http_base": http_base,
        "inventory": os.path.abspath(env.get("LAB_INVENTORY", os.path.join(ROOT, "inventories/lab/hosts.yml"))),
        "mirror": env.get("LAB_MIRROR", "http://deb.debian.org/debian"),
        "security": env.get("LAB_SECURITY_MIRROR", "http://deb.debian.org/debian-security"),
        "state_dir": os.path.join(ROOT, ".lab", name),
    }


def image_name(cfg):
    recipe = json.dumps([SUITE, PACKAGES, CHROOT_SETUP, DEPLOY_USER, cfg["mirror"], cfg["security"]])
    return "gopherops/lab-base:%s-%s" % (SUITE, hashlib.sha256(recipe.encode()).hexdigest()[:12])


def run(cmd, check=True, capture=True, **kw):
    proc = subprocess.run(cmd, check=False, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE if capture else None, **kw)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip() if capture else ""
        raise LabError("command failed (%d): %s\n%s" % (proc.returncode, " ".join(cmd), detail))
    return proc


def docker(*args, check=True):
    return run(["docker", *args], check=check)


def require_docker():
    if shutil.which("docker") is None:
        raise LabError("no docker client on PATH: run 'make host-deps' (root on Debian/Ubuntu) "
                       "or install Docker and start its engine")
    if docker("info", "--format", "{{.ServerVersion}}", check=False).returncode != 0:
        raise LabError("no Docker engine answers: run 'make host-deps' (as root on Debian/Ubuntu it "
                       "installs docker.io and starts dockerd), or start your engine and retry")


INOTIFY_INSTANCES = "/proc/sys/fs/inotify/max_user_instances"
INOTIFY_PER_HOST = 16   # systemd, journald, logind and the rest take about 7 in each lab host


def ensure_inotify(new_hosts):
    """Every lab host's systemd counts its inotify instances against root of this machine (no user
    namespaces), and Linux's default of 128 lets only about 17 hosts boot: raise it, as root, to what
    the containers already running and the new ones need."""
    try:
        with open(INOTIFY_INSTANCES, encoding="ascii") as fh:
            current = int(fh.read().strip())
    except (OSError, ValueError):
        return
    running = len(docker("ps", "-q", check=False).stdout.split())
    need = INOTIFY_PER_HOST * (running + new_hosts) + 128
    if current >= need:
        return
    if os.geteuid() != 0:
        raise LabError("fs.inotify.max_user_instances is %d; %d lab hosts need about %d: run "
                       "'sudo sysctl fs.inotify.max_user_instances=%d' and retry" % (current, running + new_hosts, need, need))
    with open(INOTIFY_INSTANCES, "w", encoding="ascii") as fh:
        fh.write("%d\n" % need)
    print("lab: raised fs.inotify.max_user_instances from %d to %d for %d systemd hosts" % (current, need, running + new_hosts))


def image_exists(name):
    return docker("image", "inspect", name, check=False).returncode == 0


def build_image(cfg):
    require_docker()
    name = image_name(cfg)
    if image_exists(name):
        print("lab: base image %s exists" % name)
        return name
    if os.geteuid() != 0:
        raise LabError("building the lab base image needs root (debootstrap): run 'sudo make lab-image' once")
    if shutil.which("debootstrap") is None:
        raise LabError("debootstrap is missing: apt-get install debootstrap")
    print("lab: building base image %s with debootstrap (about 2 minutes, once)" % name, flush=True)
    work = tempfile.mkdtemp(prefix="gopherops-lab-rootfs-")
    try:
        run(["debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES), SUITE, work, cfg["mirror"]],
            capture=False)
        script = CHROOT_SETUP.format(user=DEPLOY_USER, mirror=cfg["mirror"], security=cfg["security"], suite=SUITE)
        run(["chroot", work, "/bin/sh", "-c", script], capture=False)
        tar = subprocess.Popen(["tar", "-C", work, "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)
        imp = subprocess.run(["docker", "import",
                              "--change", 'CMD ["/lib/systemd/systemd"]',
                              "--change", "ENV container=docker",
                              "--change", "LABEL %s.image=1" % LABEL,
                              "-", name], stdin=tar.stdout, text=True, capture_output=True, check=False)
        tar.stdout.close()
        if tar.wait() != 0 or imp.returncode != 0:
            raise LabError("docker import failed: %s" % imp.stderr.strip())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("lab: base image %s built" % name)
    return name


def lb_image_name(base):
    recipe = json.dumps([base] + LB_PACKAGES)
    return "gopherops/lab-lb:%s" % hashlib.sha256(recipe.encode()).hexdigest()[:12]


def build_lb_image(cfg, base):
    """The base image with Debian's haproxy and docker-registry installed (apt inside a lab
    container, once)."""
    name = lb_image_name(base)
    if image_exists(name):
        return name
    print("lab: building the load balancer image %s (apt-get install haproxy, once)" % name, flush=True)
    work = "%s-lb-build" % cfg["name"]
    docker("rm", "-f", work, check=False)
    try:
        docker("run", "-d", "--name", work, "--label", "%s=%s" % (LABEL, cfg["name"]), base, "sleep", "infinity")
        docker("exec", "-e", "DEBIAN_FRONTEND=noninteractive", work, "sh", "-c",
               "apt-get update -q && apt-get install -y -q --no-install-recommends %s && apt-get clean && "
               "rm -rf /var/lib/apt/lists/* && systemctl enable haproxy docker-registry" % " ".join(LB_PACKAGES))
        docker("commit", "--change", 'CMD ["/lib/systemd/systemd"]', "--change", "LABEL %s.image=1" % LABEL,
               work, name)
    finally:
        docker("rm", "-f", work, check=False)
    return name


def lb_plan(cfg):
    return {"name": LB_NAME, "group": "lb", "container": "%s-%s" % (cfg["name"], LB_NAME),
            "ssh_port": cfg["ssh_base"] + MAX_HOSTS, "http_port": cfg["http_base"] + MAX_HOSTS,
            "service_port": LB_PORT, "registry_port": cfg["http_base"] + MAX_HOSTS + 1}


def configure_lb(lb, app_hosts):
    """Write haproxy.cfg for the app hosts of this lab and (re)load HAProxy."""
    servers = "\n".join("    server %s %s:%d" % (h["name"], h["name"], APP_PORT) for h in app_hosts)
    text = HAPROXY_CFG.format(socket=LB_SOCKET, port=LB_PORT, servers=servers)
    proc = subprocess.run(["docker", "exec", "-i", lb["container"], "sh", "-c",
                           "cat > /etc/haproxy/haproxy.cfg.new && haproxy -c -q -f /etc/haproxy/haproxy.cfg.new && "
                           "mv /etc/haproxy/haproxy.cfg.new /etc/haproxy/haproxy.cfg && "
                           "systemctl restart haproxy && systemctl is-active haproxy"],
                          input=text, text=True, capture_output=True, check=False)
    if proc.returncode != 0:
        raise LabError("HAProxy on %s did not take its configuration: %s" % (lb["name"], (proc.stderr or proc.stdout).strip()))


REGISTRY_USER = "gopherops-lab"
REGISTRY_CONFIG = """\
version: 0.1
log:
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /var/lib/docker-registry
  delete:
    enabled: true
http:
  addr: :{port}
auth:
  htpasswd:
    realm: gopherops-lab
    path: /etc/docker/registry/htpasswd
"""


def configure_registry(cfg, lb):
    """Basic auth for the lab's registry (a user and a random password kept in the lab's state
    directory, bcrypt in htpasswd), as a real registry would ask."""
    import bcrypt  # from the virtualenv (a dependency of the exporter roles)

    secret = os.path.join(cfg["state_dir"], "registry_password")
    if not os.path.exists(secret):
        with open(secret, "w", encoding="ascii") as fh:
            fh.write(hashlib.sha256(os.urandom(32)).hexdigest()[:24])
        os.chmod(secret, 0o600)
    with open(secret, encoding="ascii") as fh:
        password = fh.read().strip()
    entry = "%s:%s\n" % (REGISTRY_USER, bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode())
    script = ("cat > /etc/docker/registry/config.yml && printf '%s' \"$0\" > /etc/docker/registry/htpasswd && "
              "chown docker-registry /etc/docker/registry/htpasswd 2>/dev/null; chmod 0640 /etc/docker/registry/htpasswd && "
              "systemctl restart docker-registry && systemctl is-active docker-registry")
    proc = subprocess.run(["docker", "exec", "-i", lb["container"], "sh", "-c", script, entry],
                          input=REGISTRY_CONFIG.format(port=REGISTRY_PORT), text=True, capture_output=True, check=False)
    if proc.returncode != 0:
        raise LabError("the registry on %s did not start: %s" % (lb["name"], (proc.stderr or proc.stdout).strip()))


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_ssh(port, deadline):
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.settimeout(3)
                if sock.recv(16).startswith(b"SSH-"):
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def load_state(cfg):
    path = os.path.join(cfg["state_dir"], "state.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def save_state(cfg, state):
    os.makedirs(cfg["state_dir"], exist_ok=True)
    path = os.path.join(cfg["state_dir"], "state.json")
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(state, fh, indent=2)
    os.replace(path + ".tmp", path)


def host_plan(cfg):
    count = cfg["hosts"]
    if not 1 <= count <= MAX_HOSTS:
        raise LabError("LAB_HOSTS must be between 1 and %d, got %d" % (MAX_HOSTS, count))
    plan = []
    for i in range(1, count + 1):
        plan.append({
            "name": "app%d" % i,
            "group": "app",
            "container": "%s-app%d" % (cfg["name"], i),
            "ssh_port": cfg["ssh_base"] + i - 1,
            "http_port": cfg["http_base"] + i - 1,
        })
    return plan


def container_running(name):
    proc = docker("inspect", "--format", "{{.State.Running}}", name, check=False)
    return proc.returncode == 0 and proc.stdout.strip() == "true"


def container_matches(cname, image, host):
    """Whether a running lab container has the image, the volume and loopback ports this lab asks for."""
    proc = docker("inspect", "--format", "{{.Config.Image}}|{{json .Config.Volumes}}{{json .HostConfig.CapAdd}}|"
                  "{{json .HostConfig.PortBindings}}", cname, check=False)
    if proc.returncode != 0:
        return False
    got_image, _sep, rest = proc.stdout.strip().partition("|")
    volumes, _sep, bindings = rest.partition("|")
    if "/var/lib/docker" not in volumes or "SYS_PTRACE" not in volumes:
        return False
    try:
        ports = {k: [(b.get("HostIp"), b.get("HostPort")) for b in v] for k, v in json.loads(bindings).items()}
    except ValueError:
        return False
    want = {"22/tcp": [("127.0.0.1", str(host["ssh_port"]))],
            "%d/tcp" % host.get("service_port", APP_PORT): [("127.0.0.1", str(host["http_port"]))]}
    if host.get("registry_port"):
        want["%d/tcp" % REGISTRY_PORT] = [("127.0.0.1", str(host["registry_port"]))]
    return got_image == image and ports == want


def ensure_key(cfg):
    key = os.path.join(cfg["state_dir"], "id_ed25519")
    if not os.path.exists(key):
        os.makedirs(cfg["state_dir"], mode=0o700, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gopherops-lab", "-f", key])
    with open(key + ".pub", encoding="utf-8") as fh:
        return key, fh.read().strip()


def start_host(cfg, image, host, pubkey, network):
    cname = host["container"]
    if container_running(cname):
        if container_matches(cname, image, host):
            # running already (perhaps started from another checkout with its own key): authorize ours
            authorize(cname, pubkey)
            return False
        print("lab: %s has another image or other ports than asked; recreating it" % host["name"])
        docker("rm", "-f", "-v", cname)
    if docker("inspect", cname, check=False).returncode == 0:
        docker("rm", "-f", cname)
    for port in (host["ssh_port"], host["http_port"]) + ((host["registry_port"],) if host.get("registry_port") else ()):
        if not port_free(port):
            raise LabError("port 127.0.0.1:%d is already in use (needed by lab host %s); free it or choose "
                           "other ports with LAB_SSH_BASE_PORT / LAB_HTTP_BASE_PORT" % (port, host["name"]))
    docker("run", "-d", "--name", cname, "--hostname", host["name"],
           "--network", network, "--network-alias", host["name"],
           "--label", "%s=%s" % (LABEL, cfg["name"]),
           # NET_ADMIN for a Docker engine's bridge inside the host (docker mode), SYS_PTRACE for its
           # `docker exec` and HEALTHCHECKs (runc joins the container's namespaces through /proc)
           "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "SYS_PTRACE",
           "--security-opt", "seccomp=unconfined",
           "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--cgroupns=host",
           "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp:exec",
           # a Docker engine inside a lab host (docker mode) cannot keep its overlay layers on the
           # host's overlay root file system: a volume of its own, removed with the host
           "-v", "/var/lib/docker",
           "-e", "container=docker", "--stop-signal", "SIGRTMIN+3",
           "-p", "127.0.0.1:%d:22" % host["ssh_port"],
           "-p", "127.0.0.1:%d:%d" % (host["http_port"], host.get("service_port", APP_PORT)),
           *(["-p", "127.0.0.1:%d:%d" % (host["registry_port"], REGISTRY_PORT)] if host.get("registry_port") else []),
           image, "/lib/systemd/systemd")
    authorize(cname, pubkey)
    return True


def authorize(cname, pubkey):
    """Make pubkey the one key that may log in as the deploy user."""
    home = "/home/%s/.ssh" % DEPLOY_USER
    docker("exec", cname, "sh", "-c",
           "install -d -m 0700 -o {u} -g {u} {h} && printf '%s\\n' \"$0\" > {h}/authorized_keys && "
           "chown {u}:{u} {h}/authorized_keys && chmod 0600 {h}/authorized_keys".format(u=DEPLOY_USER, h=home),
           pubkey)


def write_inventory(cfg, plan, key, known_hosts):
    lines = [
        "---",
        "# Written by scripts/lab.py for lab %s; regenerated by 'make lab-up'. Do not edit." % cfg["name"],
        "all:",
        "  vars:",
        "    ansible_user: %s" % DEPLOY_USER,
        "    ansible_ssh_private_key_file: %s" % json.dumps(key),
        "    ansible_ssh_common_args: %s" % json.dumps(
            "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes" % known_hosts),
        "    ansible_python_interpreter: /usr/bin/python3",
        "    lab_name: %s" % json.dumps(cfg["name"]),
        "  children:",
    ]
    groups = {}
    for host in plan:
        groups.setdefault(host["group"], []).append(host)
    for group, hosts in groups.items():
        lines += ["    %s:" % group, "      hosts:"]
        for host in hosts:
            lines += [
                "        %s:" % host["name"],
                "          ansible_host: 127.0.0.1",
                "          ansible_port: %d" % host["ssh_port"],
                "          lab_container: %s" % host["container"],
                "          lab_http_port: %d" % host["http_port"],
            ]
        if group == "app" and "lb" in groups:
            # the rollout takes each app host out of the lab's HAProxy while it deploys; docker mode's
            # registry transfer uses the registry on the same host
            lb = groups["lb"][0]
            lines += ["      vars:",
                      "        rollout_haproxy_hosts: [%s]" % LB_NAME,
                      "        rollout_haproxy_socket: %s" % LB_SOCKET,
                      "        lab_registry: %s:%d" % (LB_NAME, REGISTRY_PORT),
                      "        lab_registry_url: http://127.0.0.1:%d" % lb["registry_port"],
                      "        lab_registry_user: %s" % REGISTRY_USER]
    if "lb" in groups:
        # the load balancer host is also the lab's monitoring host (Prometheus, by prometheus_targets)
        lines += ["    monitoring:", "      hosts:", "        %s:" % LB_NAME]
    os.makedirs(os.path.dirname(cfg["inventory"]), exist_ok=True)
    tmp = cfg["inventory"] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(tmp, cfg["inventory"])


def scan_host_keys(plan, known_hosts, deadline):
    entries = []
    for host in plan:
        while True:
            proc = run(["ssh-keyscan", "-T", "5", "-t", "ed25519", "-p", str(host["ssh_port"]), "127.0.0.1"],
                       check=False)
            if proc.stdout.strip():
                entries.append(proc.stdout.strip())
                break
            if time.time() > deadline:
                raise LabError("lab host %s did not present an SSH host key" % host["name"])
            time.sleep(1)
    with open(known_hosts + ".tmp", "w", encoding="utf-8") as fh:
        fh.write("\n".join(entries) + "\n")
    os.replace(known_hosts + ".tmp", known_hosts)


def up(cfg):
    plan = host_plan(cfg)
    require_docker()
    old = load_state(cfg)
    if old:
        wanted = {h["container"] for h in plan} | ({lb_plan(cfg)["container"]} if cfg["lb"] else set())
        for host in old.get("hosts", []):
            if host["container"] not in wanted:
                docker("rm", "-f", host["container"], check=False)
    image = build_image(cfg)
    lb = None
    if cfg["lb"]:
        lb = lb_plan(cfg)
        lb["image"] = build_lb_image(cfg, image)
    key, pubkey = ensure_key(cfg)
    network = "%s-net" % cfg["name"]
    if docker("network", "inspect", network, check=False).returncode != 0:
        docker("network", "create", "--label", "%s=%s" % (LABEL, cfg["name"]), network)
    state = {"name": cfg["name"], "image": image, "network": network, "hosts": plan,
             "inventory": cfg["inventory"]}
    save_state(cfg, state)
    ensure_inotify(len(plan) + (1 if lb else 0))
    started = [h for h in plan if start_host(cfg, image, h, pubkey, network)]
    app_hosts = list(plan)
    if lb:
        if start_host(cfg, lb["image"], lb, pubkey, network):
            started.append(lb)
        plan = plan + [lb]
        state["hosts"] = plan
        save_state(cfg, state)
    deadline = time.time() + 120
    for host in plan:
        if not wait_ssh(host["ssh_port"], deadline):
            logs = docker("logs", "--tail", "30", host["container"], check=False).stdout
            raise LabError("lab host %s: sshd did not answer on 127.0.0.1:%d within 120 s\n%s"
                           % (host["name"], host["ssh_port"], logs))
    known_hosts = os.path.join(cfg["state_dir"], "known_hosts")
    scan_host_keys(plan, known_hosts, deadline)
    if lb:
        configure_lb(lb, app_hosts)
        configure_registry(cfg, lb)
    write_inventory(cfg, plan, key, known_hosts)
    print("lab: %d host(s) up (%d started now); inventory %s" % (len(plan), len(started),
                                                                 os.path.relpath(cfg["inventory"], ROOT)))
    for host in plan:
        print("  %-6s ssh 127.0.0.1:%d  http 127.0.0.1:%d" % (host["name"], host["ssh_port"], host["http_port"]))


def down(cfg):
    state = load_state(cfg)
    if shutil.which("docker") is None or docker("info", check=False).returncode != 0:
        if state:
            raise LabError("no Docker engine answers, so the lab's containers cannot be removed")
        print("lab: nothing to remove")
        return
    # Every container the lab starts carries its label, so this finds them even when the
    # state file was lost, and nothing else.
    targets = docker("ps", "-aq", "--filter", "label=%s=%s" % (LABEL, cfg["name"])).stdout.split()
    if targets:
        docker("rm", "-f", "-v", *targets)
    network = "%s-net" % cfg["name"]
    if docker("network", "inspect", network, check=False).returncode == 0:
        docker("network", "rm", network)
    if state and os.path.exists(state.get("inventory", "")):
        os.remove(state["inventory"])
    shutil.rmtree(cfg["state_dir"], ignore_errors=True)
    print("lab: removed %d container(s)" % len(targets) if targets or state else "lab: nothing to remove")


def purge(cfg):
    """down, then the base images as well (they are otherwise kept for the next lab)."""
    down(cfg)
    if shutil.which("docker") is None or docker("info", check=False).returncode != 0:
        return
    images = docker("images", "-q", "--filter", "label=%s.image=1" % LABEL).stdout.split()
    if images:
        docker("rmi", "-f", *sorted(set(images)))
    print("lab: removed %d base image(s)" % len(set(images)))


def served_version(port):
    """What the service on a lab host reports at /version, or why nothing answered."""
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open("http://127.0.0.1:%d/version" % port, timeout=3) as resp:
            return json.loads(resp.read().decode()).get("version", "?")
    except (OSError, ValueError) as exc:
        return "no answer (%s)" % getattr(exc, "reason", exc)


def status(cfg):
    state = load_state(cfg)
    if not state:
        print("lab: %s is not up" % cfg["name"])
        return 1
    print("lab %s:" % cfg["name"])
    for host in state["hosts"]:
        running = container_running(host["container"])
        url = "http://127.0.0.1:%d" % host["http_port"]
        print("  %-6s %-8s ssh -p %d deploy@127.0.0.1   %s/version -> %s" % (
            host["name"], "running" if running else "stopped", host["ssh_port"], url,
            served_version(host["http_port"]) if running else "-"))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="Manage the gopherops.baremetal lab")
    parser.add_argument("command", choices=["image", "image-name", "up", "down", "purge", "status"])
    parser.add_argument("--hosts", type=int, help="number of app hosts (overrides LAB_HOSTS)")
    args = parser.parse_args(argv)
    try:
        cfg = settings()
        if args.hosts is not None:
            cfg["hosts"] = args.hosts
        if args.command == "image":
            build_image(cfg)
        elif args.command == "image-name":
            print(image_name(cfg))
        elif args.command == "up":
            up(cfg)
        elif args.command == "down":
            down(cfg)
        elif args.command == "purge":
            purge(cfg)
        else:
            return status(cfg)
    except LabError as exc:
        print("lab: error: %s" % exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
