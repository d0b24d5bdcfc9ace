"""Benchmarks tf_compat_bn against the fused-kernel floor and the reference.

    python scripts/bench.py                 # full run (minutes)
    python scripts/bench.py --quick         # smoke run (small shapes, few repeats)
    python scripts/bench.py --part stacks   # only the model stacks (or: bn, rnn)

Every figure is a ratio to `raw`, measured in the same process, interleaved
(absolute times move on shared machines):

* raw: the floor any wrapper can reach: `tf.compat.v1.nn.fused_batch_norm`
  (FusedBatchNormV3) plus the two moving-average assign ops, on the same
  variables (rank 2 is reshaped to [N, 1, 1, C], as the contrib kernel path
  does);
* contrib / layers: `tf_compat_bn.batch_norm` / `batch_normalization`;
* ref_contrib / ref_layers: `tf_slim.batch_norm` and `tf.compat.v1.layers`
  where they run (TF <= 2.12), or tf_keras' legacy layer on newer TF when
  tf_keras is installed and TF_USE_LEGACY_KERAS=1 (else skipped, with the
  reason printed).

Figures: training step (forward, gradients w.r.t. input, gamma and beta, SGD,
under the UPDATE_OPS dependency) and inference step, for each case; graph
construction time and ops per BN layer of a ResNet-50-shaped stack (53
conv+BN layers); peak memory above imports of a training loop, per case, each
measured in a fresh child process.  Times are medians of repeated steps after
warm-up.

Model stacks, written the TF1 way with each implementation's layer functions
(`conv2d`, `dense`, `batch_normalization`, `max_pooling2d`):

* conv: N x (conv2d 3x3 'same' without bias -> batch_normalization -> relu),
  a 2x2 max pool after every second block, NHWC;
* dense: N x (dense -> batch_normalization -> relu).

Implementations: ours (`tf_compat_bn.layers`), the reference
(`tf.compat.v1.layers`, natively on TF <= 2.12 only, else skipped with the
reason printed) and raw, the same math hand-written (`tf.nn.conv2d` /
`tf.matmul` + bias, FusedBatchNormV3 on rank 4 and `tf.nn.moments` on rank 2,
as the layer does, the two assigns, `tf.nn.max_pool2d`; one `tf.cond` per BN
when `training` is a tensor).  `raw (copy)` is raw built and timed again: its
ratio to raw is the noise of the run.  Figures: forward graph construction
time per layer call, with `training=True` and with a TF1 `is_training` bool
tensor, and ops per layer call; training step (SGD under the UPDATE_OPS
dependency) and inference step.  The targets (build <= 1.1x raw and no slower
than the reference; steps no slower than the reference) are printed with a
verdict, never asserted.

Synchronized batch norm (`--part sync`, in a child process with 2 logical
CPUs): a training step of conv2d -> batch_normalization -> relu (x3) under
`MirroredStrategy` on 2 replicas in a v1 graph, `synchronized=True` as a
ratio to `synchronized=False` (target <= 1.3x on CPU, printed, never
asserted).

RNN (`--part rnn`): `tf.compat.v1.nn.dynamic_rnn` over an `LSTMCell` (128
units, batch 32, 50 steps, input depth 64; --quick: 16, 4, 5, 8), cells from
ours (`tf_compat_bn.rnn_cell.LSTMCell`), the reference
(`tf.compat.v1.nn.rnn_cell.LSTMCell`, natively on TF <= 2.12 only, else
skipped with the reason printed) and raw, the same LSTM math hand-written as
a bare cell object (plus its `raw (copy)` noise floor).  Figures: forward
graph build time and ops added, training step (SGD) and inference step; the
target (ours no slower than the reference) is printed, never asserted.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import tf_compat_bn  # noqa: E402

# Threads per session (0: TF's default).  One thread makes timings much
# steadier on small shared machines; --threads changes it.
THREADS = 1


# --------------------------------------------------------------------------
# Implementations: fn(x, training, data_format, variant) -> y
# --------------------------------------------------------------------------
def _raw(x, training, data_format, variant):
  """FusedBatchNormV3 + two EMA assigns: the floor."""
  del variant
  shape = x.shape.as_list()
  if len(shape) == 2:
    x4 = tf.reshape(x, [-1, 1, 1, shape[1]])
    fmt, channels = 'NHWC', shape[1]
  else:
    x4, fmt = x, data_format
    channels = shape[-1] if fmt == 'NHWC' else shape[1]
  with v1.variable_scope(None, default_name='raw'):
    gamma = v1.get_variable('gamma', [channels], initializer=v1.ones_initializer())
    beta = v1.get_variable('beta', [channels], initializer=v1.zeros_initializer())
    mean = v1.get_variable('moving_mean', [channels], trainable=False,
                           initializer=v1.zeros_initializer())
    var = v1.get_variable('moving_variance', [channels], trainable=False,
                          initializer=v1.ones_initializer())
    if training:
      y, m, s = v1.nn.fused_batch_norm(x4, gamma, beta, epsilon=1e-3,
                                       data_format=fmt, is_training=True)
      decay = 1.0 - 0.99
      v1.add_to_collection(v1.GraphKeys.UPDATE_OPS,
                           v1.assign_sub(mean, (mean - m) * decay))
      v1.add_to_collection(v1.GraphKeys.UPDATE_OPS,
                           v1.assign_sub(var, (var - s) * decay))
    else:
      y, _, _ = v1.nn.fused_batch_norm(x4, gamma, beta, mean, var,
                                       epsilon=1e-3, data_format=fmt,
                                       is_training=False)
  return tf.reshape(y, shape) if len(shape) == 2 else y


def _contrib_args(data_format, variant):
  args = dict(scale=True, decay=0.99, data_format=data_format)
  if variant == 'non_fused':
    args['fused'] = False
  elif variant == 'zero_debias':
    args['zero_debias_moving_mean'] = True
  elif variant == 'renorm':
    args['renorm'] = True
  elif variant == 'virtual_batch':
    return None  # contrib has no virtual batches
  return args


def _layers_args(x, data_format, variant):
  args = dict(axis=1 if data_format == 'NCHW' and x.shape.rank == 4 else -1)
  if variant == 'non_fused':
    args['fused'] = False
  elif variant == 'zero_debias':
    return None  # tf.layers has no zero-debias
  elif variant == 'renorm':
    args['renorm'] = True
  elif variant == 'virtual_batch':
    args['virtual_batch_size'] = 8
  return args


def _contrib(batch_norm):
  def fn(x, training, data_format, variant):
    args = _contrib_args(data_format, variant)
    return None if args is None else batch_norm(x, is_training=training,
                                                **args)
  return fn


def _layers(batch_normalization):
  def fn(x, training, data_format, variant):
    args = _layers_args(x, data_format, variant)
    return None if args is None else batch_normalization(
        x, training=training, **args)
  return fn


def implementations():
  """{name: fn}, and {name: reason} for the references that cannot run."""
  impls = {'raw': _raw,
           'contrib': _contrib(tf_compat_bn.batch_norm),
           'layers': _layers(tf_compat_bn.batch_normalization)}
  skipped = {}
  version = tuple(int(p) for p in tf.__version__.split('.')[:2])
  if version <= (2, 12):
    import tf_slim  # pylint: disable=g-import-not-at-top
    impls['ref_contrib'] = _contrib(tf_slim.batch_norm)
    impls['ref_layers'] = _layers(v1.layers.batch_normalization)
  else:
    skipped['ref_contrib'] = (f'tf_slim.batch_norm does not run on TF '
                              f'{tf.__version__}')
    try:
      if os.environ.get('TF_USE_LEGACY_KERAS') != '1':
        raise ImportError('TF_USE_LEGACY_KERAS=1 is not set')
      import tf_keras  # pylint: disable=g-import-not-at-top
      impls['ref_layers'] = _layers(
          tf_keras.__internal__.legacy.layers.batch_normalization)
    except Exception as e:  # pylint: disable=broad-except
      skipped['ref_layers'] = f'tf_keras legacy layer unavailable ({e})'
  return impls, skipped


# --------------------------------------------------------------------------
# Step timing.
# --------------------------------------------------------------------------
def build_step(fn, shape, data_format, variant, training):
  """A graph + session running one training (or inference) step of fn."""
  graph = tf.Graph()
  with graph.as_default():
    v1.set_random_seed(0)
    x = tf.Variable(np.random.RandomState(0).normal(
        size=shape).astype(np.float32), trainable=False, name='x')
    y = fn(tf.identity(x), training, data_format, variant)
    if y is None:
      return None
    if training:
      w = tf.constant(np.random.RandomState(1).normal(size=shape).astype(
          np.float32))
      loss = tf.reduce_sum(y * w)
      params = v1.trainable_variables()
      grads = tf.gradients(loss, [x] + params)
      with tf.control_dependencies(v1.get_collection(
          v1.GraphKeys.UPDATE_OPS)):
        apply = v1.train.GradientDescentOptimizer(1e-3).apply_gradients(
            zip(grads[1:], params))
      with tf.control_dependencies([apply]):
        fetch = tf.reduce_sum(grads[0])
    else:
      fetch = tf.reduce_sum(y)
    session = _initialized_session(graph)
  return session, fetch


def time_steps(impls, shape, data_format, variant, training, repeats, warmup):
  steps = {}
  for name, fn in impls.items():
    built = build_step(fn, shape, data_format, variant, training)
    if built is not None:
      steps[name] = built
  return _time_sessions(steps, repeats, warmup)


def _time_sessions(steps, repeats, warmup):
  """{name: median seconds of session.run(fetch)} for {name: (session,
  fetch)}: warm-up, then `repeats` rounds, the order rotated each round;
  closes the sessions."""
  for session, fetch in steps.values():
    for _ in range(warmup):
      session.run(fetch)
  samples = {name: [] for name in steps}
  names = list(steps)
  for r in range(repeats):
    # Rotate who runs first, so no implementation always follows another.
    for name in names[r % len(names):] + names[:r % len(names)]:
      session, fetch = steps[name]
      start = time.perf_counter()
      session.run(fetch)
      samples[name].append(time.perf_counter() - start)
  for session, _ in steps.values():
    session.close()
  return {name: statistics.median(s) for name, s in samples.items()}


# --------------------------------------------------------------------------
# Graph construction: a ResNet-50-shaped stack of 53 conv+BN layers.
# --------------------------------------------------------------------------
def _resnet50_convs():
  """(kernel, in, out, stride) of ResNet-50's 53 convolutions."""
  convs = [(7, 3, 64, 2)]
  in_ch = 64
  for blocks, mid, stride in ((3, 64, 1), (4, 128, 2), (6, 256, 2),
                              (3, 512, 2)):
    for b in range(blocks):
      s = stride if b == 0 else 1
      if b == 0:
        convs.append((1, in_ch, mid * 4, s))     # projection shortcut
      convs += [(1, in_ch, mid, s), (3, mid, mid, 1), (1, mid, mid * 4, 1)]
      in_ch = mid * 4
  return convs


