r"""Small TF1 checkpoints for the checkpoint tools (inspect, convert, ...).

The TF1 programs below are written as TF1 code was: tf.contrib.layers.batch_norm
or tf.layers.batch_normalization, UPDATE_OPS under control_dependencies, a
Momentum optimizer, global_step, Saver, Session.  Run them with

  .venv-oracle/bin/python scripts/make_checkpoint_fixtures.py --native \
      tests/checkpoint_tools_data/tf212
  .venv-tf1/bin/python scripts/make_checkpoint_fixtures.py --native \
      tests/checkpoint_tools_data/tf115

`--native` uses the reference (TF 1.15's tf.contrib, or tf_slim's batch_norm
and TF's own tf.compat.v1.layers on TF 2.x); `--ours` runs the same programs
after tf_compat_bn.install() (the tests do this on the TF they run on).  Each
directory gets one checkpoint per program and outputs.json: the exact
inference outputs of the trained graph on inputs() (the expected values of the
restore tests).  Python 3.7 compatible (the TF 1.15 environment).
"""

import argparse
import base64
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPE = [6, 3, 3, 4]          # NHWC input of every program
DECAY = 0.9
PROGRAMS = ('contrib_trained', 'contrib_trainable_only',
            'contrib_never_updated', 'layers_trained', 'contrib_zero_debias',
            'contrib_mixed')


def inputs():
  """The fixed input of every program (and of the tests)."""
  return np.random.RandomState(0).randn(*SHAPE).astype(np.float32)


def tf_v1():
  import tensorflow  # pylint: disable=g-import-not-at-top
  if tensorflow.__version__.startswith('1.'):
    return tensorflow
  tensorflow.compat.v1.disable_eager_execution()
  return tensorflow.compat.v1


def contrib_batch_norm(native):
  tf = tf_v1()
  if hasattr(tf, 'contrib'):                  # TF 1.15, or ours installed
    return tf.contrib.layers.batch_norm
  assert native
  import tf_slim  # pylint: disable=g-import-not-at-top
  return tf_slim.batch_norm


def model(tf, layout, x, training, batch_norm=None, batch_normalization=None,
          second_scale=False):
  """The model of both layouts, with the same non-batch-norm variables.

  contrib: block/BatchNorm (scale=True), then BatchNorm (contrib's default
  scale=False).  tf.layers: block/batch_normalization, then
  batch_normalization with scale=False (True with `second_scale`).
  `batch_norm` / `batch_normalization` default to tf.contrib's and
  tf.layers'.  Returns {'bn1': ..., 'proj': ..., 'out': ...}.
  """
  batch_normalization = batch_normalization or tf.layers.batch_normalization
  ends = {}
  with tf.variable_scope('block'):
    if layout == 'contrib':
      net = batch_norm(x, decay=DECAY, scale=True, is_training=training)
    else:
      net = batch_normalization(x, momentum=DECAY, training=training)
  ends['bn1'] = net
  kernel = tf.get_variable('proj/kernel', [1, 1, SHAPE[-1], 2])
  net = tf.nn.conv2d(tf.nn.relu(net), kernel, [1, 1, 1, 1], 'SAME')
  ends['proj'] = net
  if layout == 'contrib':
    net = batch_norm(net, decay=DECAY, scale=second_scale, is_training=training)
  else:
    net = batch_normalization(net, momentum=DECAY, scale=second_scale,
                              training=training)
  ends['out'] = net
  return ends


def _train_and_save(tf, ends, training, x, prefix, var_list=None,
                    wire_updates=True, steps=3):
  loss = tf.reduce_mean(tf.square(ends['out'] - 1.))
  step = tf.train.get_or_create_global_step()
  optimizer = tf.train.MomentumOptimizer(0.1, 0.9)
  if wire_updates:
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
      train_op = optimizer.minimize(loss, global_step=step)
  else:                                       # the classic bug
    train_op = optimizer.minimize(loss, global_step=step)
  saver = tf.train.Saver(var_list=var_list)
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for i in range(steps):
      sess.run(train_op, {training: True, ends['x']: x + 0.5 * i})
    outputs = sess.run({k: v for k, v in ends.items() if k != 'x'},
                       {training: False, ends['x']: x})
    saver.save(sess, prefix, write_meta_graph=False, write_state=False)
  return {k: encode(v) for k, v in outputs.items()}


