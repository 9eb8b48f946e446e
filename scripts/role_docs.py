"""Write docs/roles/<role>.md from each role's meta/argument_specs.yml (one table per entry point).

    python3 scripts/role_docs.py           # write the files
    python3 scripts/role_docs.py --check   # exit 1 and name the files that are out of date
"""

from __future__ import annotations

import argparse
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "roles")
MARKUP = re.compile(r"\b([CIOVRBLMUP])\(([^()]*(?:\([^()]*\)[^()]*)*)\)")


def plain(text):
    """Ansible doc markup (C(x), O(x), M(x)...) as Markdown."""
    def sub(m):
        kind, inner = m.group(1), m.group(2)
        if kind == "I":
            return "*%s*" % inner
        if kind == "B":
            return "**%s**" % inner
        if kind == "P":
            return "`%s`" % inner.split("#", 1)[0]
        if kind in ("L", "U"):
            return inner.split(",")[-1].strip() if kind == "U" else inner.split(",", 1)[0]
        return "`%s`" % inner
    return MARKUP.sub(sub, text)


def cell(value):
    return str(value).replace("|", "\\|").replace("\n", " ")


def description(spec):
    desc = spec.get("description", "")
    lines = desc if isinstance(desc, list) else [desc]
    return " ".join(plain(str(line)).strip() for line in lines)


def default(spec):
    if "default" not in spec:
        return ""
    value = spec["default"]
    if isinstance(value, str):
        return "`%s`" % plain(value).replace("`", "") if value else '`""`'
    return "`%s`" % yaml.safe_dump(value, default_flow_style=True, width=1000).strip().replace("\n...", "")


def render(role, specs):
    out = ["# Role `gopherops.baremetal.%s`" % role, "",
           "Generated from `roles/%s/meta/argument_specs.yml` by `scripts/role_docs.py`; `ansible-doc -t role "
           "gopherops.baremetal.%s` shows the same." % (role, role), ""]
    for entry, spec in specs["argument_specs"].items():
        out.append("## Entry point `%s`" % entry)
        out.append("")
        if spec.get("short_description"):
            out += [plain(spec["short_description"]).rstrip(".") + ".", ""]
        for line in spec.get("description", []) if isinstance(spec.get("description"), list) else [spec.get("description", "")]:
            if line:
                out += [plain(line), ""]
        options = spec.get("options") or {}
        if not options:
            out += ["No variables.", ""]
            continue
        out += ["| variable | type | default | description |", "|---|---|---|---|"]
        for name, opt in options.items():
            kind = opt.get("type", "str")
            if opt.get("elements"):
                kind += " of " + opt["elements"]
            if opt.get("required"):
                kind += ", **required**"
            desc = description(opt)
            if opt.get("choices"):
                desc += " Choices: %s." % ", ".join("`%s`" % c for c in opt["choices"])
            out.append("| `%s` | %s | %s | %s |" % (name, cell(kind), cell(default(opt)), cell(desc)))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def wanted():
    files = {}
    for role in sorted(os.listdir(os.path.join(ROOT, "roles"))):
        path = os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                files[os.path.join(OUT, role + ".md")] = render(role, yaml.safe_load(fh))
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    args = parser.parse_args()
    stale = []
    for path, text in wanted().items():
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current != text:
            stale.append(os.path.relpath(path, ROOT))
            if not args.check:
                os.makedirs(OUT, exist_ok=True)
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
    if args.check and stale:
        print("out of date (run python3 scripts/role_docs.py): %s" % ", ".join(stale), file=sys.stderr)
        return 1
    for path in stale:
        print("wrote %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
