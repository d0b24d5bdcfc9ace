"""A legacy TF1 CRNN training script (text-line recogniser), written the way
TF1 code was written: `tf.layers.conv2d` -> `tf.layers.batch_normalization`
-> relu -> `tf.layers.max_pooling2d`, the feature map reshaped to a
sequence, `tf.nn.rnn_cell.LSTMCell`s stacked in `tf.nn.rnn_cell.MultiRNNCell`
(forward and backward) run by `tf.nn.bidirectional_dynamic_rnn`,
`tf.layers.dense` to per-step logits, `tf.nn.ctc_loss` on a SparseTensor of
labels, UPDATE_OPS under `control_dependencies`, Adam, a Saver checkpoint.

It is run unchanged: on new TF through `python -m tf_compat_bn run` (which
calls install() first), on TF 2.12.1 natively.

    crnn_tf1_script.py train CHECKPOINT_PREFIX OUTPUT.npy
    crnn_tf1_script.py infer CHECKPOINT_PREFIX OUTPUT.npy

`train` trains a few steps and saves; both write the inference logits on a
fixed batch to OUTPUT.npy.
"""

import sys

import numpy as np
import tensorflow.compat.v1 as tf

HEIGHT, WIDTH, CLASSES, UNITS = 8, 16, 5, 8


def conv_block(net, filters, is_training, name):
  init = tf.truncated_normal_initializer(stddev=0.2, seed=len(name))
  net = tf.layers.conv2d(net, filters, 3, padding='same', use_bias=False,
                         kernel_initializer=init, name=name)
  net = tf.layers.batch_normalization(net, training=is_training,
                                      momentum=0.9, name=name + '_bn')
  net = tf.nn.relu(net)
  return net


def stacked_cell(prefix):
  return tf.nn.rnn_cell.MultiRNNCell([
      tf.nn.rnn_cell.LSTMCell(
          UNITS, initializer=tf.glorot_uniform_initializer(seed=10 + i +
                                                            len(prefix)),
          name='%s_lstm%d' % (prefix, i))
      for i in range(2)])


def build(images, seq_len, is_training):
  net = conv_block(images, 8, is_training, 'conv1')
  net = tf.layers.max_pooling2d(net, 2, 2)                  # [B, 4, 8, 8]
  net = conv_block(net, 8, is_training, 'conv2')
  net = tf.layers.max_pooling2d(net, [2, 1], [2, 1])        # [B, 2, 8, 8]
  # Columns become time steps: [B, W, H * C].
  shape = net.get_shape().as_list()
  net = tf.transpose(net, [0, 2, 1, 3])
  net = tf.reshape(net, [-1, shape[2], shape[1] * shape[3]])
  with tf.variable_scope('birnn'):
    (out_fw, out_bw), _ = tf.nn.bidirectional_dynamic_rnn(
        stacked_cell('fw'), stacked_cell('bw'), net,
        sequence_length=seq_len, dtype=tf.float32)
  net = tf.concat([out_fw, out_bw], 2)
  return tf.layers.dense(
      net, CLASSES + 1, name='logits',
      kernel_initializer=tf.glorot_uniform_initializer(seed=3))


def make_data():
  rng = np.random.RandomState(0)
  images = rng.normal(0.5, 1.0, size=(8, HEIGHT, WIDTH, 1)).astype(np.float32)
  labels = [rng.randint(0, CLASSES, size=rng.randint(1, 4))
            for _ in range(8)]
  return images, labels


def sparse(labels):
  indices = [[i, j] for i, lab in enumerate(labels) for j in range(len(lab))]
  values = [int(v) for lab in labels for v in lab]
  shape = [len(labels), max(len(lab) for lab in labels)]
  return (np.array(indices, np.int64), np.array(values, np.int32),
          np.array(shape, np.int64))


def main(mode, checkpoint, output):
  data, labels = make_data()
  steps = WIDTH // 2
  lengths = np.array([8, 8, 7, 8, 6, 8, 8, 5], np.int32)
  images = tf.placeholder(tf.float32, [None, HEIGHT, WIDTH, 1])
  targets = tf.sparse_placeholder(tf.int32)
  seq_len = tf.placeholder_with_default(
      tf.fill([tf.shape(images)[0]], steps), [None])
  is_training = tf.placeholder_with_default(False, [])
  logits = build(images, seq_len, is_training)
  loss = tf.reduce_mean(tf.nn.ctc_loss(targets, logits, seq_len,
                                       time_major=False))
  update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
  with tf.control_dependencies(update_ops):
    train_op = tf.train.AdamOptimizer(0.01).minimize(
        loss, global_step=tf.train.get_or_create_global_step())
  saver = tf.train.Saver()
  with tf.Session() as sess:
    if mode == 'train':
      sess.run(tf.global_variables_initializer())
      for step in range(6):
        batch = slice(step % 2 * 4, step % 2 * 4 + 4)
        sess.run(train_op, {images: data[batch], seq_len: lengths[batch],
                            targets: sparse(labels[batch]),
                            is_training: True})
      saver.save(sess, checkpoint)
    else:
      saver.restore(sess, checkpoint)
    np.save(output, sess.run(logits, {images: data, seq_len: lengths}))


if __name__ == '__main__':
  tf.disable_eager_execution()
  main(*sys.argv[1:])
