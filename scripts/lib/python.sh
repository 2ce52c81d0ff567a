# Python helpers for the scripts that make a venv (sourced, not run): one way to install into one,
# at the versions pinned in scripts/requirements.txt.
#
#   venv_install VENV NAME...   creates VENV if it is not there and installs each NAME (extras
#                               allowed: "moto[server]") at its pin, dependencies included; a NAME
#                               without a pin in scripts/requirements.txt is an error
#   pinned NAME                 prints NAME==VERSION, the pin of NAME (for `pip download`)

python_requirements="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/requirements.txt"

pinned() {
  local line
  line="$(grep -i -m1 "^$1==" "$python_requirements")" || {
    echo "$1 has no pin in $python_requirements: add NAME==VERSION there" >&2
    return 1
  }
  echo "$line"
}

venv_install() {
  local venv="$1" name
  shift
  for name in "$@"; do pinned "${name%%[*}" >/dev/null || return 1; done
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check -c "$python_requirements" "$@"
}
