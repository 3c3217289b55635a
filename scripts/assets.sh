#!/usr/bin/env bash
# Front-end assets for offline Data Docs and reports come from the npm registry at install time.
set -euo pipefail
if [ -f expectations/static/package.json ]; then
  if [ ! -d expectations/static/node_modules ] || [ expectations/static/package.json -nt expectations/static/node_modules ]; then
    (cd expectations/static && npm install --no-audit --no-fund --silent)
  fi
fi
