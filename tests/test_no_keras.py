"""tf_compat_bn never imports Keras (`keras`, `tf_keras`, TF's bundled one).

TensorFlow itself may load `keras` while it imports (TF >= 2.16 probes and
wraps Keras 3); that is TF's doing.  What we prove: our sources contain no
such import, and with every not-yet-loaded Keras module blocked after TF is
imported, our package imports and builds and runs every front end.
"""

import ast
import os
import subprocess
import sys
import textwrap

import tf_compat_bn

PACKAGE = os.path.dirname(os.path.abspath(tf_compat_bn.__file__))
FORBIDDEN = ('keras', 'tf_keras', 'tensorflow.keras', 'tensorflow.python.keras')


def _imported_names(path):
  with open(path) as f:
    tree = ast.parse(f.read(), path)
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      yield from (a.name for a in node.names)
    elif isinstance(node, ast.ImportFrom) and node.module:
      yield node.module
      yield from (f'{node.module}.{a.name}' for a in node.names)


def test_sources_import_no_keras():
  offending = []
  sources = [os.path.join(d, n) for d, _, names in os.walk(PACKAGE)
             for n in sorted(names) if n.endswith('.py')]
  assert any(s.endswith(os.path.join('layers', 'convolutional.py'))
             for s in sources)
  for path in sources:
    for imported in _imported_names(path):
      if any(imported == f or imported.startswith(f + '.')
             for f in FORBIDDEN):
        offending.append((os.path.relpath(path, PACKAGE), imported))
  assert offending == []


SCRIPT = textwrap.dedent('''
    import sys
    import tensorflow as tf
    loaded = {m for m in sys.modules if m.split('.')[0] in ('keras', 'tf_keras')}

    class BlockKeras:
      def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('keras', 'tf_keras') and name not in loaded:
          raise ImportError('tf_compat_bn must not import ' + name)

    sys.meta_path.insert(0, BlockKeras())
    import numpy as np
    import tf_compat_bn
    v1 = tf.compat.v1
    with tf.Graph().as_default():
      x4 = v1.placeholder(tf.float32, [4, 3, 3, 2])
      x2 = v1.placeholder(tf.float32, [4, 3])
      flag = v1.placeholder(tf.bool, [])
      outs = [tf_compat_bn.batch_norm(x4, is_training=flag, scale=True),
              tf_compat_bn.batch_norm(x2, is_training=flag),
              tf_compat_bn.batch_norm(x4, fused=False, renorm=True),
              tf_compat_bn.batch_norm(x4, batch_weights=tf.ones([4])),
              tf_compat_bn.batch_normalization(x4, training=flag),
              tf_compat_bn.BatchNormalization(axis=[1, 3])(x4, training=True)]
      layers = tf_compat_bn.layers
      net = layers.conv2d(x4, 4, 2, padding='same', activation='relu',
                          kernel_initializer='he_normal',
                          kernel_regularizer='l2', bias_constraint='non_neg')
      net = layers.separable_conv2d(net, 4, 2, padding='same')
      net = layers.conv2d_transpose(net, 2, 2, strides=2)
      net = layers.max_pooling2d(net, 2, 2)
      net = layers.average_pooling2d(net, 2, 1, padding='same')
      net = layers.dropout(layers.flatten(net), 0.5, training=flag)
      outs.append(layers.dense(net, 3, activation='tanh'))
      outs.append(layers.conv1d(x2[:, :, None], 2, 2))
      outs.append(layers.max_pooling3d(
          layers.conv3d(tf.ones([1, 2, 2, 2, 1]), 1, 1), 1, 1))
      with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        sess.run(outs, {x4: np.ones([4, 3, 3, 2]), x2: np.ones([4, 3]),
                        flag: True})
    tf_compat_bn.install()
    with tf.Graph().as_default():
      v1.layers.dense(v1.layers.flatten(tf.ones([2, 2, 2])), 2)
    tf_compat_bn.uninstall()
    new = {m for m in sys.modules if m.split('.')[0] in ('keras', 'tf_keras')}
    assert new == loaded, sorted(new - loaded)
    print('NO-KERAS-OK')
''')


def test_runs_with_keras_blocked():
  result = subprocess.run([sys.executable, '-c', SCRIPT], capture_output=True,
                          text=True, timeout=600)
  assert 'NO-KERAS-OK' in result.stdout, result.stderr[-3000:]
