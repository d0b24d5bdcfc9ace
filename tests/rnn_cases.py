"""Differential cases for `tf.compat.v1.nn.rnn_cell`: ours vs the reference.

A case is JSON-able: the cell (a nested spec), the driver (TF's own
`dynamic_rnn`, `static_rnn` or `bidirectional_dynamic_rnn`), shapes,
sequence lengths, time-major, dtype, reuse.  `build(case, ns)` builds it
with the rnn_cell namespace `ns` (the reference `tf.compat.v1.nn.rnn_cell`
on TF 2.12, or `tf_compat_bn.rnn_cell`) in a fresh graph;
`summarize(case, ns)` returns (structure, values):

* structure: variables (name, shape, dtype, trainable), watched
  collections, op names, output / final-state tensor names, the cell's
  weight lists, state and output sizes;
* values: outputs and final states, gradients of a loss on them w.r.t. the
  inputs and every trainable variable, outputs and variables after
  `STEPS` SGD steps.

`write_golden(path)` records the reference's summaries (run on TF 2.12).
"""

import json
import random

import numpy as np
import tensorflow as tf

import graph_summary

v1 = tf.compat.v1
STEPS = 3


def _lstm(n=4, **kw):
  return {'kind': 'LSTMCell', 'args': dict(num_units=n, **kw)}


def _case(name, cell, rnn='dynamic', **kw):
  case = {'name': name, 'cell': cell, 'rnn': rnn, 'batch': 3, 'time': 4,
          'depth': 5}
  case.update(kw)
  return case


_SEQ = [4, 2, 3]

CASES = [
    _case('basic_rnn_dynamic', {'kind': 'BasicRNNCell',
                                'args': {'num_units': 4}}),
    _case('basic_rnn_relu_static', {'kind': 'BasicRNNCell',
                                    'args': {'num_units': 3,
                                             'activation': 'relu'}},
          rnn='static'),
    _case('basic_lstm_dynamic', {'kind': 'BasicLSTMCell',
                                 'args': {'num_units': 4}}),
    _case('basic_lstm_concat_state_static',
          {'kind': 'BasicLSTMCell',
           'args': {'num_units': 4, 'state_is_tuple': False,
                    'forget_bias': 0.5}}, rnn='static'),
    _case('lstm_dynamic', _lstm()),
    _case('lstm_static_seqlen', _lstm(), rnn='static', sequence_length=_SEQ),
    _case('lstm_dynamic_seqlen_time_major', _lstm(), sequence_length=_SEQ,
          time_major=True),
    _case('lstm_peepholes_clip_proj',
          _lstm(6, use_peepholes=True, cell_clip=0.5, num_proj=3,
                proj_clip=0.3, forget_bias=0.0,
                initializer='uniform')),
    _case('lstm_concat_state_proj', _lstm(4, num_proj=2,
                                          state_is_tuple=False),
          rnn='static'),
    _case('lstm_activation_relu', _lstm(4, activation='relu')),
    _case('lstm_float64', _lstm(), dtype='float64'),
    _case('lstm_scope_initializer', _lstm(), scope_initializer='uniform'),
    _case('lstm_shards', _lstm(4, num_proj=4, num_unit_shards=2,
                               num_proj_shards=2)),
    _case('gru_dynamic', {'kind': 'GRUCell', 'args': {'num_units': 4}}),
    _case('gru_initializers_static',
          {'kind': 'GRUCell', 'args': {'num_units': 3,
                                       'kernel_initializer': 'uniform',
                                       'bias_initializer': 'constant'}},
          rnn='static', sequence_length=_SEQ),
    _case('gru_bidirectional', {'kind': 'GRUCell', 'args': {'num_units': 3}},
          rnn='bidirectional'),
    _case('lstm_bidirectional_seqlen', _lstm(3), rnn='bidirectional',
          sequence_length=_SEQ),
    _case('multi_lstm_dynamic', {'kind': 'MultiRNNCell',
                                 'cells': [_lstm(4), _lstm(3)]}),
    _case('multi_mixed_static', {'kind': 'MultiRNNCell',
                                 'cells': [{'kind': 'GRUCell',
                                            'args': {'num_units': 4}},
                                           _lstm(3)]}, rnn='static'),
    _case('multi_concat_state',
          {'kind': 'MultiRNNCell',
           'cells': [{'kind': 'BasicRNNCell', 'args': {'num_units': 3}},
                     {'kind': 'GRUCell', 'args': {'num_units': 2}}],
           'args': {'state_is_tuple': False}}),
    _case('multi_bidirectional', {'kind': 'MultiRNNCell',
                                  'cells': [_lstm(3), _lstm(3)]},
          rnn='bidirectional'),
    _case('dropout_wrapper_seeded',
          {'kind': 'DropoutWrapper', 'cell': _lstm(4),
           'args': {'input_keep_prob': 0.8, 'output_keep_prob': 0.7,
                    'state_keep_prob': 0.9, 'seed': 5}}, rnn='static'),
    # Random ops in a while loop draw in iteration order, which the
    # executor does not fix: values are not reproducible, even for the
    # reference against itself.
    _case('dropout_wrapper_dynamic_structure',
          {'kind': 'DropoutWrapper', 'cell': _lstm(4),
           'args': {'input_keep_prob': 0.8, 'output_keep_prob': 0.7,
                    'seed': 5}}, compare_values=False),
    _case('dropout_wrapper_variational',
          {'kind': 'DropoutWrapper', 'cell': _lstm(4),
           'args': {'input_keep_prob': 0.8, 'output_keep_prob': 0.7,
                    'state_keep_prob': 0.6, 'seed': 7,
                    'variational_recurrent': True, 'input_size': 5,
                    'dtype': 'float32'}}),
    _case('dropout_wrapper_keep_one', {'kind': 'DropoutWrapper',
                                       'cell': {'kind': 'GRUCell',
                                                'args': {'num_units': 3}}},
          rnn='static'),
    _case('residual_wrapper', {'kind': 'ResidualWrapper', 'cell': _lstm(5)}),
    _case('device_wrapper', {'kind': 'DeviceWrapper', 'cell': _lstm(4),
                             'args': {'device': '/cpu:0'}}),
    _case('multi_of_wrappers',
          {'kind': 'MultiRNNCell',
           'cells': [{'kind': 'ResidualWrapper',
                      'cell': {'kind': 'BasicLSTMCell',
                               'args': {'num_units': 5}}},
                     {'kind': 'DropoutWrapper', 'cell': _lstm(3),
                      'args': {'output_keep_prob': 0.5, 'seed': 3}}]},
          rnn='static'),
    _case('lstm_scope_partitioner', _lstm(4), scope_partitioner=2),
    _case('custom_rnncell_get_variable', {'kind': 'custom'}),
    _case('custom_rnncell_get_variable_static', {'kind': 'custom'},
          rnn='static'),
    _case('lstm_reuse_second_rnn', _lstm(), reuse=True),
    _case('lstm_named_scope', _lstm(4, name='my_lstm'), scope='encoder'),
]

