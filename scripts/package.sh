#!/usr/bin/env bash
# Builds the packages a Python or Node user installs, into dist/:
#
#   dist/recsys-VERSION-cp310-abi3-manylinux_2_NN_x86_64.whl   `maturin build --release`: one wheel
#       for every CPython >= 3.10 (the stable ABI, abi3), its manylinux tag the oldest glibc its
#       symbols allow on the building machine (checked with `auditwheel show`); it installs with
#       `pip install dist/recsys-*.whl` on a machine without Rust
#   dist/recsys-VERSION.tgz    `napi build --release` + tsc, then `npm pack`: install it with
#       `npm install .../recsys-VERSION.tgz` (the addon is built for this OS and CPU family)
#
#   scripts/package.sh               # both
#   scripts/package.sh python        # or one of them: python, node
#   PYTHON=.venv-test/bin/python     # a venv's interpreter with maturin and auditwheel (default:
#                                    # .venv-test, made and filled from scripts/requirements.txt)
#
# scripts/test.sh builds the packages with this script and installs them as a user does: the wheel
# into a clean venv with no Rust toolchain on PATH, the tarball into an empty Node project.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kinds=("$@")
if [[ ${#kinds[@]} -eq 0 ]]; then kinds=(python node); fi
dist="$root/dist"
mkdir -p "$dist"

for kind in "${kinds[@]}"; do
  case "$kind" in
  python)
    if [[ -n "${PYTHON:-}" ]]; then
      bin="$(cd "$(dirname "$PYTHON")" && pwd)"
    else
      source "$root/scripts/lib/python.sh"
      venv_install "$root/.venv-test" maturin auditwheel
      bin="$root/.venv-test/bin"
    fi
    rm -f "$dist"/recsys-*.whl
    (cd "$root/bindings/python" && "$bin/maturin" build --release --locked --quiet --out "$dist")
    wheel="$(ls "$dist"/recsys-*.whl)"
    report="$("$bin/auditwheel" show "$wheel")"
    if [[ "$report" != *'consistent with'*'"manylinux_'* ]]; then
      printf 'package: %s is not manylinux-compliant:\n%s\n' "$wheel" "$report" >&2
      exit 1
    fi
    echo "package: $wheel ($(grep -o '"manylinux_[^"]*"' <<<"$report" | head -1 | tr -d '"'))"
    ;;
  node)
    source "$root/scripts/lib/npm.sh"
    npm_ci_once "$root/bindings/node"
    rm -f "$dist"/recsys-*.tgz
    (cd "$root/bindings/node" && npm run --silent build &&
      npm pack --silent --pack-destination "$dist" >/dev/null)
    echo "package: $(ls "$dist"/recsys-*.tgz)"
    ;;
  *)
    echo "scripts/package.sh: unknown package '$kind' (python or node)" >&2
    exit 2
    ;;
  esac
done
