"""The behaviours of tf.layers' BNTest suite, checked on our tf.layers front end.

BNTest (`tf_keras/legacy_tf_layers/normalization_test.py` in
keras-team/tf-keras; `tensorflow/python/layers/normalization_test.py` in TF 1.x)
is the upstream test suite of `tf.compat.v1.layers.BatchNormalization` and
`batch_normalization`.  It ships in no wheel, so this module re-states every
behaviour it checks as our own pytest tests of `tf_compat_bn.BatchNormalization`
and `tf_compat_bn.batch_normalization`, in tf.compat.v1 graph mode.

Expected values never come from the implementation under test: they are
worked out in NumPy (float64) from the definitions -- batch mean and biased
variance over the non-channel axes, moving averages `m * old + (1 - m) * new`
step by step, the fused kernel's Bessel-corrected variance `n / (n - 1)` for
the moving variance, ghost batch `j` holding rows `{j, j + G, j + 2G, ...}`
with `G = N / virtual_batch_size`, batch renormalization's `r` / `d` -- or
they come from two configurations of ours that must agree (fused vs non-fused
checkpoints, float16 vs float32).  Where a behaviour could be read two ways
it was checked live against the reference (TF 2.12.1's tf.compat.v1.layers):
running this module with `BNTEST_AGAINST_REFERENCE=1` in `.venv-oracle`
swaps the reference in for our implementation, and every test passes there.

BNTest runs under TF1 behaviour (`run_v1_only`), where variables are ref
variables and a ghost-batch layer splits the batch even for a run-time flag.
Here the process keeps TF2 behaviour; the tests that depend on the
difference build in the TF1 variant explicitly (`use_resource=False`, the
`tf1_behaviour` fixture) and check the TF2 variant too.

GPU: BNTest runs some variants with and without a GPU.  Our tests
parametrize the device over the devices present -- CPU always, GPU where one
is visible -- so a test id naming `gpu` exists only on a machine with a GPU;
without one, the same fused/non-fused combination runs with every device
`cpu`.  The checkpoint tests have an argument mix-up in BNTest:
`_testCheckpointCrossDevice(a_fused, a_gpu, b_fused, b_gpu)` passes its
arguments positionally to `_testCheckpoint(fused_a, fused_b, gpu_a, gpu_b,
...)`, so what each of them really runs is (fused_a, fused_b, device
checkpoint a is written on, device b is written on), listed in the table;
a is always continued in a fused model and b in a non-fused one, each on
every device.  Our ids read `[save_a-save_b-test_a-test_b-a=..,b=..-mode]`.
The NCHW (axis=1, rank 4) cases, GPU-only in BNTest because TF 1.x had no
CPU kernel for them, run on CPU here: the fused kernel now has one, in both
TF versions, and the reference uses it on CPU too.

| BNTest test | our test |
|---|---|
| testHalfPrecision | test_half_precision_matches_float32[*] |
| testCheckpointFusedCPUAndFusedGPU (fused, non-fused, gpu, gpu) | test_checkpoints_fused_and_nonfused_agree[gpu-gpu-*-*-a=fused,b=nonfused-*] |
| testCheckpointFusedCPUAndFusedCPU (fused, non-fused, gpu, cpu) | test_checkpoints_fused_and_nonfused_agree[gpu-cpu-*-*-a=fused,b=nonfused-*] |
| testCheckpointFusedGPUAndFusedGPU (fused, fused, gpu, gpu) | test_checkpoints_fused_and_nonfused_agree[gpu-gpu-*-*-a=fused,b=fused-*] |
| testCheckpointNonFusedCPUAndNonFusedGPU (non-fused, non-fused, cpu, gpu) | test_checkpoints_fused_and_nonfused_agree[cpu-gpu-*-*-a=nonfused,b=nonfused-*] |
| testCheckpointNonFusedCPUAndNonFusedCPU (non-fused, non-fused, cpu, cpu) | test_checkpoints_fused_and_nonfused_agree[cpu-cpu-*-*-a=nonfused,b=nonfused-*] |
| testCheckpointNonFusedGPUAndNonFusedGPU (non-fused, fused, cpu, gpu) | test_checkpoints_fused_and_nonfused_agree[cpu-gpu-*-*-a=nonfused,b=fused-*] |
| testCheckpointNonFusedGPUAndFusedGPU (non-fused, fused, gpu, gpu) | test_checkpoints_fused_and_nonfused_agree[gpu-gpu-*-*-a=nonfused,b=fused-*] |
| testCheckpointNonFusedGPUAndFusedCPU (non-fused, fused, gpu, cpu) | test_checkpoints_fused_and_nonfused_agree[gpu-cpu-*-*-a=nonfused,b=fused-*] |
| testCheckpointNonFusedCPUAndFusedCPU (non-fused, non-fused, gpu, cpu) | test_checkpoints_fused_and_nonfused_agree[gpu-cpu-*-*-a=nonfused,b=nonfused-*] |
| testCreateBN | test_create_layer[float32-3d-axis1] |
| testCreateFusedBNFloat16 | test_create_layer[float16-4d-axis1-fused], test_variables_follow_resource_setting |
| test3DInputAxis1 | test_normalizes_along_axis[3d-axis1] |
| test3DInputAxis2 | test_normalizes_along_axis[3d-axis2] |
| test4DInputAxis1 | test_normalizes_along_axis[4d-axis1] (and [4d-axis1-nonfused]) |
| test4DInputAxis2 | test_normalizes_along_axis[4d-axis2] |
| test4DInputAxis3 | test_normalizes_along_axis[4d-axis3] (and [4d-axis3-nonfused]) |
| test4DInputAxis3Fused | test_normalizes_along_axis[4d-axis3-fused] |
| test4DInputAxis1Fused | test_normalizes_along_axis[4d-axis1-fused] |
| testNegativeAxis | test_normalizes_along_axis[4d-axis-1] |
| testBooleanLearningPhase | test_python_bool_training_flag |
| testFunctionalNoReuse | test_functional_named_layer |
| testFunctionalReuse | test_functional_reuse_shares_variables |
| testFunctionalReuseFromScope | test_functional_reuse_from_variable_scope |
| testNoCenter | test_without_center_or_scale[no-center] |
| testNoScale | test_without_center_or_scale[no-scale] |
| testRegularizers | test_regularizer_adds_one_loss[beta], [gamma] |
| testConstraints | test_constraints_are_kept |
| testRenorm | test_renorm_with_clipping |
| testRenormNoClippingSameMomentumGivesSameTestTrain | test_renorm_same_momentum_train_equals_inference |
| testAdjustment | test_adjustment[no-renorm] |
| testRenormWithAdjustment | test_adjustment[renorm] |
| testGhostBNNegativeVirtualBatch | test_ghost_rejects_non_positive_size |
| testGhostBNVirtualBatchFull | test_ghost_full_batch_is_plain_batch_norm |
| testGhostBNInputOutputShapesMatch | test_ghost_output_shape |
| testGhostBNUnknownBatchSize | test_ghost_unknown_batch_size |
| testGhostBN2Dims | test_ghost_batch_statistics[2d-*] |
| testGhostBN4DimsAxis3 | test_ghost_batch_statistics[4d-axis3-*] |
| testGhostBN4DimsAxis1 | test_ghost_batch_statistics[4d-axis1-*] |
| testMultiAxisInvalid | test_invalid_axes_raise |
| test3DInputMultiAxis12 | test_normalizes_along_axis[3d-axes12] |
| test5DInputMultiAxis123 | test_normalizes_along_axis[5d-axes123] |
| testGhostBN5DimsMultiAxis14 | test_ghost_batch_statistics[5d-axes14-*] |

All 43 BNTest tests are covered; none had to be left out.
"""

