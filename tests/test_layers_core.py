"""The behaviours of tf.layers' core tests, checked on our core layers.

The upstream suite of `tf.compat.v1.layers.Dense`, `Dropout`, `Flatten` and
their function forms is `tf_keras/legacy_tf_layers/core_test.py` in
keras-team/tf-keras (`tensorflow/python/layers/core_test.py` in TF 1.x).  It
ships in no wheel, so this module re-states every behaviour it checks as our
own pytest tests of `tf_compat_bn.layers.core`, written as TF1 code is:
tf.compat.v1 graphs, placeholders and sessions.

Expected values never come from the implementation under test: they are
worked out in NumPy from the definitions (`x @ W + b`, a kept value scaled
by `1 / (1 - rate)`, row-major flattening after moving channels last) or
from counting what the graph must hold (variables, losses, names).

Upstream tests that run in graph and eager mode are run in graph mode;
the eager-only leak check has no graph-mode meaning and is skipped.

| core_test test | our test |
|---|---|
| DenseTest.testDenseProperties | test_dense_properties_and_auto_names |
| DenseTest.testVariableInput | test_dense_on_a_variable_input |
| DenseTest.testCall | test_dense_call_variables_and_names |
| DenseTest.testNoEagerLeak | test_no_eager_leak (skipped: eager only) |
| DenseTest.testCallTensorDot | test_dense_tensordot_on_rank3 |
| DenseTest.testNoBias | test_dense_without_bias |
| DenseTest.testNonTrainable | test_dense_non_trainable |
| DenseTest.testOutputShape | test_dense_output_shape_per_rank |
| DenseTest.testCallOnPlaceHolder | test_dense_needs_a_known_last_dimension |
| DenseTest.testActivation | test_dense_activation_op_names |
| DenseTest.testActivityRegularizer | test_dense_regularizer_adds_one_loss[activity] |
| DenseTest.testKernelRegularizer | test_dense_regularizer_adds_one_loss[kernel] |
| DenseTest.testKernelRegularizerWithReuse | test_dense_kernel_regularizer_not_repeated_on_reuse |
| DenseTest.testBiasRegularizer | test_dense_regularizer_adds_one_loss[bias] |
| DenseTest.testFunctionalDense | test_functional_dense |
| DenseTest.testFunctionalDenseTwice | test_functional_dense_twice_makes_new_variables |
| DenseTest.testFunctionalDenseTwiceReuse | test_functional_dense_reuse_by_name |
| DenseTest.testFunctionalDenseTwiceReuseFromScope | test_functional_dense_reuse_from_scope |
| DenseTest.testFunctionalDenseInitializerFromScope | test_functional_dense_initializer_from_scope |
| DenseTest.testFunctionalDenseWithCustomGetter | test_functional_dense_custom_getter |
| DenseTest.testFunctionalDenseInScope | test_functional_dense_in_scope |
| DenseTest.testComputeOutputShape | test_dense_compute_output_shape |
| DenseTest.testConstraints | test_dense_constraints_are_kept |
| DropoutTest.testDropoutProperties | test_dropout_properties |
| DropoutTest.testBooleanLearningPhase | test_dropout_python_bool_training |
| DropoutTest.testDynamicLearningPhase | test_dropout_placeholder_training |
| DropoutTest.testDynamicNoiseShape | test_dropout_noise_shape[dynamic] |
| DropoutTest.testCustomNoiseShape | test_dropout_noise_shape[static] |
| DropoutTest.testFunctionalDropout | test_functional_dropout |
| DropoutTest.testDynamicRate | test_dropout_rate_placeholder |
| FlattenTest.testCreateFlatten | test_create_flatten |
| FlattenTest.testComputeShape | test_flatten_compute_output_shape |
| FlattenTest.testDataFormat5d | test_flatten_channels_first_matches_channels_last[5d] |
| FlattenTest.testDataFormat4d | test_flatten_channels_first_matches_channels_last[4d] |
| FlattenTest.testFunctionalFlatten | test_functional_flatten |
| FlattenTest.testFlatten0D | test_flatten_rank1_input |
| FlattenTest.testFlattenUnknownAxes | test_flatten_unknown_axes |
| FlattenTest.testFlattenLargeDim | test_flatten_large_dims[large-dim] |
| FlattenTest.testFlattenLargeBatchDim | test_flatten_large_dims[large-batch] |

Beyond the table: the reference's seed sequence across calls of one Dropout
object, the module aliases, and sparse/ragged inputs to Dense.
"""

