#!/usr/bin/env bash
# The API reference of each language, into docs/api/ (ignored by git: build it, do not commit it):
#
#   docs/api/rust/     `cargo doc --workspace --no-deps` (recsys_core, recsys_store, recsys_server:
#                      docs/api/rust/recsys_core/index.html)
#   docs/api/python/   pdoc over the installed `recsys` package (its docstrings)
#   docs/api/node/     TypeDoc over bindings/node's TypeScript (bindings/node/typedoc.json)
#
# A warning is an error in each: RUSTDOCFLAGS=-D warnings (a broken intra-doc link fails), anything
# pdoc prints on stderr, TypeDoc's treatWarningsAsErrors. scripts/test.sh runs each part in the suite
# of its language.
#
#   scripts/build-api-docs.sh                  # all three
#   scripts/build-api-docs.sh rust python      # or some: rust, python, node
#   PYTHON=.venv-test/bin/python               # an interpreter with recsys and pdoc installed
#                                              # (python: default .venv-test's)
# The node part needs the addon's types (bindings/node/native.d.cts): `npm run build` there first
# (scripts/package.sh node does).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
parts=("$@")
if [[ ${#parts[@]} -eq 0 ]]; then parts=(rust python node); fi
out="$root/docs/api"
mkdir -p "$out"

for part in "${parts[@]}"; do
  case "$part" in
  rust)
    (cd "$root" && RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet)
    rm -rf "$out/rust"
    cp -r "$root/target/doc" "$out/rust"
    ;;
  python)
    python="${PYTHON:-$root/.venv-test/bin/python}"
    log="$(mktemp)"
    # from another folder: `recsys` is the installed package, not a path of the source tree
    if ! (cd /tmp && "$python" -m pdoc --docformat numpy recsys -o "$out/python") 2>"$log" || [[ -s "$log" ]]; then
      cat "$log" >&2
      echo "build-api-docs: pdoc failed or warned (above)" >&2
      exit 1
    fi
    rm -f "$log"
    ;;
  node)
    source "$root/scripts/lib/npm.sh"
    npm_ci_once "$root/bindings/node"
    [[ -f "$root/bindings/node/native.d.cts" ]] ||
      { echo "build-api-docs: no bindings/node/native.d.cts: run npm run build there first" >&2; exit 1; }
    (cd "$root/bindings/node" && npx typedoc --logLevel Warn --out "$out/node")
    ;;
  *)
    echo "scripts/build-api-docs.sh: unknown part '$part' (rust, python or node)" >&2
    exit 2
    ;;
  esac
  echo "build-api-docs: $part -> docs/api/$part/"
done
