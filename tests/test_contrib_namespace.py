"""`tf.contrib` on tf_slim, with tf_compat_bn's batch norm and layers
underneath (tf_compat_bn/contrib_namespace.py).

Each import form runs in a fresh interpreter after `PRELUDE`
(`tf_compat_bn.install()`).
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

import legacy_scripts
import tf_compat_bn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HAVE_SLIM = importlib.util.find_spec('tf_slim') is not None
needs_slim = pytest.mark.skipif(not HAVE_SLIM, reason='tf_slim is not '
                                'installed (pip install tf-slim==1.1.0)')

PRELUDE = textwrap.dedent('''
    import sys
    import tf_compat_bn
    tf_compat_bn.install()
''')


def _child(code, prelude=PRELUDE, python=sys.executable):
  result = subprocess.run(
      [python, '-c', prelude + textwrap.dedent(code)], capture_output=True,
      text=True, timeout=600, cwd=ROOT,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT))
  assert result.returncode == 0 and 'OK' in result.stdout, (
      result.stdout[-2000:] + result.stderr[-4000:])
  return result.stdout


# Each form must leave `slim` (tf_slim) and `contrib_layers` bound.
IMPORT_FORMS = {
    'tf.contrib.slim': '''
        import tensorflow as tf
        slim, contrib_layers = tf.contrib.slim, tf.contrib.layers''',
    'tf.compat.v1.contrib.slim': '''
        import tensorflow as tf
        slim = tf.compat.v1.contrib.slim
        contrib_layers = tf.compat.v1.contrib.layers''',
    'import tensorflow.compat.v1 as tf; tf.contrib': '''
        import tensorflow.compat.v1 as tf
        slim, contrib_layers = tf.contrib.slim, tf.contrib.layers''',
    'import tensorflow.contrib.slim as slim': '''
        import tensorflow.contrib.slim as slim
        import tensorflow.contrib.layers as contrib_layers''',
    'from tensorflow.contrib import slim, layers, framework': '''
        from tensorflow.contrib import slim, layers as contrib_layers
        from tensorflow.contrib import framework
        assert framework.arg_scope is slim.arg_scope''',
    'import tensorflow.contrib as tf_contrib': '''
        import tensorflow.contrib as tf_contrib
        slim, contrib_layers = tf_contrib.slim, tf_contrib.layers''',
    'from tensorflow.contrib.layers import ...': '''
        from tensorflow.contrib.layers import conv2d, batch_norm, flatten
        from tensorflow.contrib.layers import xavier_initializer
        import tensorflow.contrib.layers as contrib_layers
        import tensorflow.contrib.slim as slim
        assert batch_norm is tf_compat_bn.batch_norm
        assert conv2d is slim.conv2d and flatten is slim.flatten''',
    'TF1-era internal paths': '''
        from tensorflow.contrib.layers.python.layers import layers as layers_lib
        from tensorflow.contrib.framework.python.ops import arg_scope as asc
        from tensorflow.contrib.slim.python.slim.nets import resnet_v1
        from tensorflow.contrib.slim.nets import resnet_v2
        import tensorflow.contrib.slim.nets
        import tensorflow.contrib.slim as slim
        import tensorflow.contrib.layers as contrib_layers
        assert layers_lib.batch_norm is tf_compat_bn.batch_norm
        assert asc.arg_scope is slim.arg_scope
        assert resnet_v2 is slim.nets.resnet_v2''',
}

_FORM_EPILOGUE = '''
import tensorflow as _tf
import tf_slim as _tf_slim
_v1 = _tf.compat.v1
assert slim is _tf_slim, slim
assert slim.batch_norm is tf_compat_bn.batch_norm
assert contrib_layers.batch_norm is tf_compat_bn.batch_norm
assert contrib_layers.conv2d is _tf_slim.conv2d
_v1.disable_eager_execution()
_x = _v1.placeholder(_tf.float32, [2, 8, 8, 3])
with slim.arg_scope([slim.conv2d, slim.fully_connected],
                    normalizer_fn=slim.batch_norm,
                    normalizer_params={'scale': True},
                    weights_regularizer=contrib_layers.l2_regularizer(1e-4)):
  _y = slim.conv2d(_x, 4, 3, scope='conv')
  _y = slim.max_pool2d(_y, 2)
  _y = slim.fully_connected(slim.flatten(_y), 3, scope='fc')
names = sorted(v.op.name for v in _v1.global_variables())
assert names == [
    'conv/BatchNorm/beta', 'conv/BatchNorm/gamma', 'conv/BatchNorm/moving_mean',
    'conv/BatchNorm/moving_variance', 'conv/weights', 'fc/BatchNorm/beta',
    'fc/BatchNorm/gamma', 'fc/BatchNorm/moving_mean',
    'fc/BatchNorm/moving_variance', 'fc/weights'], names
assert len(_v1.get_collection(_v1.GraphKeys.UPDATE_OPS)) == 4
assert len(_v1.get_collection(_v1.GraphKeys.REGULARIZATION_LOSSES)) == 2
# tf_slim built its layers from ours, not from TF's Keras-based ones.
_layers = sys.modules['tf_slim.layers.layers']
assert _layers.core_layers is tf_compat_bn.layers.core
assert _layers.convolutional_layers is tf_compat_bn.layers.convolutional
assert _layers.pooling_layers is tf_compat_bn.layers.pooling
_ops = [o.type for o in _v1.get_default_graph().get_operations()]
with _v1.Session() as _s:
  _s.run(_v1.global_variables_initializer())
  _s.run(_y, {_x: __import__('numpy').ones([2, 8, 8, 3])})
print('OK')
'''


@needs_slim
@pytest.mark.parametrize('form', sorted(IMPORT_FORMS))
def test_import_form_reaches_slim_and_our_batch_norm(form):
  _child(textwrap.dedent(IMPORT_FORMS[form]) + _FORM_EPILOGUE)


@needs_slim
def test_tf_slim_imported_after_install_gets_our_layers():
  """tf_slim imported only after install() (here: unavailable while
  tf_compat_bn was imported) builds its layers from ours too."""
  prelude = textwrap.dedent('''
      import sys
      class _Block:
        def find_spec(self, name, path=None, target=None):
          if name.split('.')[0] == 'tf_slim':
            raise ImportError('blocked for now')
      sys.meta_path.insert(0, _Block())
      import tf_compat_bn
      sys.meta_path.pop(0)
      assert 'tf_slim' not in sys.modules
  ''') + PRELUDE
  _child(textwrap.dedent(IMPORT_FORMS['import tensorflow.contrib.slim as '
                                     'slim']) + _FORM_EPILOGUE,
         prelude=prelude)


@needs_slim
def test_contrib_framework_losses_metrics_names():
  _child('''
      import tensorflow as tf
      import tf_slim
      fw = tf.contrib.framework
      for name in ('arg_scope', 'add_arg_scope', 'get_variables_to_restore',
                   'assign_from_checkpoint_fn', 'get_or_create_global_step',
                   'model_variable', 'variable', 'get_variables',
                   'get_model_variables', 'get_name_scope', 'load_checkpoint',
                   'list_variables', 'init_from_checkpoint'):
        assert hasattr(fw, name), name
      assert fw.get_variables_to_restore is tf_slim.get_variables_to_restore
      cl = tf.contrib.layers
      for name in ('conv2d', 'convolution2d', 'fully_connected', 'flatten',
                   'softmax', 'conv2d_transpose', 'separable_conv2d',
                   'max_pool2d', 'avg_pool2d', 'dropout', 'layer_norm',
                   'instance_norm', 'group_norm', 'repeat', 'stack',
                   'one_hot_encoding', 'xavier_initializer',
                   'variance_scaling_initializer', 'l1_regularizer',
                   'l2_regularizer', 'l1_l2_regularizer', 'sum_regularizer',
                   'apply_regularization', 'optimize_loss', 'summaries'):
        assert getattr(cl, name) is not None, name
      assert tf.contrib.losses is tf_slim.losses
      assert tf.contrib.metrics is tf_slim.metrics
      import tensorflow.contrib.losses, tensorflow.contrib.metrics
      print('OK')
  ''')


UNAVAILABLE = {
    'rnn': 'tf.compat.v1.nn.rnn_cell', 'seq2seq': 'tfa.seq2seq',
    'tpu': 'tf.compat.v1.tpu', 'distributions': 'tfp.distributions',
    'cudnn_rnn': 'tf.compat.v1.nn.rnn_cell', 'learn': 'tf.contrib.learn',
}


@needs_slim
def test_unavailable_contrib_names_say_what_to_use_instead():
  _child(f'''
      import re
      import tensorflow as tf
      for name, hint in {UNAVAILABLE!r}.items():
        for attempt in ('tf.contrib.' + name,
                        'import tensorflow.contrib.' + name,
                        'from tensorflow.contrib import ' + name):
          try:
            exec(attempt)
          except (AttributeError, ImportError) as e:
            message = str(e)
          else:
            raise AssertionError(attempt + ' did not fail')
          assert 'tensorflow.contrib.' + name in message, message
          assert hint in message, (attempt, message)
      try:
        tf.contrib.layers.embed_sequence
      except AttributeError as e:
        assert 'tensorflow.contrib.layers.embed_sequence' in str(e), e
      else:
        raise AssertionError('embed_sequence')
      print('OK')
  ''')


def test_without_tf_slim_batch_norm_works_and_slim_says_pip_install():
  prelude = textwrap.dedent('''
      import sys
      class _Block:
        def find_spec(self, name, path=None, target=None):
          if name.split('.')[0] == 'tf_slim':
            raise ModuleNotFoundError("No module named 'tf_slim'", name=name)
      sys.meta_path.insert(0, _Block())
  ''') + PRELUDE
  _child('''
      import numpy as np
      import tensorflow as tf
      v1 = tf.compat.v1
      assert tf.contrib.layers.batch_norm is tf_compat_bn.batch_norm
      from tensorflow.contrib.layers import batch_norm
      assert batch_norm is tf_compat_bn.batch_norm
      for attempt in ('tf.contrib.slim', 'import tensorflow.contrib.slim',
                      'from tensorflow.contrib import slim',
                      'tf.contrib.framework', 'tf.contrib.layers.conv2d'):
        try:
          exec(attempt)
        except (AttributeError, ImportError) as e:
          assert 'pip install tf-slim' in str(e), (attempt, e)
        else:
          raise AssertionError(attempt)
      try:
        tf.contrib.rnn
      except AttributeError as e:
        assert 'tf.compat.v1.nn.rnn_cell' in str(e), e
      with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [4, 3])
        y = tf.contrib.layers.batch_norm(x, scale=True, is_training=True)
        with v1.Session() as s:
          s.run(v1.global_variables_initializer())
          s.run(y, {x: np.ones([4, 3])})
      assert 'tf_slim' not in sys.modules
      print('OK')
  ''', prelude=prelude)


@needs_slim
def test_uninstall_undoes_contrib():
  _child('''
      import tensorflow as tf
      import tf_slim
      before = {k: v for k, v in vars(sys.modules['tf_slim.layers.layers']
                                     ).items()}
      tf.contrib.slim
      tf_compat_bn.uninstall()
      assert getattr(tf, 'contrib', None) is None
      assert getattr(tf.compat.v1, 'contrib', None) is None
      assert not [m for m in sys.modules if m.startswith('tensorflow.contrib')]
      try:
        import tensorflow.contrib.slim
      except ImportError:
        pass
      else:
        raise AssertionError('tensorflow.contrib.slim after uninstall')
      layers = sys.modules['tf_slim.layers.layers']
      assert layers.batch_norm is not tf_compat_bn.batch_norm
      assert layers.core_layers is not tf_compat_bn.layers.core
      print('OK')
  ''')


# ----------------------------------------------------- arg_scope (item 5)

@needs_slim
def test_arg_scope_keyed_on_slim_batch_norm_reaches_ours():
  import tf_slim  # pylint: disable=g-import-not-at-top
  from tf_slim.ops import arg_scope as arg_scope_lib  # pylint: disable=g-import-not-at-top
  assert (arg_scope_lib.arg_scope_func_key(tf_compat_bn.batch_norm) ==
          arg_scope_lib.arg_scope_func_key(tf_slim.batch_norm))
  for key_op in (tf_slim.batch_norm, tf_slim.layers.batch_norm,
                 tf_compat_bn.batch_norm):
    with tf.Graph().as_default():
      x = tf.compat.v1.placeholder(tf.float32, [4, 3])
      with tf_slim.arg_scope([key_op], scale=True, decay=0.5):
        tf_compat_bn.batch_norm(x, scope='bn')
      names = [v.op.name for v in tf.compat.v1.global_variables()]
      assert 'bn/gamma' in names, (key_op, names)


@pytest.mark.reference
def test_resnet_arg_scope_with_our_normalizer_fn_matches_slim():
  """Live on TF 2.12.1: `resnet_arg_scope()` around
  `normalizer_fn=tf_compat_bn.batch_norm` gives gamma (scale=True from the
  scope) and the same graph as `normalizer_fn=tf_slim.batch_norm`."""
  import tf_slim  # pylint: disable=g-import-not-at-top
  from tf_slim.nets import resnet_v1  # pylint: disable=g-import-not-at-top
  import graph_summary  # pylint: disable=g-import-not-at-top

  def build(normalizer_fn):
    graph = tf.Graph()
    with graph.as_default():
      tf.compat.v1.set_random_seed(0)
      x = tf.compat.v1.placeholder(tf.float32, [2, 8, 8, 3])
      with tf_slim.arg_scope(resnet_v1.resnet_arg_scope()):
        tf_slim.conv2d(x, 4, 3, normalizer_fn=normalizer_fn, scope='conv')
      variables = sorted(v.op.name for v in tf.compat.v1.global_variables())
      ops = sorted((o.name, o.type) for o in graph.get_operations())
      updates = len(tf.compat.v1.get_collection(
          tf.compat.v1.GraphKeys.UPDATE_OPS))
    return variables, ops, updates

  del graph_summary
  ours, reference = build(tf_compat_bn.batch_norm), build(tf_slim.batch_norm)
  assert 'conv/BatchNorm/gamma' in ours[0]
  assert ours == reference


# ------------------------------------------- a tf.contrib training script

CONTRIB_SCRIPT = dict(
    script=os.path.join(HERE, 'contrib_tf1_script.py'),
    # TF 2.12.1: tf_slim (with TF's own layers) stands for tf.contrib.
    native_prelude=textwrap.dedent('''
        import sys, types
        import tensorflow.compat.v1 as tf, tf_slim
        contrib = types.ModuleType('tensorflow.contrib')
        contrib.slim = contrib.layers = contrib.framework = tf_slim
        tf.contrib = contrib
        sys.modules.update({'tensorflow.contrib': contrib,
                            'tensorflow.contrib.slim': tf_slim})
    '''))


def _assert_same(a, b):
  assert sorted(a) == sorted(b)
  for key in a:
    if a[key].dtype.kind in 'US':
      np.testing.assert_array_equal(a[key], b[key])
    else:
      np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-5,
                                 err_msg=key)


@needs_slim
def test_contrib_script_runs_unchanged_under_install(tmp_path):
  trained, restored = map(dict, legacy_scripts.train_then_infer_here(
      tmp_path, sys.executable, '.npz', **CONTRIB_SCRIPT))
  _assert_same(trained, restored)
  assert int(trained['step']) == 5
  assert any(n.endswith('BatchNorm/gamma') for n in trained['names'])


@needs_slim
@legacy_scripts.needs_oracle
@pytest.mark.parametrize('direction', legacy_scripts.DIRECTIONS)
def test_contrib_script_checkpoint_crosses_versions(direction, tmp_path):
  trained, restored = legacy_scripts.train_then_infer(
      direction, tmp_path, sys.executable, '.npz', **CONTRIB_SCRIPT)
  _assert_same(dict(trained), dict(restored))


@needs_slim
def test_contrib_paths_import_no_keras():
  """With every Keras module TF did not load itself blocked, tf_slim under
  install() imports, builds and runs its layer wrappers (on ours)."""
  prelude = textwrap.dedent('''
      import sys
      import tensorflow
      _loaded = {m for m in sys.modules
                 if m.split('.')[0] in ('keras', 'tf_keras')}
      class _BlockKeras:
        def find_spec(self, name, path=None, target=None):
          if (name.split('.')[0] in ('keras', 'tf_keras') and
              name not in _loaded):
            raise ImportError('must not import ' + name)
      sys.meta_path.insert(0, _BlockKeras())
  ''') + PRELUDE
  _child(textwrap.dedent('''
      import tensorflow.contrib.slim as slim
      import tensorflow.contrib.layers as contrib_layers
      assert 'tf_slim' in sys.modules
      with slim.arg_scope([slim.conv2d_transpose, slim.separable_conv2d],
                          normalizer_fn=slim.batch_norm):
        import tensorflow as _tf0
        _tf0.compat.v1.disable_eager_execution()
        _z = _tf0.compat.v1.placeholder(_tf0.float32, [2, 4, 4, 3])
        _z = slim.conv2d_transpose(_z, 3, 3, scope='deconv')
        _z = slim.separable_conv2d(_z, 3, 3, depth_multiplier=1, scope='sep')
        _z = slim.avg_pool2d(slim.dropout(_z, is_training=True), 2)
  ''') + _FORM_EPILOGUE.replace(
      "names = sorted(v.op.name for v in _v1.global_variables())",
      "names = sorted(v.op.name for v in _v1.global_variables()\n"
      "               if v.op.name.startswith(('conv', 'fc')))").replace(
      "assert len(_v1.get_collection(_v1.GraphKeys.UPDATE_OPS)) == 4",
      "assert len(_v1.get_collection(_v1.GraphKeys.UPDATE_OPS)) == 8"),
         prelude=prelude)
