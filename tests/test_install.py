"""install() / uninstall(): legacy names resolve to ours, and back again."""

import importlib
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import legacy_scripts
import tf_compat_bn

v1 = tf.compat.v1
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _slim_modules():
  try:
    importlib.import_module('tf_slim')
  except Exception:  # pylint: disable=broad-except
    return []
  return [sys.modules[n] for n in ('tf_slim', 'tf_slim.layers',
                                   'tf_slim.layers.layers')]


def _state():
  """What the legacy names point to now."""
  ops = importlib.import_module('tensorflow.python.framework.ops')
  return {
      'v1.layers': v1.layers,
      'tf.contrib': getattr(tf, 'contrib', None),
      'v1.contrib': getattr(v1, 'contrib', None),
      'sys.modules contrib': sys.modules.get('tensorflow.contrib'),
      'sys.modules contrib.layers': sys.modules.get(
          'tensorflow.contrib.layers'),
      'ops.Tensor': getattr(ops, 'Tensor', None),
      'slim': [m.batch_norm for m in _slim_modules()],
  }


def test_install_then_uninstall_restores_everything():
  before = _state()
  with tf_compat_bn.installed() as changes:
    assert changes
    layers = v1.layers
    assert layers.BatchNormalization is tf_compat_bn.BatchNormalization
    assert layers.BatchNorm is tf_compat_bn.BatchNormalization
    assert layers.batch_normalization is tf_compat_bn.batch_normalization
    assert layers.batch_norm is tf_compat_bn.batch_normalization
    assert tf.contrib.layers.batch_norm is tf_compat_bn.batch_norm
    assert v1.contrib.layers.batch_norm is tf_compat_bn.batch_norm
    contrib_layers = importlib.import_module('tensorflow.contrib.layers')
    assert contrib_layers.batch_norm is tf_compat_bn.batch_norm
    for module in _slim_modules():
      assert module.batch_norm is tf_compat_bn.batch_norm
    ops = importlib.import_module('tensorflow.python.framework.ops')
    assert ops.Tensor is not None
  after = _state()
  for key in before:
    if isinstance(before[key], list):
      assert all(a is b for a, b in zip(after[key], before[key])), key
    else:
      assert after[key] is before[key], key


def test_install_is_idempotent():
  first = tf_compat_bn.install()
  try:
    assert tf_compat_bn.install() == first
    assert len(first) == len(set(first))
  finally:
    tf_compat_bn.uninstall()
  assert getattr(tf, 'contrib', None) is None


def test_mends_are_listed_exactly_when_needed():
  ops = importlib.import_module('tensorflow.python.framework.ops')
  needed = not hasattr(ops, 'Tensor') and bool(_slim_modules())
  with tf_compat_bn.installed() as changes:
    listed = any('ops.Tensor' in c for c in changes)
  assert listed == needed
  assert hasattr(ops, 'Tensor') == (not needed)


def test_contrib_names_we_do_not_provide_fail_clearly():
  with tf_compat_bn.installed():
    with pytest.raises(AttributeError) as error:
      tf.contrib.rnn  # pylint: disable=pointless-statement
    assert 'tensorflow.contrib.rnn' in str(error.value)
    assert 'tf.compat.v1.nn.rnn_cell' in str(error.value)
    assert tf.contrib.layers.batch_norm is tf_compat_bn.batch_norm


def _lookup(namespace, name):
  try:
    return getattr(namespace, name)
  except Exception as e:  # pylint: disable=broad-except
    return (type(e), str(e))


# Every public name of TF 2.12's tf.compat.v1.layers (listed there live).
REFERENCE_LAYERS_NAMES = [
    'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
    'BatchNormalization', 'Conv1D', 'Conv2D', 'Conv2DTranspose', 'Conv3D',
    'Conv3DTranspose', 'Dense', 'Dropout', 'Flatten', 'InputSpec', 'Layer',
    'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'SeparableConv1D',
    'SeparableConv2D', 'average_pooling1d', 'average_pooling2d',
    'average_pooling3d', 'batch_normalization', 'conv1d', 'conv2d',
    'conv2d_transpose', 'conv3d', 'conv3d_transpose', 'dense', 'dropout',
    'experimental', 'flatten', 'max_pooling1d', 'max_pooling2d',
    'max_pooling3d', 'separable_conv1d', 'separable_conv2d']


def test_every_tf_layers_name_is_ours():
  with tf_compat_bn.installed():
    for name in REFERENCE_LAYERS_NAMES:
      assert getattr(v1.layers, name) is getattr(tf_compat_bn.layers, name)
    assert v1.layers.experimental.keras_style_scope is (
        tf_compat_bn.layers.experimental.keras_style_scope)


def test_installed_names_build_working_graphs():
  with tf_compat_bn.installed(), tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3, 3, 2])
    a = tf.contrib.layers.batch_norm(x, scope='a')
    b = v1.layers.batch_normalization(x, training=True, name='b')
    names = sorted(v.op.name for v in v1.global_variables())
    assert names == ['a/beta', 'a/moving_mean', 'a/moving_variance',
                     'b/beta', 'b/gamma', 'b/moving_mean',
                     'b/moving_variance']
    assert len(v1.get_collection(v1.GraphKeys.UPDATE_OPS)) == 4
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      sess.run([a, b], {x: np.ones([4, 3, 3, 2])})


