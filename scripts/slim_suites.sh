#!/usr/bin/env bash
# Every tf_slim test file shipped in its wheel, under tf_compat_bn.install()
# on .venv-newest (TF 2.21), against the TF 2.12.1 native baseline in
# tests/golden/slim_suites.json.  `baseline` first re-records that baseline
# with .venv-oracle.  Extra arguments: test files (relative to tf_slim/).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
if [[ "${1:-}" == baseline ]]; then
  shift
  .venv-oracle/bin/python scripts/slim_suites.py baseline "$@"
fi
exec .venv-newest/bin/python scripts/slim_suites.py check "$@"
