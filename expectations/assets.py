"""Offline Data Docs: serve the front-end libraries GX's templates load from public CDNs locally.

The libraries are installed from the npm registry at install time (`make assets`, which runs
`npm install` in `expectations/static/`, see package.json there); nothing is vendored in git.
After GX writes a site, `make_offline(site_dir, vendor_dir)` copies the needed files into a shared
`vendor/` folder beside the sites and rewrites every CDN reference in the HTML to a relative path,
drops the `integrity`/`crossorigin` attributes (they block `file://` loads) and replaces the
remote GX logo (a tracking pixel) with the copy GX ships in the site's own `static/` folder.

`python -m expectations.assets` installs the packages (same as `make assets`) and checks them.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
NODE_MODULES = STATIC_DIR / "node_modules"


@dataclass(frozen=True)
class CdnAsset:
    url: str       # as written in GX 1.24's templates
    local: str     # path under node_modules/


CDN_ASSETS: tuple[CdnAsset, ...] = (
    CdnAsset("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css",
             "bootstrap-table/dist/bootstrap-table.min.css"),
    CdnAsset("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js",
             "bootstrap-table/dist/bootstrap-table.min.js"),
    CdnAsset("https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
             "bootstrap-table-filter-control.min.js",
             "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    CdnAsset("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
             "bootstrap-table-filter-control.min.css",
             "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    CdnAsset("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
             "bootstrap-table-filter-control.css",
             "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.css"),
    CdnAsset("https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css",
             "bootstrap/dist/css/bootstrap.min.css"),
    CdnAsset("https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js",
             "bootstrap/dist/js/bootstrap.min.js"),
    CdnAsset("https://code.jquery.com/jquery-3.7.1.min.js", "jquery/dist/jquery.min.js"),
    # bootstrap 4.3.1 declares popper.js ^1.14.7 as its peer; the template's 1.12.9 is older.
    CdnAsset("https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js",
             "popper.js/dist/umd/popper.min.js"),
    CdnAsset("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css",
             "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css"),
    CdnAsset("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js",
             "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js"),
    CdnAsset("https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",
             "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css"),
    CdnAsset("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css",
             "@fortawesome/fontawesome-free/css/all.min.css"),
    CdnAsset("https://cdn.jsdelivr.net/npm/vega@5", "vega/build/vega.min.js"),
    CdnAsset("https://cdn.jsdelivr.net/npm/vega-lite@5", "vega-lite/build/vega-lite.min.js"),
    CdnAsset("https://cdn.jsdelivr.net/npm/vega-embed@6", "vega-embed/build/vega-embed.min.js"),
)
# Whole folders some stylesheets reference relatively (Font Awesome's ../webfonts/).
EXTRA_DIRS: tuple[str, ...] = ("@fortawesome/fontawesome-free/webfonts",)

_REMOTE_LOGO = re.compile(r'https://great-expectations-web-assets\.s3[^"\']*/(logo-long\.png)[^"\']*')
_FAVICON = re.compile(r'href="[./]*static/images/favicon\.ico"')  # GX 1.24 gets its depth wrong
_INTEGRITY = re.compile(r'\s+(integrity|crossorigin)="[^"]*"')
_URL_IN_LOAD = re.compile(r'<(?:script|link|img)\b[^>]*?(?:src|href)="(https?://[^"]+)"', re.IGNORECASE)


class AssetsMissing(RuntimeError):
    """The npm packages are not installed; the message says how to install them."""


def missing_assets(node_modules: Path = NODE_MODULES) -> list[str]:
    needed = [a.local for a in CDN_ASSETS] + list(EXTRA_DIRS)
    return [p for p in needed if not (node_modules / p).exists()]


def check_installed(node_modules: Path = NODE_MODULES) -> None:
    missing = missing_assets(node_modules)
    if missing:
        raise AssetsMissing(
            f"Data Docs front-end assets are not installed ({len(missing)} missing, e.g. {missing[0]}); "
            f"run `make assets` (or `cd {STATIC_DIR} && npm install`) so reports render offline"
        )


def sync_vendor(vendor_dir: Path, node_modules: Path = NODE_MODULES) -> None:
    """Copy the needed files into vendor_dir (only those that changed)."""
    check_installed(node_modules)
    files = [a.local for a in CDN_ASSETS]
    for folder in EXTRA_DIRS:
        files += [str(p.relative_to(node_modules)) for p in (node_modules / folder).rglob("*") if p.is_file()]
    for rel in files:
        src, dst = node_modules / rel, vendor_dir / rel
        if dst.exists() and filecmp.cmp(src, dst, shallow=True):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def rewrite_html(html: str, vendor_rel: str, static_rel: str) -> str:
    """CDN URLs -> vendor_rel/<path>; remote logo -> static_rel/images/<file>; no SRI attributes."""
    for asset in CDN_ASSETS:
        html = html.replace(f'"{asset.url}"', f'"{vendor_rel}/{asset.local}"')
    html = _REMOTE_LOGO.sub(lambda m: f"{static_rel}/images/{m.group(1)}", html)
    html = _FAVICON.sub(f'href="{static_rel}/images/favicon.ico"', html)
    return _INTEGRITY.sub("", html)


def remote_loads(html: str) -> list[str]:
    """URLs the page would still fetch from the network (scripts, stylesheets, images)."""
    return _URL_IN_LOAD.findall(html)


def make_offline(site_dir: Path, vendor_dir: Path) -> int:
    """Rewrite every HTML page of a GX site to load its assets locally; return pages rewritten."""
    sync_vendor(vendor_dir)
    count = 0
    for page in site_dir.rglob("*.html"):
        vendor_rel = Path(os.path.relpath(vendor_dir, page.parent)).as_posix()
        static_rel = Path(os.path.relpath(site_dir / "static", page.parent)).as_posix()
        text = page.read_text(encoding="utf-8")
        new = rewrite_html(text, vendor_rel, static_rel)
        left = remote_loads(new)
        if left:
            raise RuntimeError(f"{page}: Data Docs page still loads remote assets: {left[:3]}")
        if new != text:
            page.write_text(new, encoding="utf-8")
            count += 1
    return count


def install() -> int:
    """`npm install` in expectations/static (what `make assets` runs)."""
    npm = shutil.which("npm")
    if not npm:
        print("npm not found: install Node.js (Debian: apt-get install -y nodejs npm)", file=sys.stderr)
        return 1
    rc = subprocess.call([npm, "install", "--no-audit", "--no-fund"], cwd=STATIC_DIR)
    if rc == 0:
        check_installed()
        print(f"Data Docs assets installed in {NODE_MODULES}")
    return rc


if __name__ == "__main__":
    sys.exit(install())
