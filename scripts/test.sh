#!/usr/bin/env bash
# Runs the whole test suite in both environments (building them if needed):
#   oracle (TF 2.12.1): our tests + live differential tests vs the reference;
#   newest (TF 2.21.0): our tests + golden files + tf_slim's own suite.
# Extra arguments go to pytest.  Ends with one combined "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
bash "$ROOT/scripts/setup_envs.sh" oracle newest || exit 1
cd "$ROOT"
reports="$(mktemp -d)"
status=0
for env in oracle newest; do
  echo "=== tests under .venv-$env ==="
  ".venv-$env/bin/python" -m pytest tests -q -p no:cacheprovider \
      --junitxml="$reports/$env.xml" "$@" || status=1
done
python3 - "$reports" <<'PY'
import sys, glob, xml.etree.ElementTree as ET
totals = dict(tests=0, failures=0, errors=0, skipped=0)
for path in glob.glob(sys.argv[1] + '/*.xml'):
    root = ET.parse(path).getroot()
    for suite in (root.iter('testsuite')):
        for k in totals:
            totals[k] += int(suite.get(k, 0))
failed = totals['failures'] + totals['errors']
passed = totals['tests'] - failed - totals['skipped']
print(f"total: {passed} passed, {failed} failed, {totals['skipped']} skipped")
PY
exit $status
