"""The small TF1 model the distributed programs in this folder train, their
input batches, and the JSON summary they write.

The model is written as TF1 code was: `tf.contrib.layers.batch_norm` on the
input, `tf.layers.conv2d` -> `tf.layers.batch_normalization` -> relu,
`flatten`, `dense`.  Every batch (each step, worker and replica) is the same
base images rolled along the width by a different amount: the per-channel
mean of the input is then the same in every batch, so `bn0/moving_mean`
after n updates is exactly `mean * (1 - DECAY**n)` and tells how many
updates reached it (`updates_seen`), while the conv/bn1 activations still
differ from batch to batch.
"""

import json
import math

import numpy as np
import tensorflow.compat.v1 as tf

DECAY = 0.99
BATCH = 4
SHAPE = (4, 4, 3)


def base_images():
  rng = np.random.RandomState(0)
  return rng.normal(3.0, 2.0, size=(BATCH,) + SHAPE).astype(np.float32)


def input_mean():
  """Per-channel mean of every batch (the value bn0 moves towards)."""
  return base_images().astype(np.float64).mean(axis=(0, 1, 2))


def batch(step, shard, batch_size=BATCH):
  """Images for `step` of `shard` (a worker or replica), `batch_size` rows."""
  images = np.roll(base_images(), shift=step + 2 * shard, axis=2)
  return np.concatenate([images] * (batch_size // BATCH))


def targets(batch_size=BATCH):
  rng = np.random.RandomState(1)
  return np.concatenate(
      [rng.normal(size=(BATCH, 2)).astype(np.float32)] * (batch_size // BATCH))


def model(images, is_training, synchronized=False):
  """The network; returns its 2 outputs.  `synchronized` (tf_compat_bn's
  batch norm only) is passed to both batch norms when True."""
  init = tf.truncated_normal_initializer(stddev=0.3, seed=1)
  sync = {'synchronized': True} if synchronized else {}
  net = tf.contrib.layers.batch_norm(images, decay=DECAY,
                                     is_training=is_training, scope='bn0',
                                     **sync)
  net = tf.layers.conv2d(net, 4, 3, padding='same', use_bias=False,
                         kernel_initializer=init, name='conv1')
  net = tf.layers.batch_normalization(net, momentum=DECAY,
                                      training=is_training, name='bn1',
                                      **sync)
  net = tf.nn.relu(net)
  net = tf.layers.flatten(net)
  return tf.layers.dense(net, 2, kernel_initializer=init, name='logits')


def loss_of(outputs, labels):
  return tf.reduce_mean(tf.square(outputs - labels))


# ------------------------------------------------------------- the summary

def updates_seen(moving_mean):
  """How many EMA updates took bn0/moving_mean from 0 to `moving_mean`."""
  fraction = 1.0 - np.asarray(moving_mean, np.float64) / input_mean()
  return float(np.mean(np.log(fraction) / math.log(DECAY)))


def _kind(value):
  return getattr(value, 'name', str(value))


def describe_variables(variables):
  """Name, shape, dtype, device, type, aggregation, synchronization."""
  out = []
  for v in variables:
    out.append({
        'name': v.name, 'shape': v.shape.as_list(),
        'dtype': v.dtype.base_dtype.name, 'device': v.device,
        'type': type(v).__name__,
        'aggregation': _kind(getattr(v, 'aggregation', None)),
        'synchronization': _kind(getattr(v, 'synchronization', None)),
        'trainable': bool(getattr(v, 'trainable', True))})
  return out


def describe_update_ops(update_ops):
  """Each op of UPDATE_OPS: name, type, device, colocation, and the device
  of the variable it updates."""
  out = []
  for item in update_ops:
    op = item if isinstance(item, tf.Operation) else item.op
    target = op.inputs[0].op if op.inputs else None
    out.append({
        'name': op.name, 'type': op.type, 'device': op.device,
        'colocation': sorted(c.decode() for c in op.colocation_groups()),
        'variable_device': target.device if target is not None else None})
  return out


def strategy_train_loss(strategy, iterator, synchronized=False):
  """Within `strategy.scope()`: the mean loss of one training step run on
  every replica (which also advances the global step), with the step function TF1 code
  wrote (UPDATE_OPS under control_dependencies around `minimize`)."""
  global_step = tf.train.get_or_create_global_step()

  def step_fn(inputs):
    x, y = inputs
    loss = loss_of(model(x, is_training=True, synchronized=synchronized), y)
    optimizer = tf.train.MomentumOptimizer(0.05, 0.9)
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
      train_op = optimizer.minimize(loss, global_step=global_step)
    with tf.control_dependencies([train_op]):
      return tf.identity(loss)

  per_replica_loss = strategy.experimental_run(step_fn, iterator)
  return strategy.reduce(tf.distribute.ReduceOp.MEAN, per_replica_loss,
                         axis=None)


def strategy_summary(strategy):
  """What a strategy program's graph holds: its variables with their
  distributed types, its update ops, its moving-average variables."""
  return {
      'strategy': type(strategy).__name__,
      'replicas': strategy.num_replicas_in_sync,
      'variables': describe_variables(tf.global_variables()),
      'update_ops': describe_update_ops(
          tf.get_collection(tf.GraphKeys.UPDATE_OPS)),
      'moving_average_variables': collection_names(
          tf.GraphKeys.MOVING_AVERAGE_VARIABLES),
  }


def train_and_record(sess, iterator, loss, steps, summary):
  """Initializes, runs `steps` training steps (the first traced: which EMA
  updates ran where) and records the losses, every variable's value, the
  global step and the updates bn0 saw into `summary`.  The variables are
  read in one run: on several workers, reading a sync-on-read variable
  all-reduces it, so every worker must read the same ones together."""
  assigns = moving_average_assigns(sess.graph)
  sess.run(tf.global_variables_initializer())
  sess.run(iterator.initializer)
  metadata = tf.RunMetadata()
  losses = [float(sess.run(loss, options=trace_options(),
                           run_metadata=metadata))]
  summary['executed_updates'] = executed_updates(metadata, assigns)
  for _ in range(steps - 1):
    losses.append(float(sess.run(loss)))
  variables = tf.global_variables()
  values = sess.run(variables)
  summary['values'] = {v.name: x.tolist() for v, x in zip(variables, values)}
  summary['losses'] = losses
  summary['global_step'] = int(summary['values']['global_step:0'])
  summary['updates_seen'] = updates_seen(summary['values']['bn0/moving_mean:0'])


def moving_average_assigns(graph):
  """Names of the graph's EMA update ops (the only AssignSub* ops here:
  optimizers use Apply* ops and the global step AssignAdd)."""
  return {op.name for op in graph.get_operations()
          if op.type in ('AssignSub', 'AssignSubVariableOp')}


def executed_updates(run_metadata, assign_names):
  """{device: how many EMA update ops ran} in a traced step."""
  counts = {}
  for dev in run_metadata.step_stats.dev_stats:
    n = sum(1 for node in dev.node_stats if node.node_name in assign_names)
    if n:
      device = dev.device.replace('/replica:0', '')
      counts[device] = counts.get(device, 0) + n
  return dict(sorted(counts.items()))


def trace_options():
  return tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)


def checkpoint_contents(path):
  """{name: {'shape', 'value'}} of a checkpoint (prefix or directory)."""
  if tf.gfile.IsDirectory(path):
    path = tf.train.latest_checkpoint(path)
  reader = tf.train.load_checkpoint(path)
  return {name: {'shape': shape,
                 'value': np.asarray(reader.get_tensor(name)).tolist()}
          for name, shape in tf.train.list_variables(path)}


def collection_names(key, scope=None):
  return [getattr(x, 'name', str(x)) for x in tf.get_collection(key, scope)]


def write(path, summary):
  with open(path, 'w') as f:
    json.dump(summary, f, indent=1, sort_keys=True)
