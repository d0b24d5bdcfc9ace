"""`tf_compat_bn.rnn_cell` against the reference `tf.compat.v1.nn.rnn_cell`.

Live on TF 2.12 only (the conftest skips it elsewhere): every case of
`rnn_cases` built with both (structure exactly, values within tolerance),
the errors (type, message, phase), and a few cases under
`tf.compat.v1.disable_v2_behavior()` in a child process.
"""

import os
import subprocess
import sys
import textwrap

import pytest
import tensorflow as tf

import graph_summary
import rnn_cases
from tf_compat_bn import rnn_cell

pytestmark = pytest.mark.reference
v1 = tf.compat.v1
_HERE = os.path.dirname(os.path.abspath(__file__))


def _reference():
  return v1.nn.rnn_cell


@pytest.mark.parametrize('name', [c['name'] for c in rnn_cases.CASES])
def test_case_matches_reference(name):
  case = rnn_cases.case(name)
  want_structure, want_values = rnn_cases.summarize(case, _reference())
  got_structure, got_values = rnn_cases.summarize(case, rnn_cell)
  graph_summary.assert_structure_equal(want_structure, got_structure)
  if case.get('compare_values', True):
    rnn_cases.assert_values_close(want_values, got_values,
                                  case.get('dtype', 'float32'))


_OBJ = object()


def _x(shape, dtype=tf.float32):
  return v1.placeholder(dtype, shape)


# name -> fn(ns); each raises (in a fresh graph).
ERRORS = {
    'multi_empty': lambda ns: ns.MultiRNNCell([]),
    'multi_not_list': lambda ns: ns.MultiRNNCell(_OBJ),
    'multi_tuple_states_concat': lambda ns: ns.MultiRNNCell(
        [ns.LSTMCell(2)], state_is_tuple=False),
    'multi_state_not_tuple': lambda ns: ns.MultiRNNCell(
        [ns.GRUCell(2), ns.GRUCell(2)])(_x([3, 2]), _x([3, 4])),
    'dropout_prob_range': lambda ns: ns.DropoutWrapper(
        ns.GRUCell(2), input_keep_prob=1.5),
    'dropout_variational_no_dtype': lambda ns: ns.DropoutWrapper(
        ns.GRUCell(2), variational_recurrent=True),
    'dropout_variational_no_input_size': lambda ns: ns.DropoutWrapper(
        ns.GRUCell(2), variational_recurrent=True, dtype=tf.float32,
        input_keep_prob=0.5),
    'dropout_filter_not_callable': lambda ns: ns.DropoutWrapper(
        ns.GRUCell(2), dropout_state_filter_visitor=3),
    'wrapper_not_a_cell': lambda ns: ns.ResidualWrapper(_OBJ),
    'int_dtype': lambda ns: ns.LSTMCell(4, dtype=tf.int32),
    'int_inputs': lambda ns: ns.GRUCell(2)(_x([3, 2], tf.int32),
                                           _x([3, 2], tf.int32)),
    'unknown_depth': lambda ns: ns.BasicLSTMCell(2)(
        _x([3, None]), ns.LSTMStateTuple(_x([3, 2]), _x([3, 2]))),
    'input_rank': lambda ns: ns.BasicRNNCell(2)(_x([3, 4, 2]), _x([3, 2])),
    'initial_state_batch': lambda ns: ns.LSTMCell(2).get_initial_state(
        inputs=_x([3, 2]), batch_size=4),
    'initial_state_dtype': lambda ns: ns.LSTMCell(2).get_initial_state(
        inputs=_x([3, 2]), dtype=tf.float64),
    'initial_state_none': lambda ns: ns.LSTMCell(2).get_initial_state(),
    'state_tuple_dtype': lambda ns: ns.LSTMStateTuple(
        _x([1]), _x([1], tf.float64)).dtype,
    'abstract_sizes': lambda ns: ns.RNNCell().state_size,
    'second_cell_existing_variables': lambda ns: [
        v1.nn.dynamic_rnn(ns.LSTMCell(2), _x([3, 4, 2]), dtype=tf.float32,
                          scope='rnn') for _ in range(2)],
    'residual_shape_mismatch': lambda ns: v1.nn.dynamic_rnn(
        ns.ResidualWrapper(ns.GRUCell(3)), _x([3, 4, 2]), dtype=tf.float32),
    'dynamic_rnn_not_cell': lambda ns: v1.nn.dynamic_rnn(
        _OBJ, _x([3, 4, 2]), dtype=tf.float32),
}


def _error(fn, ns):
  with tf.Graph().as_default():
    with pytest.raises(Exception) as info:
      fn(ns)
  message = str(info.value).split('\n')[0]
  return type(info.value).__name__, message


