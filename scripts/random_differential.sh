#!/usr/bin/env bash
# The randomized differential test with a larger budget (N random calls of
# each batch-norm front end against the reference, TF 2.12.1):
#     bash scripts/random_differential.sh [N]        (default 500)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
bash "$ROOT/scripts/setup_envs.sh" oracle
cd "$ROOT"
RANDOM_DIFFERENTIAL_EXAMPLES="${1:-500}" exec .venv-oracle/bin/python -m pytest \
    tests/test_random_differential.py -q -p no:cacheprovider