import contextlib
import itertools
import os

import numpy as np
import pytest
import tensorflow as tf

v1 = tf.compat.v1


def _implementation():
  """(BatchNormalization, batch_normalization) under test.

  Ours, unless BNTEST_AGAINST_REFERENCE=1 (only meaningful on TF <= 2.12,
  where tf.compat.v1.layers runs): then the reference, to show that the
  expectations below are the reference's behaviour.
  """
  if os.environ.get('BNTEST_AGAINST_REFERENCE') == '1':
    return v1.layers.BatchNormalization, v1.layers.batch_normalization
  import tf_compat_bn  # pylint: disable=g-import-not-at-top
  return tf_compat_bn.BatchNormalization, tf_compat_bn.batch_normalization


BatchNormalization, batch_normalization = _implementation()

_DEVICES = ['/cpu:0'] + (['/gpu:0'] if tf.config.list_physical_devices('GPU')
                         else [])


# ---------------------------------------------------------------------------
# Helpers.
# ---------------------------------------------------------------------------
@contextlib.contextmanager
def _session():
  """A fresh graph as default, with a session on it."""
  config = v1.ConfigProto(allow_soft_placement=True)
  with tf.Graph().as_default() as graph:
    with v1.Session(graph=graph, config=config) as sess:
      yield sess


@pytest.fixture
def tf1_behaviour():
  """Builds under TF1 behaviour (what BNTest's run_v1_only gives the layer).

  Only the global "TF2 behaviour" switch is turned off, for the duration of
  the test; the layers read it when deciding how to form ghost batches.
  """
  from tensorflow.python import tf2  # pylint: disable=g-import-not-at-top
  was_enabled = tf2.enabled()
  tf2.disable()
  try:
    yield
  finally:
    if was_enabled:
      tf2.enable()


def _channel_axes(axis, ndim):
  axes = [axis] if isinstance(axis, int) else list(axis)
  return sorted(a % ndim for a in axes)


def _moments(x, channel_axes):
  """Batch mean, biased variance (keepdims) and samples per channel."""
  reduce = tuple(i for i in range(x.ndim) if i not in channel_axes)
  mean = x.mean(axis=reduce, keepdims=True)
  var = x.var(axis=reduce, keepdims=True)
  return mean, var, x.size // mean.size


def _affine(xhat, gamma, beta):
  out = xhat
  if gamma is not None:
    out = out * gamma
  if beta is not None:
    out = out + beta
  return out


def _ema(old, new, momentum):
  """One moving-average step: momentum * old + (1 - momentum) * new."""
  return momentum * old + (1.0 - momentum) * new


def _f64(a):
  return np.asarray(a, dtype=np.float64)


def _check_train_then_infer(sess, run_train, run_infer, params, shape, axis,
                            momentum, epsilon, fused_variance, steps=3,
                            offset=100.0, seed=0):
  """Steps training, then inference, against the NumPy definitions.

  `run_train(x)` runs the training output with the update ops and returns
  it; `run_infer(x)` returns the inference output.  `params` holds the
  layer's gamma/beta/moving_mean/moving_variance variables.  A fused layer
  feeds the moving variance with the Bessel-corrected batch variance
  (`fused_variance`), a non-fused one with the biased one; both normalize
  with the biased one.
  """
  rng = np.random.RandomState(seed)
  axes = _channel_axes(axis, len(shape))
  gamma, beta, moving_mean, moving_var = (
      _f64(v) for v in sess.run([params['gamma'], params['beta'],
                                 params['moving_mean'],
                                 params['moving_variance']]))
  for _ in range(steps):
    x = (rng.rand(*shape) + offset).astype(np.float32)
    xd = _f64(x)
    mean, var, n = _moments(xd, axes)
    g, b = gamma.reshape(mean.shape), beta.reshape(mean.shape)

    # Training: the batch's own statistics.
    y = run_train(x)
    expected = _affine((xd - mean) / np.sqrt(var + epsilon), g, b)
    np.testing.assert_allclose(y, expected, rtol=0, atol=5e-4)
    # BNTest's own criterion: with gamma/beta undone, each channel has mean
    # 0 and variance 1 -- exactly var / (var + eps), because of epsilon.
    xhat = (_f64(y) - b) / g
    red = tuple(i for i in range(x.ndim) if i not in axes)
    np.testing.assert_allclose(xhat.mean(axis=red, keepdims=True), 0.0,
                               atol=5e-4)
    np.testing.assert_allclose(xhat.var(axis=red, keepdims=True),
                               var / (var + epsilon), atol=5e-4)

    # The updates: one moving-average step towards the batch statistics.
    update_var = var * n / (n - 1.0) if fused_variance else var
    moving_mean = _ema(moving_mean, mean.reshape(moving_mean.shape), momentum)
    moving_var = _ema(moving_var, update_var.reshape(moving_var.shape),
                      momentum)
    got_mean, got_var = sess.run([params['moving_mean'],
                                  params['moving_variance']])
    np.testing.assert_allclose(got_mean, moving_mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_var, moving_var, rtol=1e-4, atol=1e-5)

    # Inference: the moving statistics.
    y = run_infer(x)
    expected = _affine((xd - moving_mean.reshape(mean.shape)) /
                       np.sqrt(moving_var.reshape(mean.shape) + epsilon), g, b)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-3)