import warnings

import numpy as np
import pytest
import tensorflow as tf

from tf_compat_bn.layers import core as core_layers

v1 = tf.compat.v1

pytestmark = pytest.mark.filterwarnings('ignore::UserWarning')


@pytest.fixture(autouse=True)
def graph():
  """Every test builds in a fresh graph, as TF1 code does."""
  g = tf.Graph()
  with g.as_default():
    yield g


def _uniform(shape, seed=1):
  return tf.random.uniform(shape, seed=seed)


def _trainable():
  return v1.get_collection(v1.GraphKeys.TRAINABLE_VARIABLES)


def _losses():
  return v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)


def _global_names():
  return sorted(v.op.name for v in v1.global_variables())


# ---- Dense -----------------------------------------------------------------
def test_dense_properties_and_auto_names():
  dense = core_layers.Dense(2, activation=tf.nn.relu, name='my_dense')
  assert dense.units == 2
  assert dense.activation is tf.nn.relu
  assert dense.kernel_regularizer is None
  assert dense.bias_regularizer is None
  assert dense.activity_regularizer is None
  assert dense.use_bias is True
  # Unnamed layers count per graph: `my_dense` took no number.
  first = core_layers.Dense(2, activation=tf.nn.relu)
  first(_uniform((5, 2)))
  second = core_layers.Dense(2, activation=tf.nn.relu)
  second(_uniform((5, 2)))
  # Unnamed layers' names count from 1 per graph (`my_dense` took no
  # number), while their variable scopes are `dense`, `dense_1`.
  assert (first.name, second.name) == ('dense_1', 'dense_2')
  assert (first.scope_name, second.scope_name) == ('dense', 'dense_1')


def test_dense_on_a_variable_input():
  # Zero inputs times any kernel plus the zero bias is zero.
  x = v1.get_variable('X', initializer=v1.zeros_initializer(), shape=(1, 1))
  y = core_layers.Dense(1)(x)
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    np.testing.assert_array_equal(sess.run(y), [[0.0]])


def test_dense_call_variables_and_names():
  dense = core_layers.Dense(2, activation=tf.nn.relu, name='my_dense')
  outputs = dense(_uniform((5, 4)))
  assert outputs.shape.as_list() == [5, 2]
  assert dense.variables == [dense.kernel, dense.bias]
  assert dense.trainable_variables == [dense.kernel, dense.bias]
  assert dense.non_trainable_variables == []
  assert len(_trainable()) == 2
  assert dense.kernel.name == 'my_dense/kernel:0'
  assert dense.bias.name == 'my_dense/bias:0'
  assert dense.kernel.shape.as_list() == [4, 2]


@pytest.mark.skip(reason='eager only: checks that repeatedly building layers '
                  'eagerly leaks no Python objects; graph mode has no such '
                  'per-call objects')
def test_no_eager_leak():
  pass


def test_dense_tensordot_on_rank3():
  # relu(x @ W + b) along the last axis, from NumPy with the layer's weights.
  dense = core_layers.Dense(2, activation=tf.nn.relu, name='my_dense')
  inputs = _uniform((5, 4, 3))
  outputs = dense(inputs)
  assert outputs.shape.as_list() == [5, 4, 2]
  assert outputs.op.name == 'my_dense/Relu'
  assert 'my_dense/Tensordot/MatMul' in [
      op.name for op in v1.get_default_graph().get_operations()]
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    x, y, w, b = sess.run([inputs, outputs, dense.kernel, dense.bias])
  np.testing.assert_allclose(y, np.maximum(x @ w + b, 0), rtol=1e-5,
                             atol=1e-6)


def test_dense_without_bias():
  dense = core_layers.Dense(2, use_bias=False, name='my_dense')
  dense(_uniform((5, 2)))
  assert dense.variables == [dense.kernel]
  assert dense.trainable_variables == [dense.kernel]
  assert dense.non_trainable_variables == []
  assert len(_trainable()) == 1
  assert dense.kernel.name == 'my_dense/kernel:0'
  assert dense.bias is None


