#!/usr/bin/env bash
# Tests the web pages: the build and its budget (scripts/build-web.sh), the component and store
# tests (vitest), that src/api/schema.d.ts still matches the server's OpenAPI document, and the
# browser journeys (e2e/journeys.test.mjs): playwright-core driving Debian's Chromium (installed
# here with apt when missing; never a browser download) against the real server on a temporary
# SQLite database with the demo shop and the built pages.
#
#   scripts/check-web.sh [--docs] [--update-types]
#     --docs          also copies the README's screenshots to docs/screenshots/
#     --update-types  writes the server's document to src/api/schema.d.ts instead of failing
#
# Screenshots of every journey land in recsys-server/web/e2e/screenshots/ (ignored). The server
# binary is the one `cargo test --workspace` built (scripts/lib/server.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
docs=false
update_types=false
for arg in "$@"; do
  case "$arg" in
    --docs) docs=true ;;
    --update-types) update_types=true ;;
    *) echo "check-web: unknown argument $arg" >&2; exit 2 ;;
  esac
done
port="${RECSYS_WEB_CHECK_PORT:-18932}"
web="$root/recsys-server/web"

if [[ ! -x /usr/bin/chromium ]]; then
  echo "installing Debian's chromium for the browser tests ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium fonts-liberation >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q chromium fonts-liberation >/dev/null; }
fi

scripts/build-web.sh
(cd "$web" && npx vitest run)

scripts/fetch-data.sh ml-100k >/dev/null
source scripts/lib/server.sh
use_temp_workdir
start_demo_server "$port" "$work" --web-dir "$web/dist"
base="http://127.0.0.1:$port"

# the types the pages use are generated from the server's document: they must not drift
(cd "$web" && npx openapi-typescript "$base/openapi.json" -o "$work/schema.d.ts" >/dev/null 2>&1)
if [[ "$update_types" == true ]]; then
  cp "$work/schema.d.ts" "$web/src/api/schema.d.ts"
  (cd "$web" && npx tsc -b)
elif ! diff -q "$work/schema.d.ts" "$web/src/api/schema.d.ts" >/dev/null; then
  echo "check-web: src/api/schema.d.ts is not the server's OpenAPI document any more:" >&2
  diff "$web/src/api/schema.d.ts" "$work/schema.d.ts" | head -40 >&2
  echo "regenerate it: scripts/check-web.sh --update-types" >&2
  exit 1
fi

rm -rf "$web/e2e/screenshots"
status=0
(cd "$web" && BASE_URL="$base" node --test --test-concurrency=1 e2e/) || status=$?
if grep -q '"level":"ERROR"' "$work/server.log"; then
  echo "check-web: the server logged errors:" >&2
  grep '"level":"ERROR"' "$work/server.log" | head -20 >&2
  status=1
fi
if [[ "$status" == 0 && "$docs" == true ]]; then
  mkdir -p docs/screenshots
  for shot in home-customer product dashboard; do
    cp "$web/e2e/screenshots/$shot.png" "docs/screenshots/$shot.png"
  done
  echo "copied the README's screenshots to docs/screenshots/"
fi
exit "$status"
