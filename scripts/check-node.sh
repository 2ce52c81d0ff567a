#!/usr/bin/env bash
# Builds and tests the Node binding (bindings/node): `npm ci` from its lock (skipped while
# node_modules matches it), the addon in release mode (`napi build`, which writes native.cjs and
# native.d.cts), the TypeScript layer (tsc into dist/), a type check of the tests, then the tests
# with node's own runner: every class and error code, the event loop while fitting, the shared
# test vectors against Rust (examples/shared_vectors.rs) and Python
# (bindings/python/tests/shared_vectors.py), and examples/node-shop run as a user runs it; then
# the package as a user gets it: scripts/package.sh's tarball (npm pack, in dist/), installed into
# an empty project, its README example run.
#
#   scripts/check-node.sh            # scripts/test.sh calls it after the Python suite
#   PYTHON=.venv-test/bin/python     # the interpreter with the recsys package (default python3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
if [[ "$python" == */* ]]; then python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"; fi
node_dir="$root/bindings/node"
source "$root/scripts/lib/npm.sh"
# the addon and the TypeScript layer built once (napi build --release, tsc), packed into dist/
"$root/scripts/package.sh" node
cd "$node_dir"
npx tsc -p tsconfig.test.json
npm_ci_once "$root/examples/node-shop"

# the Rust side of the shared vectors: the program `cargo test --workspace` built (it is an
# integration test of recsys-examples), not a second build of the core in another profile
source "$root/scripts/lib/cargo.sh"
vectors="$(cd "$root" && PYTHON="$python" built_by_cargo_test shared_vectors test)"
[[ -x "$vectors" ]] || { echo "check-node: no shared_vectors from cargo test" >&2; exit 1; }
RECSYS_SHARED_VECTORS_BIN="$vectors" \
  RECSYS_PYTHON="$python" \
  node --import tsx --test --test-reporter=spec test/*.test.ts

# The package as a user installs it (bindings/node/README.md): the tarball scripts/package.sh
# packed, installed into an empty project, and the README's example run there, importing `recsys`
# by name.
tarball="$(ls "$root"/dist/recsys-*.tgz)"
pack_dir="$(mktemp -d)"
trap 'rm -rf "$pack_dir"' EXIT
mkdir "$pack_dir/app"
cd "$pack_dir/app"
echo '{"name": "app", "version": "1.0.0", "private": true, "type": "module"}' >package.json
npm install --silent --no-audit --no-fund "$tarball"
[[ -f node_modules/recsys/dist/index.d.ts ]] || { echo "check-node: the package has no types" >&2; exit 1; }
# the README's block is TypeScript without type annotations: it runs as a module as written
node -e '
const text = require("fs").readFileSync(process.argv[1], "utf8");
const m = /^```ts\n([\s\S]*?)^```/m.exec(text);
if (!m) { console.error("no ts block in " + process.argv[1]); process.exit(1); }
require("fs").writeFileSync("example.mjs", m[1]);
' "$node_dir/README.md"
node example.mjs
[[ -f als.recsys ]] || { echo "check-node: the README example saved no model" >&2; exit 1; }
echo "check-node: $(basename "$tarball") installs into an empty project and runs the README's example"