_BY_NAME = {c['name']: c for c in CASES}


def case(name):
  return _BY_NAME[name]


def _initializer(name, dtype):
  del dtype
  if name == 'uniform':
    return v1.random_uniform_initializer(-0.5, 0.5, seed=3)
  if name == 'constant':
    return v1.constant_initializer(0.25)
  raise KeyError(name)


def _custom_cell_class(ns):
  class ScaledRNNCell(ns.RNNCell):
    """A user cell getting its variables in `call` (the TF1 style)."""

    def __init__(self, num_units=3):
      super().__init__()
      self._n = num_units

    @property
    def state_size(self):
      return self._n

    @property
    def output_size(self):
      return self._n

    def call(self, inputs, state):
      depth = inputs.shape[-1]
      w = v1.get_variable('w', [depth + self._n, self._n],
                          initializer=v1.random_uniform_initializer(
                              -0.5, 0.5, seed=11))
      scale = v1.get_variable('scale', [], trainable=False,
                              initializer=v1.constant_initializer(0.5))
      out = tf.tanh(tf.matmul(tf.concat([inputs, state], 1), w)) * scale
      return out, out

  return ScaledRNNCell


def make_cell(spec, ns, dtype):
  """The cell `spec` describes, from namespace `ns`."""
  kind = spec['kind']
  args = dict(spec.get('args', {}))
  for key in ('initializer', 'kernel_initializer', 'bias_initializer'):
    if isinstance(args.get(key), str):
      args[key] = _initializer(args[key], dtype)
  if 'dtype' in args:
    args['dtype'] = tf.as_dtype(args['dtype'])
  if kind == 'custom':
    return _custom_cell_class(ns)(**args)
  if kind == 'MultiRNNCell':
    return ns.MultiRNNCell([make_cell(c, ns, dtype) for c in spec['cells']],
                           **args)
  if 'cell' in spec:
    return getattr(ns, kind)(make_cell(spec['cell'], ns, dtype), **args)
  return getattr(ns, kind)(**args)