LEGACY_SCRIPT = dict(
    script=os.path.join(HERE, 'legacy_tf1_script.py'),
    # TF 2.12.1 with the native references: tf.layers is tf.compat.v1's own,
    # and tf.contrib.layers (gone from TF 2.x) stands for tf_slim.
    native_prelude=('import sys, tensorflow.compat.v1 as tf, tf_slim\n'
                    'tf.contrib = type(sys)("contrib")\n'
                    'tf.contrib.layers = tf_slim\n'))


def test_legacy_script_runs_unchanged_under_install(tmp_path):
  trained, restored = legacy_scripts.train_then_infer_here(
      tmp_path, sys.executable, '.npy', **LEGACY_SCRIPT)
  np.testing.assert_allclose(restored, trained, rtol=1e-6, atol=1e-6)


@legacy_scripts.needs_oracle
@pytest.mark.parametrize('direction', legacy_scripts.DIRECTIONS)
def test_legacy_script_checkpoint_crosses_versions(direction, tmp_path):
  """Trained with ours on this TF, restored by the native reference on TF
  2.12.1 (or the other way round): the same inference output."""
  trained, restored = legacy_scripts.train_then_infer(
      direction, tmp_path, sys.executable, '.npy', **LEGACY_SCRIPT)
  np.testing.assert_allclose(restored, trained, rtol=1e-5, atol=1e-5)


# Each import form legacy code uses, run in a fresh interpreter: after
# install() (called before or after the form, as the form needs) it must
# reach our layers.  `OURS` is the object to compare with.
IMPORT_FORMS = {
    'tf.compat.v1.layers': (
        'import tensorflow as tf; import tf_compat_bn; tf_compat_bn.install()\n'
        'got = tf.compat.v1.layers.dense'),
    'import tensorflow.compat.v1 as tf': (
        'import tensorflow.compat.v1 as tf; import tf_compat_bn\n'
        'tf_compat_bn.install(); got = tf.layers.dense'),
    'from tensorflow.compat.v1 import layers': (
        'import tf_compat_bn; tf_compat_bn.install()\n'
        'from tensorflow.compat.v1 import layers; got = layers.dense'),
    'import tensorflow.compat.v1.layers': (
        'import tensorflow as tf; import tf_compat_bn; tf_compat_bn.install()\n'
        'import tensorflow.compat.v1.layers\n'
        'got = tensorflow.compat.v1.layers.dense\n'
        'assert tf.compat.v1.layers.dense is got'),
    'from tensorflow.compat.v1.layers import conv2d': (
        'import tf_compat_bn; tf_compat_bn.install()\n'
        'from tensorflow.compat.v1.layers import dense as got'),
    'alias taken before import tf_compat_bn': (
        'import tensorflow as tf; v1 = tf.compat.v1\n'
        'import tf_compat_bn; tf_compat_bn.install(); got = v1.layers.dense'),
    'tensorflow.python.layers.core': (
        'import tf_compat_bn; tf_compat_bn.install()\n'
        'from tensorflow.python.layers import core; got = core.dense\n'
        'assert core.Dense is tf_compat_bn.layers.Dense'),
    'tensorflow.python.layers.layers': (
        'import tf_compat_bn; tf_compat_bn.install()\n'
        'import tensorflow.python.layers.layers as L; got = L.dense\n'
        'assert L.max_pooling2d is tf_compat_bn.layers.max_pooling2d'),
    'tensorflow.python.layers.base': (
        'import tf_compat_bn; tf_compat_bn.install()\n'
        'from tensorflow.python.layers import base\n'
        'assert base.Layer is tf_compat_bn.layers.Layer\n'
        'assert base.InputSpec is tf_compat_bn.layers.InputSpec\n'
        'from tensorflow.python.layers import normalization as n\n'
        'assert n.BatchNormalization is tf_compat_bn.layers.BatchNormalization\n'
        'from tensorflow.python.layers import pooling as p\n'
        'assert p.MaxPool2D is tf_compat_bn.layers.MaxPool2D\n'
        'got = tf_compat_bn.layers.dense'),
    'another name first, then batch norm': (
        'import tensorflow as tf; import tf_compat_bn; tf_compat_bn.install()\n'
        'tf.compat.v1.layers.Conv2D; tf.compat.v1.layers.flatten\n'
        'assert (tf.compat.v1.layers.batch_normalization is\n'
        '        tf_compat_bn.layers.batch_normalization)\n'
        'got = tf.compat.v1.layers.dense'),
}

_FORM_EPILOGUE = '''
import tensorflow as _tf
import tf_compat_bn as _ours
assert got is _ours.layers.dense, got
with _tf.Graph().as_default():
  _x = _tf.compat.v1.placeholder(_tf.float32, [2, 4, 4, 3])
  _y = _tf.compat.v1.layers.conv2d(_x, 4, 3)
  _y = _tf.compat.v1.layers.batch_normalization(_y, training=True)
  _y = _tf.compat.v1.layers.dense(_tf.compat.v1.layers.flatten(_y), 2)
  assert [v.name for v in _tf.compat.v1.trainable_variables()] == [
      'conv2d/kernel:0', 'conv2d/bias:0', 'batch_normalization/gamma:0',
      'batch_normalization/beta:0', 'dense/kernel:0', 'dense/bias:0']
print('OK')
'''


@pytest.mark.parametrize('form', sorted(IMPORT_FORMS))
def test_import_form_reaches_our_layers(form):
  result = subprocess.run(
      [sys.executable, '-c', IMPORT_FORMS[form] + _FORM_EPILOGUE],
      capture_output=True, text=True, timeout=300, cwd=ROOT,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
  assert result.returncode == 0 and 'OK' in result.stdout, (
      result.stderr[-3000:])