def _random_params():
  """Per-channel gamma/beta initializers, so that broadcasting is checked."""
  return dict(
      gamma_initializer=v1.random_uniform_initializer(0.5, 1.5, seed=1),
      beta_initializer=v1.random_uniform_initializer(-1.0, 1.0, seed=2))


def _layer_params(layer):
  return dict(gamma=layer.gamma, beta=layer.beta,
              moving_mean=layer.moving_mean,
              moving_variance=layer.moving_variance)


# ---------------------------------------------------------------------------
# Creation, variables, collections.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('dtype,shape,fused', [
    (tf.float32, (5, 4, 3), None),
    (tf.float16, (5, 4, 3, 3), True),
], ids=['float32-3d-axis1', 'float16-4d-axis1-fused'])
def test_create_layer(dtype, shape, fused):
  with _session():
    layer = BatchNormalization(axis=1, fused=fused)
    inputs = tf.random.uniform(shape, seed=1, dtype=dtype)
    outputs = layer(inputs, training=v1.placeholder(tf.bool))

    assert outputs.shape.as_list() == list(shape)
    assert outputs.dtype == dtype
    # Fused whenever asked for and possible (rank 4, axis 1: NCHW).
    assert layer.fused == bool(fused)
    assert len(layer.variables) == 4
    assert layer.trainable_variables == [layer.gamma, layer.beta]
    assert layer.non_trainable_variables == [layer.moving_mean,
                                             layer.moving_variance]
    # Parameters stay float32 for a float16 input.
    assert all(v.dtype.base_dtype == tf.float32 for v in layer.variables)
    assert all(v.shape.as_list() == [shape[1]] for v in layer.variables)
    # The two moving-average updates, in UPDATE_OPS; the weights in
    # TRAINABLE_VARIABLES.
    assert len(layer.updates) == 2
    assert v1.get_collection(v1.GraphKeys.UPDATE_OPS) == layer.updates
    assert (v1.get_collection(v1.GraphKeys.TRAINABLE_VARIABLES) ==
            layer.trainable_variables)


@pytest.mark.parametrize('use_resource', [False, True])
def test_variables_follow_resource_setting(use_resource):
  # BNTest (TF1 behaviour) sees ref variables; that comes from the variable
  # scope's setting, which the layer must follow either way.
  with _session():
    with v1.variable_scope('', use_resource=use_resource):
      layer = BatchNormalization(axis=1, fused=True)
      layer(tf.zeros((5, 4, 3, 3), tf.float16),
            training=v1.placeholder(tf.bool))
    assert len(layer.variables) == 4
    for var in layer.variables:
      assert var.dtype._is_ref_dtype == (not use_resource)  # pylint: disable=protected-access


@pytest.mark.parametrize('center,scale', [(False, True), (True, False)],
                         ids=['no-center', 'no-scale'])
def test_without_center_or_scale(center, scale):
  gamma, beta, epsilon = 2.0, 3.0, 1e-3
  with _session() as sess:
    layer = BatchNormalization(
        axis=1, center=center, scale=scale, epsilon=epsilon,
        gamma_initializer=v1.constant_initializer(gamma),
        beta_initializer=v1.constant_initializer(beta))
    x_ph = v1.placeholder(tf.float32, (5, 4, 3))
    outputs = layer(x_ph, training=v1.placeholder_with_default(True, ()))

    assert outputs.shape.as_list() == [5, 4, 3]
    assert len(layer.updates) == 2
    assert len(layer.variables) == 3
    assert len(layer.trainable_variables) == 1
    assert len(layer.non_trainable_variables) == 2
    assert (layer.beta is None) == (not center)
    assert (layer.gamma is None) == (not scale)

    # The missing parameter acts as beta = 0 / gamma = 1.
    sess.run(v1.global_variables_initializer())
    x = np.random.RandomState(0).rand(5, 4, 3).astype(np.float32)
    mean, var, _ = _moments(_f64(x), [1])
    xhat = (_f64(x) - mean) / np.sqrt(var + epsilon)
    expected = _affine(xhat, gamma if scale else None, beta if center else None)
    np.testing.assert_allclose(sess.run(outputs, {x_ph: x}), expected,
                               atol=1e-5)


@pytest.mark.parametrize('which', ['beta', 'gamma'])
def test_regularizer_adds_one_loss(which):
  init = 0.5
  with _session() as sess:
    layer = BatchNormalization(
        axis=1, **{which + '_regularizer': lambda w: 0.1 * tf.reduce_sum(w),
                   which + '_initializer': v1.constant_initializer(init)})
    layer(tf.random.uniform((5, 4, 3), seed=1),
          training=v1.placeholder(tf.bool))
    assert len(layer.losses) == 1
    collected = v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)
    assert len(collected) == 1
    sess.run(v1.global_variables_initializer())
    # 0.1 * sum over the 4 channels of the initial value.
    expected = 0.1 * 4 * init
    assert sess.run(layer.losses[0]) == pytest.approx(expected, rel=1e-6)
    assert sess.run(collected[0]) == pytest.approx(expected, rel=1e-6)


def test_constraints_are_kept():
  def gamma_constraint(w):
    return w / tf.reduce_sum(w)

  def beta_constraint(w):
    return w / tf.reduce_max(w)

  with _session():
    layer = BatchNormalization(axis=1, gamma_constraint=gamma_constraint,
                               beta_constraint=beta_constraint)
    layer(tf.random.uniform((5, 4, 3), seed=1))
    assert layer.gamma_constraint is gamma_constraint
    assert layer.beta_constraint is beta_constraint
    # ... and handed on to the variables, for optimizers to apply.
    assert layer.gamma.constraint is gamma_constraint
    assert layer.beta.constraint is beta_constraint


