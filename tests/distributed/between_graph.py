"""Between-graph replication, written as the TF1 distributed examples were
(mnist_replica.py and friends): a ClusterSpec of ps and worker tasks, one
tf.train.Server per process, the ps joining its server, each worker building
the model under `replica_device_setter`, training with a MomentumOptimizer
(wrapped in SyncReplicasOptimizer with --sync) whose gradients wait for the
UPDATE_OPS, in a MonitoredTrainingSession with a StopAtStepHook; the chief
writes checkpoints to --checkpoint_dir.

    between_graph.py --ps_hosts H:P --worker_hosts H:P,H:P --job_name ps|worker
        --task_index I --output OUT.json --checkpoint_dir DIR --steps N
        [--sync] [--save_checkpoint_steps K] [--step_seconds S]

Each worker writes a summary to OUT.json: its variables with their devices,
the update ops with device and colocation, the EMA updates run per device in
its first (traced) step, and, for the chief, the global step and moving
statistics at session start (after any restore), the contents of the
checkpoint it finds at start (an earlier life's, which it restores) and of
the final one, and the updates bn0 saw.
"""

import argparse
import os
import sys
import time

import tensorflow.compat.v1 as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model  # noqa: E402  pylint: disable=g-import-not-at-top

tf.disable_v2_behavior()


def parse():
  parser = argparse.ArgumentParser()
  parser.add_argument('--ps_hosts', required=True)
  parser.add_argument('--worker_hosts', required=True)
  parser.add_argument('--job_name', required=True)
  parser.add_argument('--task_index', type=int, default=0)
  parser.add_argument('--output', default='')
  parser.add_argument('--checkpoint_dir', required=True)
  parser.add_argument('--steps', type=int, default=3)
  parser.add_argument('--sync', action='store_true')
  parser.add_argument('--save_checkpoint_steps', type=int, default=None)
  parser.add_argument('--step_seconds', type=float, default=0.0)
  return parser.parse_args()


def main(flags):
  ps_hosts = flags.ps_hosts.split(',')
  worker_hosts = flags.worker_hosts.split(',')
  cluster = tf.train.ClusterSpec({'ps': ps_hosts, 'worker': worker_hosts})
  server = tf.train.Server(cluster, job_name=flags.job_name,
                           task_index=flags.task_index)
  if flags.job_name == 'ps':
    server.join()
    return

  is_chief = flags.task_index == 0
  num_workers = len(worker_hosts)
  with tf.device(tf.train.replica_device_setter(
      worker_device='/job:worker/task:%d' % flags.task_index,
      cluster=cluster)):
    global_step = tf.train.get_or_create_global_step()
    images = tf.placeholder(tf.float32, (None,) + model.SHAPE, name='images')
    labels = tf.placeholder(tf.float32, (None, 2), name='labels')
    loss = model.loss_of(model.model(images, is_training=True), labels)
    optimizer = tf.train.MomentumOptimizer(0.05, 0.9)
    if flags.sync:
      optimizer = tf.train.SyncReplicasOptimizer(
          optimizer, replicas_to_aggregate=num_workers,
          total_num_replicas=num_workers)
    # The gradients wait for the batch-norm updates.  apply_gradients stays
    # outside that dependency: SyncReplicasOptimizer builds its chief queue
    # runner there, which must run without a feed.
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
      grads_and_vars = optimizer.compute_gradients(loss)
    train_op = optimizer.apply_gradients(grads_and_vars,
                                         global_step=global_step)

  graph = tf.get_default_graph()
  summary = {
      'variables': model.describe_variables(tf.global_variables()),
      'update_ops': model.describe_update_ops(update_ops),
      'moving_average_variables': model.collection_names(
          tf.GraphKeys.MOVING_AVERAGE_VARIABLES),
  }
  assigns = model.moving_average_assigns(graph)
  moving = {v.op.name: v for v in tf.global_variables()
            if 'moving_' in v.op.name}
  start_checkpoint = tf.train.latest_checkpoint(flags.checkpoint_dir)
  if start_checkpoint and is_chief:
    # What the chief will restore from (written by an earlier life).
    summary['checkpoint_at_start'] = model.checkpoint_contents(
        start_checkpoint)

  hooks = [tf.train.StopAtStepHook(last_step=flags.steps)]
  if flags.sync:
    # No initial tokens: no worker can run ahead of the others, every
    # global step aggregates one gradient from each worker.
    hooks.append(optimizer.make_session_run_hook(is_chief, num_tokens=0))
  config = tf.ConfigProto(device_filters=[
      '/job:ps', '/job:worker/task:%d' % flags.task_index])
  first = True
  with tf.train.MonitoredTrainingSession(
      master=server.target, is_chief=is_chief,
      checkpoint_dir=flags.checkpoint_dir,
      save_checkpoint_steps=flags.save_checkpoint_steps,
      save_checkpoint_secs=None if flags.save_checkpoint_steps else 600,
      hooks=hooks, config=config,
      # At the end the chief's sync queue runner still waits for gradients
      # of a step nobody runs; do not wait the default 120 s for it.
      stop_grace_period_secs=2) as sess:
    step, start_moving = sess.run([global_step, moving])
    if is_chief:
      summary['start'] = {'global_step': int(step),
                          'moving': {k: v.tolist()
                                     for k, v in start_moving.items()}}
    while not sess.should_stop():
      feed = {images: model.batch(step, flags.task_index),
              labels: model.targets()}
      if first:
        metadata = tf.RunMetadata()
        sess.run(train_op, feed, options=model.trace_options(),
                 run_metadata=metadata)
        summary['executed_updates'] = model.executed_updates(metadata,
                                                             assigns)
        first = False
      else:
        sess.run(train_op, feed)
      if not sess.should_stop():
        step = sess.run(global_step)
      print('worker %d: global step %d' % (flags.task_index, step),
            flush=True)
      time.sleep(flags.step_seconds)
  if is_chief:
    contents = model.checkpoint_contents(flags.checkpoint_dir)
    summary['checkpoint'] = contents
    summary['global_step'] = contents['global_step']['value']
    summary['updates_seen'] = model.updates_seen(
        contents['bn0/moving_mean']['value'])
  model.write(flags.output, summary)


if __name__ == '__main__':
  main(parse())