def input_data(case_):
  rng = np.random.RandomState(0)
  shape = (case_['batch'], case_['time'], case_['depth'])
  if case_.get('time_major'):
    shape = (case_['time'], case_['batch'], case_['depth'])
  return rng.normal(0.0, 1.0, size=shape).astype(
      tf.as_dtype(case_.get('dtype', 'float32')).as_numpy_dtype)


def _run_rnn(case_, ns, x, dtype, seq, reuse=None):
  rnn = case_['rnn']
  time_major = bool(case_.get('time_major'))
  kw = {}
  if case_.get('scope'):
    kw['scope'] = case_['scope']
  if rnn == 'dynamic':
    cell = make_cell(case_['cell'], ns, dtype)
    outputs, state = v1.nn.dynamic_rnn(cell, x, sequence_length=seq,
                                       dtype=dtype, time_major=time_major,
                                       **kw)
    return cell, outputs, state
  if rnn == 'static':
    cell = make_cell(case_['cell'], ns, dtype)
    inputs = tf.unstack(x, axis=0 if time_major else 1)
    outputs, state = v1.nn.static_rnn(cell, inputs, dtype=dtype,
                                      sequence_length=seq, **kw)
    return cell, outputs, state
  fw = make_cell(case_['cell'], ns, dtype)
  bw = make_cell(case_['cell'], ns, dtype)
  outputs, state = v1.nn.bidirectional_dynamic_rnn(
      fw, bw, x, sequence_length=seq, dtype=dtype, time_major=time_major,
      **kw)
  del reuse
  return fw, outputs, state


def _weight_names(cell):
  def names(ws):
    return [w.name for w in ws]
  return {'trainable': names(cell.trainable_weights),
          'non_trainable': names(cell.non_trainable_weights)}


def build(case_, ns):
  """Builds `case_` with rnn_cell namespace `ns`; a dict of handles."""
  graph = tf.Graph()
  random.seed(0)
  with graph.as_default():
    v1.set_random_seed(1)
    dtype = tf.as_dtype(case_.get('dtype', 'float32'))
    data = input_data(case_)
    x = v1.placeholder(dtype, data.shape, name='x')
    seq = case_.get('sequence_length')
    seq = None if seq is None else tf.constant(seq, name='seq')
    init = case_.get('scope_initializer')
    parts = case_.get('scope_partitioner')
    if init or parts:
      with v1.variable_scope(
          'outer', initializer=init and _initializer(init, dtype),
          partitioner=parts and v1.fixed_size_partitioner(parts)):
        cell, outputs, state = _run_rnn(case_, ns, x, dtype, seq)
    else:
      cell, outputs, state = _run_rnn(case_, ns, x, dtype, seq)
    results = [outputs, state]
    if case_.get('reuse'):
      spec = dict(case_['cell'])
      spec['args'] = dict(spec.get('args', {}), reuse=True)
      cell2 = make_cell(spec, ns, dtype)
      outputs2, state2 = v1.nn.dynamic_rnn(cell2, x, dtype=dtype,
                                           scope='rnn')
      results += [outputs2, state2]
    flat = [t for t in tf.nest.flatten(results)]
    rng = np.random.RandomState(7)
    loss = tf.add_n([
        tf.reduce_sum(tf.cast(t, tf.float32) * tf.constant(
            rng.normal(size=t.shape.as_list()).astype(np.float32)))
        for t in flat])
    trainable = v1.trainable_variables()
    grads = tf.gradients(loss, [x] + trainable)
    train = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    init_op = v1.global_variables_initializer()
  return dict(graph=graph, x=x, data=data, cell=cell, flat=flat, loss=loss,
              grads=grads, train=train, init=init_op)


def _sizes(size):
  return json.loads(json.dumps(size, default=lambda s: str(s)))


