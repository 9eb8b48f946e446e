"""Stand-in for the get-pip bootstrap script that ansible-test downloads: pip comes from the
standard library's ensurepip, then 'pip install' runs with the arguments given, trusting the
system's CA bundle (ansible-test hides the machine's pip settings with PIP_CONFIG_FILE=/dev/null)."""

import ensurepip
import os
import ssl
import subprocess
import sys


def main():
    ensurepip.bootstrap(upgrade=True)
    env = dict(os.environ)
    cafile = ssl.get_default_verify_paths().cafile
    if cafile and os.path.exists(cafile):
        env.setdefault("PIP_CERT", cafile)
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    if args and args[0] != "install":
        args = ["install"] + args
    return subprocess.call([sys.executable, "-m", "pip"] + args, env=env)


if __name__ == "__main__":
    sys.exit(main())
