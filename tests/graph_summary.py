"""Builds one batch-norm case in a fresh graph and summarizes what users see.

Shared by the live differential tests (reference vs ours, TF 2.12.1), the
golden-file generator `scripts/make_golden.py` (reference, TF 2.12.1) and the
golden test (ours, newest TF).  A summary is JSON-able:

* `structure`: variables (name, shape, dtype, trainable) in creation order,
  members of the collections users read, update objects, output name, and
  the graph's op names -- compared exactly;
* `values`: outputs and gradients of a first training step, moving
  statistics and outputs after a few SGD steps run under the UPDATE_OPS
  dependency, and inference outputs -- compared with a dtype tolerance.
"""

import contextlib
import random
import re

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1
GraphKeys = v1.GraphKeys
STEPS = 3
TOLERANCE = {'float16': 1e-2, 'bfloat16': 5e-2, 'float32': 1e-5,
             'float64': 1e-9}
WATCHED_COLLECTIONS = (
    GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES,
    GraphKeys.MODEL_VARIABLES, GraphKeys.MOVING_AVERAGE_VARIABLES,
    GraphKeys.UPDATE_OPS, GraphKeys.REGULARIZATION_LOSSES)


def _name(obj):
  if isinstance(obj, tf.Operation):
    return 'op:' + obj.name
  if isinstance(obj, tf.Variable):
    return 'var:' + obj.name
  if hasattr(obj, 'name'):
    try:
      return 'tensor:' + obj.name
    except (AttributeError, ValueError):
      pass
  return 'obj:' + obj.op.name


def input_data(case):
  """Deterministic inputs (and feed for an unknown batch) for `case`."""
  rng = np.random.RandomState(case.get('seed', 0))
  shape = case['shape']
  data = rng.normal(2.0, 3.0, size=shape)
  return data.astype(tf.as_dtype(case.get('dtype', 'float32')).as_numpy_dtype)


@contextlib.contextmanager
def _mode(mode):
  """'v2': resource variables, control flow v2; 'v1': ref vars, cond v1."""
  if mode != 'v1':
    yield
    return
  v1.disable_control_flow_v2()
  try:
    with v1.variable_scope(v1.get_variable_scope(), use_resource=False):
      yield
  finally:
    v1.enable_control_flow_v2()


def build(case, fn, make_kwargs):
  """Builds `case` with batch-norm function `fn`; returns a dict of handles.

  `make_kwargs(case, x, flag)` returns the keyword arguments of the call.
  """
  graph = tf.Graph()
  # Keras-style initializers (the reference's default kernel initializer
  # under TF2 behaviour) draw their op seed from Python's `random`.
  random.seed(case.get('seed', 0))
  with graph.as_default(), _mode(case.get('mode', 'v2')):
    v1.set_random_seed(1)
    dtype = tf.as_dtype(case.get('dtype', 'float32'))
    shape = list(case['shape'])
    ph_shape = list(case.get('placeholder_shape', shape))
    x = v1.placeholder(dtype, ph_shape, name='x')
    flag_kind = case.get('flag', 'python_true')
    flag = {'python_true': True, 'python_false': False,
            'const_true': tf.constant(True), 'const_false': tf.constant(False),
            'placeholder': v1.placeholder(tf.bool, [], name='is_training'),
            'none': None}[flag_kind]
    kwargs = make_kwargs(case, x, flag)
    y = _call(case, fn, x, kwargs)
    rng = np.random.RandomState(7)
    w = tf.constant(rng.normal(size=y.shape.as_list()).astype(np.float32)
                    if y.shape.is_fully_defined() else
                    rng.normal(size=shape).astype(np.float32))
    loss = tf.reduce_sum(tf.cast(y, tf.float32) * w)
    trainable = v1.trainable_variables()
    grads = tf.gradients(loss, [x] + trainable)
    with tf.control_dependencies(v1.get_collection(GraphKeys.UPDATE_OPS)):
      if trainable:
        train = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
      else:
        train = tf.no_op(name='train')
    init = v1.global_variables_initializer()
  return dict(graph=graph, x=x, flag=flag, flag_kind=flag_kind, y=y,
              loss=loss, grads=grads, train=train, init=init,
              trainable=trainable)


def _call(case, fn, x, kwargs):
  """One or more calls, as the case says: inside an outer (partitioned)
  scope, as reused towers of an enclosing scope, or repeated with reuse."""
  outer = case.get('outer')
  if outer:
    partitioner = (v1.fixed_size_partitioner(2)
                   if case.get('partitioned') else None)
    with v1.variable_scope(outer, partitioner=partitioner):
      return fn(x, **kwargs)
  towers = case.get('towers')
  if towers:
    ys = []
    for i in range(towers):
      with v1.variable_scope('model', reuse=bool(i)):
        ys.append(fn(x, **kwargs))
        ys.append(fn(x, **kwargs))
    return tf.add_n(ys)
  y = fn(x, **kwargs)
  for _ in range(case.get('calls', 1) - 1):
    y = y + fn(x, **dict(kwargs, reuse=True))
  return y