def test_dense_non_trainable():
  dense = core_layers.Dense(2, trainable=False, name='my_dense')
  dense(_uniform((5, 2)))
  assert dense.variables == [dense.kernel, dense.bias]
  assert dense.non_trainable_variables == [dense.kernel, dense.bias]
  assert dense.trainable_variables == []
  assert _trainable() == []


def test_dense_output_shape_per_rank():
  dense = core_layers.Dense(7, activation=tf.nn.relu, name='my_dense')
  assert dense(_uniform((5, 3))).shape.as_list() == [5, 7]
  assert dense(_uniform((5, 2, 3))).shape.as_list() == [5, 2, 7]
  assert dense(_uniform((1, 2, 4, 3))).shape.as_list() == [1, 2, 4, 7]


@pytest.mark.parametrize('shape,ok', [
    (None, False), ([None, None], False), ([None, None, None], False),
    ([None, 3], True), ([None, None, 3], True)])
def test_dense_needs_a_known_last_dimension(shape, ok):
  inputs = v1.placeholder(tf.float32, shape)
  dense = core_layers.Dense(4, name='my_dense')
  if ok:
    assert dense(inputs).shape.as_list()[-1] == 4
  else:
    with pytest.raises(ValueError, match='last dimension'):
      dense(inputs)


def test_dense_activation_op_names():
  with_relu = core_layers.Dense(2, activation=tf.nn.relu, name='dense1')
  assert with_relu(_uniform((5, 3))).op.name == 'dense1/Relu'
  linear = core_layers.Dense(2, name='dense2')
  assert linear(_uniform((5, 3))).op.name == 'dense2/BiasAdd'


