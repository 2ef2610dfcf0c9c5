"""The browser test's tools, installed on first use: Debian's Chromium (apt-get) and Playwright for Python (pip).

Playwright drives the system Chromium, so no browser is ever downloaded (`playwright install` is never run).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# The same requirement as pyproject.toml's dev group, for a .venv created before it was added there.
PLAYWRIGHT_REQUIREMENT = "playwright>=1.45"
INSTALL_TIMEOUT = 600
# The browser test drives the Airflow 3 UI (its routes and test ids); the Airflow 2 run of the suite skips it.
AIRFLOW_3_UI = int(version("apache-airflow").split(".")[0]) >= 3


class ToolingError(RuntimeError):
    """A tool the browser test needs is missing and could not be installed; the message says how to install it."""


def _run(command: list[str], fix: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False, env=env
    )
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise ToolingError(f"`{' '.join(command)}` failed with exit code {done.returncode}; {fix}\n{tail}")


def ensure_chromium() -> Path:
    """Debian's ``chromium`` package, installed with apt-get when missing.

    :return: the Chromium executable.
    :raises ToolingError: when it is missing and apt-get cannot install it (not root, no network).
    """
    if CHROMIUM.exists():
        return CHROMIUM
    apt_get = shutil.which("apt-get")
    if apt_get is None or os.geteuid() != 0:
        raise ToolingError(
            f"{CHROMIUM} is missing and this test can only install it as root with apt-get; run `sudo apt-get install -y chromium`"
        )
    fix = "install it by hand: `apt-get update && apt-get install -y chromium`"
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run([apt_get, "update", "-qq"], fix, apt_env)
    _run([apt_get, "install", "-y", "-qq", "--no-install-recommends", "chromium"], fix, apt_env)
    if not CHROMIUM.exists():
        raise ToolingError(f"apt-get installed chromium but {CHROMIUM} does not exist; {fix}")
    return CHROMIUM


def ensure_playwright() -> None:
    """Playwright for Python in this interpreter's environment, pip-installed when missing.

    :raises ToolingError: when pip cannot install it.
    """
    if importlib.util.find_spec("playwright") is not None:
        return
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            PLAYWRIGHT_REQUIREMENT,
        ],
        f"install it by hand: `{sys.executable} -m pip install '{PLAYWRIGHT_REQUIREMENT}'` (or `make install`)",
    )
    importlib.invalidate_caches()
