"""MirroredStrategy on two logical CPUs in a TF1 graph, written as TF1 code
using tf.distribute was: `tf.compat.v1.distribute.MirroredStrategy`, a
dataset iterator from the strategy, `experimental_run` of a step function
that builds the model with tf.layers / tf.contrib.layers and trains with a
v1 optimizer under the UPDATE_OPS dependency, `strategy.reduce` of the loss,
a Session and a Saver.

    mirrored.py OUTPUT.json CHECKPOINT_PREFIX [STEPS [v1|v2]]

`v2` builds the same program with TF2's strategy class
(`tf.compat.v2.distribute.MirroredStrategy`), still in a v1 graph.

Writes the summary (variables with their distributed types and aggregation,
update ops, EMA updates run per device in a traced step, updates seen by
bn0, values after training, checkpoint contents) to OUTPUT.json.
"""

import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model  # noqa: E402  pylint: disable=g-import-not-at-top

REPLICAS = 2


def main(output, checkpoint, steps, api):
  cpu = tf.config.list_physical_devices('CPU')[0]
  tf.config.set_logical_device_configuration(
      cpu, [tf.config.LogicalDeviceConfiguration()] * REPLICAS)
  tf.disable_eager_execution()
  strategy_class = (tf.compat.v2.distribute.MirroredStrategy if api == 'v2'
                    else tf.distribute.MirroredStrategy)
  strategy = strategy_class(['/cpu:%d' % i for i in range(REPLICAS)])

  global_batch = model.BATCH * REPLICAS
  # Replica r gets rows r*BATCH.. of each global batch: shard r of step s.
  images = np.stack([
      np.concatenate([model.batch(s, r) for r in range(REPLICAS)])
      for s in range(steps)])
  labels = np.stack([model.targets(global_batch)] * steps)
  dataset = tf.data.Dataset.from_tensor_slices((images, labels))
  dataset = dataset.unbatch().batch(global_batch)

  with strategy.scope():
    iterator = strategy.make_dataset_iterator(dataset)
    global_step = tf.train.get_or_create_global_step()

    def step_fn(inputs):
      x, y = inputs
      loss = model.loss_of(model.model(x, is_training=True), y)
      optimizer = tf.train.MomentumOptimizer(0.05, 0.9)
      update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
      with tf.control_dependencies(update_ops):
        train_op = optimizer.minimize(loss, global_step=global_step)
      with tf.control_dependencies([train_op]):
        return tf.identity(loss)

    per_replica_loss = strategy.experimental_run(step_fn, iterator)
    loss = strategy.reduce(tf.distribute.ReduceOp.MEAN, per_replica_loss,
                           axis=None)
    saver = tf.train.Saver()

  graph = tf.get_default_graph()
  summary = {
      'strategy': type(strategy).__name__,
      'replicas': strategy.num_replicas_in_sync,
      'variables': model.describe_variables(tf.global_variables()),
      'update_ops': model.describe_update_ops(
          tf.get_collection(tf.GraphKeys.UPDATE_OPS)),
      'moving_average_variables': model.collection_names(
          tf.GraphKeys.MOVING_AVERAGE_VARIABLES),
  }
  assigns = model.moving_average_assigns(graph)
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(iterator.initializer)
    metadata = tf.RunMetadata()
    losses = [float(sess.run(loss, options=model.trace_options(),
                             run_metadata=metadata))]
    summary['executed_updates'] = model.executed_updates(metadata, assigns)
    for _ in range(steps - 1):
      losses.append(float(sess.run(loss)))
    variables = tf.global_variables()
    values = sess.run(variables)
    summary['values'] = {v.name: x.tolist() for v, x in zip(variables, values)}
    summary['losses'] = losses
    summary['global_step'] = int(sess.run(global_step))
    summary['updates_seen'] = model.updates_seen(
        summary['values']['bn0/moving_mean:0'])
    saver.save(sess, checkpoint)
  summary['checkpoint'] = model.checkpoint_contents(checkpoint)
  model.write(output, summary)


if __name__ == '__main__':
  main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3,
       sys.argv[4] if len(sys.argv) > 4 else 'v1')