def structure(handles):
  graph = handles['graph']
  with graph.as_default():
    trainable = v1.trainable_variables()
    variables = [[v.name, v.shape.as_list(), v.dtype.base_dtype.name,
                  any(v is t for t in trainable)]
                 for v in v1.global_variables()]
    collections = {}
    for key in graph_summary.WATCHED_COLLECTIONS:
      collections[key] = [graph_summary._name(e)  # pylint: disable=protected-access
                          for e in graph.get_collection(key)]
  cell = handles['cell']
  return {
      'variables': variables,
      'collections': collections,
      'outputs': [t.name for t in handles['flat']],
      'output_shapes': [t.shape.as_list() for t in handles['flat']],
      'cell_weights': _weight_names(cell),
      'state_size': _sizes(cell.state_size),
      'output_size': _sizes(cell.output_size),
      'ops': sorted(op.name for op in graph.get_operations()
                    if not op.name.startswith(('gradients',
                                               'GradientDescent'))),
  }


def values(handles):
  out = {}
  graph = handles['graph']
  with graph.as_default(), v1.Session(graph=graph) as sess:
    sess.run(handles['init'])
    feed = {handles['x']: handles['data']}
    first, grads = sess.run([handles['flat'], handles['grads']], feed)
    out['first'] = first
    out['grads'] = [g for g in grads if g is not None]
    for _ in range(STEPS):
      sess.run(handles['train'], feed)
    out['trained'] = sess.run(handles['flat'], feed)
    out['variables'] = {v.name: sess.run(v) for v in v1.global_variables()}
  return out


def summarize(case_, ns):
  handles = build(case_, ns)
  return structure(handles), values(handles)


def assert_values_close(expected, actual, dtype):
  tol = graph_summary.TOLERANCE[dtype]
  assert sorted(expected) == sorted(actual)
  for key in expected:
    e, a = expected[key], actual[key]
    if isinstance(e, dict):
      assert sorted(e) == sorted(a), key
      pairs = [(f'{key}[{k}]', e[k], a[k]) for k in e]
    else:
      assert len(e) == len(a), key
      pairs = [(f'{key}[{i}]', x, z) for i, (x, z) in enumerate(zip(e, a))]
    for what, x, z in pairs:
      x = np.asarray(x, np.float64)
      z = np.asarray(z, np.float64)
      assert x.shape == z.shape, what
      np.testing.assert_allclose(z, x, rtol=tol, atol=tol, err_msg=what)


def write_golden(path):
  """Records the reference's summaries of every case (run on TF 2.12)."""
  ns = v1.nn.rnn_cell
  out = {'tf_version': tf.__version__, 'cases': {}}
  for c in CASES:
    struct, vals = summarize(c, ns)
    out['cases'][c['name']] = {'case': c, 'structure': struct,
                               'values': graph_summary.to_json(vals)}
  with open(path, 'w') as f:
    json.dump(out, f, indent=1, sort_keys=True)


# ---- checkpoint cross-restore (run as a script by test_rnn_cell) -----------
def checkpoint_model(ns):
  """A small stacked-LSTM model over `ns`; returns (x, y, loss)."""
  x = v1.placeholder(tf.float32, [2, 3, 4], name='x')
  cell = ns.MultiRNNCell([ns.LSTMCell(5, use_peepholes=True, num_proj=3),
                          ns.DropoutWrapper(ns.GRUCell(4))])
  outputs, state = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
  y = tf.concat([outputs[:, -1], state[0].c, state[1]], 1)
  return x, y, tf.reduce_sum(y ** 2)


def checkpoint_main(mode, impl, prefix, out):
  """`mode` 'train' (3 SGD steps, save) or 'infer' (restore); `impl`
  'native' (tf.compat.v1.nn.rnn_cell) or 'ours'; saves y to `out`."""
  if impl == 'ours':
    from tf_compat_bn import rnn_cell as ns  # pylint: disable=g-import-not-at-top
  else:
    ns = v1.nn.rnn_cell
  data = np.random.RandomState(3).normal(size=(2, 3, 4)).astype(np.float32)
  with tf.Graph().as_default():
    v1.set_random_seed(2)
    x, y, loss = checkpoint_model(ns)
    train = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    saver = v1.train.Saver()
    with v1.Session() as sess:
      if mode == 'train':
        sess.run(v1.global_variables_initializer())
        for _ in range(3):
          sess.run(train, {x: data})
        saver.save(sess, prefix)
      else:
        saver.restore(sess, prefix)
      np.save(out, sess.run(y, {x: data}))


if __name__ == '__main__':
  import os  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
      __file__))))
  checkpoint_main(*sys.argv[1:5])
