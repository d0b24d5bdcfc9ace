"""A legacy `tf.contrib` training script, written the way TF1 code was:
`import tensorflow.contrib.slim as slim`, `slim.arg_scope`, `slim.conv2d`
with `normalizer_fn=slim.batch_norm`, `tf.contrib.layers.l2_regularizer` and
`variance_scaling_initializer`, `slim.max_pool2d`, `slim.flatten`,
`slim.fully_connected`, `slim.dropout`, `tf.contrib.framework`'s global step
and `get_variables_to_restore`, `slim.learning.create_train_op` (which runs
UPDATE_OPS), a Saver checkpoint.

It is run unchanged: on new TF through `python -m tf_compat_bn run` (install()
first: tf.contrib is tf_slim with tf_compat_bn's batch norm and layers
underneath), on TF 2.12.1 natively with tf_slim standing for tf.contrib.

    contrib_tf1_script.py train CHECKPOINT_PREFIX OUTPUT.npz
    contrib_tf1_script.py infer CHECKPOINT_PREFIX OUTPUT.npz

`train` trains a few steps and saves; both write the inference output on a
fixed batch, the moving statistics and the regularization loss to OUTPUT.
"""

import sys

import numpy as np
import tensorflow.compat.v1 as tf
import tensorflow.contrib.slim as slim
from tensorflow.contrib import framework


def build(images, is_training):
  batch_norm_params = {'is_training': is_training, 'decay': 0.9,
                       'scale': True, 'updates_collections':
                       tf.GraphKeys.UPDATE_OPS}
  with slim.arg_scope(
      [slim.conv2d, slim.fully_connected],
      weights_initializer=tf.contrib.layers.variance_scaling_initializer(
          seed=1),
      weights_regularizer=tf.contrib.layers.l2_regularizer(1e-3),
      normalizer_fn=slim.batch_norm, normalizer_params=batch_norm_params):
    with slim.arg_scope([slim.max_pool2d], padding='SAME'):
      net = slim.conv2d(images, 8, [3, 3], scope='conv1')
      net = slim.max_pool2d(net, [2, 2], scope='pool1')
      net = slim.conv2d(net, 8, [3, 3], scope='conv2')
      net = slim.max_pool2d(net, [2, 2], stride=1, scope='pool2')
      net = slim.flatten(net)
      net = slim.fully_connected(net, 16, scope='fc1')
  net = slim.dropout(net, 0.75, is_training=is_training, scope='dropout')
  return slim.fully_connected(
      net, 4, activation_fn=None, scope='logits',
      weights_initializer=tf.contrib.layers.xavier_initializer(seed=2))


def main(mode, checkpoint, output):
  rng = np.random.RandomState(0)
  data = rng.normal(1.0, 2.0, size=(16, 6, 6, 3)).astype(np.float32)
  images = tf.placeholder(tf.float32, [None, 6, 6, 3])
  is_training = tf.placeholder_with_default(False, [])
  logits = build(images, is_training)
  global_step = framework.get_or_create_global_step()
  regularization = tf.add_n(tf.get_collection(
      tf.GraphKeys.REGULARIZATION_LOSSES))
  loss = tf.reduce_mean(tf.square(logits - 1.0)) + regularization
  train_op = slim.learning.create_train_op(
      loss, tf.train.MomentumOptimizer(0.05, 0.9), global_step=global_step)
  moving = [v for v in tf.global_variables() if 'moving_' in v.op.name]
  saver = tf.train.Saver(tf.contrib.framework.get_variables_to_restore())
  with tf.Session() as sess:
    if mode == 'train':
      sess.run(tf.global_variables_initializer())
      for step in range(5):
        sess.run(train_op, {images: data[step % 2 * 8:][:8],
                            is_training: True})
      saver.save(sess, checkpoint)
    else:
      saver.restore(sess, checkpoint)
    out, stats, reg, step = sess.run([logits, moving, regularization,
                                      global_step], {images: data})
    np.savez(output, logits=out, regularization=reg, step=step,
             names=np.array(sorted(v.op.name for v in tf.global_variables())),
             **{v.op.name.replace('/', '.'): s for v, s in zip(moving, stats)})


if __name__ == '__main__':
  tf.disable_eager_execution()
  main(*sys.argv[1:])
