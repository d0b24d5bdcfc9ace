#!/usr/bin/env bash
# Builds the two virtual environments the project runs in, from nothing:
#   .venv-oracle  Python 3.11 + TF 2.12.1 + keras 2.12 + tf-slim 1.1.0 (the reference)
#   .venv-newest  Python 3.11 + TF 2.21.0 + tf-slim 1.1.0 (no tf_keras)
# Each is rebuilt only when its requirements file changed (a stamp records it),
# so calling this again is cheap.  Usage: scripts/setup_envs.sh [oracle] [newest]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${TF_COMPAT_BN_PYTHON:-python3.11}"
envs=("$@")
[ ${#envs[@]} -gt 0 ] || envs=(oracle newest)

for name in "${envs[@]}"; do
  req="$ROOT/scripts/requirements-$name.txt"
  venv="$ROOT/.venv-$name"
  stamp="$venv/.requirements.sha256"
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    "$venv/bin/pip" install --quiet --no-deps --no-build-isolation -e "$ROOT" >/dev/null 2>&1
    echo "[setup_envs] $name: up to date"
    continue
  fi
  echo "[setup_envs] $name: building $venv"
  rm -rf "$venv"
  "$PY" -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip setuptools wheel
  "$venv/bin/pip" install --quiet -r "$req"
  "$venv/bin/pip" install --quiet --no-deps --no-build-isolation -e "$ROOT"
  echo "$want" > "$stamp"
  echo "[setup_envs] $name: ready ($("$venv/bin/python" -c 'import tensorflow as tf; print("TF", tf.__version__)' 2>/dev/null))"
done
