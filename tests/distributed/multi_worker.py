"""MultiWorkerMirroredStrategy in a TF1 graph, one process per worker, the
cluster given by TF_CONFIG, written as TF1 code using the strategy without
Estimator was: `tf.compat.v1.distribute.experimental.MultiWorkerMirroredStrategy`,
a `tf.train.Server` for this task with the strategy's session config, a
dataset iterator from the strategy, `experimental_run` of a step function
building the model with tf.layers / tf.contrib.layers and training with a
v1 optimizer under the UPDATE_OPS dependency, and a Session on the server.

    TF_CONFIG=... multi_worker.py OUTPUT.json [STEPS [v1|v2]]

`v2` builds the same program with TF2's strategy class
(`tf.compat.v2.distribute.MultiWorkerMirroredStrategy`), still in a v1 graph.
`scaled` gives worker k its images times (1 + k), so the workers' batch
statistics differ; `sync` does the same with `synchronized=True` on both
batch norms (tf_compat_bn only).  Both also record each worker's own copy of
the moving statistics (`local_values`).

Writes this worker's summary (variables with their distributed types and
aggregation, update ops, EMA updates run per device in a traced step,
updates seen by bn0, values after training) to OUTPUT.json.
"""

import json
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model  # noqa: E402  pylint: disable=g-import-not-at-top


def main(output, steps, api):
  tf.disable_eager_execution()
  task = json.loads(os.environ['TF_CONFIG'])['task']['index']
  strategy = (tf.compat.v2.distribute.MultiWorkerMirroredStrategy()
              if api == 'v2' else
              tf.distribute.experimental.MultiWorkerMirroredStrategy())
  config = strategy.update_config_proto(tf.ConfigProto())
  server = tf.train.Server(strategy.cluster_resolver.cluster_spec(),
                           job_name='worker', task_index=task, config=config)

  # Each worker reads its own shard of the data.
  images = np.stack([model.batch(s, task) for s in range(steps)])
  if api in ('scaled', 'sync'):
    images = images * (1.0 + task)
  labels = np.stack([model.targets()] * steps)
  dataset = tf.data.Dataset.from_tensor_slices((images, labels))
  dataset = dataset.unbatch().batch(model.BATCH)

  with strategy.scope():
    iterator = strategy.make_dataset_iterator(dataset)
    loss = model.strategy_train_loss(strategy, iterator,
                                     synchronized=api == 'sync')

  summary = model.strategy_summary(strategy)
  with tf.Session(target=server.target, config=config) as sess:
    model.train_and_record(sess, iterator, loss, steps, summary)
    if api in ('scaled', 'sync'):
      moving = [v for v in tf.global_variables() if 'moving_' in v.name]
      local = [strategy.experimental_local_results(v)[0] for v in moving]
      summary['local_values'] = {
          v.name: x.tolist() for v, x in zip(moving, sess.run(local))}
  model.write(output, summary)


if __name__ == '__main__':
  main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3,
       sys.argv[3] if len(sys.argv) > 3 else 'v1')
