"""tf_slim's own test files (shipped in its wheel), run under
`tf_compat_bn.install()` (tf.contrib on tf_slim, our batch norm and layers
underneath, the mends tf_slim needs on new TF): every test that passes
natively on TF 2.12.1 (tests/golden/slim_suites.json, written by
`.venv-oracle/bin/python scripts/slim_suites.py baseline`) must pass here.

Each file runs in its own interpreter (tests/slim_suites_runner.py).  By
default a CI subset (the layer, initializer, regularizer, arg_scope and
variables files); `SLIM_SUITES=all` runs every file (or
`bash scripts/slim_suites.sh`).  Tests that fail natively on TF 2.12.1 too
are listed with their reason in the golden file; the few baseline passes
that fail on the newest environment because of the test code itself (NumPy
2, a TF class change) are listed, with the failure they must show and why,
in `scripts/slim_suites.py` (KNOWN_TEST_SIDE).
"""

import importlib.util
import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, 'scripts'))

if importlib.util.find_spec('tf_slim') is None:
  pytest.skip('tf_slim is not installed (pip install tf-slim==1.1.0)',
              allow_module_level=True)

import slim_suites  # pylint: disable=g-import-not-at-top

with open(slim_suites.GOLDEN) as _f:
  GOLDEN = json.load(_f)

CI_SUBSET = ['layers/initializers_test.py', 'layers/layers_test.py',
             'layers/regularizers_test.py', 'layers/utils_test.py',
             'ops/arg_scope_test.py', 'ops/variables_test.py']
FILES = (sorted(GOLDEN['files']) if os.environ.get('SLIM_SUITES') == 'all'
         else CI_SUBSET)


def test_baseline_covers_every_shipped_test_file():
  assert GOLDEN['tensorflow'] == '2.12.1'
  assert sorted(GOLDEN['files']) == slim_suites.all_files()
  for path in CI_SUBSET:
    assert path in GOLDEN['files']


def test_baseline_failures_are_listed_with_their_reason():
  for path, entry in GOLDEN['files'].items():
    for test_id, outcome in entry['tests'].items():
      assert outcome == 'pass' or (
          outcome.split(':')[0] in ('fail', 'skip') and len(outcome) > 6), (
              path, test_id, outcome)


@pytest.mark.parametrize('path', FILES)
def test_slim_suite_passes_where_it_passes_natively(path):
  outcomes, _ = slim_suites.run_file('ours', path)
  baseline = GOLDEN['files'][path]['tests']
  lost = {t: outcomes.get(t, 'missing')
          for t in slim_suites.regressions(baseline, outcomes, path)}
  assert not lost, lost
