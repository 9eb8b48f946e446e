#!/usr/bin/env bash
# Time a deploy and a no-op rerun of playbooks/deploy.yml on the lab. Run from the repository root:
#   make lab-up && bash bench/deploy_lab.sh
set -euo pipefail
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
run() {
  local start end
  start=$(date +%s.%N)
  ansible-playbook playbooks/deploy.yml -i inventories/lab "$@" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }'
}
hosts=$(grep -c 'ansible_port:' inventories/lab/hosts.yml)
v="bench-$(date +%s)"
printf 'hosts=%s  changed rollout: %ss\n' "$hosts" "$(run -e app_version="$v")"
printf 'hosts=%s  no-op rerun:     %ss\n' "$hosts" "$(run -e app_version="$v")"
