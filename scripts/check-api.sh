#!/usr/bin/env bash
# Fuzzes the live server from its own OpenAPI document with schemathesis: a fresh server on a
# temporary SQLite database with the demo shop, an admin token and a service API key with every
# scope (`X-API-Key`: the service routes take it, the others ignore it), and the checks that no
# answer is a 5xx, every status code and content type is documented, and every body matches its
# schema.
#
#   scripts/check-api.sh [SECONDS]     # default 60; needs schemathesis (PYTHON's venv) and the
#                                      # demo data (scripts/fetch-data.sh ml-100k)
#
# The server binary is the one `cargo test --workspace` built (no second build; scripts/lib/server.sh). One worker:
# with two, hypothesis describes strategies (ast.parse) on two threads at once, and CPython
# 3.11's parser is not thread-safe there ("AST constructor recursion depth mismatch", a runtime
# error of the tool, not of the server, in about half the runs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-60}"
python="${PYTHON:-python3}"
# an absolute path: the run changes folder (a venv's python stays the venv's)
[[ "$python" == */* ]] && python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"
port="${RECSYS_CHECK_PORT:-18931}"
scripts/fetch-data.sh ml-100k >/dev/null
source scripts/lib/server.sh
use_temp_workdir
PYTHON="$python" start_demo_server "$port" "$work" --web-dir "$work/no-web"
token="$(curl -sf "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"admin@demo.recsys.dev","password":"demo-admin-password"}' |
  "$python" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
key="$(curl -sf "http://127.0.0.1:$port/api/v1/admin/api-keys" -H 'content-type: application/json' \
  -H "Authorization: Bearer $token" \
  -d '{"name":"schemathesis","scopes":["catalog:write","events:write","recommend:read","export:read"]}' |
  "$python" -c 'import json, sys; print(json.load(sys.stdin)["key"])')"
cd "$work"
status=0
run() {
  "$python" -m schemathesis.cli run "http://127.0.0.1:$port/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --header "Authorization: Bearer $token" --header "X-API-Key: $key" --workers 1 --seed 1 \
    --no-color "$@" || status=$?
}
# revoking keys last, on its own: fuzzed among the rest it revokes the run's key (id 1) at once
# and every service route after it answers 401
revoke='DELETE /api/v1/admin/api-keys/{id}'
run --max-time "$seconds" --exclude-name "$revoke"
run --max-time 10 --include-name "$revoke"
if grep -q '"level":"ERROR"' "$work/server.log"; then
  echo "check-api: the server logged errors:" >&2
  grep '"level":"ERROR"' "$work/server.log" | head -20 >&2
  status=1
fi
exit "$status"
