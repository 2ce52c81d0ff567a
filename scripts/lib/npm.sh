# npm helpers for the scripts that build JavaScript (sourced, not run).
#
#   npm_ci_once DIR   `npm ci` in DIR from its committed package-lock.json, skipped while
#                     DIR/node_modules was installed from the same lock (a stamp file holds the
#                     lock's sha256); fails with a clear message when npm is missing

npm_ci_once() {
  local dir="$1"
  if ! command -v npm >/dev/null; then
    echo "npm is not installed: Node >= 20 and npm are needed to build $dir" >&2
    return 1
  fi
  local stamp="$dir/node_modules/.recsys-lock.sha256" want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
}