def _apply(entry, inputs, **kwargs):
  """Applies our batch norm through the class or the function entry point."""
  if entry == 'function':
    return batch_normalization(inputs, **kwargs)
  return BatchNormalization(**kwargs)(inputs)


@pytest.mark.parametrize('entry', ['class', 'function'])
@pytest.mark.parametrize('axis', [[1, 4], [-5, 1], [1, 2, 1]],
                         ids=['past-last', 'before-first', 'duplicate'])
def test_invalid_axes_raise(entry, axis):
  with _session():
    inputs = tf.random.uniform((6, 5, 4, 3), seed=1)
    with pytest.raises(ValueError):
      _apply(entry, inputs, axis=axis)


# ---------------------------------------------------------------------------
# Normalization, moving statistics, inference.
# ---------------------------------------------------------------------------
# (id, input shape, axis, `fused` argument, whether the layer ends up fused)
_AXIS_CASES = [
    ('3d-axis1', (5, 4, 3), 1, None, False),
    ('3d-axis2', (5, 4, 3), 2, None, False),
    ('4d-axis1', (5, 4, 3, 6), 1, None, True),
    ('4d-axis1-fused', (5, 4, 3, 6), 1, True, True),
    ('4d-axis1-nonfused', (5, 4, 3, 6), 1, False, False),
    ('4d-axis2', (5, 4, 3, 6), 2, None, False),
    ('4d-axis3', (5, 4, 3, 6), 3, None, True),
    ('4d-axis3-fused', (5, 4, 3, 6), 3, True, True),
    ('4d-axis3-nonfused', (5, 4, 3, 6), 3, False, False),
    ('4d-axis-1', (5, 4, 3, 6), -1, None, True),
    ('3d-axes12', (5, 4, 3), [1, 2], None, False),
    ('5d-axes123', (5, 3, 4, 4, 3), [1, 2, 3], None, False),
]


@pytest.mark.parametrize('shape,axis,fused,expect_fused',
                         [c[1:] for c in _AXIS_CASES],
                         ids=[c[0] for c in _AXIS_CASES])
def test_normalizes_along_axis(shape, axis, fused, expect_fused):
  momentum, epsilon = 0.9, 1e-3
  with _session() as sess:
    layer = BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon,
                               fused=fused, **_random_params())
    x_ph = v1.placeholder(tf.float32, shape)
    training = v1.placeholder(tf.bool, ())
    outputs = layer(x_ph, training=training)
    assert layer.fused == expect_fused
    assert outputs.shape.as_list() == list(shape)
    # Parameters: one per channel; several normalized axes keep the rank.
    axes = _channel_axes(axis, len(shape))
    if len(axes) == 1:
      param_shape = [shape[axes[0]]]
    else:
      param_shape = [shape[i] if i in axes else 1 for i in range(len(shape))]
    assert layer.moving_mean.shape.as_list() == param_shape
    sess.run(v1.global_variables_initializer())

    _check_train_then_infer(
        sess,
        lambda x: sess.run([outputs] + layer.updates,
                           {x_ph: x, training: True})[0],
        lambda x: sess.run(outputs, {x_ph: x, training: False}),
        _layer_params(layer), shape, axis, momentum, epsilon,
        fused_variance=expect_fused)


@pytest.mark.parametrize('fused', [True, False])
def test_python_bool_training_flag(fused):
  # One layer, called once with training=True and once with False: the
  # first call trains and owns the two updates, the second infers.
  shape, momentum, epsilon = (5, 4, 3, 6), 0.9, 1e-3
  with _session() as sess:
    layer = BatchNormalization(axis=-1, momentum=momentum, epsilon=epsilon,
                               fused=fused, **_random_params())
    x_ph = v1.placeholder(tf.float32, shape)
    out_train = layer(x_ph, training=True)
    out_infer = layer(x_ph, training=False)
    assert len(layer.updates) == 2
    assert v1.get_collection(v1.GraphKeys.UPDATE_OPS) == layer.updates
    sess.run(v1.global_variables_initializer())

    _check_train_then_infer(
        sess,
        lambda x: sess.run([out_train] + layer.updates, {x_ph: x})[0],
        lambda x: sess.run(out_infer, {x_ph: x}),
        _layer_params(layer), shape, -1, momentum, epsilon,
        fused_variance=fused)


def _globals_by_name():
  return {v.name: v for v in v1.global_variables()}


def test_functional_named_layer():
  shape, momentum, epsilon = (5, 4, 3, 6), 0.9, 1e-3
  with _session() as sess:
    x_ph = v1.placeholder(tf.float32, shape)
    training = v1.placeholder(tf.bool, ())
    outputs = batch_normalization(x_ph, axis=-1, momentum=momentum,
                                  epsilon=epsilon, training=training,
                                  name='bn', **_random_params())
    variables = _globals_by_name()
    assert sorted(variables) == ['bn/beta:0', 'bn/gamma:0',
                                 'bn/moving_mean:0', 'bn/moving_variance:0']
    params = {k: variables['bn/%s:0' % k]
              for k in ('gamma', 'beta', 'moving_mean', 'moving_variance')}
    updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    sess.run(v1.global_variables_initializer())

    # Axis -1 of a rank-4 input: the fused kernel serves the call.
    _check_train_then_infer(
        sess,
        lambda x: sess.run([outputs] + updates, {x_ph: x, training: True})[0],
        lambda x: sess.run(outputs, {x_ph: x, training: False}),
        params, shape, -1, momentum, epsilon, fused_variance=True)