def build_stack(fn):
  """Seconds to build the stack with `fn` as BN (None: no BN), and #ops."""
  graph = tf.Graph()
  with graph.as_default():
    x = v1.placeholder(tf.float32, [None, 224, 224, 3])
    start = time.perf_counter()
    h = x
    for i, (k, cin, cout, stride) in enumerate(_resnet50_convs()):
      with v1.variable_scope(f'conv{i}'):
        w = v1.get_variable('w', [k, k, h.shape[-1], cout])
        h = tf.nn.conv2d(h, w, stride, 'SAME')
        if fn is not None:
          h = fn(h, True, 'NHWC', 'default')
      del cin
    elapsed = time.perf_counter() - start
    return elapsed, len(graph.get_operations())


def graph_construction(impls, repeats):
  """Per BN layer: (seconds above the BN-less stack, ops added), medians of
  `repeats` interleaved builds."""
  layers = len(_resnet50_convs())
  runs = {name: [] for name in ['none'] + list(impls)}
  for _ in range(repeats):
    for name in runs:
      runs[name].append(build_stack(impls.get(name)))
  base_time = statistics.median(t for t, _ in runs['none'])
  base_ops = runs['none'][0][1]
  return {name: ((statistics.median(t for t, _ in r) - base_time) / layers,
                 (r[0][1] - base_ops) / layers)
          for name, r in runs.items() if name != 'none'}


