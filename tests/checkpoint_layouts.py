"""Checkpoint layouts: what a trained model's checkpoint holds, per API.

Like Haiku's integration/checkpoints descriptors: for each configuration a
small JSON file in tests/checkpoints/ lists every variable a checkpoint
written after training holds (name -> [shape, dtype]), recorded from the
reference by scripts/make_golden.py.  test_checkpoint_layouts.py writes a
checkpoint with ours and compares, so a rename can never slip through.
"""

import os
import tempfile

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1

# id -> (api, input shape, dtype, kwargs)
LAYOUTS = {
    'contrib_kernel_rank2': ('contrib', [8, 3], 'float32', dict(scale=True)),
    'contrib_layer_rank4': ('contrib', [4, 3, 3, 2], 'float32',
                            dict(scale=True)),
    'contrib_layer_renorm': ('contrib', [4, 3, 3, 2], 'float32',
                             dict(scale=True, renorm=True)),
    'contrib_moments_batch_weights': ('contrib', [4, 3, 3, 2], 'float16',
                                      dict(scale=True, batch_weights=True)),
    'contrib_kernel_zero_debias': ('contrib', [4, 3, 3, 2], 'float32',
                                   dict(zero_debias_moving_mean=True)),
    'contrib_moments_zero_debias': ('contrib', [4, 5, 3], 'float32',
                                    dict(zero_debias_moving_mean=True,
                                         fused=False,
                                         updates_collections=None)),
    'layers_default': ('layers', [4, 3, 3, 2], 'float32', {}),
    'layers_float16': ('layers', [4, 3, 3, 2], 'float16', {}),
    'layers_multi_axis': ('layers', [4, 5, 3, 2], 'float32',
                          dict(axis=[1, 3])),
    'layers_virtual_batch_renorm': ('layers', [8, 3], 'float32',
                                    dict(virtual_batch_size=2, renorm=True)),
}


def saved_layout(train, feed):
  """Runs one `train` step of the default graph, saves every variable and
  returns the checkpoint's layout: {name: [shape, dtype name]}."""
  saver = v1.train.Saver()
  with v1.Session() as sess, tempfile.TemporaryDirectory() as tmp:
    sess.run(v1.global_variables_initializer())
    sess.run(train, feed)
    path = saver.save(sess, os.path.join(tmp, 'model'))
    reader = tf.train.load_checkpoint(path)
    dtypes = reader.get_variable_to_dtype_map()
    return {name: [list(s), dtypes[name].name]
            for name, s in sorted(reader.get_variable_to_shape_map().items())}


def checkpoint_layout(layout_id, contrib_fn, layers_fn):
  """Trains one step, saves, and lists the checkpoint: {name: [shape, dtype]}."""
  api, shape, dtype, kwargs = LAYOUTS[layout_id]
  kwargs = dict(kwargs)
  with tf.Graph().as_default():
    x = v1.placeholder(dtype, shape)
    if api == 'contrib':
      if kwargs.pop('batch_weights', False):
        kwargs['batch_weights'] = tf.ones([shape[0]], dtype)
      y = contrib_fn(x, is_training=True, **kwargs)
    else:
      y = layers_fn(x, training=True, **kwargs)
    loss = tf.reduce_sum(tf.cast(y, tf.float32) ** 2)
    with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
      train = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    return saved_layout(
        train, {x: np.ones(shape, dtype) * np.arange(shape[-1])})


# The other tf.layers families: id -> (function name, input shape, kwargs).
# 'cnn_stack' is the usual TF1 model: conv2d -> batch_normalization -> relu
# -> max_pooling2d -> flatten -> dense -> dropout -> dense.
LAYER_LAYOUTS = {
    'dense': ('dense', [4, 3], dict(units=5)),
    'dense_no_bias_rank3': ('dense', [2, 4, 3], dict(units=2,
                                                     use_bias=False)),
    'conv1d': ('conv1d', [2, 7, 3], dict(filters=4, kernel_size=3)),
    'conv2d': ('conv2d', [2, 6, 6, 3], dict(filters=4, kernel_size=3)),
    'conv3d': ('conv3d', [2, 4, 4, 4, 2], dict(filters=3, kernel_size=2)),
    'conv2d_transpose': ('conv2d_transpose', [2, 4, 4, 3],
                         dict(filters=2, kernel_size=3, strides=2)),
    'conv3d_transpose': ('conv3d_transpose', [2, 3, 3, 3, 2],
                         dict(filters=2, kernel_size=2)),
    'separable_conv1d': ('separable_conv1d', [2, 7, 3],
                         dict(filters=4, kernel_size=3, depth_multiplier=2)),
    'separable_conv2d': ('separable_conv2d', [2, 6, 6, 3],
                         dict(filters=4, kernel_size=3)),
    'cnn_stack': ('cnn_stack', [2, 8, 8, 3], {}),
}


def _cnn_stack(layers, x, training):
  net = layers.conv2d(x, 4, 3, padding='same', use_bias=False)
  net = layers.batch_normalization(net, training=training)
  net = layers.max_pooling2d(tf.nn.relu(net), 2, 2)
  net = layers.conv2d(net, 4, 3, padding='same', name='conv_b')
  net = layers.dense(layers.flatten(net), 8, activation=tf.nn.relu)
  net = layers.dropout(net, 0.5, training=training)
  return layers.dense(net, 2, name='logits')


def layer_checkpoint_layout(layout_id, layers):
  """Like checkpoint_layout, for LAYER_LAYOUTS built from the `layers`
  namespace (the reference tf.compat.v1.layers or tf_compat_bn.layers)."""
  fn_name, shape, kwargs = LAYER_LAYOUTS[layout_id]
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, shape)
    if fn_name == 'cnn_stack':
      y = _cnn_stack(layers, x, True)
    else:
      y = getattr(layers, fn_name)(x, **kwargs)
    loss = tf.reduce_sum(y ** 2)
    with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
      train = v1.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
    return saved_layout(train, {x: np.ones(shape, np.float32)})
