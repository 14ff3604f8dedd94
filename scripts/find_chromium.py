"""Print the path of a Chromium for the browser tests, installing one if needed and possible.

Order: $CHROMIUM_PATH, a system Chromium, Playwright's own browser, then `apt-get install chromium`
when running as root. Otherwise exit 1 with a message saying what to do.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _works(path: str) -> bool:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0


def _system() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path and _works(path):
            return path
    return None


def _playwright_own() -> str | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:
        return None
    return path if path and Path(path).exists() else None


def _apt_install() -> str | None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    print("Installing Chromium with apt-get (once)...", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env,
                   stdout=subprocess.DEVNULL)
    return _system()


def main() -> int:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        if _works(explicit):
            print(explicit)
            return 0
        print(f"CHROMIUM_PATH={explicit} does not run.", file=sys.stderr)
        return 1
    path = _system() or _playwright_own() or _apt_install()
    if path:
        print(path)
        return 0
    print("No Chromium found for the browser tests. Install one (Debian/Ubuntu: sudo apt-get install "
          "chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