# --------------------------------------------------------------------------
# Peak memory, in a fresh child process per (case, implementation).
# --------------------------------------------------------------------------
def _status_kib(field):
  with open('/proc/self/status') as f:
    for line in f:
      if line.startswith(field + ':'):
        return int(line.split()[1])
  raise KeyError(field)


def _peak_memory_child(name, shape, data_format, variant, steps):
  """Peak RSS of building and training `name`, above the RSS after imports.

  The kernel's peak counter is reset after the imports (writing 5 to
  /proc/self/clear_refs), so the import-time peak does not hide the run's.
  """
  impls, _ = implementations()
  with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')
  baseline = _status_kib('VmRSS')
  built = build_step(impls[name], shape, data_format, variant, True)
  if built is None:
    print(json.dumps(None))
    return
  session, fetch = built
  for _ in range(steps):
    session.run(fetch)
  print(json.dumps((_status_kib('VmHWM') - baseline) / 1024.0))  # MiB


def peak_memory(names, shape, data_format, variant, steps):
  out = {}
  for name in names:
    result = subprocess.run(
        [sys.executable, os.path.abspath(__file__), '--memory-child',
         json.dumps([name, shape, data_format, variant, steps])],
        capture_output=True, text=True, check=True)
    value = json.loads(result.stdout.strip().splitlines()[-1])
    if value is not None:
      out[name] = value
  return out


# --------------------------------------------------------------------------
# Model stacks, written the TF1 way: conv2d -> BN -> relu (-> max pool), and
# dense -> BN -> relu, with three implementations of the layer functions.
# --------------------------------------------------------------------------
def _our_layer_functions():
  """Our conv2d / dense / batch_normalization / max_pooling2d.

  Taken from `tf_compat_bn.layers` when it exports them, else from the
  family's submodule (the package exports are being filled in).
  """
  import importlib  # pylint: disable=g-import-not-at-top
  from tf_compat_bn import layers  # pylint: disable=g-import-not-at-top
  functions = {}
  for name, module in (('conv2d', 'convolutional'), ('dense', 'core'),
                       ('batch_normalization', 'normalization'),
                       ('max_pooling2d', 'pooling')):
    fn = getattr(layers, name, None)
    if fn is None:
      fn = getattr(importlib.import_module(f'tf_compat_bn.layers.{module}'),
                   name)
    functions[name] = fn
  return functions


def _reference_layer_functions():
  return {name: getattr(v1.layers, name) for name in
          ('conv2d', 'dense', 'batch_normalization', 'max_pooling2d')}


def _raw_bn_update(moving, value, decay):
  v1.add_to_collection(v1.GraphKeys.UPDATE_OPS,
                       v1.assign_sub(moving, (moving - value) * decay))