def structure(handles):
  """Names, shapes, dtypes and collections of a built case."""
  graph = handles['graph']
  with graph.as_default():
    variables = [[v.name, v.shape.as_list(), v.dtype.base_dtype.name,
                  v in v1.trainable_variables()]
                 for v in v1.global_variables()]
    collections = {}
    for key in graph.get_all_collection_keys():
      if key in WATCHED_COLLECTIONS or key.startswith('custom'):
        collections[key] = [_name(e) for e in graph.get_collection(key)]
    for key in WATCHED_COLLECTIONS:
      collections.setdefault(key, [])
  y = handles['y']
  return {
      'variables': variables,
      'collections': collections,
      'output': y.name,
      'output_dtype': y.dtype.base_dtype.name,
      'output_shape': y.shape.as_list() if y.shape.rank is not None else None,
      'aliases': list(getattr(y, 'aliases', [])),
      # The optimizer's and gradient ops are TF's, not the batch norm's.
      'ops': sorted(op.name for op in graph.get_operations()
                    if not op.name.startswith(('gradients', 'GradientDescent'))),
  }


def values(case, handles, save_to=None):
  """Numbers from running the case: see the module docstring.  With
  `save_to` (a checkpoint prefix), the trained variables are also saved
  there (no meta graph, no `checkpoint` state file)."""
  graph = handles['graph']
  data = input_data(case)
  out = {}
  saver = None
  if save_to:
    with graph.as_default():
      saver = v1.train.Saver()
  with graph.as_default(), v1.Session(graph=graph) as sess:
    sess.run(handles['init'])
    feed = {handles['x']: data}
    if handles['flag_kind'] == 'placeholder':
      feed[handles['flag']] = True
    y0, grads = sess.run([handles['y'], handles['grads']], feed)
    out['y_first'] = y0
    out['grads'] = [g for g in grads if g is not None]
    # Several calls sharing variables run their updates in any order, so
    # their moving statistics after training are not reproducible.
    steps = 0 if (case.get('towers') or case.get('calls')) else STEPS
    for _ in range(steps):
      sess.run(handles['train'], feed)
    out['y_trained'] = sess.run(handles['y'], feed)
    if handles['flag_kind'] == 'placeholder':
      feed[handles['flag']] = False
      out['y_inference'] = sess.run(handles['y'], feed)
    out['variables'] = {v.name: sess.run(v) for v in v1.global_variables()}
    if saver:
      saver.save(sess, save_to, write_meta_graph=False, write_state=False)
  return out


def summarize(case, fn, make_kwargs):
  handles = build(case, fn, make_kwargs)
  return structure(handles), values(case, handles)


def to_json(vals):
  def conv(v):
    if isinstance(v, dict):
      return {k: conv(x) for k, x in v.items()}
    if isinstance(v, list):
      return [conv(x) for x in v]
    return np.asarray(v, dtype=np.float64).tolist()
  return conv(vals)


def assert_values_close(expected, actual, dtype):
  """Every number within the dtype's tolerance (relative to magnitude)."""
  tol = TOLERANCE[dtype]
  assert sorted(expected) == sorted(actual)
  for key in expected:
    e, a = expected[key], actual[key]
    if isinstance(e, dict):
      assert sorted(e) == sorted(a), key
      pairs = [(f'{key}[{k}]', e[k], a[k]) for k in e]
    elif key == 'grads':
      assert len(e) == len(a), key
      pairs = [(f'{key}[{i}]', x, z) for i, (x, z) in enumerate(zip(e, a))]
    else:
      pairs = [(key, e, a)]
    for what, x, z in pairs:
      x = np.asarray(x, np.float64)
      z = np.asarray(z, np.float64)
      assert x.shape == z.shape, what
      np.testing.assert_allclose(z, x, rtol=tol, atol=tol, err_msg=what)


# A v2 cond built inside a layer outputs its intermediates; which ones it
# keeps is decided by TF's cond implementation and varies between TF versions
# (names `<scope>/cond_<k>/Identity_<j>`, j >= 1).  Across versions only the
# cond's own outputs (Identity, and the collected update ops) are compared.
# Likewise the ops *inside* TF's own ones_like/zeros_like helpers changed.
_TF_INTERNALS = re.compile(r'.*/cond(_\d+)?/Identity_\d+$|'
                           r'.*/(ones|zeros)_like(_\d+)?/.+')


def assert_structure_equal(expected, actual, across_versions=False):
  """Key by key; for op names, shows what is missing and what is extra."""
  assert sorted(expected) == sorted(actual)
  for key in expected:
    if key == 'ops':
      want, got = set(expected[key]), set(actual[key])
      if across_versions:
        want = {n for n in want if not _TF_INTERNALS.match(n)}
        got = {n for n in got if not _TF_INTERNALS.match(n)}
      missing, extra = sorted(want - got), sorted(got - want)
      assert (missing, extra) == ([], []), f'ops: missing {missing} extra {extra}'
    else:
      assert actual[key] == expected[key], key
