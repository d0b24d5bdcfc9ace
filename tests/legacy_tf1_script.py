"""A legacy TF1 training script, written the way TF1 code was written:
`tf.layers.conv2d` -> `batch_normalization` -> relu -> `max_pooling2d`,
`tf.contrib.layers.batch_norm`, a user subclass of `tf.layers.Layer`,
`flatten`, `dense`, `dropout`, UPDATE_OPS under `control_dependencies`, a
Saver checkpoint.

It is run unchanged: on new TF through `python -m tf_compat_bn run` (which
calls install() first), on TF 2.12.1 natively (with tf.contrib.layers
standing for tf_slim there, as tf.contrib itself is gone from TF 2.x).

    legacy_tf1_script.py train CHECKPOINT_PREFIX OUTPUT.npy
    legacy_tf1_script.py infer CHECKPOINT_PREFIX OUTPUT.npy

`train` trains a few steps and saves; both write the inference output on a
fixed batch to OUTPUT.npy.
"""

import sys

import numpy as np
import tensorflow.compat.v1 as tf


class ChannelScale(tf.layers.Layer):
  """A user layer, as TF1 code subclassed tf.layers.Layer: a learned
  per-channel scale."""

  def build(self, input_shape):
    self.scale = self.add_weight('scale', [int(input_shape[-1])],
                                 initializer=tf.ones_initializer())
    super(ChannelScale, self).build(input_shape)

  def call(self, inputs):
    return inputs * self.scale


def build(images, is_training):
  init = tf.truncated_normal_initializer(stddev=0.1, seed=1)
  net = tf.contrib.layers.batch_norm(images, is_training=is_training,
                                     scale=True, decay=0.9, scope='bn0')
  net = tf.layers.conv2d(net, 8, 3, padding='same', use_bias=False,
                         kernel_initializer=init, name='conv1')
  net = tf.layers.batch_normalization(net, training=is_training,
                                      momentum=0.9, name='bn1')
  net = tf.nn.relu(net)
  net = tf.layers.max_pooling2d(net, 2, 2)
  net = tf.layers.conv2d(net, 8, 3, padding='same', activation=tf.nn.relu,
                         kernel_initializer=init)
  net = ChannelScale(name='channel_scale')(net)
  net = tf.layers.average_pooling2d(net, 3, 1)
  net = tf.layers.flatten(net)
  net = tf.layers.dense(net, 16, kernel_initializer=init, name='fc1')
  net = tf.contrib.layers.batch_norm(net, is_training=is_training,
                                     updates_collections=None, scope='bn2')
  net = tf.layers.dropout(net, rate=0.25, training=is_training)
  net = tf.layers.dense(net, 4, kernel_initializer=init, name='logits')
  return tf.layers.batch_normalization(net, training=is_training,
                                       axis=-1, fused=False, name='bn3')


def main(mode, checkpoint, output):
  rng = np.random.RandomState(0)
  data = rng.normal(1.0, 2.0, size=(16, 6, 6, 3)).astype(np.float32)
  images = tf.placeholder(tf.float32, [None, 6, 6, 3])
  is_training = tf.placeholder_with_default(False, [])
  logits = build(images, is_training)
  loss = tf.reduce_mean(tf.square(logits - 1.0))
  update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
  with tf.control_dependencies(update_ops):
    train_op = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss)
  saver = tf.train.Saver()
  with tf.Session() as sess:
    if mode == 'train':
      sess.run(tf.global_variables_initializer())
      for step in range(5):
        sess.run(train_op, {images: data[step % 2 * 8:][:8],
                            is_training: True})
      saver.save(sess, checkpoint)
    else:
      saver.restore(sess, checkpoint)
    np.save(output, sess.run(logits, {images: data}))


if __name__ == '__main__':
  tf.disable_eager_execution()
  main(*sys.argv[1:])
