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
    loss = model.strategy_train_loss(strategy, iterator)
    saver = tf.train.Saver()

  summary = model.strategy_summary(strategy)
  with tf.Session() as sess:
    model.train_and_record(sess, iterator, loss, steps, summary)
    saver.save(sess, checkpoint)
  summary['checkpoint'] = model.checkpoint_contents(checkpoint)
  model.write(output, summary)


if __name__ == '__main__':
  main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3,
       sys.argv[4] if len(sys.argv) > 4 else 'v1')