def _raw_batch_normalization(x, training, epsilon=1e-3, decay=0.01):
  """What the layer computes, hand-written: FusedBatchNormV3 on rank 4 (the
  layer's fused path), moments on rank 2 (the layer's non-fused path); the
  two moving-average assigns; a `tf.cond` when `training` is a tensor."""
  channels = x.shape[-1]
  with v1.variable_scope(None, default_name='batch_normalization'):
    gamma = v1.get_variable('gamma', [channels],
                            initializer=v1.ones_initializer())
    beta = v1.get_variable('beta', [channels],
                           initializer=v1.zeros_initializer())
    mean = v1.get_variable('moving_mean', [channels], trainable=False,
                           initializer=v1.zeros_initializer())
    var = v1.get_variable('moving_variance', [channels], trainable=False,
                          initializer=v1.ones_initializer())
    if x.shape.rank == 4:
      def train():
        return v1.nn.fused_batch_norm(x, gamma, beta, epsilon=epsilon,
                                      is_training=True)

      def infer():
        y, _, _ = v1.nn.fused_batch_norm(x, gamma, beta, mean, var,
                                         epsilon=epsilon, is_training=False)
        return y, mean.read_value(), var.read_value()
    else:
      def train():
        m, s = tf.nn.moments(x, [0])
        return tf.nn.batch_normalization(x, m, s, beta, gamma, epsilon), m, s

      def infer():
        return (tf.nn.batch_normalization(x, mean, var, beta, gamma, epsilon),
                mean.read_value(), var.read_value())
    if training is True:
      y, m, s = train()
    elif training is False:
      return infer()[0]  # (the two reads are unused: pruned at run time)
    else:
      y, m, s = tf.cond(training, train, infer)
    _raw_bn_update(mean, m, decay)
    _raw_bn_update(var, s, decay)
    return y


def _raw_conv2d(x, filters, kernel_size, padding, use_bias):
  assert padding == 'same' and not use_bias
  with v1.variable_scope(None, default_name='conv2d'):
    kernel = v1.get_variable(
        'kernel', [kernel_size, kernel_size, x.shape[-1], filters])
    return tf.nn.conv2d(x, kernel, 1, 'SAME')


def _raw_dense(x, units):
  with v1.variable_scope(None, default_name='dense'):
    kernel = v1.get_variable('kernel', [x.shape[-1], units])
    bias = v1.get_variable('bias', [units], initializer=v1.zeros_initializer())
    return tf.nn.bias_add(tf.matmul(x, kernel), bias)


def _raw_max_pooling2d(x, pool_size, strides):
  with v1.name_scope(None, default_name='max_pooling2d'):
    return tf.nn.max_pool2d(x, pool_size, strides, 'VALID')


def _raw_layer_functions():
  return {'conv2d': _raw_conv2d, 'dense': _raw_dense,
          'batch_normalization': _raw_batch_normalization,
          'max_pooling2d': _raw_max_pooling2d}


def stack_implementations():
  """{name: layer functions}, and {name: reason} for those that cannot run.

  'raw (copy)' is raw again, built and timed as a separate implementation:
  its ratio to raw is the run's noise floor.
  """
  impls = {'raw': _raw_layer_functions(), 'raw (copy)': _raw_layer_functions(),
           'ours': _our_layer_functions()}
  skipped = {}
  version = tuple(int(p) for p in tf.__version__.split('.')[:2])
  if version <= (2, 12):
    impls['reference'] = _reference_layer_functions()
  else:
    skipped['reference'] = (f'tf.compat.v1.layers needs Keras 2, which does '
                            f'not run natively on TF {tf.__version__}')
  return impls, skipped


def conv_stack(layers, x, blocks, filters, training):
  """`blocks` x (conv2d 3x3 same, no bias -> BN -> relu), a 2x2 max pool
  after every second block; NHWC."""
  h = x
  for i in range(blocks):
    h = layers['conv2d'](h, filters, 3, padding='same', use_bias=False)
    h = layers['batch_normalization'](h, training=training)
    h = tf.nn.relu(h)
    if i % 2 == 1:
      h = layers['max_pooling2d'](h, 2, 2)
  return h


def dense_stack(layers, x, blocks, units, training):
  """`blocks` x (dense with bias -> BN -> relu)."""
  h = x
  for _ in range(blocks):
    h = layers['dense'](h, units)
    h = layers['batch_normalization'](h, training=training)
    h = tf.nn.relu(h)
  return h


