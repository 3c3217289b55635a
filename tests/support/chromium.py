"""Headless Chromium helpers: render a local HTML file with the network blocked, return the DOM after
scripts ran, the console messages and a screenshot."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         # Any attempt to reach the network fails to resolve: the page must be self-contained.
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000"]


@dataclass
class Rendered:
    dom: str
    console: list[str]
    screenshot: Path | None


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render(page: Path, screenshot: Path | None = None, size: str = "1400,4200", timeout: int = 120) -> Rendered:
    binary = chromium_binary()
    assert binary, "chromium is not installed (make system-deps)"
    url = page.resolve().as_uri()
    dom = subprocess.run([binary, *FLAGS, "--dump-dom", url], capture_output=True, text=True, timeout=timeout)
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    shot = None
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([binary, *FLAGS, f"--screenshot={screenshot}", f"--window-size={size}", url],
                       capture_output=True, text=True, timeout=timeout, check=True)
        shot = screenshot
    return Rendered(dom=dom.stdout, console=console, screenshot=shot)


def console_errors(lines: list[str]) -> list[str]:
    return [line for line in lines if re.search(r"error|uncaught|failed", line, re.I)]
