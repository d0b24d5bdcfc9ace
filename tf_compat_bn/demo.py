"""A small legacy TF1 graph-mode training program, run under install().

It is written as TF1 code was: placeholders, a small CNN of
`tf.layers.conv2d`, `tf.contrib.layers.batch_norm`,
`tf.layers.batch_normalization`, `max_pooling2d`, a user subclass of
`tf.layers.Layer`, `flatten`, `dense` and `dropout`, the update ops in
UPDATE_OPS, the train op under `control_dependencies(UPDATE_OPS)`, a Saver
checkpoint, and inference from the restored checkpoint in a fresh graph.  `install()` makes
those legacy names resolve to tf_compat_bn.  It prints the moving statistics
as they move.  Run it with `python -m tf_compat_bn demo`.
"""

import os
import sys
import tempfile

import numpy as np
import tensorflow as tf

import tf_compat_bn

v1 = tf.compat.v1


def gain_layer_class():
  """A user layer, as TF1 programs subclassed tf.layers.Layer (defined once
  install() has put tf_compat_bn's Layer in place)."""

  class Gain(v1.layers.Layer):

    def build(self, input_shape):
      self.gain = self.add_weight('gain', [int(input_shape[-1])],
                                  initializer=v1.ones_initializer())
      super().build(input_shape)

    def call(self, inputs):
      return inputs * self.gain

  return Gain


def model(images, is_training):
  """A small CNN written with tf.layers / tf.contrib.layers, as in TF1."""
  Gain = gain_layer_class()  # pylint: disable=invalid-name
  init = v1.glorot_uniform_initializer(seed=1)
  net = v1.layers.conv2d(images, 8, 3, padding='same', use_bias=False,
                         kernel_initializer=init, name='conv1')
  net = v1.contrib.layers.batch_norm(net, is_training=is_training,
                                     scale=True, decay=0.9,
                                     activation_fn=tf.nn.relu, scope='bn1')
  net = v1.layers.max_pooling2d(net, 2, 2, name='pool1')
  net = v1.layers.conv2d(net, 16, 3, padding='same', use_bias=False,
                         kernel_initializer=init, name='conv2')
  net = v1.layers.batch_normalization(net, training=is_training,
                                      momentum=0.9, name='bn2')
  net = Gain(name='gain')(tf.nn.relu(net))
  net = v1.layers.average_pooling2d(net, 4, 4, name='pool2')
  net = v1.layers.flatten(net)
  net = v1.layers.dense(net, 32, activation=tf.nn.relu,
                        kernel_initializer=init, name='fc1')
  net = v1.layers.dropout(net, rate=0.2, training=is_training)
  return v1.layers.dense(net, 1, kernel_initializer=init, name='out')


def main():
  for change in tf_compat_bn.install():
    print(f'install(): {change}')
  rng = np.random.RandomState(0)
  data = rng.normal(3.0, 2.0, size=(256, 8, 8, 1)).astype(np.float32)
  target = data.mean(axis=(1, 2)) * 0.5
  ckpt = os.path.join(tempfile.mkdtemp(prefix='tf_compat_bn_demo_'), 'model')

  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [None, 8, 8, 1])
    y = v1.placeholder(tf.float32, [None, 1])
    training = v1.placeholder_with_default(False, [])
    pred = model(x, training)
    loss = tf.reduce_mean(tf.square(pred - y))
    update_ops = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
      train_op = v1.train.AdamOptimizer(0.01).minimize(loss)
    with v1.variable_scope('bn1', reuse=True):
      moving_mean = v1.get_variable('moving_mean')
      moving_variance = v1.get_variable('moving_variance')
    saver = v1.train.Saver()
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      print(f'TensorFlow {tf.__version__}; {len(update_ops)} update ops in '
            'UPDATE_OPS')
      for step in range(201):
        batch = rng.randint(0, len(data), 32)
        _, l = sess.run([train_op, loss], {x: data[batch], y: target[batch],
                                           training: True})
        if step % 50 == 0:
          mm, mv = sess.run([moving_mean, moving_variance])
          print(f'step {step:3d}  loss {l:9.4f}  moving_mean[:3] '
                f'{np.round(mm[:3], 3)}  moving_variance[:3] '
                f'{np.round(mv[:3], 3)}')
      saver.save(sess, ckpt)
      expected = sess.run(pred, {x: data[:4]})

  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [None, 8, 8, 1])
    pred = model(x, False)
    with v1.Session() as sess:
      v1.train.Saver().restore(sess, ckpt)
      restored = sess.run(pred, {x: data[:4]})
  same = np.allclose(expected, restored, atol=1e-5)
  print(f'checkpoint {ckpt}: restored inference output matches: {same}')
  return 0 if same else 1


if __name__ == '__main__':
  sys.exit(main())
