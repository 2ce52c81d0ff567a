# Sourced by run.sh and ab.sh: one way to make a comparison venv.
#
#   make_venv VENV SRC [TARGET_DIR]
#
# Creates VENV if needed, installs the reference libraries at the versions the README quotes, and
# installs the recsys Python bindings from the source tree SRC (a release build; TARGET_DIR, when
# given, keeps that build's artefacts apart from the workspace's target/).
make_venv() {
  local venv="$1" src="$2" target="${3:-}"
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
  fi
  venv="$(cd "$venv" && pwd)" # pip's build runs maturin from another directory, through PATH
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    implicit==0.7.3 scikit-learn==1.9.1 lightgbm==4.7.0 threadpoolctl numpy scipy "maturin>=1.9,<2"
  env PATH="$venv/bin:$PATH" ${target:+CARGO_TARGET_DIR="$target"} "$venv/bin/pip" install --quiet \
    --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps "$src/bindings/python"
}
