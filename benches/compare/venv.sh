# Sourced by run.sh and ab.sh: one way to make a comparison venv.
#
#   make_venv VENV SRC [TARGET_DIR]
#
# Creates VENV if needed, installs the reference libraries at the versions the README quotes, and
# installs the recsys Python bindings from the source tree SRC (a release build; TARGET_DIR, when
# given, keeps that build's artefacts apart from the workspace's target/).
make_venv() {
  local venv="$1" src="$2" target="${3:-}"
  source "$src/scripts/lib/python.sh"
  venv_install "$venv" implicit scikit-learn lightgbm threadpoolctl numpy scipy maturin
  venv="$(cd "$venv" && pwd)" # pip's build runs maturin from another directory, through PATH
  env PATH="$venv/bin:$PATH" ${target:+CARGO_TARGET_DIR="$target"} "$venv/bin/pip" install --quiet \
    --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps "$src/bindings/python"
}
