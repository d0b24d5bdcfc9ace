#!/usr/bin/env bash
# The main job: builds the newest-TF environment if needed, then runs the demo.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
bash "$ROOT/scripts/setup_envs.sh" newest
exec "$ROOT/.venv-newest/bin/python" -m tf_compat_bn demo