@pytest.mark.parametrize('name', sorted(ERRORS))
def test_error_matches_reference(name):
  want = _error(ERRORS[name], _reference())
  got = _error(ERRORS[name], rnn_cell)
  assert got == want


def test_signatures_match_reference():
  import inspect  # pylint: disable=g-import-not-at-top
  ref = _reference()
  for name in rnn_cell.__all__:
    want, got = getattr(ref, name), getattr(rnn_cell, name)
    if name == 'LSTMStateTuple':
      assert got._fields == want._fields
      continue
    assert (inspect.signature(got.__init__) ==
            inspect.signature(want.__init__)), name
    assert (inspect.signature(got.__call__) ==
            inspect.signature(want.__call__)), name


def test_get_config_matches_reference():
  ref = _reference()
  for make in (lambda ns: ns.LSTMCell(3, use_peepholes=True, num_proj=2,
                                      name='a'),
               lambda ns: ns.BasicLSTMCell(3, forget_bias=0.5, name='b'),
               lambda ns: ns.GRUCell(3, activation='relu', name='c'),
               lambda ns: ns.BasicRNNCell(3, name='d')):
    with tf.Graph().as_default():
      want = make(ref).get_config()
    with tf.Graph().as_default():
      got = make(rnn_cell).get_config()
    assert got == want


def _residual(inputs, outputs, scale=0.5):
  return inputs * scale + outputs


def test_wrapper_get_config_matches_reference():
  ref = _reference()
  keep = 0.25
  makers = (
      lambda ns: ns.ResidualWrapper(ns.GRUCell(3, name='g'),
                                    residual_fn=_residual),
      lambda ns: ns.ResidualWrapper(ns.GRUCell(3, name='g'),
                                    residual_fn=lambda i, o: i * keep + o),
      lambda ns: ns.DropoutWrapper(ns.LSTMCell(3, name='l'),
                                   output_keep_prob=0.5, seed=2,
                                   dropout_state_filter_visitor=lambda s: True),
      lambda ns: ns.DeviceWrapper(ns.BasicRNNCell(2, name='b'), '/cpu:0'),
      lambda ns: ns.ResidualWrapper(ns.GRUCell(3, name='g'),
                                    residual_fn=tf.add),
  )
  for make in makers:
    with tf.Graph().as_default():
      want = make(ref).get_config()
    with tf.Graph().as_default():
      got = make(rnn_cell).get_config()
    assert got == want
    # Our config rebuilds a wrapper that behaves alike.
    with tf.Graph().as_default():
      config = dict(got, cell=make(rnn_cell).cell)
      again = type(make(rnn_cell)).from_config(config)
      # Re-marshalled code may differ in marshal's reference flags only.
      payload = ('residual_fn', 'dropout_fn')
      assert ({k: v for k, v in again.get_config().items()
               if k not in payload} ==
              {k: v for k, v in dict(got, name=again.name).items()
               if k not in payload})
      residual = getattr(again, '_residual_fn', None)
      if residual is not None:
        result = residual(2.0, 3.0)
        if not tf.is_tensor(result):  # tf.add, rebuilt, makes an op.
          assert result in (4.0, 3.5)
      if isinstance(again, rnn_cell.DropoutWrapper):
        assert again._dropout_state_filter(2.0) is True


_V1_SCRIPT = textwrap.dedent('''
    import sys, warnings
    warnings.simplefilter('ignore')
    sys.path.insert(0, {tests!r}); sys.path.insert(0, {root!r})
    import tensorflow as tf
    tf.compat.v1.disable_v2_behavior()
    import graph_summary, rnn_cases
    from tf_compat_bn import rnn_cell
    for name in {names!r}:
      case = rnn_cases.case(name)
      ws, wv = rnn_cases.summarize(case, tf.compat.v1.nn.rnn_cell)
      gs, gv = rnn_cases.summarize(case, rnn_cell)
      graph_summary.assert_structure_equal(ws, gs)
      rnn_cases.assert_values_close(wv, gv, case.get('dtype', 'float32'))
      print('OK', name)
''')


def test_tf1_behaviour_in_child_process():
  names = ['lstm_dynamic', 'multi_mixed_static', 'gru_bidirectional',
           'dropout_wrapper_variational', 'lstm_shards']
  script = _V1_SCRIPT.format(tests=_HERE, root=os.path.dirname(_HERE),
                             names=names)
  result = subprocess.run([sys.executable, '-c', script], capture_output=True,
                          text=True, timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.count('OK ') == len(names), result.stdout
