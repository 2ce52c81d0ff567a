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
source "$root/scripts/lib/npm.sh"
npm_ci_once "$web"
cd "$web"
npm run --silent build