def stacks(quick):
  """(label, stack fn, input shape, blocks, width, layer calls)."""
  if quick:
    conv, dense = ([4, 16, 16, 8], 4, 8), ([32, 64], 4, 64)
  else:
    conv, dense = ([32, 32, 32, 16], 8, 16), ([256, 512], 8, 512)
  return [
      ('conv', conv_stack, conv[0], conv[1], conv[2],
       2 * conv[1] + conv[1] // 2),
      ('dense', dense_stack, dense[0], dense[1], dense[2], 2 * dense[1]),
  ]


def _initialized_session(graph):
  """A session on `graph` (THREADS threads) with its variables initialized."""
  session = v1.Session(graph=graph, config=v1.ConfigProto(
      intra_op_parallelism_threads=THREADS,
      inter_op_parallelism_threads=THREADS))
  session.run(v1.global_variables_initializer())
  return session


def _step_fetch(y, training):
  """What one step fetches: an SGD step on a fixed projection of `y`
  (under UPDATE_OPS, as TF1 code trains) when training, else `y`'s sum."""
  if not training:
    return tf.reduce_sum(y)
  w = tf.constant(np.random.RandomState(1).normal(
      size=y.shape.as_list()).astype(np.float32))
  loss = tf.reduce_sum(y * w)
  with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
    train_op = v1.train.GradientDescentOptimizer(1e-3).minimize(loss)
  with tf.control_dependencies([train_op]):
    return tf.identity(loss)


def build_model_step(layers, stack, shape, blocks, width, training):
  """A session running one SGD training step (under UPDATE_OPS) or one
  inference step of the stack, and its fetch."""
  graph = tf.Graph()
  with graph.as_default():
    v1.set_random_seed(0)
    x = tf.Variable(np.random.RandomState(0).normal(
        size=shape).astype(np.float32), trainable=False, name='x')
    y = stack(layers, tf.identity(x), blocks, width, training)
    fetch = _step_fetch(y, training)
    session = _initialized_session(graph)
  return session, fetch


def time_model_steps(impls, stack, shape, blocks, width, training, repeats,
                     warmup):
  steps = {name: build_model_step(layers, stack, shape, blocks, width,
                                  training)
           for name, layers in impls.items()}
  return _time_sessions(steps, repeats, warmup)


def build_model(layers, stack, shape, blocks, width, training):
  """Seconds to build the forward stack, and the ops it added.

  `training`: True, or 'placeholder' for a TF1 `is_training` bool
  placeholder (the BN layers then build conds).
  """
  graph = tf.Graph()
  with graph.as_default():
    x = v1.placeholder(tf.float32, [None] + shape[1:])
    if training == 'placeholder':
      training = v1.placeholder_with_default(True, [], name='is_training')
    ops = len(graph.get_operations())
    start = time.perf_counter()
    stack(layers, x, blocks, width, training)
    elapsed = time.perf_counter() - start
    return elapsed, len(graph.get_operations()) - ops


def model_construction(impls, stack, shape, blocks, width, training,
                       repeats):
  """{name: (median seconds, ops)} over `repeats` interleaved, rotated
  builds."""
  runs = {name: [] for name in impls}
  names = list(impls)
  for name in names:  # a throwaway build: first calls pay one-time costs
    build_model(impls[name], stack, shape, blocks, width, training)
  for r in range(repeats):
    for name in names[r % len(names):] + names[:r % len(names)]:
      runs[name].append(build_model(impls[name], stack, shape, blocks, width,
                                    training))
  return {name: (statistics.median(t for t, _ in r), r[0][1])
          for name, r in runs.items()}


STACK_TARGETS = {
    'build': 'ours <= 1.1x raw, <= reference',
    'step': 'ours <= reference',
}


def _target_met(kind, ours, reference, noise):
  """'yes', 'NO', 'noise' (missed by less than the run's noise: the
  distance of raw (copy) from raw), or None where the target needs the
  missing reference.  `ours`, `reference`: ratios to raw."""
  excess = []
  if kind == 'build':
    excess.append(ours - 1.1)
  if reference is not None:
    excess.append(ours / reference - 1.0)
  if not excess:
    return None
  if max(excess) <= 0:
    return 'yes'
  return 'noise' if max(excess) <= noise else 'NO'


def stack_report(quick, repeats, warmup, build_repeats):
  """Builds and times the model stacks; prints a table, returns results."""
  impls, skipped = stack_implementations()
  order = list(impls)
  print()
  for name, reason in skipped.items():
    print(f'# skipped stack implementation {name}: {reason}')
  print('# model stacks: per-layer build time (forward graph; a layer is one '
        'conv2d / dense / batch_normalization / max_pooling2d call) and step '
        'times; "raw (copy)" is raw built again: its ratio is the noise floor; '
        'met "noise": missed by less than that noise')
  print('| model stack | figure | ' + ' | '.join(order) +
        ' | ours/reference | raw | target | met |')
  print('|' + '---|' * (len(order) + 6))
  results = {}
  for label, stack, shape, blocks, width, calls in stacks(quick):
    name = f'{label} {shape} x{blocks} blocks'
    entry = results[label] = {'shape': shape, 'blocks': blocks,
                              'width': width, 'layer_calls': calls}

    def row(figure, values, kind, name=name):
      raw = values['raw']
      ours = values['ours'] / raw
      ref = values['reference'] / raw if 'reference' in values else None
      met = _target_met(kind, ours, ref,
                        abs(values['raw (copy)'] / raw - 1.0))
      print(f'| {name} | {figure} | ' + ' | '.join(_ratios(values, order)) +
            f' | {"-" if ref is None else f"{ours / ref:.3f}"}'
            f' | {raw * 1e3:.2f} ms | {STACK_TARGETS[kind]} | {met or "-"} |')

    for training, key, figure in (
        (True, 'build', 'build per layer, training=True'),
        ('placeholder', 'build_flag', 'build per layer, is_training tensor')):
      build = model_construction(impls, stack, shape, blocks, width, training,
                                 build_repeats)
      entry[key] = {n: t / calls for n, (t, _) in build.items()}
      entry[key + '_ops'] = {n: ops / calls for n, (_, ops) in build.items()}
      row(figure, entry[key], 'build')
      print(f'| {name} | ops per layer, {figure.split(", ")[1]} | ' + ' | '.join(
          f'{entry[key + "_ops"][n]:.1f}' for n in order) + ' | | | | |')
    for training in (True, False):
      step = 'train' if training else 'infer'
      times = time_model_steps(impls, stack, shape, blocks, width, training,
                               repeats, warmup)
      entry[step] = times
      row(f'{step} step', times, 'step')
  return {'stacks': results, 'stacks_skipped': skipped}


# --------------------------------------------------------------------------
# RNN: tf.nn.dynamic_rnn over an LSTMCell (tf.compat.v1.nn.rnn_cell).
# --------------------------------------------------------------------------
class _RawLSTMCell(object):
  """The floor: the same LSTM math as `LSTMCell` (one matmul on [x, h],
  i/j/f/o split, forget bias 1), hand-written as a bare object with the
  attributes `dynamic_rnn` asks of a cell; no Layer machinery."""

  def __init__(self, num_units):
    self._units = num_units
    self._kernel = None

  @property
  def state_size(self):
    return (self._units, self._units)

  @property
  def output_size(self):
    return self._units

  def zero_state(self, batch_size, dtype):
    return tuple(tf.zeros([batch_size, self._units], dtype) for _ in range(2))

  def __call__(self, inputs, state):
    c, h = state
    if self._kernel is None:
      with v1.variable_scope('lstm_cell'):
        self._kernel = v1.get_variable(
            'kernel', [inputs.shape[-1] + self._units, 4 * self._units])
        self._bias = v1.get_variable('bias', [4 * self._units],
                                     initializer=v1.zeros_initializer())
    z = tf.nn.bias_add(tf.matmul(tf.concat([inputs, h], 1), self._kernel),
                       self._bias)
    i, j, f, o = tf.split(z, 4, axis=1)
    new_c = c * tf.sigmoid(f + 1.0) + tf.sigmoid(i) * tf.tanh(j)
    new_h = tf.tanh(new_c) * tf.sigmoid(o)
    return new_h, (new_c, new_h)


def rnn_implementations():
  """{name: cell factory(num_units)}, and {name: reason} for those that
  cannot run; 'raw (copy)' as in the model stacks."""
  from tf_compat_bn import rnn_cell  # pylint: disable=g-import-not-at-top
  impls = {'raw': _RawLSTMCell, 'raw (copy)': _RawLSTMCell,
           'ours': rnn_cell.LSTMCell}
  skipped = {}
  version = tuple(int(p) for p in tf.__version__.split('.')[:2])
  if version <= (2, 12):
    impls['reference'] = v1.nn.rnn_cell.LSTMCell
  else:
    skipped['reference'] = (f'tf.compat.v1.nn.rnn_cell needs Keras 2, which '
                            f'does not run natively on TF {tf.__version__}')
  return impls, skipped


def rnn_shape(quick):
  """(batch, steps, input depth, units)."""
  return (4, 5, 8, 16) if quick else (32, 50, 64, 128)


def _build_rnn(make_cell, x, units):
  outputs, _ = v1.nn.dynamic_rnn(make_cell(units), x, dtype=tf.float32)
  return outputs


def build_rnn_graph(make_cell, shape):
  """Seconds to build the forward dynamic_rnn, and the ops it added."""
  batch, steps, depth, units = shape
  graph = tf.Graph()
  with graph.as_default():
    x = v1.placeholder(tf.float32, [batch, steps, depth])
    ops = len(graph.get_operations())
    start = time.perf_counter()
    _build_rnn(make_cell, x, units)
    elapsed = time.perf_counter() - start
    return elapsed, len(graph.get_operations()) - ops


def build_rnn_step(make_cell, shape, training):
  """A session running one SGD training step (or one inference step) of the
  dynamic_rnn, and its fetch."""
  batch, steps, depth, units = shape
  graph = tf.Graph()
  with graph.as_default():
    v1.set_random_seed(0)
    x = tf.Variable(np.random.RandomState(0).normal(
        size=(batch, steps, depth)).astype(np.float32), trainable=False,
                    name='x')
    y = _build_rnn(make_cell, tf.identity(x), units)
    fetch = _step_fetch(y, training)
    session = _initialized_session(graph)
  return session, fetch


RNN_TARGETS = {'build': 'ours <= reference', 'step': 'ours <= reference'}


def rnn_report(quick, repeats, warmup, build_repeats):
  """Builds and times dynamic_rnn over an LSTMCell; prints a table, returns
  results."""
  impls, skipped = rnn_implementations()
  order = list(impls)
  shape = rnn_shape(quick)
  batch, steps, depth, units = shape
  print()
  for name, reason in skipped.items():
    print(f'# skipped rnn implementation {name}: {reason}')
  print('# rnn: tf.nn.dynamic_rnn over an LSTMCell: forward graph build time '
        'and ops, train step (SGD) and infer step; "raw" is the same LSTM '
        'math as a bare cell object, "raw (copy)" its noise floor')
  print('| rnn | figure | ' + ' | '.join(order) +
        ' | ours/reference | raw | target | met |')
  print('|' + '---|' * (len(order) + 6))
  name = f'dynamic_rnn LSTMCell({units}) [{batch}, {steps}, {depth}]'
  entry = {'shape': list(shape)}

  def row(figure, values, kind):
    raw = values['raw']
    ours = values['ours'] / raw
    ref = values['reference'] / raw if 'reference' in values else None
    # Both targets compare ours with the reference only.
    met = _target_met('step', ours, ref,
                      abs(values['raw (copy)'] / raw - 1.0))
    print(f'| {name} | {figure} | ' + ' | '.join(_ratios(values, order)) +
          f' | {"-" if ref is None else f"{ours / ref:.3f}"}'
          f' | {raw * 1e3:.2f} ms | {RNN_TARGETS[kind]} | {met or "-"} |')

  for make_cell in impls.values():  # throwaway builds: one-time costs
    build_rnn_graph(make_cell, shape)
  # A throwaway timed pass: the first sessions of a process pay allocator
  # warm-up, which would land on whichever implementation runs first.
  _time_sessions({'warm-up': build_rnn_step(_RawLSTMCell, shape, True)},
                 3, warmup)
  runs = {n: [] for n in order}
  for r in range(build_repeats):
    for n in order[r % len(order):] + order[:r % len(order)]:
      runs[n].append(build_rnn_graph(impls[n], shape))
  entry['build'] = {n: statistics.median(t for t, _ in r)
                    for n, r in runs.items()}
  entry['build_ops'] = {n: r[0][1] for n, r in runs.items()}
  row('graph build', entry['build'], 'build')
  print(f'| {name} | ops added | ' + ' | '.join(
      f'{entry["build_ops"][n]}' for n in order) + ' | | | | |')
  for training in (True, False):
    step = 'train' if training else 'infer'
    built = {n: build_rnn_step(impls[n], shape, training) for n in order}
    entry[step] = _time_sessions(built, repeats, warmup)
    row(f'{step} step', entry[step], 'step')
  return {'rnn': entry, 'rnn_skipped': skipped}


# --------------------------------------------------------------------------
# Cases and report.
# --------------------------------------------------------------------------
def cases(quick):
  nhwc, nchw, dense = (([8, 14, 14, 16], [8, 16, 14, 14], [64, 128]) if quick
                       else ([32, 56, 56, 64], [32, 64, 56, 56], [256, 1024]))
  return [
      ('NHWC fused', nhwc, 'NHWC', 'default', True),
      ('NCHW fused', nchw, 'NCHW', 'default', True),
      ('dense', dense, 'NHWC', 'default', True),
      ('NHWC non-fused', nhwc, 'NHWC', 'non_fused', False),
      ('dense non-fused', dense, 'NHWC', 'non_fused', False),
      ('NHWC zero-debias', nhwc, 'NHWC', 'zero_debias', True),
      ('NHWC renorm', nhwc, 'NHWC', 'renorm', False),
      ('dense renorm', dense, 'NHWC', 'renorm', False),
      ('dense virtual batch', dense, 'NHWC', 'virtual_batch', False),
  ]


def _ratios(values, order):
  raw = values.get('raw')
  return ['-' if n not in values or not raw else f'{values[n] / raw:.3f}'
          for n in order]


def bn_report(args, repeats, warmup):
  """The batch norm tables (steps per case, ResNet-50 build, memory)."""
  impls, skipped = implementations()
  order = list(impls)
  for name, reason in skipped.items():
    print(f'# skipped {name}: {reason}')
  header = '| case | step | ' + ' | '.join(order) + ' | raw ms |'
  print(header)
  print('|' + '---|' * (len(order) + 3))
  # A throwaway pass: the first graphs of a process pay allocator warm-up.
  first = cases(args.quick)[0]
  time_steps(impls, first[1], first[2], first[3], True, 3, warmup)
  results = {'steps': {}, 'graph': {}, 'memory': {}, 'skipped': skipped}
  for label, shape, fmt, variant, _ in cases(args.quick):
    for training in (True, False):
      step = 'train' if training else 'infer'
      times = time_steps(impls, shape, fmt, variant, training, repeats,
                         warmup)
      results['steps'][f'{label} {step}'] = times
      raw_ms = times['raw'] * 1e3
      print(f'| {label} {shape} | {step} | ' +
            ' | '.join(_ratios(times, order)) + f' | {raw_ms:.2f} |')

  build = graph_construction(impls, 1 if args.quick else 7)
  results['graph'] = build
  print()
  print('| ResNet-50 stack, per BN layer | ' + ' | '.join(order) +
        ' | raw |')
  print('|' + '---|' * (len(order) + 2))
  print('| build time ratio | ' + ' | '.join(
      _ratios({n: t for n, (t, _) in build.items()}, order)) +
        f' | {build["raw"][0] * 1e3:.2f} ms |')
  print('| ops added | ' + ' | '.join(
      f'{build[n][1]:.1f}' for n in order) + f' | {build["raw"][1]:.1f} |')

  print()
  print('| peak memory above imports (train) | ' + ' | '.join(order) +
        ' | raw MiB |')
  print('|' + '---|' * (len(order) + 2))
  memory_cases = cases(args.quick)[:1 if args.quick else 3]
  for label, shape, fmt, variant, _ in memory_cases:
    mem = peak_memory(order, shape, fmt, variant, 2 if args.quick else 5)
    results['memory'][label] = mem
    print(f'| {label} {shape} | ' + ' | '.join(_ratios(mem, order)) +
          f' | {mem["raw"]:.0f} |')
  return results


def _sync_child(quick, repeats, warmup):
  """In a fresh process: median step times of the synchronized and the
  unsynchronized 2-replica training step, printed as JSON."""
  tf.config.set_logical_device_configuration(
      tf.config.list_physical_devices('CPU')[0],
      [tf.config.LogicalDeviceConfiguration()] * 2)
  shape = [8, 8, 8, 8] if quick else [32, 16, 16, 16]
  steps = {}
  for sync in (False, True):
    graph = tf.Graph()
    with graph.as_default():
      strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
      with strategy.scope():
        x = tf.constant(np.random.RandomState(0).randn(*shape), tf.float32)

        def step(sync=sync):
          h = x
          for i in range(3):
            h = tf_compat_bn.layers.conv2d(h, shape[-1], 3, padding='same',
                                           use_bias=False, name=f'conv{i}')
            h = tf_compat_bn.layers.batch_normalization(
                h, training=True, synchronized=sync, name=f'bn{i}')
            h = tf.nn.relu(h)
          with tf.control_dependencies(
              v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            return v1.train.GradientDescentOptimizer(0.01).minimize(
                tf.reduce_mean(h ** 2))

        train_op = strategy.extended.call_for_each_replica(step)
      sess = v1.Session(graph=graph, config=v1.ConfigProto(
          device_count={'CPU': 2}))
      sess.run(v1.global_variables_initializer())
      steps[sync] = (sess, train_op)
  times = {False: [], True: []}
  for _ in range(warmup):
    for sync, (sess, op) in steps.items():
      sess.run(op)
  for _ in range(repeats):
    for sync, (sess, op) in steps.items():
      start = time.perf_counter()
      sess.run(op)
      times[sync].append(time.perf_counter() - start)
  print(json.dumps({'unsynchronized': statistics.median(times[False]),
                    'synchronized': statistics.median(times[True])}))


def sync_report(quick, repeats, warmup):
  """The synchronized-step row (see the module doc)."""
  proc = subprocess.run(
      [sys.executable, os.path.abspath(__file__), '--sync-child',
       json.dumps([quick, repeats, warmup])],
      capture_output=True, text=True, timeout=1200)
  if proc.returncode != 0:
    print(f'# sync: child failed: {proc.stderr[-2000:]}')
    return {}
  times = json.loads(proc.stdout.strip().splitlines()[-1])
  ratio = times['synchronized'] / times['unsynchronized']
  verdict = 'met' if ratio <= 1.3 else 'NOT met'
  print('\n## synchronized batch norm, 2 replicas (MirroredStrategy, CPU)')
  print(f'training step, synchronized / unsynchronized: {ratio:.2f}x '
        f'(target <= 1.3x: {verdict})')
  return {'sync': dict(times, ratio=ratio)}


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--quick', action='store_true',
                      help='small shapes and few repeats (a smoke run)')
  parser.add_argument('--part', choices=('all', 'bn', 'stacks', 'rnn',
                                         'sync'),
                      default='all',
                      help='only the batch norm tables, only the model '
                      'stacks, only the rnn table or only the synchronized '
                      'batch norm row (default: all)')
  parser.add_argument('--memory-child', help=argparse.SUPPRESS)
  parser.add_argument('--sync-child', help=argparse.SUPPRESS)
  parser.add_argument('--json', help='also write the results to this file')
  parser.add_argument('--threads', type=int, default=1,
                      help='intra/inter-op threads per session (0: TF default)')
  args = parser.parse_args()
  global THREADS
  THREADS = args.threads
  if args.memory_child:
    _peak_memory_child(*json.loads(args.memory_child))
    return 0
  if args.sync_child:
    _sync_child(*json.loads(args.sync_child))
    return 0

  repeats, warmup = (5, 2) if args.quick else (60, 10)
  print(f'# tf_compat_bn benchmark: TF {tf.__version__}, Python '
        f'{platform.python_version()}, {platform.machine()}, '
        f'{os.cpu_count()} CPUs, {args.threads or "default"} thread(s) per '
        f'session{" (quick)" if args.quick else ""}')
  print('# every figure is a ratio to raw measured in the same run; '
        '"-" = not applicable')
  results = {'tensorflow': tf.__version__, 'quick': args.quick}
  if args.part in ('all', 'bn'):
    results.update(bn_report(args, repeats, warmup))
  if args.part in ('all', 'stacks'):
    results.update(stack_report(args.quick, repeats, warmup,
                                3 if args.quick else 9))
  if args.part in ('all', 'rnn'):
    results.update(rnn_report(args.quick, repeats, warmup,
                              3 if args.quick else 9))
  if args.part in ('all', 'sync'):
    results.update(sync_report(args.quick, repeats, warmup))
  if args.json:
    with open(args.json, 'w') as f:
      json.dump(results, f, indent=1)
  return 0


if __name__ == '__main__':
  sys.exit(main())