def test_functional_reuse_shares_variables():
  shape, momentum, epsilon = (5, 4, 3, 6), 0.9, 1e-3
  with _session() as sess:
    x1 = v1.placeholder(tf.float32, shape)
    x2 = v1.placeholder(tf.float32, shape)
    training = v1.placeholder(tf.bool, ())
    out1 = batch_normalization(x1, axis=-1, momentum=momentum, epsilon=epsilon,
                               training=training, name='bn',
                               **_random_params())
    out2 = batch_normalization(x2, axis=-1, momentum=momentum, epsilon=epsilon,
                               training=training, name='bn', reuse=True)
    variables = _globals_by_name()
    # One set of variables for both calls, but each call its own updates.
    assert sorted(variables) == ['bn/beta:0', 'bn/gamma:0',
                                 'bn/moving_mean:0', 'bn/moving_variance:0']
    all_updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
    assert len(all_updates) == 4
    second_updates = all_updates[-2:]
    params = {k: variables['bn/%s:0' % k]
              for k in ('gamma', 'beta', 'moving_mean', 'moving_variance')}
    sess.run(v1.global_variables_initializer())

    # Only the second call's updates run: the moving statistics follow x2.
    _check_train_then_infer(
        sess,
        lambda x: sess.run([out2] + second_updates,
                           {x2: x, training: True})[0],
        lambda x: sess.run(out2, {x2: x, training: False}),
        params, shape, -1, momentum, epsilon, fused_variance=True, steps=2)

    # The first call reads the same (shared) moving statistics in inference.
    x = np.random.RandomState(5).rand(*shape).astype(np.float32)
    np.testing.assert_allclose(sess.run(out1, {x1: x, training: False}),
                               sess.run(out2, {x2: x, training: False}),
                               rtol=0, atol=0)


def test_functional_reuse_from_variable_scope():
  with _session():
    inputs = tf.random.uniform((5, 4, 3, 6), seed=1)
    training = v1.placeholder(tf.bool, ())
    with v1.variable_scope('scope'):
      batch_normalization(inputs, axis=-1, training=training)
    names = sorted(_globals_by_name())
    assert names == ['scope/batch_normalization/%s:0' % k for k in
                     ('beta', 'gamma', 'moving_mean', 'moving_variance')]
    with v1.variable_scope('scope', reuse=True):
      batch_normalization(inputs, axis=-1, training=training)
    # Reuse of the enclosing scope: no new variables.
    assert sorted(_globals_by_name()) == names


# ---------------------------------------------------------------------------
# Batch renormalization and adjustment.
# ---------------------------------------------------------------------------
def _renorm_reference(x, state, epsilon, momentum, renorm_momentum,
                      clipping):
  """One training step of batch renormalization, in NumPy.

  Returns the normalized-and-corrected values (before gamma/beta) and
  updates `state` (moving_mean, moving_stddev, moving_variance, renorm_mean,
  renorm_stddev) in place.  r and d use the renorm averages from *before*
  this step.  The moving variance is kept as moving_stddev**2 - epsilon.
  """
  mean, var = x.mean(0), x.var(0)
  stddev = np.sqrt(var + epsilon)
  r = stddev / state['renorm_stddev']
  d = (mean - state['renorm_mean']) / state['renorm_stddev']
  if clipping:
    r = np.clip(r, clipping['rmin'], clipping['rmax'])
    d = np.clip(d, -clipping['dmax'], clipping['dmax'])
  corrected = (x - mean) / stddev * r + d
  state['renorm_mean'] = _ema(state['renorm_mean'], mean, renorm_momentum)
  state['renorm_stddev'] = _ema(state['renorm_stddev'], stddev,
                                renorm_momentum)
  state['moving_mean'] = _ema(state['moving_mean'], mean, momentum)
  state['moving_stddev'] = _ema(state['moving_stddev'], stddev, momentum)
  state['moving_variance'] = state['moving_stddev'] ** 2 - epsilon
  return corrected


def _initial_renorm_state(channels):
  # Moving mean 0, moving variance 1, so every stddev average starts at
  # sqrt(1) = 1.
  return dict(moving_mean=np.zeros(channels), moving_stddev=np.ones(channels),
              moving_variance=np.ones(channels),
              renorm_mean=np.zeros(channels), renorm_stddev=np.ones(channels))


def _renorm_layer(momentum, renorm_momentum, clipping, gamma, beta, epsilon,
                  adjustment=None):
  return BatchNormalization(
      axis=1, gamma_initializer=v1.constant_initializer(gamma),
      beta_initializer=v1.constant_initializer(beta), epsilon=epsilon,
      momentum=momentum, renorm=True, renorm_clipping=clipping,
      renorm_momentum=renorm_momentum, adjustment=adjustment)


def _assert_renorm_state(sess, layer, state, epsilon):
  got = sess.run(dict(moving_mean=layer.moving_mean,
                      moving_stddev=layer.moving_stddev,
                      renorm_mean=layer.renorm_mean,
                      renorm_stddev=layer.renorm_stddev,
                      moving_variance=layer.moving_variance))
  for key in state:
    np.testing.assert_allclose(got[key], state[key], atol=1e-5, err_msg=key)


def test_renorm_with_clipping():
  shape, gamma, beta, epsilon = (4, 3), 2.0, 3.0, 1e-3
  momentum, renorm_momentum = 0.99, 0.8
  clipping = {'rmax': 1.1, 'rmin': 0.9, 'dmax': 0.1}
  with _session() as sess:
    x_ph = v1.placeholder(tf.float32, shape)
    training = v1.placeholder(tf.bool, ())
    layer = _renorm_layer(momentum, renorm_momentum, clipping, gamma, beta,
                          epsilon)
    outputs = layer(x_ph, training=training)
    assert not layer.fused
    sess.run(v1.global_variables_initializer())

    rng = np.random.RandomState(0)
    state = _initial_renorm_state(shape[1])
    for _ in range(4):
      x = rng.rand(*shape).astype(np.float32)
      corrected = _renorm_reference(_f64(x), state, epsilon, momentum,
                                    renorm_momentum, clipping)
      y_train = sess.run([outputs] + layer.updates,
                         {x_ph: x, training: True})[0]
      np.testing.assert_allclose(y_train, corrected * gamma + beta, atol=1e-5)
      _assert_renorm_state(sess, layer, state, epsilon)

      # Inference uses moving_mean and sqrt(moving_variance + eps), i.e. the
      # moving stddev; running the updates with training=False is a no-op.
      y_infer = sess.run([outputs] + layer.updates,
                         {x_ph: x, training: False})[0]
      expected = ((_f64(x) - state['moving_mean']) /
                  np.sqrt(state['moving_variance'] + epsilon) * gamma + beta)
      np.testing.assert_allclose(y_infer, expected, atol=1e-5)
      _assert_renorm_state(sess, layer, state, epsilon)