@pytest.mark.parametrize('which', ['activity', 'kernel', 'bias'])
def test_dense_regularizer_adds_one_loss(which):
  regularizer = lambda x: tf.reduce_sum(x) * 1e-3  # noqa: E731
  dense = core_layers.Dense(2, name='my_dense',
                            **{which + '_regularizer': regularizer})
  inputs = _uniform((5, 3))
  outputs = dense(inputs)
  keys = _losses()
  assert len(keys) == 1
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    loss, from_layer, x, y, w, b = sess.run(
        [keys[0], dense.losses, inputs, outputs, dense.kernel, dense.bias])
  # 1e-3 * sum of the regularized tensor; an activity loss is divided by
  # the batch size (5).
  target = {'activity': y.sum() / 5, 'kernel': w.sum(), 'bias': b.sum()}
  np.testing.assert_allclose(loss, 1e-3 * target[which], rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(from_layer, [loss], rtol=1e-6)
  del x


def test_dense_kernel_regularizer_not_repeated_on_reuse():
  regularizer = lambda x: tf.reduce_sum(x) * 1e-3  # noqa: E731
  inputs = _uniform((5, 3))
  core_layers.dense(inputs, 2, name='my_dense', kernel_regularizer=regularizer)
  assert len(_losses()) == 1
  core_layers.dense(inputs, 2, name='my_dense', kernel_regularizer=regularizer,
                    reuse=True)
  assert len(_losses()) == 1


def test_functional_dense():
  outputs = core_layers.dense(_uniform((5, 3)), 2, activation=tf.nn.relu,
                              name='my_dense')
  assert len(_trainable()) == 2
  assert outputs.op.name == 'my_dense/Relu'


def test_functional_dense_twice_makes_new_variables():
  inputs = _uniform((5, 3))
  core_layers.dense(inputs, 2)
  assert _global_names() == ['dense/bias', 'dense/kernel']
  core_layers.dense(inputs, 2)
  assert _global_names() == ['dense/bias', 'dense/kernel', 'dense_1/bias',
                             'dense_1/kernel']


def test_functional_dense_reuse_by_name():
  inputs = _uniform((5, 3))
  core_layers.dense(inputs, 2, name='my_dense')
  first = v1.trainable_variables()
  core_layers.dense(inputs, 2, name='my_dense', reuse=True)
  assert v1.trainable_variables() == first


def test_functional_dense_reuse_from_scope():
  with v1.variable_scope('scope'):
    inputs = _uniform((5, 3))
    core_layers.dense(inputs, 2, name='my_dense')
    first = v1.trainable_variables()
  with v1.variable_scope('scope', reuse=True):
    core_layers.dense(inputs, 2, name='my_dense')
  assert v1.trainable_variables() == first


def test_functional_dense_initializer_from_scope():
  # The scope's initializer replaces the kernel's default (Glorot); the
  # bias keeps its own zeros.
  with v1.variable_scope('scope', initializer=v1.ones_initializer()):
    core_layers.dense(_uniform((5, 3)), 2)
  assert _global_names() == ['scope/dense/bias', 'scope/dense/kernel']
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    kernel, bias = sess.run(v1.global_variables())
  np.testing.assert_array_equal(kernel, np.ones((3, 2)))
  np.testing.assert_array_equal(bias, np.zeros(2))


def test_functional_dense_custom_getter():
  called = []

  def custom_getter(getter, *args, **kwargs):
    called.append(kwargs.get('name', args[0] if args else None))
    return getter(*args, **kwargs)

  with v1.variable_scope('test', custom_getter=custom_getter):
    core_layers.dense(_uniform((5, 3)), 2)
  assert len(called) == 2  # kernel and bias


def test_functional_dense_in_scope():
  with v1.variable_scope('test'):
    core_layers.dense(_uniform((5, 3)), 2, name='my_dense')
  with v1.variable_scope('test1') as scope:
    core_layers.dense(_uniform((5, 3)), 2, name=scope)
  with v1.variable_scope('test2'):
    core_layers.dense(_uniform((5, 3)), 2)
  names = _global_names()
  for key in ('test/my_dense/kernel', 'test1/kernel', 'test2/dense/kernel'):
    assert key in names


def test_dense_compute_output_shape():
  dense = core_layers.Dense(2, activation=tf.nn.relu, name='dense1')
  ts = tf.TensorShape
  for bad in (ts(None), ts([]), ts([1])):
    with pytest.raises(ValueError):
      dense.compute_output_shape(bad)
  assert dense.compute_output_shape((None, 3)).as_list() == [None, 2]
  assert dense.compute_output_shape(ts([None, 3])).as_list() == [None, 2]
  assert dense.compute_output_shape(ts([None, 4, 3])).as_list() == [None, 4, 2]


def test_dense_constraints_are_kept():
  k_constraint = lambda x: x / tf.reduce_sum(x)  # noqa: E731
  b_constraint = lambda x: x / tf.reduce_max(x)  # noqa: E731
  dense = core_layers.Dense(2, kernel_constraint=k_constraint,
                            bias_constraint=b_constraint)
  dense(_uniform((5, 3)))
  assert dense.kernel_constraint is k_constraint
  assert dense.bias_constraint is b_constraint
  assert dense.kernel.constraint is k_constraint
  assert dense.bias.constraint is b_constraint


def test_dense_sparse_and_ragged_inputs_match_dense_math():
  # A rank-2 SparseTensor multiplies like its dense form; a ragged batch
  # multiplies each row's vectors.  Expected values: NumPy `x @ W + b`.
  dense = core_layers.Dense(2, kernel_initializer=v1.constant_initializer(
      [[1., 2.], [3., 4.], [5., 6.]]), bias_initializer=v1.ones_initializer())
  sparse = tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[2., 3.],
                           dense_shape=[3, 3])
  ragged = tf.ragged.constant([[[1., 0., 0.]], [[0., 1., 0.], [0., 0., 1.]]],
                              ragged_rank=1)
  y_sparse = dense(sparse)
  y_ragged = dense(ragged)
  w = np.array([[1., 2.], [3., 4.], [5., 6.]])
  x = np.array([[2., 0., 0.], [0., 0., 3.], [0., 0., 0.]])
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    got_sparse, got_ragged = sess.run([y_sparse, y_ragged.flat_values])
  np.testing.assert_allclose(got_sparse, x @ w + 1)
  np.testing.assert_allclose(got_ragged, np.eye(3) @ w + 1)


