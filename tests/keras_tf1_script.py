"""A legacy TF1 training script using Keras batch-norm layers inside a graph
and session, written the way TF1 code was: `tf.keras.layers.
BatchNormalization` objects called on `tf.layers` outputs, `training` left to
the Keras learning phase (`tf.keras.backend.learning_phase()` fed 1 while
training), the layers' `updates` run with the train op (Keras layers never
used UPDATE_OPS), their regularization `losses` added to the loss, a
`tf.layers.batch_normalization` in between (its updates in UPDATE_OPS), a
Saver checkpoint.

It runs unchanged: natively on TF 2.12.1 (Keras 2), and on new TF after
`tf_compat_bn.install(keras=True)`.

    keras_tf1_script.py train CHECKPOINT_PREFIX OUTPUT.npy
    keras_tf1_script.py infer CHECKPOINT_PREFIX OUTPUT.npy

`train` trains a few steps and saves; both write the inference output on a
fixed batch (learning phase left at its default, 0) to OUTPUT.npy.
"""

import sys

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def build(images):
  init = tf.truncated_normal_initializer(stddev=0.1, seed=1)
  phase = tf.keras.backend.learning_phase()
  bns = []
  net = tf.layers.conv2d(images, 8, 3, padding='same', use_bias=False,
                         kernel_initializer=init)
  bns.append(tf.keras.layers.BatchNormalization(momentum=0.9))
  net = tf.nn.relu(bns[-1](net))
  net = tf.layers.max_pooling2d(net, 2, 2)
  net = tf.layers.batch_normalization(net, training=phase, momentum=0.9)
  bns.append(tf.keras.layers.BatchNormalization(
      axis=-1, fused=False, gamma_regularizer='l2', momentum=0.8))
  net = bns[-1](net)
  net = tf.layers.flatten(net)
  net = tf.layers.dense(net, 16, kernel_initializer=init, name='fc1')
  bns.append(tf.keras.layers.BatchNormalization(
      renorm=True, renorm_clipping={'rmax': 2.0}, name='fc1_bn'))
  net = tf.nn.relu(bns[-1](net))
  logits = tf.layers.dense(net, 4, kernel_initializer=init, name='logits')
  return logits, bns, phase


def main(mode, checkpoint, output):
  rng = np.random.RandomState(0)
  data = rng.normal(1.0, 2.0, size=(16, 6, 6, 3)).astype(np.float32)
  images = tf.placeholder(tf.float32, [None, 6, 6, 3])
  logits, bns, phase = build(images)
  loss = tf.reduce_mean(tf.square(logits - 1.0))
  loss += tf.add_n([l for bn in bns for l in bn.losses])
  updates = [u for bn in bns for u in bn.updates]
  updates += tf.get_collection(tf.GraphKeys.UPDATE_OPS)
  with tf.control_dependencies(updates):
    train_op = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss)
  saver = tf.train.Saver()
  with tf.Session() as sess:
    if mode == 'train':
      sess.run(tf.global_variables_initializer())
      for step in range(5):
        sess.run(train_op, {images: data[step % 2 * 8:][:8], phase: 1})
      saver.save(sess, checkpoint)
    else:
      saver.restore(sess, checkpoint)
    np.save(output, sess.run(logits, {images: data[:8]}))


if __name__ == '__main__':
  main(*sys.argv[1:4])