def test_renorm_same_momentum_train_equals_inference():
  # Without clipping and with momentum == renorm_momentum, the renorm
  # averages are the moving averages, so the training output
  # ((x - mean) / stddev * r + d == (x - renorm_mean) / renorm_stddev)
  # equals the inference output computed just before it.
  shape, gamma, beta, epsilon, momentum = (4, 3), 2.0, 3.0, 1e-3, 0.9
  with _session() as sess:
    x_ph = v1.placeholder(tf.float32, shape)
    training = v1.placeholder(tf.bool, ())
    layer = _renorm_layer(momentum, momentum, None, gamma, beta, epsilon)
    outputs = layer(x_ph, training=training)
    sess.run(v1.global_variables_initializer())

    rng = np.random.RandomState(0)
    state = _initial_renorm_state(shape[1])
    for step in range(4):
      x = rng.rand(*shape).astype(np.float32)
      xd = _f64(x)
      expected_infer = ((xd - state['moving_mean']) /
                        np.sqrt(state['moving_variance'] + epsilon) * gamma +
                        beta)
      corrected = _renorm_reference(xd, state, epsilon, momentum, momentum,
                                    None)
      expected_train = corrected * gamma + beta

      y_infer = sess.run([outputs] + layer.updates,
                         {x_ph: x, training: False})[0]
      y_train = sess.run([outputs] + layer.updates,
                         {x_ph: x, training: True})[0]
      np.testing.assert_allclose(y_infer, expected_infer, atol=1e-5)
      np.testing.assert_allclose(y_train, expected_train, atol=1e-5)
      # At step 0 the moving variance is the initial 1 while the stddev
      # averages start at sqrt(1) = 1: inference divides x (in [0, 1)) by
      # sqrt(1 + eps), training by 1, so they differ by at most
      # gamma * (1 - 1 / sqrt(1 + eps)) < gamma * eps / 2.  From then on the
      # two are identical.
      atol = abs(gamma) * epsilon / 2 + 1e-5 if step == 0 else 1e-5
      np.testing.assert_allclose(y_train, y_infer, atol=atol)


@pytest.mark.parametrize('renorm', [False, True], ids=['no-renorm', 'renorm'])
def test_adjustment(renorm):
  shape, gamma, beta, epsilon = (4, 3), 2.0, 3.0, 1e-3
  momentum, renorm_momentum = 0.99, 0.8
  clipping = {'rmax': 1.1, 'rmin': 0.9, 'dmax': 0.1}
  with _session() as sess:
    x_ph = v1.placeholder(tf.float32, shape)
    training = v1.placeholder(tf.bool, ())
    adj_scale = tf.random.uniform(shape[-1:], 0.5, 1.5, seed=3)
    adj_bias = tf.random.uniform(shape[-1:], -0.2, 0.2, seed=4)
    adjustment = lambda _: (adj_scale, adj_bias)
    if renorm:
      layer = _renorm_layer(momentum, renorm_momentum, clipping, gamma, beta,
                            epsilon, adjustment=adjustment)
    else:
      layer = BatchNormalization(
          axis=1, gamma_initializer=v1.constant_initializer(gamma),
          beta_initializer=v1.constant_initializer(beta), epsilon=epsilon,
          momentum=momentum, adjustment=adjustment)
    outputs = layer(x_ph, training=training)
    sess.run(v1.global_variables_initializer())

    rng = np.random.RandomState(0)
    state = _initial_renorm_state(shape[1])
    moving_var = np.ones(shape[1])
    for _ in range(4):
      x = rng.rand(*shape).astype(np.float32)
      xd = _f64(x)
      # The adjustment is random per run: fetch the values this run used.
      y_train, s_val, b_val = sess.run(
          [outputs, adj_scale, adj_bias] + layer.updates,
          {x_ph: x, training: True})[:3]
      if renorm:
        normalized = _renorm_reference(xd, state, epsilon, momentum,
                                       renorm_momentum, clipping)
        moving_sd = np.sqrt(state['moving_variance'] + epsilon)
      else:
        mean, var = xd.mean(0), xd.var(0)
        normalized = (xd - mean) / np.sqrt(var + epsilon)
        state['moving_mean'] = _ema(state['moving_mean'], mean, momentum)
        moving_var = _ema(moving_var, var, momentum)
        moving_sd = np.sqrt(moving_var + epsilon)
      # Training: the adjustment acts on the normalized values, before
      # gamma and beta.
      expected = (normalized * s_val + b_val) * gamma + beta
      np.testing.assert_allclose(y_train, expected, atol=1e-5)
      np.testing.assert_allclose(sess.run(layer.moving_mean),
                                 state['moving_mean'], atol=1e-6)

      # Inference: no adjustment, moving statistics.
      y_infer = sess.run([outputs] + layer.updates,
                         {x_ph: x, training: False})[0]
      expected = (xd - state['moving_mean']) / moving_sd * gamma + beta
      np.testing.assert_allclose(y_infer, expected, atol=1e-5)


# ---------------------------------------------------------------------------
# Ghost (virtual) batches.
# ---------------------------------------------------------------------------
def _ghost_reference(x, ghosts, channel_axes, gamma, beta, epsilon):
  """Ghost-batch normalization with `ghosts` ghost batches, in NumPy.

  Ghost batch j holds rows j, j + ghosts, j + 2 * ghosts, ...  Returns the
  output and the statistics averaged over the ghost batches (what feeds the
  moving averages), with the mean/variance keepdims shape of one row group.
  """
  reduce = (0,) + tuple(i for i in range(1, x.ndim) if i not in channel_axes)
  out = np.empty_like(x)
  means, variances = [], []
  for j in range(ghosts):
    rows = x[j::ghosts]
    mean = rows.mean(axis=reduce, keepdims=True)
    var = rows.var(axis=reduce, keepdims=True)
    out[j::ghosts] = _affine((rows - mean) / np.sqrt(var + epsilon),
                             gamma.reshape(mean.shape),
                             beta.reshape(mean.shape))
    means.append(mean)
    variances.append(var)
  return out, np.mean(means, axis=0), np.mean(variances, axis=0)


