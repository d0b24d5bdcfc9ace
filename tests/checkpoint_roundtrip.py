"""Train with one implementation, save, restore into the other, compare.

`call(x, training, **kwargs)` adapts a front end: training is a bool
placeholder while training and False at inference.
"""

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1


def train_and_save(call, shape, kwargs, path, data):
  kwargs = dict(kwargs)
  dtype = kwargs.pop('dtype', 'float32')
  with tf.Graph().as_default():
    x = v1.placeholder(dtype, shape)
    training = v1.placeholder(tf.bool, [])
    y = call(x, training, **kwargs)
    loss = tf.reduce_sum(tf.cast(y, tf.float32) ** 2)
    with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
      train = v1.train.GradientDescentOptimizer(0.05).minimize(loss)
    saver = v1.train.Saver()
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      for _ in range(3):
        sess.run(train, {x: data, training: True})
      saver.save(sess, path)
      return sess.run(y, {x: data, training: False})


def restore_and_infer(call, shape, kwargs, path, data):
  kwargs = dict(kwargs)
  dtype = kwargs.pop('dtype', 'float32')
  with tf.Graph().as_default():
    x = v1.placeholder(dtype, shape)
    y = call(x, False, **kwargs)
    with v1.Session() as sess:
      v1.train.Saver().restore(sess, path)
      return sess.run(y, {x: data})


def cross_restore(writer, reader, shape, kwargs, tmp_path):
  """Inference outputs after restoring `writer`'s checkpoint into `reader`."""
  data = np.random.RandomState(3).normal(1.0, 2.0, shape).astype(
      kwargs.get('dtype', 'float32'))
  path = str(tmp_path / 'model.ckpt')
  expected = train_and_save(writer, shape, kwargs, path, data)
  restored = restore_and_infer(reader, shape, kwargs, path, data)
  tol = 1e-2 if kwargs.get('dtype') == 'float16' else 1e-5
  np.testing.assert_allclose(restored.astype(np.float64),
                             expected.astype(np.float64), rtol=tol, atol=tol)
