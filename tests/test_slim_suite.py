"""tf-slim 1.1.0's own `BatchNormTest`, run against `tf_compat_bn.batch_norm`.

The suite is loaded from the installed tf_slim package (nothing is copied
here).  Its test methods call `_layers.batch_norm`, where `_layers` is a
global of the test module bound to `tf_slim.layers.layers`; for the duration
of each test that global is swapped for a stand-in module whose `batch_norm`
is ours and whose other attributes are tf_slim's.  tf_slim itself is left
untouched.  Each test method becomes one pytest test and runs through
`unittest.TestCase.debug()`, so failures surface with their real traceback.
"""

import importlib.util
import os
import types
import unittest

import pytest

tf = pytest.importorskip('tensorflow', reason='tensorflow is not installed')
if importlib.util.find_spec('tf_slim') is None:
  pytest.skip('tf_slim is not installed (pip install tf-slim==1.1.0)',
              allow_module_level=True)

import numpy as np  # pylint: disable=g-import-not-at-top
from tensorflow.python.eager import context  # pylint: disable=g-direct-tensorflow-import

import tf_compat_bn  # pylint: disable=g-import-not-at-top


def _load_slim_layers_test():
  """tf_slim/layers/layers_test.py, imported under a private module name.

  `import tf_slim.layers.layers_test` does not work (the name `layers` in the
  `tf_slim.layers` package is rebound to the `layers` submodule), hence the
  load by file path.  The file imports cleanly on TF 2.12 and TF 2.21.
  """
  package_dir = os.path.dirname(importlib.util.find_spec('tf_slim').origin)
  path = os.path.join(package_dir, 'layers', 'layers_test.py')
  if not os.path.exists(path):
    pytest.skip(f'tf_slim test file not installed: {path}',
                allow_module_level=True)
  spec = importlib.util.spec_from_file_location('_tf_slim_layers_test', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


# (No module-level name for the TestCase class itself: pytest would collect it
# and run it unpatched.)
_suite = _load_slim_layers_test()
# `test_session` is TensorFlow's deprecated session helper, not a test.
_TEST_NAMES = sorted(
    name for name in unittest.defaultTestLoader.getTestCaseNames(
        _suite.BatchNormTest) if name != 'test_session')


class _NumpyWithProduct(types.ModuleType):
  """numpy plus `np.product` (removed in NumPy 2).

  The suite calls `np.product` only on its GPU-only paths
  (`_runBatchNormalizationWithFormat`, `_runFusedBatchNorm`).
  """
  product = staticmethod(np.prod)

  def __getattr__(self, name):
    return getattr(np, name)


@pytest.fixture(scope='module', autouse=True)
def _graph_mode():
  """Graph mode, as the suite's own `setUpModule` sets it up.

  `disable_eager_execution` is process-wide and TF refuses to re-enable eager
  once a graph was used, so the previous mode is restored by hand afterwards
  for whatever tests run next in this process.
  """
  previous_mode = context.default_execution_mode
  was_eager = tf.executing_eagerly()
  tf.compat.v1.disable_eager_execution()
  _suite.BatchNormTest.setUpClass()
  yield
  _suite.BatchNormTest.tearDownClass()
  context.default_execution_mode = previous_mode
  context.context()._thread_local_data.is_eager = was_eager  # pylint: disable=protected-access


@pytest.fixture
def suite_using_our_batch_norm(monkeypatch):
  """The loaded suite, with `_layers.batch_norm` pointing at ours."""
  slim_layers = _suite._layers  # pylint: disable=protected-access
  stand_in = types.ModuleType('tf_slim_layers_with_tf_compat_bn')
  stand_in.__dict__.update(vars(slim_layers))
  stand_in.batch_norm = tf_compat_bn.batch_norm
  monkeypatch.setattr(_suite, '_layers', stand_in)
  if not hasattr(np, 'product'):
    monkeypatch.setattr(_suite, 'np', _NumpyWithProduct('numpy'))
  return _suite


def test_suite_is_complete():
  assert len(_TEST_NAMES) == 66, _TEST_NAMES


@pytest.mark.parametrize('name', _TEST_NAMES)
def test_slim_batch_norm(suite_using_our_batch_norm, name):
  suite_using_our_batch_norm.BatchNormTest(name).debug()
