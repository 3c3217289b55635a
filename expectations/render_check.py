"""Open a Data Docs page in headless Chromium and report what an auditor would see.

Speaks the DevTools protocol directly (one websocket), records every request and every failed
load, and inspects the rendered page: is Bootstrap's stylesheet applied, did the Vega charts draw,
which requests left the machine. `python -m expectations.render_check PAGE.html [--screenshot F]`.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
    "--disable-extensions", "--mute-audio", "--hide-scrollbars", "--window-size=1400,1000",
)

_PROBE_JS = """(() => {
  const body = getComputedStyle(document.body);
  const sheets = Array.from(document.styleSheets).map(s => s.href || 'inline');
  const navbar = document.querySelector('.navbar');
  const charts = document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length;
  const chartDivs = document.querySelectorAll('[id^="vega"], .vega-embed').length;
  return JSON.stringify({
    title: document.title,
    fontFamily: body.fontFamily,
    navbarDisplay: navbar ? getComputedStyle(navbar).display : null,
    stylesheets: sheets,
    jquery: typeof window.jQuery,
    vega: typeof window.vega, vegaEmbed: typeof window.vegaEmbed,
    bootstrapTable: !!(window.jQuery && window.jQuery.fn && window.jQuery.fn.bootstrapTable),
    charts: charts, chartContainers: chartDivs,
    tables: document.querySelectorAll('table').length,
    textLength: document.body.innerText.length,
    fontAwesome: (() => { const i = document.querySelector('.fa, .fas, .far');
                          return i ? getComputedStyle(i, '::before').fontFamily : null; })(),
  });
})()"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class RenderReport:
    url: str
    requests: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    http_errors: list[dict] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page: dict = field(default_factory=dict)
    screenshot: Path | None = None

    @property
    def remote_requests(self) -> list[str]:
        return [u for u in self.requests if u.startswith(("http://", "https://", "ws://", "wss://"))]

    @property
    def styled(self) -> bool:
        """Bootstrap's stylesheet applied (its system font stack on body, its navbar layout)."""
        return "BlinkMacSystemFont" in self.page.get("fontFamily", "") and self.page.get("navbarDisplay") == "flex"

    @property
    def charts(self) -> int:
        return int(self.page.get("charts", 0))

    @property
    def ok(self) -> bool:
        return not self.failed and not self.http_errors and not self.remote_requests and self.styled


class _Cdp:
    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        msg_id = next(self.ids)
        msg: dict = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            data = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if data.get("id") == msg_id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data.get("result", {})
            self.events.append(data)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.events.append(json.loads(self.ws.recv(timeout=max(0.05, deadline - time.monotonic()))))
            except TimeoutError:
                break


def render(page: Path, screenshot: Path | None = None, settle_seconds: float = 3.0,
           chromium: str | None = None) -> RenderReport:
    """Load `page` (file) in headless Chromium; collect requests, failures and the page probe."""
    binary = chromium or find_chromium()
    if not binary:
        raise FileNotFoundError("chromium not found (Debian: apt-get install -y chromium)")
    url = page.resolve().as_uri()
    report = RenderReport(url)
    with tempfile.TemporaryDirectory(prefix="fh-chromium-") as profile:
        proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 30
            while not (port_file.exists() and port_file.read_text().strip()):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("chromium did not start its DevTools endpoint")
                time.sleep(0.1)
            port, path = port_file.read_text().splitlines()[:2]
            from websockets.sync.client import connect

            with connect(f"ws://127.0.0.1:{port}{path}", max_size=64 * 1024 * 1024, open_timeout=20) as ws:
                cdp = _Cdp(ws)
                target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
                session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
                for domain in ("Network", "Page", "Runtime", "Log"):
                    cdp.call(f"{domain}.enable", session=session)
                cdp.call("Page.navigate", {"url": url}, session=session)
                _wait_for_load(cdp, session)
                cdp.drain(settle_seconds)
                probe = cdp.call("Runtime.evaluate", {"expression": _PROBE_JS, "returnByValue": True},
                                 session=session)
                report.page = json.loads(probe["result"]["value"])
                if screenshot:
                    size = cdp.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
                    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1}
                    shot = cdp.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                               "clip": clip}, session=session)
                    screenshot.write_bytes(base64.b64decode(shot["data"]))
                    report.screenshot = screenshot
                _collect(cdp.events, report)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return report


def _wait_for_load(cdp: _Cdp, session: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(e.get("method") == "Page.loadEventFired" for e in cdp.events):
            return
        cdp.drain(0.2)
    raise TimeoutError("page did not finish loading")


def _collect(events: list[dict], report: RenderReport) -> None:
    urls: dict[str, str] = {}
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
            report.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            report.failed.append({"url": urls.get(params["requestId"], "?"), "error": params.get("errorText"),
                                  "blocked": params.get("blockedReason")})
        elif method == "Network.responseReceived":
            status = params["response"].get("status", 0)
            if status >= 400:
                report.http_errors.append({"url": params["response"]["url"], "status": status})
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            report.console_errors.append(params["entry"].get("text", ""))
        elif method == "Runtime.exceptionThrown":
            report.console_errors.append(params["exceptionDetails"].get("text", "exception"))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("page", type=Path)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args(argv)
    report = render(args.page, args.screenshot)
    print(json.dumps({"ok": report.ok, "styled": report.styled, "page": report.page,
                      "failed": report.failed, "http_errors": report.http_errors,
                      "remote_requests": report.remote_requests, "console_errors": report.console_errors,
                      "requests": len(report.requests)}, indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
