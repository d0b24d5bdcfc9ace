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
    saver = v1.train.Saver()
    with v1.Session() as sess, tempfile.TemporaryDirectory() as tmp:
      sess.run(v1.global_variables_initializer())
      sess.run(train, {x: np.ones(shape, dtype) * np.arange(shape[-1])})
      path = saver.save(sess, os.path.join(tmp, 'model'))
      reader = tf.train.load_checkpoint(path)
      dtypes = reader.get_variable_to_dtype_map()
      return {name: [list(s), dtypes[name].name]
              for name, s in sorted(reader.get_variable_to_shape_map().items())}
