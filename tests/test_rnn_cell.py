"""The behaviours TF's own RNN-cell tests check, on `tf_compat_bn.rnn_cell`.

TF's `tensorflow/python/kernel_tests/nn_ops/rnn_cell_test.py` and
`rnn_test.py` (TF 1.x-2.x; the cells then moved to Keras' legacy code)
ship in no wheel, so their behaviours are re-stated here as our own tests,
in tf.compat.v1 graph mode.  Expected values never come from the code under
test: the cells' equations are evaluated in NumPy (float64) with the
variables' initial values read from the session.  They pass on TF 2.12 and
2.21; the live comparison with the reference is in
`test_rnn_cell_reference.py`, the recorded one in `test_rnn_cell_golden.py`.

Mapping, checked against the real files (read from tensorflow/tensorflow
master snapshots: rnn_cell_test.py at 198c807, rnn_test.py at 0fe08f4, both
later than r2.12, whose tag was not read: a test added or removed between
2.12 and those commits would be missing here).  Every test method of both files is
listed; C = rnn_cell_test.py, R = rnn_test.py.  "rnn.py, user cell": the
test exercises TF's own `rnn.py` (unchanged, never ours) with a hand-written
cell, so it concerns none of our ten classes beyond the base `RNNCell`.

| TF test                                              | here / why not                              |
|------------------------------------------------------|---------------------------------------------|
| C RNNTest.testInvalidSequenceLengthShape              | test_invalid_dtype_and_sequence_length      |
| C RNNTest.testRNN, testDynamicCalculation             | rnn.py, user cell (Plus1RNNCell)            |
| C RNNTest.testDropout                                 | test_dropout_keep_no_input_or_state (keep ~0); `_trackable_children` not supported (not Trackable) |
| C RNNTest.testScope                                   | test_rnn_scopes_unknown_time_and_float64    |
| C LSTMTest.testDType                                  | test_lstm_cell_dtype                        |
| C LSTMTest.testNoProjNoSharding, testProjNoSharding, testProjSharding | test_lstm_variables, test_sharded, test_sharded_equals_unsharded |
| C LSTMTest.testCellClipping                           | test_lstm_cell_clip_zero_gives_zero_output, test_lstm_cell_peepholes_clip_proj |
| C LSTMTest.testNoProjNoSharding{Simple,Tuple,NestedTuple}StateSaver | test_state_saving_rnn_tuple_states |
| C LSTMTest.testDoubleInput, testDoubleInputWithDropoutAndDynamicCalculation | test_rnn_scopes_unknown_time_and_float64, test_cells_build |
| C LSTMTest.testShardNoShardEquivalentOutput           | test_sharded_equals_unsharded               |
| C LSTMTest.testSharingWeightsWithReuse, testSharingWeightsWithDifferentNamescope | test_static_dynamic_and_weight_sharing |
| C LSTMTest.testDynamicRNNAllowsUnknownTimeDimension   | test_rnn_scopes_unknown_time_and_float64    |
| C LSTMTest.testDynamicRNNWithTupleStates, testDynamicEquivalentToStaticRNN(WithSequenceLength) | test_static_dynamic_and_weight_sharing (graph mode; eager halves n/a) |
| C LSTMTest.testDynamicRNNWithNestedTupleStates        | test_multi_rnn_cell, test_zero_state, test_state_saving_rnn_tuple_states |
| C LSTMTest.testLSTMBlockCell{ErrorHandling,EmptyInputRaisesError,GradErrorHandling}, testLSTMBlockInvalidArgument | n/a: raw gen_rnn_ops kernels, no cell |
| C BidirectionalRNNTest.testBidirectionalRNN(WithoutSequenceLength), testBidirectionalDynamicRNN | test_bidirectional_same_cells_mirror |
| C BidirectionalRNNTest.testBidirectionalRNNScope, testBidirectionalDynamicRNNScope | test_rnn_scopes_unknown_time_and_float64 |
| C MultiDimensionalLSTMTest.testMultiDimensionalLSTMAllRNNContainers, NestedLSTMTest.testNestedIOLSTMAllRNNContainers | rnn.py, user cell |
| C StateSaverRNNTest.testStateSaverRNNScope            | test_state_saving_rnn_tuple_states          |
| C StateSaverRNNTest.testStateSaverCallsSaveState      | n/a: skipped upstream (b/124196246)         |
| C GRUTest.testDynamic, testDynamicScope               | test_rnn_scopes_unknown_time_and_float64    |
| C RawRNNTest.testRawRNN, testRawRNNZeroLength, testRawRNNScope | test_raw_rnn (raw_rnn itself is TF's) |
| C RawRNNTest.testLoopState, testLoopStateWithTensorArray, testEmitDifferentStructureThanCellOutput | rnn.py (raw_rnn loop_fn plumbing) |
| C TensorArrayOnCorrectDeviceTest.* (3), RNNCellTest.testDeviceWrapperDynamicExecutionNodesAreAllProperlyLocated | n/a: GPU-only (return early without a GPU) |
| C RNNCellTest.testBasicRNNCell, testBasicRNNCellNotTrainable | test_basic_rnn_cell, test_not_trainable |
| C RNNCellTest.testGRUCell                             | test_gru_cell, test_gru_cell_constant_init  |
| C RNNCellTest.testBasicLSTMCell                       | test_multi_basic_lstm_concatenated_states (fp16/fp32), test_basic_lstm_cell |
| C RNNCellTest.testBasicLSTMCellDimension0Error, testBasicLSTMCellStateSizeError | test_basic_lstm_bad_shapes_fail |
| C RNNCellTest.testBasicLSTMCellStateTupleType         | test_multi_rnn_cell_state_tuple_tuples, test_lstm_state_tuple |
| C RNNCellTest.testBasicLSTMCellWithStateTuple         | test_multi_basic_lstm_tuple_of_concatenated_states |
| C RNNCellTest.testLSTMCell, testLSTMCellVariables     | test_lstm_cell_projection_concatenated_state, test_lstm_variables |
| C RNNCellTest.testWrapperCheckpointing                | test_wrapper_checkpointing: xfail, our cells are not Trackable (tf.train.Checkpoint); Saver works |
| C RNNCellTest.testResidualWrapper, testResidualWrapperWithSlice | test_residual_wrapper, test_residual_wrapper_with_slice |
| C RNNCellTest.testDeviceWrapper                       | test_device_wrapper                         |
| C RNNCellTest.testMultiRNNCell, testMultiRNNCellWithStateTuple | test_multi_rnn_cell, test_multi_rnn_cell_state_tuple_tuples |
| C RNNCellTest.test{Device,Residual,Dropout}WrapperSerialization | test_wrappers_config_round_trip |
| C RNNCellTest.testSavedModel                          | n/a: tf.function + SavedModel (eager), needs Trackable |
| C DropoutWrapperTest.testDropoutWrapperProperties, testDropoutWrapperZeroState | test_dropout_wrapper_properties_and_zero_state |
| C DropoutWrapperTest.testDropoutWrapperKeepAll(ConstantInput) | test_dropout_keep_all_values, test_dropout_keep_all |
| C DropoutWrapperTest.testDropoutWrapperKeepNoOutput, ...KeepNoInput, ...KeepNoStateExceptLSTMCellMemory | test_dropout_keep_no_input_or_state, test_dropout_keep_none, test_dropout_state_filter |
| C DropoutWrapperTest.testDropoutWrapperWithSeed, ...RecurrentStateInputAndOutputWithSeed | test_dropout_with_seed_repeats |
| C DropoutWrapperTest.testDropoutWrapperRecurrentOutput, ...RecurrentStateInputAndOutput | test_variational_same_mask_every_step, test_dropout_with_seed_repeats |
| R RNNTest.testInvalidSequenceLengthShape, testInvalidDtype | test_invalid_dtype_and_sequence_length   |
| R RNNTest.testBatchSizeFromInput, testScalarStateIsAccepted, testUnbalancedOutputIsAccepted, testTensorArrayStateIsAccepted | rnn.py, user cell (also test_custom_cell_weights_tracked) |
| R RNNTest.testEagerMemory                             | n/a: eager-only                             |
| R RNNTest.testCellGetInitialState                     | test_get_initial_state, test_get_initial_state_checks |
| R RNNTest.testCellsBuild                              | test_cells_build                            |
| R RNNTest.testBasicLSTMCellInterchangeWithLSTMCell    | test_basic_lstm_checkpoint_restores_into_lstm_cell |
| R BenchmarkRNN.*                                      | n/a: benchmarks, not tests (scripts/bench.py --part rnn) |

Ours beyond those files: test_lstm_state_tuple, test_lstm_cell_peepholes_clip_proj
(NumPy values), test_dropout_state_filter, test_second_cell_existing_variables_fails,
test_cell_keeps_first_scope, test_custom_cell_weights_tracked, test_zero_state,
test_tf_accepts_our_cells, test_checkpoint_crosses_implementations,
test_install_import_forms.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from tf_compat_bn import rnn_cell

v1 = tf.compat.v1
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ORACLE_PYTHON = os.path.join(ROOT, '.venv-oracle', 'bin', 'python')

pytestmark = pytest.mark.filterwarnings('ignore::UserWarning')


def _sigmoid(z):
  return 1.0 / (1.0 + np.exp(-z))


def _run(fetches, feed=None):
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    return sess.run(fetches, feed)


def _rand(*shape, seed=0):
  return np.random.RandomState(seed).normal(size=shape)


def _uniform_scope(name='root'):
  return v1.variable_scope(name, initializer=v1.random_uniform_initializer(
      -0.5, 0.5, seed=1))


def _np_lstm(x, c, h, kernel, bias, forget_bias=1.0, peep=None,
             cell_clip=None, proj=None, proj_clip=None):
  z = np.concatenate([x, h], 1) @ kernel + bias
  i, j, f, o = np.split(z, 4, axis=1)
  if peep is None:
    new_c = _sigmoid(f + forget_bias) * c + _sigmoid(i) * np.tanh(j)
  else:
    wf, wi, wo = peep
    new_c = (_sigmoid(f + forget_bias + wf * c) * c +
             _sigmoid(i + wi * c) * np.tanh(j))
  if cell_clip is not None:
    new_c = np.clip(new_c, -cell_clip, cell_clip)
  if peep is None:
    m = _sigmoid(o) * np.tanh(new_c)
  else:
    m = _sigmoid(o + peep[2] * new_c) * np.tanh(new_c)
  if proj is not None:
    m = m @ proj
    if proj_clip is not None:
      m = np.clip(m, -proj_clip, proj_clip)
  return new_c, m


def test_basic_rnn_cell():
  with tf.Graph().as_default(), _uniform_scope():
    x, h = _rand(2, 3), _rand(2, 4, seed=1)
    cell = rnn_cell.BasicRNNCell(4)
    out, state = cell(tf.constant(x), tf.constant(h))
    assert out is state
    assert [v.name for v in cell.trainable_weights] == [
        'root/basic_rnn_cell/kernel:0', 'root/basic_rnn_cell/bias:0']
    got, kernel, bias = _run([out, cell.weights[0], cell.weights[1]])
  want = np.tanh(np.concatenate([x, h], 1) @ kernel + bias)
  np.testing.assert_allclose(got, want, rtol=1e-12)
  assert not bias.any()


def test_not_trainable():
  with tf.Graph().as_default():
    cell = rnn_cell.BasicRNNCell(2, trainable=False)
    cell(tf.zeros([1, 3]), tf.zeros([1, 2]))
    assert cell.trainable_weights == []
    assert len(cell.non_trainable_weights) == 2
    assert v1.trainable_variables() == []


def test_gru_cell():
  with tf.Graph().as_default(), _uniform_scope():
    x, h = _rand(2, 3), _rand(2, 4, seed=1)
    cell = rnn_cell.GRUCell(4)
    out, state = cell(tf.constant(x), tf.constant(h))
    assert [v.name for v in cell.weights] == [
        'root/gru_cell/gates/kernel:0', 'root/gru_cell/gates/bias:0',
        'root/gru_cell/candidate/kernel:0', 'root/gru_cell/candidate/bias:0']
    got, (gk, gb, ck, cb) = _run([out, cell.weights])
  np.testing.assert_allclose(gb, 1.0)
  r, u = np.split(_sigmoid(np.concatenate([x, h], 1) @ gk + gb), 2, axis=1)
  c = np.tanh(np.concatenate([x, r * h], 1) @ ck + cb)
  np.testing.assert_allclose(got, u * h + (1 - u) * c, rtol=1e-12)


@pytest.mark.parametrize('state_is_tuple', [True, False])
def test_basic_lstm_cell(state_is_tuple):
  with tf.Graph().as_default(), _uniform_scope():
    x, c, h = _rand(2, 3), _rand(2, 4, seed=1), _rand(2, 4, seed=2)
    cell = rnn_cell.BasicLSTMCell(4, forget_bias=0.5,
                                  state_is_tuple=state_is_tuple)
    state = (rnn_cell.LSTMStateTuple(tf.constant(c), tf.constant(h))
             if state_is_tuple else tf.constant(np.concatenate([c, h], 1)))
    out, new_state = cell(tf.constant(x), state)
    got_out, got_state, (kernel, bias) = _run([out, new_state, cell.weights])
  new_c, new_h = _np_lstm(x, c, h, kernel, bias, forget_bias=0.5)
  np.testing.assert_allclose(got_out, new_h, rtol=1e-12)
  if state_is_tuple:
    assert isinstance(new_state, rnn_cell.LSTMStateTuple)
    np.testing.assert_allclose(got_state.c, new_c, rtol=1e-12)
  else:
    np.testing.assert_allclose(got_state, np.concatenate([new_c, new_h], 1),
                               rtol=1e-12)


def test_lstm_state_tuple():
  with tf.Graph().as_default():
    t = rnn_cell.LSTMStateTuple(tf.zeros([1]), tf.ones([1]))
    assert t.dtype == tf.float32 and t.c is t[0] and t.h is t[1]
    with pytest.raises(TypeError, match='Inconsistent dtypes'):
      rnn_cell.LSTMStateTuple(tf.zeros([1]), tf.zeros([1], tf.float64)).dtype
    cell = rnn_cell.BasicLSTMCell(3)
    assert cell.state_size == rnn_cell.LSTMStateTuple(3, 3)
    zero = cell.zero_state(2, tf.float32)
    assert isinstance(zero, rnn_cell.LSTMStateTuple)


def test_lstm_cell_peepholes_clip_proj():
  with tf.Graph().as_default(), _uniform_scope():
    x, c, m = _rand(2, 3), _rand(2, 6, seed=1), _rand(2, 2, seed=2)
    cell = rnn_cell.LSTMCell(6, use_peepholes=True, cell_clip=0.4,
                             num_proj=2, proj_clip=0.1, forget_bias=0.0)
    assert cell.state_size == (6, 2) and cell.output_size == 2
    out, state = cell(tf.constant(x),
                      rnn_cell.LSTMStateTuple(tf.constant(c), tf.constant(m)))
    got_out, got_state, weights = _run([out, state, cell.weights])
  kernel, bias, wf, wi, wo, proj = weights
  new_c, new_m = _np_lstm(x, c, m, kernel, bias, forget_bias=0.0,
                          peep=(wf, wi, wo), cell_clip=0.4, proj=proj,
                          proj_clip=0.1)
  np.testing.assert_allclose(got_out, new_m, rtol=1e-12)
  np.testing.assert_allclose(got_state.c, new_c, rtol=1e-12)
  assert np.abs(got_state.c).max() <= 0.4 and np.abs(got_out).max() <= 0.1


def test_lstm_variables():
  with tf.Graph().as_default():
    cell = rnn_cell.LSTMCell(4, use_peepholes=True, num_proj=2)
    v1.nn.dynamic_rnn(cell, tf.zeros([1, 2, 3]), dtype=tf.float32)
    assert [(v.name, v.shape.as_list()) for v in v1.global_variables()] == [
        ('rnn/lstm_cell/kernel:0', [5, 16]), ('rnn/lstm_cell/bias:0', [16]),
        ('rnn/lstm_cell/w_f_diag:0', [4]), ('rnn/lstm_cell/w_i_diag:0', [4]),
        ('rnn/lstm_cell/w_o_diag:0', [4]),
        ('rnn/lstm_cell/projection/kernel:0', [4, 2])]


def test_sharded():
  with tf.Graph().as_default():
    cell = rnn_cell.LSTMCell(4, num_unit_shards=2)
    v1.nn.dynamic_rnn(cell, tf.zeros([1, 2, 3]), dtype=tf.float32)
    names = [v.name for v in v1.global_variables()]
    assert names == ['rnn/lstm_cell/kernel/part_0:0',
                     'rnn/lstm_cell/kernel/part_1:0', 'rnn/lstm_cell/bias:0']
    # As the reference: the parts are listed as non-trainable weights.
    assert [w.name for w in cell.trainable_weights] == names[2:]


@pytest.mark.parametrize('state_is_tuple', [True, False])
def test_multi_rnn_cell(state_is_tuple):
  with tf.Graph().as_default(), _uniform_scope():
    x = _rand(2, 3)
    cells = [rnn_cell.GRUCell(4), rnn_cell.BasicRNNCell(2)]
    cell = rnn_cell.MultiRNNCell(cells, state_is_tuple=state_is_tuple)
    assert cell.state_size == ((4, 2) if state_is_tuple else 6)
    assert cell.output_size == 2
    zero = cell.zero_state(2, tf.float64)
    out, state = cell(tf.constant(x), zero)
    assert [v.name for v in cell.trainable_weights] == [
        'root/multi_rnn_cell/cell_0/gru_cell/gates/kernel:0',
        'root/multi_rnn_cell/cell_0/gru_cell/gates/bias:0',
        'root/multi_rnn_cell/cell_0/gru_cell/candidate/kernel:0',
        'root/multi_rnn_cell/cell_0/gru_cell/candidate/bias:0',
        'root/multi_rnn_cell/cell_1/basic_rnn_cell/kernel:0',
        'root/multi_rnn_cell/cell_1/basic_rnn_cell/bias:0']
    got, got_state, (gk, gb, ck, cb, k, b) = _run(
        [out, state, cell.trainable_weights])
  r, u = np.split(_sigmoid(np.concatenate([x, np.zeros((2, 4))], 1) @ gk
                           + gb), 2, axis=1)
  h0 = (1 - u) * np.tanh(np.concatenate([x, np.zeros((2, 4))], 1) @ ck + cb)
  h1 = np.tanh(np.concatenate([h0, np.zeros((2, 2))], 1) @ k + b)
  np.testing.assert_allclose(got, h1, rtol=1e-12)
  flat = (np.concatenate(got_state, 1) if state_is_tuple else got_state)
  np.testing.assert_allclose(flat, np.concatenate([h0, h1], 1), rtol=1e-12)


def test_residual_wrapper():
  with tf.Graph().as_default():
    x, h = _rand(2, 3), _rand(2, 3, seed=1)
    inner = rnn_cell.GRUCell(3)
    cell = rnn_cell.ResidualWrapper(inner)
    out, state = cell(tf.constant(x), tf.constant(h))
    plain, _ = inner(tf.constant(x), tf.constant(h))
    got_out, got_state, got_plain = _run([out, state, plain])
  np.testing.assert_allclose(got_out, got_plain + x, rtol=1e-12)
  np.testing.assert_allclose(got_state, got_plain, rtol=1e-12)
  with tf.Graph().as_default():
    cell = rnn_cell.ResidualWrapper(rnn_cell.GRUCell(3),
                                    residual_fn=lambda i, o: o - i)
    out, _ = cell(tf.constant(x), tf.constant(h))
    assert out.op.type == 'Sub'


def test_device_wrapper():
  with tf.Graph().as_default():
    cell = rnn_cell.DeviceWrapper(rnn_cell.GRUCell(3), '/cpu:14')
    out, _ = cell(tf.zeros([1, 2]), tf.zeros([1, 3]))
    assert '/device:CPU:14' in out.device
    zero = cell.zero_state(1, tf.float32)
    assert '/device:CPU:14' in zero.device
    assert zero.name.startswith('DeviceWrapperZeroState/')


def _dropout_run(**kwargs):
  with tf.Graph().as_default():
    x = np.ones((3, 4))
    inner = rnn_cell.BasicLSTMCell(4, forget_bias=0.0)
    cell = rnn_cell.DropoutWrapper(inner, seed=1, **kwargs)
    state = rnn_cell.LSTMStateTuple(tf.constant(np.ones((3, 4))),
                                    tf.constant(np.ones((3, 4))))
    out, new_state = cell(tf.constant(x), state)
    plain, plain_state = inner(tf.constant(x), state)
    return _run([out, new_state, plain, plain_state])


def test_dropout_keep_all():
  out, state, plain, plain_state = _dropout_run()
  np.testing.assert_allclose(out, plain, rtol=1e-12)
  np.testing.assert_allclose(state.c, plain_state.c, rtol=1e-12)


def test_dropout_keep_none():
  out, state, _, plain_state = _dropout_run(output_keep_prob=1e-10,
                                            state_keep_prob=1e-10)
  assert not out.any()
  # The default filter never drops the LSTM memory `c`, only `h`.
  np.testing.assert_allclose(state.c, plain_state.c, rtol=1e-12)
  assert not state.h.any()


def test_dropout_state_filter():
  out, state, _, _ = _dropout_run(
      state_keep_prob=1e-10,
      dropout_state_filter_visitor=lambda s: (
          rnn_cell.LSTMStateTuple(c=True, h=False)
          if isinstance(s, rnn_cell.LSTMStateTuple) else True))
  assert not state.c.any() and state.h.all()
  del out
  with pytest.raises(TypeError, match='must be callable'):
    rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2),
                            dropout_state_filter_visitor=1)


def test_variational_same_mask_every_step():
  with tf.Graph().as_default():
    cell = rnn_cell.DropoutWrapper(
        rnn_cell.BasicRNNCell(6, activation=lambda z: tf.ones_like(z)),
        output_keep_prob=0.5, variational_recurrent=True, dtype=tf.float32,
        seed=3)
    outputs, _ = v1.nn.dynamic_rnn(cell, tf.ones([1, 5, 2]),
                                   dtype=tf.float32)
    got = _run(outputs)
  assert set(np.unique(got)) <= {0.0, 2.0}
  for t in range(1, 5):
    np.testing.assert_array_equal(got[:, t], got[:, 0])
  with pytest.raises(ValueError, match='dtype must be provided'):
    rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), variational_recurrent=True)


def test_second_cell_existing_variables_fails():
  with tf.Graph().as_default():
    x = tf.zeros([1, 2, 3])
    v1.nn.dynamic_rnn(rnn_cell.LSTMCell(2), x, dtype=tf.float32, scope='r')
    with pytest.raises(ValueError, match='already exists'):
      v1.nn.dynamic_rnn(rnn_cell.LSTMCell(2), x, dtype=tf.float32,
                        scope='r')
    # With reuse=True the second cell shares the variables.
    v1.nn.dynamic_rnn(rnn_cell.LSTMCell(2, reuse=True), x,
                      dtype=tf.float32, scope='r')
    assert len(v1.global_variables()) == 2


def test_cell_keeps_first_scope():
  with tf.Graph().as_default():
    cell = rnn_cell.GRUCell(2)
    with v1.variable_scope('first'):
      cell(tf.zeros([1, 3]), tf.zeros([1, 2]))
    with v1.variable_scope('second'):
      cell(tf.zeros([1, 3]), tf.zeros([1, 2]))
    assert all(v.name.startswith('first/gru_cell/')
               for v in v1.global_variables())
    assert len(v1.global_variables()) == 4


class GetVariableCell(rnn_cell.RNNCell):

  @property
  def state_size(self):
    return 2

  @property
  def output_size(self):
    return 2

  def call(self, inputs, state):
    w = v1.get_variable('w', [inputs.shape[-1] + 2, 2])
    s = v1.get_variable('s', [], trainable=False,
                        initializer=v1.ones_initializer())
    out = tf.matmul(tf.concat([inputs, state], 1), w) * s
    return out, out


def test_custom_cell_weights_tracked():
  with tf.Graph().as_default():
    cell = GetVariableCell()
    outputs, _ = v1.nn.static_rnn(cell, [tf.ones([1, 3])] * 3,
                                  dtype=tf.float32)
    assert [w.name for w in cell.trainable_weights] == [
        'rnn/get_variable_cell/w:0']
    assert [w.name for w in cell.non_trainable_weights] == [
        'rnn/get_variable_cell/s:0']
    assert len(v1.global_variables()) == 2 and len(outputs) == 3


def test_zero_state():
  with tf.Graph().as_default():
    cell = rnn_cell.MultiRNNCell([rnn_cell.LSTMCell(3, num_proj=2),
                                  rnn_cell.GRUCell(4)])
    batch = v1.placeholder(tf.int32, [])
    zero = cell.zero_state(batch, tf.float64)
    assert [t.shape.as_list() for t in tf.nest.flatten(zero)] == [
        [None, 3], [None, 2], [None, 4]]
    assert zero[0].c.name.startswith('MultiRNNCellZeroState/LSTMCellZeroState')
    got = _run(zero, {batch: 5})
    assert [a.shape for a in tf.nest.flatten(got)] == [(5, 3), (5, 2), (5, 4)]
    assert all(a.dtype == np.float64 and not a.any()
               for a in tf.nest.flatten(got))


def test_get_initial_state():
  with tf.Graph().as_default():
    cell = rnn_cell.GRUCell(4)
    state = cell.get_initial_state(inputs=tf.zeros([3, 2], tf.float64))
    assert state.shape.as_list() == [3, 4] and state.dtype == tf.float64
    with pytest.raises(ValueError, match='batch size from input tensor'):
      cell.get_initial_state(inputs=tf.zeros([3, 2]), batch_size=2)
    with pytest.raises(ValueError, match='cannot be None'):
      cell.get_initial_state()


def test_tf_accepts_our_cells():
  from tensorflow.python.ops import rnn_cell_impl  # pylint: disable=g-import-not-at-top
  with tf.Graph().as_default():
    for cell in (rnn_cell.LSTMCell(2), rnn_cell.MultiRNNCell(
        [rnn_cell.GRUCell(2)]), rnn_cell.DropoutWrapper(
            rnn_cell.BasicRNNCell(2))):
      rnn_cell_impl.assert_like_rnncell('cell', cell)
      rnn_cell.assert_like_rnncell('cell', cell)
  with pytest.raises(TypeError, match='is not an RNNCell'):
    rnn_cell.assert_like_rnncell('cell', object())


def test_raw_rnn():
  with tf.Graph().as_default():
    inputs = tf.constant(_rand(4, 2, 3), tf.float32)
    ta = tf.TensorArray(tf.float32, size=4).unstack(inputs)
    cell = rnn_cell.LSTMCell(3)

    def loop_fn(time, cell_output, cell_state, loop_state):
      del loop_state
      if cell_output is None:
        cell_state = cell.zero_state(2, tf.float32)
      finished = time >= 4
      nxt = tf.cond(finished, lambda: tf.zeros([2, 3]),
                    lambda: ta.read(tf.minimum(time, 3)))
      return finished, nxt, cell_state, cell_output, None

    outputs_ta, final_state, _ = v1.nn.raw_rnn(cell, loop_fn)
    raw = outputs_ta.stack()
    dyn, dyn_state = v1.nn.dynamic_rnn(cell, inputs, time_major=True,
                                       dtype=tf.float32)
    got_raw, got_dyn, s_raw, s_dyn = _run([raw, dyn, final_state, dyn_state])
  np.testing.assert_allclose(got_raw, got_dyn, rtol=1e-6)
  np.testing.assert_allclose(s_raw.h, s_dyn.h, rtol=1e-6)


def _checkpoint_run(python, mode, impl, prefix, out):
  result = subprocess.run(
      [python, os.path.join(HERE, 'rnn_cases.py'), mode, impl, prefix, out],
      capture_output=True, text=True, timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  return np.load(out)


@pytest.mark.skipif(not os.path.exists(ORACLE_PYTHON),
                    reason='needs the TF 2.12.1 environment .venv-oracle '
                           '(scripts/setup_envs.sh oracle)')
@pytest.mark.parametrize('direction', ['native_2_12_to_ours_here',
                                       'ours_here_to_native_2_12'])
def test_checkpoint_crosses_implementations(direction, tmp_path):
  """A stacked LSTM/GRU trained with the reference on TF 2.12.1 restores
  into ours on this TF with the same outputs, and the other way round."""
  prefix = str(tmp_path / 'ckpt')
  native, ours = (ORACLE_PYTHON, 'native'), (sys.executable, 'ours')
  writer, reader = ((native, ours) if direction.startswith('native')
                    else (ours, native))
  trained = _checkpoint_run(writer[0], 'train', writer[1], prefix,
                            str(tmp_path / 'a.npy'))
  restored = _checkpoint_run(reader[0], 'infer', reader[1], prefix,
                             str(tmp_path / 'b.npy'))
  np.testing.assert_allclose(restored, trained, rtol=1e-5, atol=1e-6)


_INSTALL_SCRIPT = textwrap.dedent('''
    import sys
    sys.path.insert(0, {root!r})
    import tensorflow as tf
    import importlib
    inst = importlib.import_module('tf_compat_bn.install')
    from tf_compat_bn import rnn_cell
    before = vars(sys.modules['tensorflow.python.ops.rnn_cell_impl'])[
        'LSTMCell']
    rnn_cell.install_rnn_cell(inst._patch)
    assert tf.compat.v1.nn.rnn_cell.LSTMCell is rnn_cell.LSTMCell
    import tensorflow.compat.v1 as tf1
    assert tf1.nn.rnn_cell.GRUCell is rnn_cell.GRUCell
    from tensorflow.compat.v1.nn.rnn_cell import LSTMStateTuple, MultiRNNCell
    assert MultiRNNCell is rnn_cell.MultiRNNCell
    assert LSTMStateTuple is rnn_cell.LSTMStateTuple
    from tensorflow.compat.v1.nn import rnn_cell as ns
    assert ns.DropoutWrapper is rnn_cell.DropoutWrapper
    from tensorflow.python.ops import rnn_cell_impl
    assert rnn_cell_impl.LayerRNNCell is rnn_cell.LayerRNNCell
    assert rnn_cell_impl.LSTMCell is rnn_cell.LSTMCell
    with tf.Graph().as_default():
      cell = tf1.nn.rnn_cell.MultiRNNCell(
          [tf1.nn.rnn_cell.LSTMCell(3) for _ in range(2)])
      tf1.nn.dynamic_rnn(cell, tf.zeros([1, 2, 3]), dtype=tf.float32)
      names = [v.name for v in tf1.global_variables()]
      assert names[0] == 'rnn/multi_rnn_cell/cell_0/lstm_cell/kernel:0', names
    assert 'keras' not in ''.join(
        m.split('.')[0] for m in sys.modules if m.startswith('tf_keras'))
    inst.uninstall()
    assert vars(sys.modules['tensorflow.python.ops.rnn_cell_impl'])[
        'LSTMCell'] is before
    assert sys.modules.get('tensorflow.compat.v1.nn.rnn_cell') is not ns
    print('OK')
''')


def test_install_import_forms():
  result = subprocess.run(
      [sys.executable, '-c', _INSTALL_SCRIPT.format(root=ROOT)],
      capture_output=True, text=True, timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip().endswith('OK')


# --------------------------------------------------------------------------
# Behaviours of TF's rnn_cell_test.py / rnn_test.py not covered above.
# --------------------------------------------------------------------------
def _const_scope(name='root', value=0.5):
  return v1.variable_scope(name, initializer=v1.constant_initializer(value))


def _np_gru(x, h, gk, gb, ck, cb):
  r, u = np.split(_sigmoid(np.concatenate([x, h], 1) @ gk + gb), 2, axis=1)
  c = np.tanh(np.concatenate([x, r * h], 1) @ ck + cb)
  return u * h + (1 - u) * c


@pytest.mark.parametrize('input_size,want', [(2, 0.175991), (3, 0.156736)])
def test_gru_cell_constant_init(input_size, want):
  # testGRUCell: kernels 0.5 from the scope; the biases keep their own
  # defaults (gates 1.0, candidate 0.0).
  with tf.Graph().as_default(), _const_scope():
    x, h = np.ones((1, input_size)), np.full((1, 2), 0.1)
    got = _run(rnn_cell.GRUCell(2)(tf.constant(x), tf.constant(h))[0])
  half = lambda *s: np.full(s, 0.5)  # noqa: E731
  expected = _np_gru(x, h, half(input_size + 2, 4), np.ones(4),
                     half(input_size + 2, 2), np.zeros(2))
  np.testing.assert_allclose(got, expected, rtol=1e-12)
  np.testing.assert_allclose(got, [[want, want]], rtol=1e-5)


@pytest.mark.parametrize('dtype', [tf.float16, tf.float32])
def test_multi_basic_lstm_concatenated_states(dtype):
  # testBasicLSTMCell: two BasicLSTMCells, concatenated states, fp16/fp32.
  with tf.Graph().as_default(), _const_scope():
    np_dtype = dtype.as_numpy_dtype
    x = v1.placeholder(dtype, [1, 2])
    m = v1.placeholder(dtype, [1, 8])
    cell = rnn_cell.MultiRNNCell(
        [rnn_cell.BasicLSTMCell(2, state_is_tuple=False) for _ in range(2)],
        state_is_tuple=False)
    assert cell.dtype is None
    cell.get_config()
    out, new_m = cell(x, m)
    assert cell.dtype == dtype.name
    names = [f'root/multi_rnn_cell/cell_{i}/basic_lstm_cell/{w}:0'
             for i in range(2) for w in ('kernel', 'bias')]
    assert [v.name for v in cell.trainable_variables] == names
    assert not cell.non_trainable_variables
    assert [v.name for v in v1.global_variables()] == names
    got, got_m = _run([out, new_m], {x: np.ones((1, 2), np_dtype),
                                     m: np.full((1, 8), 0.1, np_dtype)})
  assert got.dtype == np_dtype and got_m.dtype == np_dtype
  kernel, bias = np.full((4, 8), 0.5), np.zeros(8)  # biases start at 0
  c0, h0 = _np_lstm(np.ones((1, 2)), np.full((1, 2), 0.1),
                    np.full((1, 2), 0.1), kernel, bias)
  c1, h1 = _np_lstm(h0, np.full((1, 2), 0.1), np.full((1, 2), 0.1), kernel,
                    bias)
  tol = 1e-2 if dtype == tf.float16 else 1e-6
  np.testing.assert_allclose(got, h1, rtol=tol)
  np.testing.assert_allclose(got_m, np.concatenate([c0, h0, c1, h1], 1),
                             rtol=tol)
  # The figures TF's test checks.
  np.testing.assert_allclose(
      got_m, [[0.689, 0.689, 0.448, 0.448, 0.398, 0.398, 0.240, 0.240]],
      rtol=1e-2)


def test_multi_basic_lstm_tuple_of_concatenated_states():
  # testBasicLSTMCellWithStateTuple: the same numbers, states as a tuple.
  with tf.Graph().as_default(), _const_scope():
    cell = rnn_cell.MultiRNNCell(
        [rnn_cell.BasicLSTMCell(2, state_is_tuple=False) for _ in range(2)],
        state_is_tuple=True)
    m = 0.1 * np.ones((1, 4))
    out, (m0, m1) = cell(tf.constant(np.ones((1, 2))),
                         (tf.constant(m), tf.constant(m)))
    got, got0, got1 = _run([out, m0, m1])
  np.testing.assert_allclose(got, [[0.24024698, 0.24024698]], rtol=1e-6)
  np.testing.assert_allclose(
      got0, [[0.68967271, 0.68967271, 0.44848421, 0.44848421]], rtol=1e-6)
  np.testing.assert_allclose(
      got1, [[0.39897051, 0.39897051, 0.24024698, 0.24024698]], rtol=1e-6)


def test_basic_lstm_bad_shapes_fail():
  # testBasicLSTMCellDimension0Error, testBasicLSTMCellStateSizeError.
  with tf.Graph().as_default():
    with pytest.raises(ValueError):
      rnn_cell.BasicLSTMCell(2, state_is_tuple=False)(tf.zeros([3, 4]),
                                                      tf.zeros([2, 4]))
  with tf.Graph().as_default():
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError)):
      out, state = rnn_cell.BasicLSTMCell(2, state_is_tuple=False)(
          tf.zeros([3, 4]), tf.zeros([3, 6]))
      _run([out, state])


def test_multi_rnn_cell_state_tuple_tuples():
  # testBasicLSTMCellStateTupleType / testMultiRNNCellWithStateTuple.
  with tf.Graph().as_default(), _const_scope():
    x = tf.zeros([1, 2])
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(2)
                                  for _ in range(2)])
    assert all(isinstance(s, rnn_cell.LSTMStateTuple)
               for s in cell.state_size)
    plain = ((tf.zeros([1, 2]),) * 2,) * 2
    _, state = cell(x, plain)
    assert all(isinstance(s, rnn_cell.LSTMStateTuple) for s in state)
    v1.get_variable_scope().reuse_variables()
    _, state = cell(x, cell.zero_state(1, tf.float32))
    assert all(isinstance(s, rnn_cell.LSTMStateTuple) for s in state)
  with tf.Graph().as_default(), _const_scope():
    with pytest.raises(ValueError, match='Expected state .* a tuple'):
      rnn_cell.MultiRNNCell([rnn_cell.GRUCell(2) for _ in range(2)])(
          tf.zeros([1, 2]), tf.zeros([1, 4]))
    cell = rnn_cell.MultiRNNCell([rnn_cell.GRUCell(2) for _ in range(2)])
    _, state = cell(tf.constant([[1., 1.]]),
                    (tf.fill([1, 2], 0.1), tf.fill([1, 2], 0.1)))
    got = _run(state)
    assert len(cell.weights) == 8
  np.testing.assert_allclose(got[0], [[0.175991, 0.175991]], rtol=1e-5)
  np.testing.assert_allclose(got[1], [[0.13248, 0.13248]], rtol=1e-4)


def test_lstm_cell_projection_concatenated_state():
  # testLSTMCell / testLSTMCellVariables: projection, concatenated state.
  with tf.Graph().as_default(), _const_scope():
    cell = rnn_cell.LSTMCell(8, num_proj=6, state_is_tuple=False)
    x = np.array([[1., 1.], [2., 2.], [3., 3.]])
    out, state = cell(tf.constant(x, tf.float32), tf.fill([3, 14], 0.1))
    assert [v.op.name for v in v1.global_variables()] == [
        'root/lstm_cell/kernel', 'root/lstm_cell/bias',
        'root/lstm_cell/projection/kernel']
    got, got_state = _run([out, state])
  c, m = _np_lstm(x, np.full((3, 8), 0.1), np.full((3, 6), 0.1),
                  np.full((8, 32), 0.5), np.zeros(32),
                  proj=np.full((8, 6), 0.5))
  np.testing.assert_allclose(got, m, rtol=1e-5)
  np.testing.assert_allclose(got_state, np.concatenate([c, m], 1), rtol=1e-5)
  assert np.linalg.norm(got[0] - got[1]) > 1e-6


@pytest.mark.parametrize('dtype', [None, tf.float16, tf.float64])
def test_lstm_cell_dtype(dtype):
  # LSTMTest.testDType (GitHub issue 16228).
  with tf.Graph().as_default():
    cell = rnn_cell.LSTMCell(10, dtype=dtype)
    cell.build(tf.TensorShape([10, 50]))
    assert cell._bias.dtype.base_dtype == (dtype or tf.float32)  # pylint: disable=protected-access


def test_lstm_cell_clip_zero_gives_zero_output():
  # LSTMTest.testCellClipping.
  with tf.Graph().as_default():
    cell = rnn_cell.LSTMCell(3, use_peepholes=True, cell_clip=0.0,
                             state_is_tuple=False,
                             initializer=v1.random_uniform_initializer(
                                 -0.01, 0.01, seed=1))
    outputs, _ = v1.nn.static_rnn(cell, [tf.constant(_rand(2, 5), tf.float32)]
                                  * 4, dtype=tf.float32)
    got = _run(outputs)
  assert not np.any(got)


def test_sharded_equals_unsharded():
  # LSTMTest.testShardNoShardEquivalentOutput.
  with tf.Graph().as_default():
    x = tf.constant(_rand(2, 5), tf.float32)
    outs = []
    for scope, shards in (('noshard', 1), ('shard', 2)):
      with v1.variable_scope(scope):
        cell = rnn_cell.LSTMCell(
            3, num_proj=4, use_peepholes=True, num_unit_shards=shards,
            num_proj_shards=shards + 1 if shards > 1 else 1,
            initializer=v1.constant_initializer(0.001), state_is_tuple=False)
        outs.append(v1.nn.static_rnn(cell, [x] * 3, dtype=tf.float32))
    (o0, s0), (o1, s1) = _run(outs)
  np.testing.assert_allclose(o0, o1, rtol=1e-6, atol=1e-7)
  np.testing.assert_allclose(s0, s1, rtol=1e-6, atol=1e-7)


def test_static_dynamic_and_weight_sharing():
  # testDynamicRNNWithTupleStates, testDynamicEquivalentToStaticRNN
  # (WithSequenceLength), testSharingWeightsWithReuse and
  # ...WithDifferentNamescope: static and dynamic unrolls of one cell agree
  # (outputs, states, gradients); reuse shares, another cell differs.
  with tf.Graph().as_default():
    inputs = tf.constant(_rand(6, 2, 5), tf.float32)
    cell = rnn_cell.LSTMCell(3, use_peepholes=True, num_proj=4,
                             initializer=v1.random_uniform_initializer(
                                 -0.5, 0.5, seed=7))
    lengths = [4, 6]
    with v1.variable_scope('root') as scope:
      static, s_state = v1.nn.static_rnn(cell, tf.unstack(inputs),
                                         sequence_length=lengths,
                                         dtype=tf.float32, scope=scope)
      scope.reuse_variables()
      with tf.name_scope('other'):
        dynamic, d_state = v1.nn.dynamic_rnn(cell, inputs, time_major=True,
                                             sequence_length=lengths,
                                             dtype=tf.float32, scope=scope)
    assert isinstance(s_state, rnn_cell.LSTMStateTuple)
    assert isinstance(d_state, rnn_cell.LSTMStateTuple)
    assert s_state[0] is s_state.c and d_state[1] is d_state.h
    other = rnn_cell.LSTMCell(3, use_peepholes=True, num_proj=4,
                              initializer=v1.random_uniform_initializer(
                                  -0.5, 0.5, seed=8))
    with v1.variable_scope('diff'):
      diff, _ = v1.nn.dynamic_rnn(other, inputs, time_major=True,
                                  dtype=tf.float32)
    weights = [v for v in v1.trainable_variables()
               if v.name.startswith('root/')]
    assert len(weights) == 6
    g_s = tf.gradients(static + list(s_state), [inputs] + weights)
    g_d = tf.gradients([dynamic] + list(d_state), [inputs] + weights)
    got = _run([tf.stack(static), dynamic, s_state, d_state, g_s, g_d, diff])
  st, dy, ss, ds, gs, gd, df = got
  np.testing.assert_allclose(st, dy, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(np.hstack(ss), np.hstack(ds), rtol=1e-5)
  for a, b in zip(gs, gd):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
  assert not st[5:, 0].any()          # past the first sequence's length
  assert np.linalg.norm(dy - df) > 1e-3


@pytest.mark.parametrize('time_major', [True, False])
def test_bidirectional_same_cells_mirror(time_major):
  # BidirectionalRNNTest.testBidirectionalDynamicRNN (and static): equal
  # fw / bw cells give time-reversed outputs and equal final states.
  with tf.Graph().as_default():
    init = v1.random_uniform_initializer(-0.5, 0.5, seed=5)
    x = np.repeat(_rand(1, 2, 5), 8, axis=0)  # the same input every step
    inputs = tf.constant(x if time_major else x.transpose(1, 0, 2),
                         tf.float32)
    fw, bw = (rnn_cell.LSTMCell(3, initializer=init) for _ in range(2))
    (out_fw, out_bw), (s_fw, s_bw) = v1.nn.bidirectional_dynamic_rnn(
        fw, bw, inputs, sequence_length=[2, 3], dtype=tf.float32,
        time_major=time_major)
    names = [v.name for v in v1.global_variables()]
    assert names[0].startswith('bidirectional_rnn/fw/lstm_cell/')
    assert names[-1].startswith('bidirectional_rnn/bw/lstm_cell/')
    got_fw, got_bw, sf, sb = _run([out_fw, out_bw, s_fw, s_bw])
  if not time_major:
    got_fw, got_bw = got_fw.swapaxes(0, 1), got_bw.swapaxes(0, 1)
  for b, length in enumerate([2, 3]):
    for t in range(length):
      np.testing.assert_allclose(got_fw[t, b], got_bw[length - 1 - t, b],
                                 rtol=1e-6)
  np.testing.assert_allclose(np.hstack(sf), np.hstack(sb), rtol=1e-6)


def test_residual_wrapper_with_slice():
  # testResidualWrapperWithSlice.
  with tf.Graph().as_default():
    x, m = np.ones((1, 5)), np.full((1, 3), 0.1)
    base = rnn_cell.GRUCell(3, kernel_initializer=v1.constant_initializer(0.5),
                            bias_initializer=v1.constant_initializer(0.5))
    g, m_new = base(tf.constant(x), tf.constant(m))
    g_res, m_res = rnn_cell.ResidualWrapper(
        base, lambda i, o: tf.slice(i, [0, 0], [-1, 3]) + o)(
            tf.constant(x), tf.constant(m))
    got = _run([g, g_res, m_new, m_res])
  np.testing.assert_allclose(got[1], got[0] + 1.0, rtol=1e-12)
  np.testing.assert_allclose(got[3], got[2], rtol=1e-12)


def test_wrappers_config_round_trip():
  # testDeviceWrapperSerialization, testResidualWrapperSerialization,
  # testDropoutWrapperSerialization.
  cell = rnn_cell.LSTMCell(10)

  def rebuild(wrapper):
    config = wrapper.get_config()
    copy = dict(config)
    copy['cell'] = rnn_cell.LSTMCell.from_config(copy['cell']['config'])
    return config, type(wrapper).from_config(copy)

  for wrapper in (rnn_cell.DeviceWrapper(cell, '/cpu:0'),
                  rnn_cell.ResidualWrapper(cell),
                  rnn_cell.DropoutWrapper(cell)):
    config, rebuilt = rebuild(wrapper)
    assert isinstance(rebuilt, type(wrapper))
    assert rebuilt.get_config() == config

  def times3(inputs, outputs):
    return inputs * 3 + outputs

  for fn, want in ((lambda i, o: i + i + o, 4), (times3, 5)):
    _, rebuilt = rebuild(rnn_cell.ResidualWrapper(cell, residual_fn=fn))
    assert rebuilt._residual_fn(1, 2) == want  # pylint: disable=protected-access

  def never(unused_state):
    return False

  for fn, want in ((lambda s: True, True), (never, False)):
    _, rebuilt = rebuild(rnn_cell.DropoutWrapper(
        cell, dropout_state_filter_visitor=fn))
    assert rebuilt._dropout_state_filter(None) is want  # pylint: disable=protected-access


def test_dropout_wrapper_properties_and_zero_state():
  # testDropoutWrapperProperties (GitHub issue 15810), ...ZeroState.
  cell = rnn_cell.BasicRNNCell(10)
  wrapper = rnn_cell.DropoutWrapper(cell)
  assert wrapper.wrapped_cell is cell
  assert wrapper.state_size == 10 and wrapper.output_size == 10

  class _Cell(rnn_cell.BasicRNNCell):

    def zero_state(self, batch_size=None, dtype=None):
      return 'wrapped_cell_zero_state'

  assert rnn_cell.DropoutWrapper(_Cell(10)).zero_state(
      10, tf.float32) == 'wrapped_cell_zero_state'


def _dropout_lstm(scope='root', x=None, **kwargs):
  """TF's _testDropoutWrapper: LSTMCell(3) with every weight 0.5 under
  DropoutWrapper, dynamic_rnn over 2 steps, state (c, h) = 0.1."""
  if x is None:
    x = np.array([[[2., 2., 2.]], [[1., 1., 1.]]])
  batch = x.shape[1]
  m = rnn_cell.LSTMStateTuple(*[tf.fill([batch, 3], 0.1)] * 2)
  return v1.nn.dynamic_rnn(
      rnn_cell.DropoutWrapper(
          rnn_cell.LSTMCell(3, initializer=v1.constant_initializer(0.5)),
          dtype=tf.float32, **kwargs),
      tf.constant(x, tf.float32), time_major=True, initial_state=m,
      scope=scope, parallel_iterations=1)


def _np_lstm_half(x_steps, c, h):
  outs = []
  for x in x_steps:
    c, h = _np_lstm(x, c, h, np.full((6, 12), 0.5), np.zeros(12))
    outs.append(h)
  return np.stack(outs), c


@pytest.mark.parametrize('keep', ['constant', 'variable'])
def test_dropout_keep_all_values(keep):
  # testDropoutWrapperKeepAllConstantInput / testDropoutWrapperKeepAll.
  with tf.Graph().as_default():
    k = (tf.ones([]) if keep == 'constant'
         else v1.get_variable('all', initializer=1.0))
    outputs, state = _dropout_lstm(input_keep_prob=k, output_keep_prob=k,
                                   state_keep_prob=k)
    got, got_state = _run([outputs, state])
  want, want_c = _np_lstm_half(np.array([[[2.] * 3], [[1.] * 3]]),
                               np.full((1, 3), 0.1), np.full((1, 3), 0.1))
  np.testing.assert_allclose(got, want, rtol=1e-5)
  np.testing.assert_allclose(got, [[[0.751109] * 3], [[0.895509] * 3]],
                             rtol=1e-5)
  np.testing.assert_allclose(got_state.h, want[1], rtol=1e-5)
  np.testing.assert_allclose(got_state.c, want_c, rtol=1e-5)
  np.testing.assert_allclose(got_state.c, [[1.949385] * 3], rtol=1e-5)


def test_dropout_keep_no_input_or_state():
  # testDropoutWrapperKeepNoInput, ...KeepNoStateExceptLSTMCellMemory,
  # ...KeepNoOutput (with keep probabilities held in variables).
  x = np.array([[[2.] * 3], [[1.] * 3]])
  full, full_c = _np_lstm_half(x, np.full((1, 3), 0.1), np.full((1, 3), 0.1))
  with tf.Graph().as_default():
    keep_all = v1.get_variable('all', initializer=1.0)
    keep_none = v1.get_variable('none', initializer=1e-6)
    no_input = _dropout_lstm('a', input_keep_prob=keep_none,
                             output_keep_prob=keep_all,
                             state_keep_prob=keep_all)
    no_state = _dropout_lstm('b', input_keep_prob=keep_all,
                             output_keep_prob=keep_all,
                             state_keep_prob=keep_none)
    no_output = _dropout_lstm('c', input_keep_prob=keep_all,
                              output_keep_prob=keep_none,
                              state_keep_prob=keep_all)
    (in_out, in_state), (st_out, st_state), (out_out, out_state) = _run(
        [no_input, no_state, no_output])
  # No input: the cell sees zeros.
  zeros, zeros_c = _np_lstm_half(np.zeros_like(x), np.full((1, 3), 0.1),
                                 np.full((1, 3), 0.1))
  np.testing.assert_allclose(in_out, zeros, rtol=1e-5)
  np.testing.assert_allclose(in_state.c, zeros_c, rtol=1e-5)
  # No state: h dropped after each step, c never.
  np.testing.assert_allclose(st_out[0], full[0], rtol=1e-5)
  c1, h1 = _np_lstm(x[0], np.full((1, 3), 0.1), np.full((1, 3), 0.1),
                    np.full((6, 12), 0.5), np.zeros(12))
  c2, h2 = _np_lstm(x[1], c1, np.zeros_like(h1), np.full((6, 12), 0.5),
                    np.zeros(12))
  np.testing.assert_allclose(st_out[1], h2, rtol=1e-5)
  assert not st_state.h.any()
  np.testing.assert_allclose(st_state.c, c2, rtol=1e-5)
  np.testing.assert_allclose(st_state.c, [[1.713925] * 3], rtol=1e-5)
  # No output: outputs zero, the state untouched.
  assert not out_out.any()
  np.testing.assert_allclose(out_state.h, full[1], rtol=1e-5)
  np.testing.assert_allclose(out_state.c, full_c, rtol=1e-5)


def test_dropout_with_seed_repeats():
  # testDropoutWrapperWithSeed and ...RecurrentStateInputAndOutputWithSeed:
  # the same graph seed and op seed give the same masks; variational masks
  # are the same at every step and (for state) across the batch rows.
  x = _rand(7, 5, 3)
  results = []
  for scope in ('root_1', 'root_2'):
    with tf.Graph().as_default():
      v1.set_random_seed(2347)
      results.append(_run(_dropout_lstm(
          scope, x=x, input_keep_prob=0.9, output_keep_prob=0.9,
          state_keep_prob=0.9, variational_recurrent=True, input_size=3,
          seed=-234987)))
  (out0, s0), (out1, s1) = results
  np.testing.assert_array_equal(out0, out1)
  np.testing.assert_array_equal(s0.c, s1.c)
  np.testing.assert_array_equal(s0.h, s1.h)
  mask = np.abs(out0) > 1e-6
  for step in mask:
    np.testing.assert_array_equal(step, mask[0])
  with tf.Graph().as_default():
    v1.set_random_seed(2)
    a = _run(_dropout_lstm('r1', output_keep_prob=0.5, seed=10))
  with tf.Graph().as_default():
    v1.set_random_seed(2)
    b = _run(_dropout_lstm('r2', output_keep_prob=0.5, seed=10))
  np.testing.assert_array_equal(a[0], b[0])


def test_invalid_dtype_and_sequence_length():
  # rnn_test: testInvalidDtype, testInvalidSequenceLengthShape.
  for cls in (rnn_cell.BasicRNNCell, rnn_cell.GRUCell,
              rnn_cell.BasicLSTMCell, rnn_cell.LSTMCell):
    with tf.Graph().as_default():
      inputs = v1.placeholder(tf.int32, [3, 4, 5])
      with pytest.raises(ValueError, match='RNN cell only supports floating'):
        v1.nn.dynamic_rnn(cls(2, dtype=tf.int32), inputs, dtype=tf.int32)
  with tf.Graph().as_default():
    with pytest.raises(ValueError, match='must be a vector'):
      v1.nn.dynamic_rnn(rnn_cell.GRUCell(2), tf.zeros([1, 3, 4]),
                        dtype=tf.float32, sequence_length=[[4]])


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64])
@pytest.mark.parametrize('cls', [rnn_cell.BasicRNNCell, rnn_cell.GRUCell,
                                 rnn_cell.BasicLSTMCell, rnn_cell.LSTMCell])
def test_cells_build(cls, dtype):
  # rnn_test: testCellsBuild.
  with tf.Graph().as_default():
    cell = cls(3, dtype=dtype)
    cell.build(tf.TensorShape([5, 7]))
    state = cell.get_initial_state(inputs=None, batch_size=5, dtype=dtype)
    out, _ = cell(tf.zeros([5, 7], dtype), state)
    assert out.shape.as_list() == [5, 3] and out.dtype == dtype


def test_get_initial_state_checks():
  # rnn_test: testCellGetInitialState (the cases test_get_initial_state
  # leaves out).
  with tf.Graph().as_default():
    cell = rnn_cell.BasicRNNCell(5)
    inputs = v1.placeholder(tf.float32, [None, 4, 1])
    with pytest.raises(ValueError, match='batch size from input tensor'):
      cell.get_initial_state(inputs=inputs, batch_size=tf.constant(50))
    with pytest.raises(ValueError, match='dtype from input tensor'):
      cell.get_initial_state(inputs=inputs, dtype=tf.int16)
    state = cell.get_initial_state(inputs=inputs)
    assert state.shape.as_list() == [None, 5] and state.dtype == tf.float32
    state = cell.get_initial_state(None, tf.shape(inputs)[0], tf.float32)
    assert state.shape.as_list() == [None, 5]


def test_basic_lstm_checkpoint_restores_into_lstm_cell(tmp_path):
  # rnn_test: testBasicLSTMCellInterchangeWithLSTMCell.
  prefix = str(tmp_path / 'ckpt')
  with tf.Graph().as_default(), v1.Session() as sess:
    cell = rnn_cell.BasicLSTMCell(1)
    cell(tf.ones([1, 1]), cell.get_initial_state(batch_size=1,
                                                 dtype=tf.float32))
    sess.run(v1.global_variables_initializer())
    sess.run(cell._bias.assign([10.] * 4))  # pylint: disable=protected-access
    path = v1.train.Saver().save(sess, prefix)
  with tf.Graph().as_default(), v1.Session() as sess:
    cell = rnn_cell.LSTMCell(1, name='basic_lstm_cell')
    cell(tf.ones([1, 1]), cell.get_initial_state(batch_size=1,
                                                 dtype=tf.float32))
    v1.train.Saver().restore(sess, path)
    assert sess.run(cell._bias).tolist() == [10.] * 4  # pylint: disable=protected-access


@pytest.mark.xfail(reason='our cells are not Trackable (tf_compat_bn.layers '
                   'Layer is not): tf.train.Checkpoint rejects them; '
                   'name-based tf.train.Saver checkpoints work',
                   raises=ValueError, strict=False)
def test_wrapper_checkpointing():
  # testWrapperCheckpointing (graph mode): object-based checkpoints reach
  # the wrapped cell's variables through every wrapper.
  import tempfile  # pylint: disable=g-import-not-at-top
  for make in (rnn_cell.DropoutWrapper, rnn_cell.ResidualWrapper,
               lambda c: rnn_cell.MultiRNNCell([c])):
    with tf.Graph().as_default(), v1.Session() as sess:
      cell = rnn_cell.BasicRNNCell(1)
      wrapper = make(cell)
      wrapper(tf.ones([1, 1]), wrapper.zero_state(1, tf.float32))
      sess.run([v.initializer for v in cell.variables])
      ckpt = tf.train.Checkpoint(wrapper=wrapper)
      sess.run(cell._bias.assign([40.]))  # pylint: disable=protected-access
      path = ckpt.save(os.path.join(tempfile.mkdtemp(), 'ckpt'),
                       session=sess)
      sess.run(cell._bias.assign([0.]))  # pylint: disable=protected-access
      ckpt.restore(path).assert_consumed().run_restore_ops(sess)
      assert sess.run(cell._bias).tolist() == [40.]  # pylint: disable=protected-access


@pytest.mark.parametrize('scope', ['vs', 'str', None])
def test_rnn_scopes_unknown_time_and_float64(scope):
  # testScope / GRUTest.testDynamicScope / testBidirectionalDynamicRNNScope
  # / testRawRNNScope: every variable lives under the scope given (a
  # VariableScope, a string, or the default); testDynamicRNNAllowsUnknown
  # TimeDimension, GRUTest.testDynamic, testDoubleInput (float64, sharded,
  # with projection).
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float64, [2, None, 5])

    def build(s):
      v1.nn.dynamic_rnn(rnn_cell.GRUCell(3), x, dtype=tf.float64, scope=s,
                        sequence_length=[1, 2])
      return v1.nn.bidirectional_dynamic_rnn(
          rnn_cell.LSTMCell(3, num_proj=4, num_unit_shards=2,
                            num_proj_shards=3, use_peepholes=True),
          rnn_cell.LSTMCell(3), x, dtype=tf.float64,
          scope=None if s is None else s)

    if scope == 'vs':
      with v1.variable_scope('prefix') as vs:
        (fw, _), _ = build(vs)
      prefixes = ('prefix/',)
    elif scope == 'str':
      (fw, _), _ = build('prefix')
      prefixes = ('prefix/',)
    else:
      (fw, _), _ = build(None)
      prefixes = ('rnn/', 'bidirectional_rnn/')
    names = [v.name for v in v1.global_variables()]
    assert names and all(n.startswith(prefixes) for n in names), names
    assert fw.shape.as_list() == [2, None, 4] and fw.dtype == tf.float64
    got = _run(fw, {x: _rand(2, 3, 5)})
  assert got.dtype == np.float64 and got.shape == (2, 3, 4)


def test_state_saving_rnn_tuple_states():
  # LSTMTest.testNoProjNoSharding{Simple,Tuple,NestedTuple}StateSaver.
  class Saver(object):

    def __init__(self, batch, sizes):
      self.batch_size, self.state_size, self.saved = batch, sizes, {}

    def state(self, name):
      return tf.zeros([self.batch_size, self.state_size[name]])

    def save_state(self, name, state):
      self.saved[name] = state
      return tf.identity(state)

  with tf.Graph().as_default():
    names = (('c0', 'm0'), ('c1', 'm1'))
    saver = Saver(2, {'c0': 3, 'm0': 3, 'c1': 4, 'm1': 4})
    cell = rnn_cell.MultiRNNCell([rnn_cell.LSTMCell(3 + i) for i in range(2)])
    outputs, state = v1.nn.static_state_saving_rnn(
        cell, [tf.constant(_rand(2, 5), tf.float32)] * 4, state_saver=saver,
        state_name=names)
    assert outputs[-1].shape.as_list() == [2, 4]
    last, saved = _run([tf.nest.flatten(state),
                        [saver.saved[n] for n in tf.nest.flatten(names)]])
  for a, b in zip(last, saved):
    np.testing.assert_array_equal(a, b)
