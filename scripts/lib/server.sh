# Helpers for scripts that run the shop server against a temporary database (sourced, not run).
#
#   server_binary                  the recsys-server binary that `cargo test --workspace` built
#                                  (no second build: scripts/lib/cargo.sh)
#   start_demo_server PORT DIR ... starts it on 127.0.0.1:PORT with the demo shop in DIR/shop.db
#                                  (extra arguments go to the server), logs to DIR/server.log,
#                                  and waits until /health/ready answers; sets $server (its pid)
#   stop_server                    stops it (also safe when it never started)
#   use_temp_workdir               sets $work to a new temporary folder; on exit the server is
#                                  stopped and the folder removed

source "$(dirname "${BASH_SOURCE[0]}")/cargo.sh"

server_binary() {
  built_by_cargo_test recsys-server bin
}

start_demo_server() {
  local port="$1" dir="$2"
  shift 2
  local bin
  bin="$(server_binary)"
  [[ -x "$bin" ]] || { echo "no recsys-server binary from cargo test" >&2; return 1; }
  RECSYS_LOG="${RECSYS_LOG:-json}" RECSYS_LOG_LEVEL="${RECSYS_LOG_LEVEL:-warn}" \
    RECSYS_LOGIN_MAX_FAILURES=1000000 RECSYS_LOGIN_ACCOUNT_MAX_FAILURES=1000000 \
    RECSYS_LOGIN_ADDRESS_SLOW_AFTER=1000000 \
    "$bin" --demo --demo-data data/ml-100k --database-url "sqlite://$dir/shop.db" \
    --bind "127.0.0.1:$port" "$@" >"$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 180); do
    curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && return 0
    kill -0 "$server" 2>/dev/null || { cat "$dir/server.log" >&2; return 1; }
    sleep 1
  done
  echo "the server did not get ready in 180 s" >&2
  cat "$dir/server.log" >&2
  return 1
}

stop_server() {
  if [[ -n "${server:-}" ]]; then
    kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    server=""
  fi
  return 0
}

use_temp_workdir() {
  work="$(mktemp -d)"
  trap 'stop_server; rm -rf "$work"' EXIT
}
