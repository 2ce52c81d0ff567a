#!/usr/bin/env bash
# Runs the shell blocks of the README and the docs as a reader would, against the demo shop: every
# ```bash or ```sh block of README.md, docs/*.md and the bindings' READMEs, in order, except
# docs/deploy.md (scripts/check-deploy.sh runs that guide) and the blocks tagged `no-run` on their
# fence (```bash no-run: they start a server of their own, build packages the other suites build,
# or name files of the reader's). Each block runs in bash with -e and pipefail, where `curl` fails
# on an HTTP error (--fail-with-body), so a documented call that no longer works fails the run.
#
# What a block expects the reader to have, the run provides: the demo server (the binary
# `cargo test --workspace` built) at the address the docs use (localhost:8080 and 127.0.0.1:8080
# become its port), `recsys-server` that binary, the working folder a temporary one with the
# repository's examples/ in it, and the variables a block uses without setting them, ADMIN_TOKEN
# (an admin's token) and KEY (a service API key with every scope); a line assigning a placeholder
# (`KEY=rk_...`) is left out. jq comes from apt when missing.
#
#   scripts/check-doc-commands.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/lib/server.sh
port="${RECSYS_CHECK_PORT:-18953}"
command -v jq >/dev/null || apt-get install -y -qq jq >/dev/null 2>&1 ||
  { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }

use_temp_workdir
bin="$(server_binary)"
start_demo_server "$port" "$work"
base="http://127.0.0.1:$port"
ADMIN_TOKEN="$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"admin@demo.recsys.dev","password":"demo-admin-password"}' | jq -r .access_token)"
KEY="$(curl -sf "$base/api/v1/admin/api-keys" -H "authorization: Bearer $ADMIN_TOKEN" \
  -H 'content-type: application/json' \
  -d '{"name": "check-doc-commands", "scopes": ["catalog:write", "events:write", "recommend:read"]}' |
  jq -r .key)"
export ADMIN_TOKEN KEY
mkdir -p "$work/reader/data"
ln -s "$root/examples" "$work/reader/examples"

# as-run.py PORT BINARY < BLOCK: the block as the run executes it
cat >"$work/as-run.py" <<'PY'
import re, sys
port, binary = sys.argv[1], sys.argv[2]
out = []
for line in sys.stdin.read().splitlines():
    # a placeholder the reader fills in (KEY=rk_...): the run has set it
    if re.match(r"^\s*[A-Z_]+=\S*\.\.\.", line):
        continue
    line = re.sub(r"(localhost|127\.0\.0\.1):8080", "127.0.0.1:" + port, line)
    line = re.sub(r"(^|[\s;&|(])recsys-server ", lambda m: m.group(1) + "'" + binary + "' ", line)
    out.append(line)
print("\n".join(out))
PY

# blocks: one record per runnable block, "FILE:LINE" NUL the block's text NUL
files=(README.md docs/*.md bindings/python/README.md bindings/node/README.md)
count=0
while IFS= read -r -d '' where && IFS= read -r -d '' block; do
  count=$((count + 1))
  echo "== $where"
  script="$(python3 "$work/as-run.py" "$port" "$bin" <<<"$block")"
  printf '%s\n' "$block" | sed 's/^/  | /'
  (cd "$work/reader" && bash -c '
set -eo pipefail
curl() { command curl --silent --show-error --fail-with-body "$@"; }
'"$script" && echo) 2>&1 | sed 's/^/  > /'
done < <(python3 - "${files[@]}" <<'PY'
import re, sys
for path in sys.argv[1:]:
    if path == "docs/deploy.md":
        continue
    text = open(path).read()
    for m in re.finditer(r"^```(bash|sh)([^\n]*)\n(.*?)^```", text, re.S | re.M):
        if "no-run" in m.group(2).split():
            continue
        line = text.count("\n", 0, m.start()) + 1
        sys.stdout.write(f"{path}:{line}\0{m.group(3)}\0")
PY
)
[[ $count -gt 0 ]] || { echo "check-doc-commands: no block ran" >&2; exit 1; }
echo "check-doc-commands: $count blocks ran against the demo shop"
