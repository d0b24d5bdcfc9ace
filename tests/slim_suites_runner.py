"""Runs one of tf_slim's own test files (shipped in its wheel) and prints a
JSON line {test_id: "pass" | "fail: <reason>" | "skip: <reason>"}.

    python tests/slim_suites_runner.py native|ours RELATIVE_PATH

`native`: tf_slim as it is (the TF 2.12.1 baseline).  `ours`:
`tf_compat_bn.install()` (with tf.contrib on tf_slim) first.  The file is
loaded by path under a private module name (`tf_slim.layers.layers_test`
cannot be imported by name) and run with unittest, with its setUpModule /
setUpClass fixtures; each test method's outcome is recorded.
"""

import importlib.util
import json
import os
import sys
import types
import unittest

import numpy as np


def _install():
  import tf_compat_bn  # pylint: disable=g-import-not-at-top
  tf_compat_bn.install()


class _LenientArray(np.ndarray):
  """An ndarray that `int()` / `float()` accept when it holds one element,
  as NumPy 1 did (NumPy 2 refuses arrays of shape (1,))."""

  def __int__(self):
    return int(self.item())

  def __float__(self):
    return float(self.item())


class _RandomCompat(types.ModuleType):

  def __init__(self):
    super().__init__('numpy.random')

  def __getattr__(self, name):
    return getattr(np.random, name)

  def randint(self, *args, **kwargs):
    out = np.random.randint(*args, **kwargs)
    return out.view(_LenientArray) if isinstance(out, np.ndarray) else out


class _NumpyCompat(types.ModuleType):
  """numpy as tf_slim's tests (written for NumPy 1) use it: `np.product`
  (removed in NumPy 2) and, for learning_test and training/*_test only, `int()` of one-element
  arrays from `np.random.randint` (their set-up).  Only the test modules get it; tf_slim and TF see numpy."""

  product = staticmethod(np.prod)

  def __init__(self, lenient_randint):
    super().__init__('numpy')
    if lenient_randint:
      self.random = _RandomCompat()

  def __getattr__(self, name):
    return getattr(np, name)


# Test files whose set-up calls int() on a one-element array.
_LENIENT_RANDINT = ('learning_test.py', 'training/evaluation_test.py',
                    'training/training_test.py')


def _numpy_compat(module, relative_path):
  if int(np.__version__.split('.')[0]) >= 2 and getattr(module, 'np',
                                                        None) is np:
    module.np = _NumpyCompat(relative_path in _LENIENT_RANDINT)


def _reason(err):
  kind, value, _ = err
  text = f'{kind.__name__}: {value}'.strip().splitlines()
  return (text[0] if text else kind.__name__)[:300]


class _Result(unittest.TestResult):

  def __init__(self):
    super().__init__()
    self.outcomes = {}

  def _id(self, test):
    return test.id().split('.', 1)[-1]   # Class.method

  def addSuccess(self, test):
    self.outcomes[self._id(test)] = 'pass'

  def addFailure(self, test, err):
    self.outcomes[self._id(test)] = 'fail: ' + _reason(err)

  def addError(self, test, err):
    # setUpModule / setUpClass errors come with a _ErrorHolder.
    self.outcomes[self._id(test)] = 'fail: ' + _reason(err)

  def addSkip(self, test, reason):
    self.outcomes[self._id(test)] = 'skip: ' + str(reason)[:300]

  def addExpectedFailure(self, test, err):
    self.outcomes[self._id(test)] = 'pass'

  def addUnexpectedSuccess(self, test):
    self.outcomes[self._id(test)] = 'fail: unexpected success'


def run(mode, relative_path):
  if mode == 'ours':
    _install()
  spec = importlib.util.find_spec('tf_slim')
  path = os.path.join(os.path.dirname(spec.origin), relative_path)
  name = '_slim_suite_' + relative_path[:-3].replace('/', '_')
  module_spec = importlib.util.spec_from_file_location(name, path)
  module = importlib.util.module_from_spec(module_spec)
  sys.modules[name] = module
  try:
    module_spec.loader.exec_module(module)
  except Exception as e:  # pylint: disable=broad-except
    return {'<import>': f'fail: {type(e).__name__}: {e}'[:300]}
  _numpy_compat(module, relative_path)
  loader = unittest.TestLoader()
  suite = loader.loadTestsFromModule(module)
  result = _Result()
  suite.run(result)
  # `test_session` is TensorFlow's deprecated helper, not a test.
  return {k: v for k, v in sorted(result.outcomes.items())
          if not k.endswith('.test_session')}


if __name__ == '__main__':
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
  outcomes = run(sys.argv[1], sys.argv[2])
  sys.stdout.flush()
  print('SLIM_SUITE_RESULT ' + json.dumps(outcomes, sort_keys=True))