def encode(array):
  """float32 array -> JSON-friendly record holding its exact bytes."""
  array = np.asarray(array, np.float32)
  return {'shape': list(array.shape),
          'float32_base64': base64.b64encode(array.tobytes()).decode()}


def decode(record):
  return np.frombuffer(base64.b64decode(record['float32_base64']),
                       np.float32).reshape(record['shape'])


def program(name, prefix, native):
  """Builds, trains and saves one program; returns its inference outputs."""
  tf = tf_v1()
  x = inputs()
  with tf.Graph().as_default():
    tf.set_random_seed(1)
    placeholder = tf.placeholder(tf.float32, SHAPE, name='x')
    training = tf.placeholder_with_default(False, [], name='training')
    layout = 'layers' if name.startswith('layers') else 'contrib'
    batch_norm = contrib_batch_norm(native)
    if name == 'contrib_zero_debias':
      out = batch_norm(placeholder, decay=DECAY, zero_debias_moving_mean=True,
                       is_training=training)
      ends = {'out': out}
    elif name == 'contrib_mixed':
      # 16-bit input with batch weights: contrib's moments path keeps
      # float16 parameters; beta and gamma partitioned in two; a bfloat16
      # and a string variable and an int64 global step, for the bit-exact
      # copy.
      with tf.variable_scope('half'):
        pooled = tf.reduce_mean(placeholder, [1, 2], keepdims=True)
        out = batch_norm(tf.cast(pooled, tf.float16), decay=DECAY,
                         scale=True, is_training=training,
                         batch_weights=tf.ones([SHAPE[0]], tf.float16))
      with tf.variable_scope('parts',
                             partitioner=tf.fixed_size_partitioner(2)):
        parts = batch_norm(placeholder, decay=DECAY, scale=True,
                           is_training=training)
      extra = tf.get_variable('extra/bf16', [3], tf.bfloat16,
                              tf.constant_initializer(1.5))
      label = tf.Variable(b'checkpoint tools', name='extra/label')
      ends = {'out': tf.cast(out, tf.float32) + parts
                     + tf.cast(tf.reduce_sum(extra), tf.float32)
                     + tf.cast(tf.strings.length(label), tf.float32)}
    else:
      ends = model(tf, layout, placeholder, training, batch_norm)
    ends['x'] = placeholder
    var_list = (tf.trainable_variables()
                if name == 'contrib_trainable_only' else None)
    return _train_and_save(tf, ends, training, x, prefix, var_list=var_list,
                           wire_updates=name != 'contrib_never_updated')


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__)
  group = parser.add_mutually_exclusive_group(required=True)
  group.add_argument('--native', action='store_true')
  group.add_argument('--ours', action='store_true')
  parser.add_argument('out_dir')
  args = parser.parse_args(argv)
  if args.ours:
    sys.path.insert(0, ROOT)
    import tf_compat_bn  # pylint: disable=g-import-not-at-top
    tf_compat_bn.install()
  tf = tf_v1()
  if not os.path.isdir(args.out_dir):
    os.makedirs(args.out_dir)
  record = {'tensorflow': tf.__version__ if hasattr(tf, '__version__')
                          else tf.VERSION,
            'writer': 'native' if args.native else 'tf_compat_bn',
            'outputs': {}}
  for name in PROGRAMS:
    record['outputs'][name] = program(
        name, os.path.join(args.out_dir, name), args.native)
  with open(os.path.join(args.out_dir, 'outputs.json'), 'w') as f:
    json.dump(record, f, indent=1, sort_keys=True)
  return 0


if __name__ == '__main__':
  sys.exit(main())
