"""The Debian programs some tests drive (scripts/system-packages.sh installs them, `make test` runs it). A missing
one fails the test and names the package: a skip would let the check silently not run."""
from __future__ import annotations

import shutil
import subprocess

import pytest

PACKAGE = {"redis-server": "redis-server", "pdftotext": "poppler-utils", "pdfimages": "poppler-utils",
           "pdffonts": "poppler-utils", "pdfinfo": "poppler-utils", "openssl": "openssl", "node": "nodejs",
           "npm": "npm"}


def need(command: str) -> str:
    """The program's path; a failure that says which package to install when it is not on the PATH."""
    path = shutil.which(command)
    if path is None:
        pytest.fail(f"{command} not found: this test needs Debian's {PACKAGE[command]} "
                    f"(`make system` installs it: bash scripts/system-packages.sh)", pytrace=False)
    return path


def output(command: str, *args: str) -> str:
    """What the program prints on stdout (as text); a failed run fails the test with its stderr."""
    done = subprocess.run([need(command), *args], capture_output=True, text=True)
    assert done.returncode == 0, f"{command} {' '.join(args)} exited with {done.returncode}: {done.stderr}"
    return done.stdout