def test_dense_get_config():
  dense = core_layers.Dense(3, activation=tf.nn.relu, name='fc')
  config = dense.get_config()
  assert config['name'] == 'fc' and config['units'] == 3
  assert config['activation'] == 'relu'
  assert config['bias_initializer']['class_name'] == 'Zeros'
  assert core_layers.Dense(3).get_config()['activation'] == 'linear'


def test_aliases():
  assert core_layers.FullyConnected is core_layers.Dense
  assert core_layers.fully_connected is core_layers.dense


def test_functional_forms_do_not_tell_users_to_move_to_keras():
  # The reference warns that `tf.layers.dense` is deprecated in favour of
  # Keras; a compatibility layer for TF1 code does not (README, documented
  # differences), for every function form alike.
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    core_layers.dense(_uniform((2, 3)), 2)
  assert not any('deprecated' in str(w.message) for w in caught)


# ---- Dropout -----------------------------------------------------------------
def test_dropout_properties():
  dp = core_layers.Dropout(0.5, name='dropout')
  assert dp.rate == 0.5
  assert dp.noise_shape is None
  dp(tf.ones(()))
  assert dp.name == 'dropout'


def test_dropout_python_bool_training():
  # rate 0.5: kept ones become 2, dropped become 0; inference is identity.
  dp = core_layers.Dropout(0.5)
  inputs = tf.ones((5, 3))
  dropped = dp(inputs, training=True)
  kept = dp(inputs, training=False)
  with v1.Session() as sess:
    train_out, infer_out = sess.run([dropped, kept])
  assert train_out.min() == 0.0
  assert set(np.unique(train_out)) <= {0.0, 2.0}
  np.testing.assert_array_equal(infer_out, np.ones((5, 3)))


def test_dropout_placeholder_training():
  dp = core_layers.Dropout(0.5, seed=1)
  inputs = tf.ones((5, 5))
  training = v1.placeholder(dtype='bool')
  dropped = dp(inputs, training=training)
  with v1.Session() as sess:
    train_out = sess.run(dropped, feed_dict={training: True})
    infer_out = sess.run(dropped, feed_dict={training: False})
  assert train_out.min() == 0.0
  np.testing.assert_array_equal(infer_out, np.ones((5, 5)))


@pytest.mark.parametrize('noise_shape', [[None, 1, None], [5, 1, 2]],
                         ids=['dynamic', 'static'])
def test_dropout_noise_shape(noise_shape):
  # The mask has size 1 on axis 1, so both rows along it are identical.
  dp = core_layers.Dropout(0.5, noise_shape=noise_shape, seed=1)
  dropped = dp(tf.ones((5, 3, 2)), training=True)
  with v1.Session() as sess:
    out = sess.run(dropped)
  assert out.min() == 0.0
  np.testing.assert_array_equal(out[:, 0, :], out[:, 1, :])


def test_functional_dropout():
  inputs = tf.ones((5, 5))
  dropped = core_layers.dropout(inputs, 0.5, training=True, seed=1)
  kept = core_layers.dropout(inputs, 0.5, training=False, seed=1)
  with v1.Session() as sess:
    assert sess.run(dropped).min() == 0.0
    np.testing.assert_array_equal(sess.run(kept), np.ones((5, 5)))


def test_dropout_rate_placeholder():
  rate = v1.placeholder(dtype='float32', name='rate')
  dp = core_layers.Dropout(rate, name='dropout')
  dropped = dp(tf.ones((5, 5)), training=True)
  with v1.Session() as sess:
    assert sess.run(dropped, feed_dict={rate: 0.5}).min() == 0.0
    np.testing.assert_array_equal(sess.run(dropped, feed_dict={rate: 0.0}),
                                  np.ones((5, 5)))


def test_dropout_seed_advances_per_call():
  # The reference gives a layer's n-th training call the op seed seed + n.
  dp = core_layers.Dropout(0.5, seed=7)
  inputs = tf.ones((4, 4))
  dp(inputs, training=True)
  dp(inputs, training=True)
  seeds = [op.get_attr('seed2') for op in v1.get_default_graph()
           .get_operations() if op.type == 'RandomUniform']
  assert seeds == [7, 8]


