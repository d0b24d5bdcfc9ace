"""tf_slim's own test files, natively (baseline) or under tf_compat_bn.

    # the TF 2.12.1 baseline -> tests/golden/slim_suites.json
    .venv-oracle/bin/python scripts/slim_suites.py baseline [FILE ...]
    # under install() on this TF, compared with the baseline
    .venv-newest/bin/python scripts/slim_suites.py check [FILE ...]

Each file runs in its own child process (tests/slim_suites_runner.py).
`baseline` records, per file, every test id with "pass", "fail: reason" or
"skip: reason" and the seconds the file took.  `check` prints every test
that passes in the baseline and not here, and exits 1 if there is one.
Without FILE arguments: every `*_test.py` in the installed tf_slim.
"""

import glob
import importlib.util
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(ROOT, 'tests', 'slim_suites_runner.py')
GOLDEN = os.path.join(ROOT, 'tests', 'golden', 'slim_suites.json')
MARK = 'SLIM_SUITE_RESULT '


# Baseline passes that fail on the newest environment because of the test
# files' own code meeting NumPy 2 (which TF 2.21 brings) or a TF class
# change, not because of tf_slim or tf_compat_bn: (file, test id) ->
# (when, what the failure must say, why).  Any other failure counts.
# (`np.product` and learning_test's `int()` of one-element arrays are mended
# for the tests by tests/slim_suites_runner.py; these cannot be.)
_TOSTRING = ('numpy2', "'numpy.ndarray' object has no attribute 'tostring'",
             'the test calls ndarray.tostring(), removed in NumPy 2')
KNOWN_TEST_SIDE = {
    ('data/tfexample_decoder_test.py',
     'TFExampleDecoderTest.testDecodeExampleWithRAWEncoding'): _TOSTRING,
    ('data/tfexample_decoder_test.py',
     'TFExampleDecoderTest.testDecodeExampleWithRawEncoding'): _TOSTRING,
    ('data/tfexample_decoder_test.py',
     'TFExampleDecoderTest.testDecodeExampleWithRawEncodingFloatDtype'):
        _TOSTRING,
    ('metrics/classification_test.py', 'F1ScoreTest.testSomeCorrect'): (
        'numpy2', 'within 7 places',
        'NumPy 2 computes `0.6666666666666666 - np.float32(...)` in float32 '
        '(NEP 50): assertAlmostEqual(places=7) sees 6e-8, not 2e-8; the '
        'metric value itself is the same float32'),
    ('metrics/metric_ops_test.py', 'CountTest.testReturnType'): (
        'tf>2.12', 'is not an instance of',
        'the update op is the resource variable assign_add returns; from '
        'TF 2.13 resource variables no longer subclass tf.compat.v1.Variable '
        '(VariableV1), which the test asserts'),
}


def known_test_side(path, test_id, outcome):
  """The reason, when this failure is one of KNOWN_TEST_SIDE here."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  known = KNOWN_TEST_SIDE.get((path, test_id))
  if not known or known[1] not in (outcome or ''):
    return None
  when = {'numpy2': int(np.__version__.split('.')[0]) >= 2,
          'tf>2.12': tuple(int(p) for p in tf.__version__.split('.')[:2]) >
                     (2, 12)}[known[0]]
  return known[2] if when else None


def all_files():
  base = os.path.dirname(importlib.util.find_spec('tf_slim').origin)
  return sorted(os.path.relpath(p, base) for p in
                glob.glob(os.path.join(base, '**', '*_test.py'),
                          recursive=True))


def run_file(mode, relative_path, python=sys.executable, timeout=1800):
  """(outcomes, seconds) of one file in a child process."""
  start = time.time()
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', CUDA_VISIBLE_DEVICES='')
  proc = subprocess.run([python, RUNNER, mode, relative_path], cwd=ROOT,
                        capture_output=True, text=True, timeout=timeout,
                        env=env)
  seconds = round(time.time() - start, 1)
  for line in proc.stdout.splitlines():
    if line.startswith(MARK):
      return json.loads(line[len(MARK):]), seconds
  tail = (proc.stderr or proc.stdout)[-500:].strip().splitlines()
  return {'<process>': f'fail: exit {proc.returncode}: '
                       f'{tail[-1] if tail else ""}'}, seconds


def regressions(baseline, outcomes, path=None):
  """Test ids passing in the baseline and not in `outcomes` (except the
  test-side failures listed above)."""
  return sorted(t for t, v in baseline.items()
                if v == 'pass' and outcomes.get(t) != 'pass' and
                not known_test_side(path, t, outcomes.get(t)))


def main(argv):
  command, files = argv[0], argv[1:] or all_files()
  if command == 'baseline':
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    golden = {}
    if os.path.exists(GOLDEN):
      with open(GOLDEN) as f:
        golden = json.load(f)
    golden['tensorflow'] = tf.__version__
    golden.setdefault('files', {})
    for path in files:
      outcomes, seconds = run_file('native', path)
      golden['files'][path] = {'seconds': seconds, 'tests': outcomes}
      counts = {k: sum(v.startswith(k) for v in outcomes.values())
                for k in ('pass', 'fail', 'skip')}
      print(f'{path}: {counts} in {seconds}s', flush=True)
      with open(GOLDEN, 'w') as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write('\n')
    return 0
  with open(GOLDEN) as f:
    golden = json.load(f)['files']
  status = 0
  for path in files:
    outcomes, seconds = run_file('ours', path)
    lost = regressions(golden[path]['tests'], outcomes, path)
    passed = sum(v == 'pass' for v in outcomes.values())
    print(f'{path}: {passed}/{len(outcomes)} pass in {seconds}s; '
          f'{len(lost)} baseline passes lost', flush=True)
    for test_id, outcome in sorted(outcomes.items()):
      known = known_test_side(path, test_id, outcome)
      if known:
        print(f'  KNOWN {test_id}: {known}')
    for test_id in lost:
      print(f'  LOST {test_id}: {outcomes.get(test_id)}')
      status = 1
  return status


if __name__ == '__main__':
  sys.exit(main(sys.argv[1:]))
