#!/usr/bin/env bash
# Builds the two virtual environments the project runs in, from nothing:
#   .venv-oracle  Python 3.11 + TF 2.12.1 + keras 2.12 + tf-slim 1.1.0 (the reference)
#   .venv-newest  Python 3.11 + TF 2.21.0 + tf-slim 1.1.0 (no tf_keras)
#   .venv-tf1     Python 3.7 + TF 1.15.5, only when asked for (`tf1`): the
#                 genuine TF 1.15 for scripts/make_golden_tf1.py; Python 3.7
#                 from $TF_COMPAT_BN_PY37 or pyenv (/root/.pyenv/versions/3.7*)
# Each is rebuilt only when its requirements file changed (a stamp records it),
# so calling this again is cheap.  Usage: scripts/setup_envs.sh [oracle] [newest] [tf1]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${TF_COMPAT_BN_PYTHON:-python3.11}"
envs=("$@")
[ ${#envs[@]} -gt 0 ] || envs=(oracle newest)

python_for() {
  if [ "$1" != tf1 ]; then echo "$PY"; return; fi
  if [ -n "${TF_COMPAT_BN_PY37:-}" ]; then echo "$TF_COMPAT_BN_PY37"; return; fi
  local found
  found="$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.7*/bin/python3.7 \
           /root/.pyenv/versions/3.7*/bin/python3.7 2>/dev/null | head -n1)"
  if [ -z "$found" ] && command -v python3.7 >/dev/null; then
    found="$(command -v python3.7)"
  fi
  if [ -z "$found" ]; then
    echo "[setup_envs] tf1 needs Python 3.7: set TF_COMPAT_BN_PY37" >&2
    return 1
  fi
  echo "$found"
}

for name in "${envs[@]}"; do
  req="$ROOT/scripts/requirements-$name.txt"
  venv="$ROOT/.venv-$name"
  stamp="$venv/.requirements.sha256"
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    # tf1 runs only the generator (tf_compat_bn itself needs TF >= 2.12).
    [ "$name" = tf1 ] || "$venv/bin/pip" install --quiet --no-deps --no-build-isolation -e "$ROOT" >/dev/null 2>&1
    echo "[setup_envs] $name: up to date"
    continue
  fi
  echo "[setup_envs] $name: building $venv"
  rm -rf "$venv"
  py="$(python_for "$name")" || exit 1
  "$py" -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip setuptools wheel
  "$venv/bin/pip" install --quiet -r "$req"
  [ "$name" = tf1 ] || "$venv/bin/pip" install --quiet --no-deps --no-build-isolation -e "$ROOT"
  echo "$want" > "$stamp"
  echo "[setup_envs] $name: ready ($("$venv/bin/python" -c 'import tensorflow as tf; print("TF", tf.__version__)' 2>/dev/null))"
done