def test_dropout_none_training_uses_learning_phase():
  # None means the graph's keras_learning_phase flag, False unless fed.
  out = core_layers.dropout(tf.ones((4, 4)), training=None)
  phase = v1.get_default_graph().get_tensor_by_name('keras_learning_phase:0')
  with v1.Session() as sess:
    np.testing.assert_array_equal(sess.run(out), np.ones((4, 4)))
    assert sess.run(out, {phase: True}).min() == 0.0


# ---- Flatten -----------------------------------------------------------------
def test_create_flatten():
  x = v1.placeholder(shape=(None, 2, 3), dtype='float32')
  y = core_layers.Flatten()(x)
  x2 = v1.placeholder(shape=(1, 2, 3, 2), dtype='float32')
  y2 = core_layers.Flatten()(x2)
  with v1.Session() as sess:
    assert sess.run(y, {x: np.zeros((3, 2, 3))}).shape == (3, 6)
    assert sess.run(y2, {x2: np.zeros((1, 2, 3, 2))}).shape == (1, 12)
  assert y.shape.as_list() == [None, 6]
  assert y2.shape.as_list() == [1, 12]


def test_flatten_compute_output_shape():
  assert core_layers.Flatten().compute_output_shape(
      (1, 2, 3, 2)).as_list() == [1, 12]
  assert core_layers.Flatten().compute_output_shape(
      (None, 3, 2)).as_list() == [None, 6]
  assert core_layers.Flatten().compute_output_shape(
      (None, 3, None)).as_list() == [None, None]


@pytest.mark.parametrize('shape,to_first', [
    ((1, 5, 4, 3, 2), (0, 4, 1, 2, 3)), ((1, 4, 3, 2), (0, 3, 1, 2))],
                         ids=['5d', '4d'])
def test_flatten_channels_first_matches_channels_last(shape, to_first):
  # The same data in either layout flattens to NumPy's row-major
  # channels-last order.
  data = np.arange(np.prod(shape), dtype='float32').reshape(shape)
  x_last = v1.placeholder(tf.float32, shape)
  x_first = v1.placeholder(tf.float32, np.transpose(data, to_first).shape)
  y_last = core_layers.Flatten(data_format='channels_last')(x_last)
  y_first = core_layers.Flatten(data_format='channels_first')(x_first)
  with v1.Session() as sess:
    out_last, out_first = sess.run(
        [y_last, y_first],
        {x_last: data, x_first: np.transpose(data, to_first)})
  np.testing.assert_array_equal(out_last, data.reshape(1, -1))
  np.testing.assert_array_equal(out_first, out_last)


def test_functional_flatten():
  x = v1.placeholder(shape=(None, 2, 3), dtype='float32')
  y = core_layers.flatten(x, name='flatten')
  assert y.shape.as_list() == [None, 6]
  assert y.op.name == 'flatten/Reshape'


def test_flatten_rank1_input():
  x = v1.placeholder(shape=(None,), dtype='float32')
  y = core_layers.Flatten()(x)
  with v1.Session() as sess:
    assert sess.run(y, {x: np.zeros((5,))}).shape == (5, 1)
  assert y.shape.as_list() == [None, 1]


@pytest.mark.parametrize('shape,data', [
    ((5, None, None), (5, 2, 3)), ((5, None, 2), (5, 3, 2))])
def test_flatten_unknown_axes(shape, data):
  x = v1.placeholder(shape=shape, dtype='float32')
  y = core_layers.Flatten()(x)
  with v1.Session() as sess:
    assert sess.run(y, {x: np.zeros(data)}).shape == (5, 6)
  assert y.shape.as_list() == [5, None]


@pytest.mark.parametrize('shape,expected', [
    ((None, 21316, 21316, 80), [None, 21316 * 21316 * 80]),
    ((np.iinfo(np.int32).max + 10, None, None, 1),
     [np.iinfo(np.int32).max + 10, None])], ids=['large-dim', 'large-batch'])
def test_flatten_large_dims(shape, expected):
  # Sizes past int32 need an int64 target shape; only the static shape is
  # checked (no such tensor is ever fed).
  x = v1.placeholder(shape=shape, dtype='float32')
  assert core_layers.Flatten()(x).shape.as_list() == expected
