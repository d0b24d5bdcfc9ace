"""The behaviours TF's own RNN-cell tests check, on `tf_compat_bn.rnn_cell`.

TF's `tensorflow/python/kernel_tests/nn_ops/rnn_cell_test.py` and
`rnn_test.py` (TF 1.x-2.x; the cells then moved to Keras' legacy code)
ship in no wheel, so their behaviours are re-stated here as our own tests,
in tf.compat.v1 graph mode.  Expected values never come from the code under
test: the cells' equations are evaluated in NumPy (float64) with the
variables' initial values read from the session.  They pass on TF 2.12 and
2.21; the live comparison with the reference is in
`test_rnn_cell_reference.py`, the recorded one in `test_rnn_cell_golden.py`.

| TF test (rnn_cell_test.py / rnn_test.py)            | here                                  |
|-----------------------------------------------------|---------------------------------------|
| testBasicRNNCell, testBasicRNNCellNotTrainable      | test_basic_rnn_cell, test_not_trainable |
| testGRUCell                                          | test_gru_cell                         |
| testBasicLSTMCell (tuple and concatenated states)    | test_basic_lstm_cell                  |
| testBasicLSTMCellStateTupleType                      | test_lstm_state_tuple                 |
| testLSTMCell (peepholes, clip, projection)           | test_lstm_cell_peepholes_clip_proj    |
| testLSTMCellVariables, testLSTMCellShardedVariables  | test_lstm_variables, test_sharded     |
| testMultiRNNCell, testMultiRNNCellWithStateTuple     | test_multi_rnn_cell                   |
| testResidualWrapper                                  | test_residual_wrapper                 |
| testDeviceWrapper                                    | test_device_wrapper                   |
| testDropoutWrapperKeepAll / KeepNoOutput             | test_dropout_keep_all, test_dropout_keep_none |
| testDropoutWrapperKeepNoStateExceptLSTMCellMemory    | test_dropout_state_filter             |
| testDropoutWrapperRecurrent* (variational)           | test_variational_same_mask_every_step |
| testUsingSecondCellInScopeWithExistingVariablesFails | test_second_cell_existing_variables_fails |
| testUsingCellInDifferentScopeFromFirstCallFails      | test_cell_keeps_first_scope           |
| rnn_test: custom cells calling get_variable          | test_custom_cell_weights_tracked      |
| rnn_test: zero_state / get_initial_state             | test_zero_state, test_get_initial_state |
| rnn_test: _like_rnncell / assert_like_rnncell        | test_tf_accepts_our_cells             |
| rnn_test: raw_rnn                                    | test_raw_rnn                          |
| checkpoints across implementations                   | test_checkpoint_crosses_implementations |
| install (tf.compat.v1.nn.rnn_cell, import forms)     | test_install_import_forms             |
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
