"""Synchronized vs single-replica batch norm, in a fresh process.

Run as `python tests/synchronized_runner.py OUT.json`: makes 4 logical CPU
devices (which must happen before TensorFlow starts, hence a process of its
own), then for every case trains one step of a TF1 program (batch norm under
`MirroredStrategy` in a v1 graph, UPDATE_OPS under control_dependencies)
twice: on 1 replica without synchronization, and on R replicas, each with
1/R of the same batch, with `synchronized=True`.  Writes, per case, the
largest differences of the outputs and of every variable, the variable
names of both runs, and whether every replica holds the same moving
statistics.  The same R-replica run without synchronization shows that
the comparison can fail.
"""

import json
import sys

import numpy as np
import tensorflow as tf

import tf_compat_bn

v1 = tf.compat.v1

CASES = [
    # (front end, replicas, data format, rank, dtype)
    ('contrib', 2, 'NHWC', 4, 'float32'),
    ('contrib', 4, 'NCHW', 4, 'float32'),
    ('contrib', 2, 'NHWC', 2, 'float32'),
    ('contrib', 2, 'NHWC', 4, 'float16'),
    ('contrib_moments', 2, 'NHWC', 4, 'float32'),
    ('contrib_weighted', 2, 'NHWC', 4, 'float32'),
    ('layers', 2, 'NHWC', 4, 'float32'),
    ('layers', 4, 'NCHW', 4, 'float32'),
    ('layers', 4, 'NHWC', 2, 'float32'),
    ('layers_plain', 2, 'NHWC', 4, 'float32'),
    ('layers', 2, 'NHWC', 4, 'float16'),
    ('layer_object', 2, 'NCHW', 4, 'float16'),
    # A variable upstream of the statistics (conv2d -> batch norm), as in
    # every real model: the gradient flows through the all-reduce to it.
    ('conv+contrib', 2, 'NHWC', 4, 'float32'),
    ('conv+layers', 4, 'NCHW', 4, 'float32'),
]


def _data(fmt, rank, dtype):
  rng = np.random.RandomState(0)
  if rank == 2:
    x = rng.randn(8, 5) * 3 + 1
  else:
    x = rng.randn(8, 3, 3, 2) * 3 + 1
    if fmt == 'NCHW':
      x = x.transpose(0, 3, 1, 2)
  weights = rng.uniform(0.5, 2.0, size=[8])
  return np.ascontiguousarray(x).astype(dtype), weights.astype(np.float32)


def _batch_norm(front, x, w, fmt, sync):
  """One TF1 batch-norm call of the given front end."""
  axis = 1 if fmt == 'NCHW' else -1
  if front.startswith('conv+'):
    x = tf_compat_bn.layers.conv2d(
        x, 3, 2, padding='same', data_format=(
            'channels_first' if fmt == 'NCHW' else 'channels_last'),
        kernel_initializer=v1.constant_initializer(0.1), name='conv')
    front = front[len('conv+'):]
  if front == 'contrib':
    return tf_compat_bn.batch_norm(x, is_training=True, scale=True,
                                   data_format=fmt, synchronized=sync,
                                   scope='bn')
  if front == 'contrib_moments':
    return tf_compat_bn.batch_norm(x, is_training=True, fused=False,
                                   data_format=fmt, synchronized=sync,
                                   scope='bn')
  if front == 'contrib_weighted':
    return tf_compat_bn.batch_norm(x, is_training=True, batch_weights=w,
                                   data_format=fmt, synchronized=sync,
                                   scope='bn')
  if front == 'layers_plain':
    return tf_compat_bn.layers.batch_normalization(
        x, axis=axis, training=True, fused=False, synchronized=sync,
        name='bn')
  if front == 'layer_object':
    layer = tf_compat_bn.layers.BatchNormalization(axis=axis,
                                                   synchronized=sync,
                                                   name='bn')
    return layer(x, training=True)
  return tf_compat_bn.layers.batch_normalization(
      x, axis=axis, training=True, synchronized=sync, name='bn')


def run(case, replicas, sync):
  front, _, fmt, rank, dtype = case
  data, weights = _data(fmt, rank, dtype)
  graph = tf.Graph()
  with graph.as_default():
    strategy = tf.distribute.MirroredStrategy(
        [f'/cpu:{i}' for i in range(replicas)])
    with strategy.scope():
      x = v1.placeholder(dtype, data.shape, name='x')
      w = v1.placeholder(tf.float32, weights.shape, name='w')
      x_parts = tf.stack(tf.split(x, replicas))
      w_parts = tf.stack(tf.split(w, replicas))

      def step():
        i = tf.distribute.get_replica_context().replica_id_in_sync_group
        y = _batch_norm(front, x_parts[i], w_parts[i], fmt, sync)
        loss = tf.reduce_sum(tf.cast(y, tf.float32) ** 3)
        with tf.control_dependencies(v1.get_collection(
            v1.GraphKeys.UPDATE_OPS)):
          train_op = v1.train.GradientDescentOptimizer(0.01).minimize(loss)
        return train_op, y

      train_op, y = strategy.extended.call_for_each_replica(step)
      outputs = strategy.experimental_local_results(y)
      variables = v1.global_variables()
      moving = [v for v in variables if 'moving_' in v.name]
      per_replica = {v.name: strategy.experimental_local_results(v)
                     for v in moving}
    config = v1.ConfigProto(device_count={'CPU': 4})
    with v1.Session(config=config) as sess:
      sess.run(v1.global_variables_initializer())
      feed = {x: data, w: weights}
      out = np.concatenate(sess.run(outputs, feed)).astype(np.float64)
      sess.run(train_op, feed)
      values = {v.name: sess.run(v).astype(np.float64) for v in variables}
      same = all(
          all(np.array_equal(sess.run(r), sess.run(copies[0]))
              for r in copies)
          for copies in per_replica.values())
  return out, values, same


def main(path):
  tf.config.set_logical_device_configuration(
      tf.config.list_physical_devices('CPU')[0],
      [tf.config.LogicalDeviceConfiguration()] * 4)
  v1.disable_eager_execution()
  results = []
  for case in CASES:
    single, single_vars, _ = run(case, 1, False)
    synced, synced_vars, same = run(case, case[1], True)
    unsynced, _, _ = run(case, case[1], False)
    results.append(dict(
        unsynchronized_output=float(np.abs(single - unsynced).max()),
        case=list(case),
        output=float(np.abs(single - synced).max()),
        output_scale=float(np.abs(single).max()),
        variables={n: float(np.abs(single_vars[n] - synced_vars[n]).max())
                   for n in single_vars if n in synced_vars},
        single_names=sorted(single_vars), synced_names=sorted(synced_vars),
        replicas_agree=bool(same)))
  with open(path, 'w') as f:
    json.dump(results, f, indent=1)


if __name__ == '__main__':
  main(sys.argv[1])