@pytest.mark.parametrize('entry', ['class', 'function'])
@pytest.mark.parametrize('size', [-1, 0])
def test_ghost_rejects_non_positive_size(entry, size):
  with _session():
    inputs = tf.random.uniform((6, 5, 4, 3), seed=1)
    with pytest.raises(ValueError):
      _apply(entry, inputs, virtual_batch_size=size)


@pytest.mark.parametrize('training', [False, True])
def test_ghost_full_batch_is_plain_batch_norm(training):
  # A single ghost batch of the whole batch: the plain (non-fused, so
  # biased moving variance, as for ghost batches) layer's results.
  shape = (6, 5, 4, 3)
  with _session() as sess:
    x_ph = v1.placeholder(tf.float32, shape)
    plain = BatchNormalization(fused=False, momentum=0.5)
    ghost = BatchNormalization(virtual_batch_size=6, momentum=0.5)
    out_plain = plain(x_ph, training=training)
    out_ghost = ghost(x_ph, training=training)
    assert out_plain.shape.as_list() == out_ghost.shape.as_list() == list(shape)
    sess.run(v1.global_variables_initializer())

    x = np.random.RandomState(0).rand(*shape).astype(np.float32)
    y_plain, y_ghost = sess.run(
        [out_plain, out_ghost] + plain.updates + ghost.updates, {x_ph: x})[:2]
    np.testing.assert_allclose(y_ghost, y_plain, atol=1e-5)
    for a, b in [(ghost.moving_mean, plain.moving_mean),
                 (ghost.moving_variance, plain.moving_variance)]:
      a_val, b_val = sess.run([a, b])
      np.testing.assert_allclose(a_val.reshape(-1), b_val, atol=1e-6)


@pytest.mark.parametrize('training', [False, True])
def test_ghost_output_shape(training):
  with _session():
    inputs = tf.random.uniform((6, 4, 3), seed=1)
    out = batch_normalization(inputs, virtual_batch_size=3, training=training)
    assert out.shape.as_list() == [6, 4, 3]


@pytest.mark.parametrize('training', [False, True])
def test_ghost_unknown_batch_size(training):
  epsilon = 1e-3
  with _session() as sess:
    x_ph = v1.placeholder(tf.float32, [None, 5, 4])
    out = batch_normalization(x_ph, virtual_batch_size=2, training=training,
                              epsilon=epsilon)
    assert out.shape.as_list() == [None, 5, 4]
    sess.run(v1.global_variables_initializer())
    x = np.random.RandomState(0).rand(10, 5, 4).astype(np.float32)
    y = sess.run(out, {x_ph: x})
    assert y.shape == (10, 5, 4)
    if training:
      # Batch 10 in ghost batches of 2: G = 5 groups of rows {j, j + 5}.
      ones, zeros = np.ones(4), np.zeros(4)
      expected = _ghost_reference(_f64(x), 5, [2], ones, zeros, epsilon)[0]
    else:
      # Initial moving statistics (mean 0, variance 1).
      expected = _f64(x) / np.sqrt(1.0 + epsilon)
    np.testing.assert_allclose(y, expected, atol=1e-5)


# (id, shape, virtual batch size, axis, `fused` argument)
_GHOST_CASES = [
    ('2d', (6, 2), 3, -1, None),
    ('4d-axis3', (6, 4, 5, 3), 2, 3, None),
    ('4d-axis1', (6, 3, 4, 5), 2, 1, False),
    ('5d-axes14', (6, 3, 2, 2, 4), 3, [1, 4], False),
]


@pytest.mark.parametrize('flag', ['python_bool', 'tf1_placeholder',
                                  'tf2_placeholder'])
@pytest.mark.parametrize('shape,vbs,axis,fused', [c[1:] for c in _GHOST_CASES],
                         ids=[c[0] for c in _GHOST_CASES])
def test_ghost_batch_statistics(request, shape, vbs, axis, fused, flag):
  """Ghost statistics in training, their average in the moving statistics.

  Flags: a Python bool (one layer called with True and with False); a
  placeholder under TF1 behaviour (BNTest's setting), where the batch is
  split into ghost batches too; and a placeholder under TF2 behaviour,
  where the reference (checked live) splits only for a constant True flag
  and otherwise normalizes with the whole batch's statistics.
  """
  if flag == 'tf1_placeholder':
    request.getfixturevalue('tf1_behaviour')
  n = shape[0]
  ghosts = n // vbs if flag != 'tf2_placeholder' else 1
  axes = _channel_axes(axis, len(shape))
  momentum, epsilon = 0.8, 1e-3
  with _session() as sess:
    x_ph = v1.placeholder(tf.float32, shape)
    layer = BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon,
                               virtual_batch_size=vbs, fused=fused,
                               **_random_params())
    if flag == 'python_bool':
      out_train = layer(x_ph, training=True)
      out_infer = layer(x_ph, training=False)
      feed_train = feed_infer = {}
    else:
      training = v1.placeholder(tf.bool, ())
      out_train = out_infer = layer(x_ph, training=training)
      feed_train, feed_infer = {training: True}, {training: False}
    assert not layer.fused
    assert out_train.shape.as_list() == list(shape)
    sess.run(v1.global_variables_initializer())

    gamma, beta, moving_mean, moving_var = (_f64(v) for v in sess.run(
        [layer.gamma, layer.beta, layer.moving_mean, layer.moving_variance]))
    rng = np.random.RandomState(0)
    for _ in range(3):
      x = rng.rand(*shape).astype(np.float32)
      xd = _f64(x)
      expected, mean, var = _ghost_reference(xd, ghosts, axes, gamma, beta,
                                             epsilon)
      y = sess.run([out_train] + layer.updates, {x_ph: x, **feed_train})
      np.testing.assert_allclose(y[0], expected, atol=1e-4)
      moving_mean = _ema(moving_mean, mean.reshape(moving_mean.shape),
                         momentum)
      moving_var = _ema(moving_var, var.reshape(moving_var.shape), momentum)
      got_mean, got_var = sess.run([layer.moving_mean, layer.moving_variance])
      np.testing.assert_allclose(got_mean, moving_mean, atol=1e-5)
      np.testing.assert_allclose(got_var, moving_var, atol=1e-5)

      y = sess.run(out_infer, {x_ph: x, **feed_infer})
      shape1 = mean.shape
      expected = _affine(
          (xd - moving_mean.reshape(shape1)) /
          np.sqrt(moving_var.reshape(shape1) + epsilon),
          gamma.reshape(shape1), beta.reshape(shape1))
      np.testing.assert_allclose(y, expected, atol=1e-4)


