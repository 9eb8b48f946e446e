#!/usr/bin/env bash
# Make sure a Docker engine answers and debootstrap is present; on Debian/Ubuntu as root,
# install docker.io and debootstrap and start dockerd when needed. Otherwise explain what is missing.
set -euo pipefail
log_dir="${LAB_LOG_DIR:-.lab}"
need_apt=()
engine_up() { docker info >/dev/null 2>&1; }
if ! engine_up && ! command -v dockerd >/dev/null 2>&1; then need_apt+=(docker.io); fi
if ! command -v ssh-keygen >/dev/null 2>&1; then need_apt+=(openssh-client); fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then need_apt+=(python3-venv); fi
# the filebeat role's tests make their fixture packages (.deb, signed .rpm and their repositories)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  command -v dpkg-deb >/dev/null 2>&1 || need_apt+=(dpkg)
  command -v gpg >/dev/null 2>&1 || need_apt+=(gpg gpg-agent)
  command -v rpmbuild >/dev/null 2>&1 || need_apt+=(rpm)
  command -v createrepo_c >/dev/null 2>&1 || need_apt+=(createrepo-c)
fi
# debootstrap only builds the lab image; as root it is installed here, otherwise lab.py asks for it
# when (and only when) the image has to be built.
if ! command -v debootstrap >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  need_apt+=(debootstrap)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing ${need_apt[*]}." >&2
    echo "  On Debian/Ubuntu run 'sudo make host-deps' once (installs ${need_apt[*]} and starts dockerd)," >&2
    echo "  or install them yourself and start a Docker engine that 'docker info' can reach." >&2
    exit 1
  fi
  echo "host-deps: installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! engine_up; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: no Docker engine answers and you are not root, so none can be started here." >&2
    echo "  Start Docker (e.g. 'sudo systemctl start docker') or add yourself to the docker group." >&2
    exit 1
  fi
  mkdir -p "$log_dir"
  echo "host-deps: starting dockerd (log: $log_dir/dockerd.log)"
  nohup dockerd >"$log_dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do engine_up && break; sleep 1; done
  if ! engine_up; then
    echo "error: dockerd did not answer within 60 s; its log follows" >&2
    tail -n 30 "$log_dir/dockerd.log" >&2
    exit 1
  fi
fi
echo "host-deps: Docker engine $(docker info --format '{{.ServerVersion}}') answers"
