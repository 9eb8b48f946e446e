#!/usr/bin/env bash
# ansible-test sanity needs the collection at .../ansible_collections/<namespace>/<name>: copy the
# files git knows (tracked, or new and not ignored) there and run it with the venv's Python.
set -euo pipefail
root=$(pwd)
dest=.build/sanity/ansible_collections/gopherops/baremetal
rm -rf "$dest"
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -c | tar -x -C "$dest"

# ansible-test --requirements bootstraps pip with a get-pip script it would download; place a
# stand-in in its cache that uses the standard library's ensurepip and then installs what it is given.
pyver=$("$root/.venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# ansible-test keeps its cache under $HOME; a home of our own keeps the stand-in below out of the user's
export HOME="$root/.build/sanity-home"
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
# the pip version ansible-test bootstraps is in its source: pip='24.2'
for v in $(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" "$root"/.venv/lib/python*/site-packages/ansible_test/_internal/python_requirements.py); do
  cp scripts/get_pip_offline.py "$cache/get_pip_${v//./_}.py"
done
cd "$dest"
# a repository of its own, so that ansible-test lists these files rather than the outer checkout's
git init -q . && git add -A
"$root/.venv/bin/ansible-test" sanity --requirements --python "$pyver" --color no ${SANITY_ARGS:-}