# ---------------------------------------------------------------------------
# Training through a checkpoint: fused vs non-fused, float16 vs float32.
# ---------------------------------------------------------------------------
_IMAGE_SHAPE = (2, 4, 5, 3)


def _device_ids(devices):
  return '-'.join(d.strip('/:0') for d in devices)


def _conv_bn_model(dtype, fused, freeze):
  """A 3x3 'valid' convolution (ones kernel, no bias) into a BN layer.

  The layer's moving variance takes the biased batch variance whether fused
  or not (`_bessels_correction_test_only = False`), so that fused and
  non-fused runs are comparable.  Loss: sum |output|; plain SGD.  In freeze
  mode the layer infers (moving statistics, no updates) while the weights
  still train.
  """
  image = v1.placeholder(dtype, _IMAGE_SHAPE)
  kernel = v1.get_variable('conv2d/kernel', (3, 3, _IMAGE_SHAPE[-1], 2),
                           dtype=dtype, initializer=v1.ones_initializer())
  conv = tf.nn.conv2d(image, kernel, strides=1, padding='VALID')
  layer = BatchNormalization(fused=fused)
  layer._bessels_correction_test_only = False  # pylint: disable=protected-access
  loss = tf.reduce_sum(tf.abs(layer(conv, training=not freeze)))
  assert layer.fused == fused
  optimizer = v1.train.GradientDescentOptimizer(0.01)
  if freeze:
    assert not v1.get_collection(v1.GraphKeys.UPDATE_OPS)
    train_op = optimizer.minimize(loss)
  else:
    with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
      train_op = optimizer.minimize(loss)
  return image, loss, train_op, v1.train.Saver()


def _train(path, device, fused, restore, freeze=False, dtype=tf.float32):
  """Two SGD steps on fixed images; saves to, or restores from, `path`.

  With `restore`, returns the values of all global variables afterwards.
  """
  with _session() as sess:
    with tf.device(device):
      image, loss, train_op, saver = _conv_bn_model(dtype, fused, freeze)
    if restore:
      saver.restore(sess, path)
    else:
      sess.run(v1.global_variables_initializer())
    rng = np.random.RandomState(0)
    for _ in range(2):
      sess.run([loss, train_op],
               {image: rng.rand(*_IMAGE_SHAPE).astype(dtype.as_numpy_dtype)})
    if not restore:
      saver.save(sess, path)
      return None
    return sess.run(v1.global_variables())


def _infer(path, device, fused, image_value):
  with _session() as sess:
    with tf.device(device):
      image, loss, _, saver = _conv_bn_model(tf.as_dtype(image_value.dtype),
                                             fused, freeze=True)
    saver.restore(sess, path)
    return sess.run(loss, {image: image_value})


@pytest.mark.parametrize('freeze', [False, True], ids=['train', 'freeze'])
@pytest.mark.parametrize('fused_a,fused_b', [
    (True, True), (True, False), (False, True), (False, False)
], ids=['a=fused,b=fused', 'a=fused,b=nonfused', 'a=nonfused,b=fused',
        'a=nonfused,b=nonfused'])
@pytest.mark.parametrize('devices',
                         list(itertools.product(_DEVICES, repeat=4)),
                         ids=_device_ids)
def test_checkpoints_fused_and_nonfused_agree(tmp_path, fused_a, fused_b,
                                              freeze, devices):
  # Checkpoint a (written by a fused or non-fused model) continues in a
  # fused model, checkpoint b in a non-fused one; same data, so the
  # variables and a later inference loss must agree.  `devices`: where a
  # and b are written, then where they are continued.
  save_a, save_b, test_a, test_b = devices
  path_a, path_b = str(tmp_path / 'a'), str(tmp_path / 'b')
  _train(path_a, save_a, fused_a, restore=False, freeze=freeze)
  _train(path_b, save_b, fused_b, restore=False, freeze=freeze)
  vars_fused = _train(path_a, test_a, True, restore=True, freeze=freeze)
  vars_plain = _train(path_b, test_b, False, restore=True, freeze=freeze)
  # conv kernel, gamma, beta, moving mean, moving variance.
  assert len(vars_fused) == len(vars_plain) == 5
  for fused_value, plain_value in zip(vars_fused, vars_plain):
    np.testing.assert_allclose(fused_value, plain_value, rtol=0, atol=1e-5)

  image = np.random.RandomState(1).rand(*_IMAGE_SHAPE).astype(np.float32)
  np.testing.assert_allclose(_infer(path_a, test_a, True, image),
                             _infer(path_b, test_b, False, image),
                             rtol=3e-4, atol=1e-6)


def _train_eval_sequence(tmp_path, dtype, devices):
  """Train, save, restore and train again, infer: (variables, loss)."""
  path = str(tmp_path / ('ckpt_' + dtype.name))
  train1, train2, infer = devices
  _train(path, train1, True, restore=False, dtype=dtype)
  values = _train(path, train2, True, restore=True, dtype=dtype)
  image = np.random.RandomState(0).rand(*_IMAGE_SHAPE)
  loss = _infer(path, infer, True, image.astype(dtype.as_numpy_dtype))
  return values, loss


@pytest.mark.parametrize('devices',
                         list(itertools.product(_DEVICES, repeat=3)),
                         ids=_device_ids)
def test_half_precision_matches_float32(tmp_path, devices):
  # The same fused training in float16 and in float32 ends with the same
  # variables and loss, to float16 precision.
  ref_values, ref_loss = _train_eval_sequence(tmp_path, tf.float32,
                                              [_DEVICES[-1]] * 3)
  values, loss = _train_eval_sequence(tmp_path, tf.float16, devices)
  assert len(ref_values) == len(values) == 5
  for value, ref_value in zip(values, ref_values):
    np.testing.assert_allclose(value, ref_value, rtol=1e-3, atol=1e-3)
  np.testing.assert_allclose(loss, ref_loss, rtol=1e-3, atol=1e-3)
