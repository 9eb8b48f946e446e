#!/usr/bin/env bash
# Run every molecule scenario on containers of the lab base image.
set -euo pipefail
LAB_IMAGE=$(.venv/bin/python scripts/lab.py image-name)
export LAB_IMAGE
docker image inspect "$LAB_IMAGE" >/dev/null 2>&1 || { echo "error: lab image $LAB_IMAGE missing: run 'make lab-image'" >&2; exit 1; }
export ANSIBLE_CONFIG=
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
.venv/bin/molecule test --all
