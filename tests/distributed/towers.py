"""A multi-tower TF1 graph, as the classic multi-GPU examples built them
(cifar10_multi_gpu_train.py, inception's multi-GPU trainer), with logical
CPUs standing for the GPUs: the global batch is split, each tower is built
under `tf.device('/cpu:i')` and `tf.name_scope('tower_i')` in
`variable_scope(..., reuse=i > 0)`, each tower's gradients are computed and
averaged, and the batch-norm updates of the last tower, picked with
`get_collection(UPDATE_OPS, tower_scope)`, are grouped with the training op.

    towers.py OUTPUT.json CHECKPOINT_PREFIX [STEPS]

Writes the summary (variables and devices, UPDATE_OPS per tower scope, EMA
updates run per device in a traced step, updates seen by bn0, values after
training, checkpoint contents) to OUTPUT.json.
"""

import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model  # noqa: E402  pylint: disable=g-import-not-at-top

tf.disable_v2_behavior()
TOWERS = 2


def average_gradients(tower_grads):
  averaged = []
  for grads_and_vars in zip(*tower_grads):
    grad = tf.reduce_mean(tf.stack([g for g, _ in grads_and_vars]), 0)
    averaged.append((grad, grads_and_vars[0][1]))
  return averaged


def main(output, checkpoint, steps):
  with tf.device('/cpu:0'):
    global_step = tf.train.get_or_create_global_step()
    images = tf.placeholder(tf.float32, (TOWERS * model.BATCH,) + model.SHAPE)
    labels = tf.placeholder(tf.float32, (TOWERS * model.BATCH, 2))
    optimizer = tf.train.MomentumOptimizer(0.05, 0.9)
  image_splits = tf.split(images, TOWERS)
  label_splits = tf.split(labels, TOWERS)

  tower_grads = []
  tower_updates = {}
  for i in range(TOWERS):
    with tf.variable_scope(tf.get_variable_scope(), reuse=i > 0):
      with tf.device('/cpu:%d' % i):
        with tf.name_scope('tower_%d' % i) as scope:
          logits = model.model(image_splits[i], is_training=True)
          loss = model.loss_of(logits, label_splits[i])
          # Retain the batch-norm updates of the final tower only.
          batchnorm_updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS,
                                                scope)
          tower_updates[scope] = [op.name for op in batchnorm_updates]
          tower_grads.append(optimizer.compute_gradients(loss))

  with tf.device('/cpu:0'):
    apply_op = optimizer.apply_gradients(average_gradients(tower_grads),
                                         global_step=global_step)
    train_op = tf.group(apply_op, *batchnorm_updates)
  saver = tf.train.Saver()

  graph = tf.get_default_graph()
  summary = {
      'variables': model.describe_variables(tf.global_variables()),
      'update_ops': model.describe_update_ops(
          tf.get_collection(tf.GraphKeys.UPDATE_OPS)),
      'tower_updates': tower_updates,
      'moving_average_variables': model.collection_names(
          tf.GraphKeys.MOVING_AVERAGE_VARIABLES),
  }
  assigns = model.moving_average_assigns(graph)
  config = tf.ConfigProto(device_count={'CPU': TOWERS},
                          allow_soft_placement=True)
  with tf.Session(config=config) as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(steps):
      feed = {images: np.concatenate([model.batch(step, i)
                                      for i in range(TOWERS)]),
              labels: model.targets(TOWERS * model.BATCH)}
      if step == 0:
        metadata = tf.RunMetadata()
        sess.run(train_op, feed, options=model.trace_options(),
                 run_metadata=metadata)
        summary['executed_updates'] = model.executed_updates(metadata,
                                                             assigns)
      else:
        sess.run(train_op, feed)
    variables = tf.global_variables()
    values = sess.run(variables)
    summary['values'] = {v.name: x.tolist() for v, x in zip(variables, values)}
    summary['global_step'] = int(sess.run(global_step))
    summary['updates_seen'] = model.updates_seen(
        summary['values']['bn0/moving_mean:0'])
    saver.save(sess, checkpoint)
  summary['checkpoint'] = model.checkpoint_contents(checkpoint)
  model.write(output, summary)


if __name__ == '__main__':
  main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
