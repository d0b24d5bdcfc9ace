"""Shared pytest set-up: where the reference can run, and the repo on sys.path."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def reference_available():
  """(True, '') where tf_slim.batch_norm and tf.compat.v1.layers run natively."""
  try:
    import tensorflow as tf
    import tf_slim  # noqa: F401
  except ImportError as e:
    return False, f'reference needs tf_slim and TensorFlow: {e}'
  major, minor = (int(p) for p in tf.__version__.split('.')[:2])
  if (major, minor) > (2, 12):
    return False, ('the reference (tf_slim.batch_norm, tf.compat.v1.layers) '
                   f'runs natively only up to TF 2.12; this is {tf.__version__}')
  return True, ''


def keras3():
  """(the Keras 3 module, '') where Keras 3 is installed (TF >= 2.16 brings
  it), else (None, why): for the tests that show interop with Keras 3."""
  try:
    import keras  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    return None, f'needs Keras 3: {e}'
  if int(keras.__version__.split('.')[0]) < 3:
    return None, f'needs Keras 3; this is Keras {keras.__version__}'
  return keras, ''


def pytest_configure(config):
  config.addinivalue_line(
      'markers', 'reference: live differential test against TF 2.12.1')


def pytest_collection_modifyitems(config, items):
  ok, why = reference_available()
  if ok:
    return
  for item in items:
    if 'reference' in item.keywords:
      item.add_marker(pytest.mark.skip(reason=why))
