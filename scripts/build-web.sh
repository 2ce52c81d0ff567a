#!/usr/bin/env bash
# Builds the storefront and dashboard (recsys-server/web) into recsys-server/web/dist, which the
# server serves at `/`: `npm ci` from the committed package-lock.json (skipped while node_modules
# matches it), a type check, `vite build`, and the JavaScript budget (scripts/budget.mjs prints
# the initial gzipped size and fails over 250 KB). Needs Node >= 20 and npm.
#
#   scripts/build-web.sh           # the main job (scripts/demo.sh) and scripts/check-web.sh call it
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/recsys-server/web"
cd "$web"
if ! command -v npm >/dev/null; then
  echo "build-web: npm is not installed (Node >= 20 is needed for the web pages)" >&2
  exit 1
fi
stamp="node_modules/.recsys-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
npm run --silent build
