"""The behaviours of tf.layers' convolution tests, checked on our layers.

The upstream suite (`tf_keras/legacy_tf_layers/convolutional_test.py` in
keras-team/tf-keras; `tensorflow/python/layers/convolutional_test.py` in TF
1.x) tests `tf.compat.v1.layers`' Conv1D/2D/3D, SeparableConv1D/2D and
Conv2D/3DTranspose.  It ships in no wheel, so this module re-states every
behaviour it checks as our own pytest tests of
`tf_compat_bn.layers.convolutional`, in tf.compat.v1 graph mode with
sessions.  Its five classes repeat the same checks per layer family; here
each check is one test parametrized over the families (`FAMILIES`).

Expected values never come from the implementation under test: shapes are
worked out by hand (valid: n - k + 1; same: ceil(n / s); transposed valid:
n * s + max(k - s, 0); dilated kernel: k + (k - 1)(d - 1)), and numbers are
computed in NumPy (float64) from the definitions: a convolution with an
all-ones kernel sums its input window over all input channels, a causal one
sums the current and earlier steps only, a transposed one with stride s
scatters each input (summed over channels) into a k x k block at s * i, a
regularizer 0.1 * sum(w) of a ones kernel is 0.1 * its size.  Running this
module with `CONVTEST_AGAINST_REFERENCE=1` in `.venv-oracle` swaps TF
2.12.1's tf.compat.v1.layers (with Keras' legacy module for the aliases) in
for ours; every test passes there too.

The upstream tests run both eagerly and in graphs; those in graphs are what
apply to tf.layers in TF1 programs, and every check is made in a graph here.
The two `output.op.name` checks the upstream makes only in graph mode are
made unconditionally.

| upstream test (class) | our test |
|---|---|
| testInvalidDataFormat (all five) | test_invalid_data_format[*] |
| testInvalidStrides (all five) | test_invalid_strides[*] |
| testInvalidKernelSize (all five) | test_invalid_kernel_size[*] |
| ConvTest.testCreateConv2D | test_create[conv2d-relu] |
| ConvTest.testConv2DFloat16 | test_float16[conv2d] |
| ConvTest.testCreateConv2DIntegerKernelSize | test_create[conv2d-int_kernel] |
| ConvTest.testCreateConv2DChannelsFirst | test_create[conv2d-channels_first] |
| ConvTest.testUnknownInputChannels | test_unknown_input_channels[conv2d-*] |
| ConvTest.testConv2DPaddingSame | test_padding_same[conv2d] |
| ConvTest.testCreateConvWithStrides | test_strides[conv2d-*] |
| ConvTest.testCreateConv1D | test_create[conv1d-relu] |
| ConvTest.testConv1DFloat16 | test_float16[conv1d] |
| ConvTest.testCreateConv1DChannelsFirst | test_create[conv1d-channels_first] |
| ConvTest.testUnknownInputChannelsConv1D | test_unknown_input_channels[conv1d-*] |
| ConvTest.testCreateConv3D | test_create[conv3d-relu] |
| ConvTest.testUnknownInputChannelsConv3D | test_unknown_input_channels[conv3d-channels_last] |
| ConvTest.testConv2DKernelRegularizer | test_regularizer[conv2d-kernel] |
| ConvTest.testConv2DBiasRegularizer | test_regularizer[conv2d-bias] |
| ConvTest.testConv2DNoBias | test_no_bias[conv2d] |
| ConvTest.testDilatedConv2D | test_dilated_conv2d |
| ConvTest.testFunctionalConv2DReuse | test_functional_reuse[conv2d] |
| ConvTest.testFunctionalConv2DReuseFromScope | test_functional_reuse_from_scope[conv2d] |
| ConvTest.testFunctionalConv2DInitializerFromScope | test_initializer_from_scope[conv2d] |
| ConvTest.testFunctionalConv2DNoReuse | test_functional_no_reuse[conv2d] |
| ConvTest.testConstraints | test_constraints[conv1d], [conv2d], [conv3d] |
| ConvTest.testConv3DChannelsFirst | test_conv3d_channels_first_unknown_batch |
| SeparableConv1DTest.testCreateSeparableConv1D | test_create[separable_conv1d-relu] |
| SeparableConv1DTest.testCreateSeparableConv1DDepthMultiplier | test_create[separable_conv1d-depth_multiplier] |
| SeparableConv1DTest.testCreateSeparableConv1DChannelsFirst | test_create[separable_conv1d-channels_first] |
| SeparableConv1DTest.testSeparableConv1DPaddingSame | test_padding_same[separable_conv1d] |
| SeparableConv1DTest.testCreateSeparableConv1DWithStrides | test_strides[separable_conv1d-channels_last] |
| SeparableConv1DTest.testCreateSeparableConv1DWithStridesChannelsFirst | test_strides[separable_conv1d-channels_first] |
| SeparableConv1DTest.testFunctionalConv1DReuse | test_functional_reuse[separable_conv1d] |
| SeparableConv1DTest.testFunctionalConv1DReuseFromScope | test_functional_reuse_from_scope[separable_conv1d] |
| SeparableConv1DTest.testFunctionalConv1DNoReuse | test_functional_no_reuse[separable_conv1d] |
| SeparableConv1DTest.testSeparableConv1DDepthwiseRegularizer | test_regularizer[separable_conv1d-depthwise] |
| SeparableConv1DTest.testSeparableConv1DPointwiseRegularizer | test_regularizer[separable_conv1d-pointwise] |
| SeparableConv1DTest.testSeparableConv1DBiasRegularizer | test_regularizer[separable_conv1d-bias] |
| SeparableConv1DTest.testSeparableConv1DNoBias | test_no_bias[separable_conv1d] |
| SeparableConv1DTest.testConstraints | test_constraints[separable_conv1d] |
| SeparableConv2DTest.testCreateSeparableConv2D | test_create[separable_conv2d-relu] |
| SeparableConv2DTest.testCreateSeparableConv2DDepthMultiplier | test_create[separable_conv2d-depth_multiplier] |
| SeparableConv2DTest.testCreateSeparableConv2DIntegerKernelSize | test_create[separable_conv2d-int_kernel] |
| SeparableConv2DTest.testCreateSeparableConv2DChannelsFirst | test_create[separable_conv2d-channels_first] |
| SeparableConv2DTest.testSeparableConv2DPaddingSame | test_padding_same[separable_conv2d] |
| SeparableConv2DTest.testCreateSeparableConvWithStrides | test_strides[separable_conv2d-channels_last] |
| SeparableConv2DTest.testCreateSeparableConvWithStridesChannelsFirst | test_strides[separable_conv2d-channels_first] |
| SeparableConv2DTest.testFunctionalConv2DReuse | test_functional_reuse[separable_conv2d] |
| SeparableConv2DTest.testFunctionalConv2DReuseFromScope | test_functional_reuse_from_scope[separable_conv2d] |
| SeparableConv2DTest.testFunctionalConv2DInitializerFromScope | test_initializer_from_scope[separable_conv2d] |
| SeparableConv2DTest.testFunctionalConv2DNoReuse | test_functional_no_reuse[separable_conv2d] |
| SeparableConv2DTest.testSeparableConv2DDepthwiseRegularizer | test_regularizer[separable_conv2d-depthwise] |
| SeparableConv2DTest.testSeparableConv2DPointwiseRegularizer | test_regularizer[separable_conv2d-pointwise] |
| SeparableConv2DTest.testSeparableConv2DBiasRegularizer | test_regularizer[separable_conv2d-bias] |
| SeparableConv2DTest.testSeparableConv2DNoBias | test_no_bias[separable_conv2d] |
| SeparableConv2DTest.testConstraints | test_constraints[separable_conv2d] |
| Conv2DTransposeTest.testCreateConv2DTranspose | test_create[conv2d_transpose-relu] |
| Conv2DTransposeTest.testConv2DTransposeFloat16 | test_float16[conv2d_transpose] |
| Conv2DTransposeTest.testCreateConv2DTransposeIntegerKernelSize | test_create[conv2d_transpose-int_kernel] |
| Conv2DTransposeTest.testCreateConv2DTransposeChannelsFirst | test_create[conv2d_transpose-channels_first] |
| Conv2DTransposeTest.testConv2DTransposePaddingSame | test_padding_same[conv2d_transpose] |
| Conv2DTransposeTest.testCreateConv2DTransposeWithStrides | test_strides[conv2d_transpose-channels_last] |
| Conv2DTransposeTest.testConv2DTransposeKernelRegularizer | test_regularizer[conv2d_transpose-kernel] |
| Conv2DTransposeTest.testConv2DTransposeBiasRegularizer | test_regularizer[conv2d_transpose-bias] |
| Conv2DTransposeTest.testConv2DTransposeNoBias | test_no_bias[conv2d_transpose] |
| Conv2DTransposeTest.testFunctionalConv2DTransposeReuse | test_functional_reuse[conv2d_transpose] |
| Conv2DTransposeTest.testFunctionalConv2DTransposeReuseFromScope | test_functional_reuse_from_scope[conv2d_transpose] |
| Conv2DTransposeTest.testFunctionalConv2DTransposeInitializerFromScope | test_initializer_from_scope[conv2d_transpose] |
| Conv2DTransposeTest.testFunctionalConv2DTransposeNoReuse | test_functional_no_reuse[conv2d_transpose] |
| Conv2DTransposeTest.testConstraints | test_constraints[conv2d_transpose] |
| Conv3DTransposeTest.testCreateConv3DTranspose | test_create[conv3d_transpose-relu] |
| Conv3DTransposeTest.testCreateConv3DTransposeIntegerKernelSize | test_create[conv3d_transpose-int_kernel] |
| Conv3DTransposeTest.testCreateConv3DTransposeChannelsFirst | test_create[conv3d_transpose-channels_first] |
| Conv3DTransposeTest.testConv3DTransposePaddingSame | test_padding_same[conv3d_transpose] |
| Conv3DTransposeTest.testCreateConv3DTransposeWithStrides | test_strides[conv3d_transpose-channels_last] |
| Conv3DTransposeTest.testConv3DTransposeKernelRegularizer | test_regularizer[conv3d_transpose-kernel] |
| Conv3DTransposeTest.testConv3DTransposeBiasRegularizer | test_regularizer[conv3d_transpose-bias] |
| Conv3DTransposeTest.testConv3DTransposeNoBias | test_no_bias[conv3d_transpose] |
| Conv3DTransposeTest.testFunctionalConv3DTransposeReuse | test_functional_reuse[conv3d_transpose] |
| Conv3DTransposeTest.testFunctionalConv3DTransposeReuseFromScope | test_functional_reuse_from_scope[conv3d_transpose] |
| Conv3DTransposeTest.testFunctionalConv3DTransposeInitializerFromScope | test_initializer_from_scope[conv3d_transpose] |
| Conv3DTransposeTest.testFunctionalConv3DTransposeNoReuse | test_functional_no_reuse[conv3d_transpose] |
| Conv3DTransposeTest.testConstraints | test_constraints[conv3d_transpose] |

Beyond the upstream suite (numbers from NumPy): test_ones_kernel_values,
test_causal_conv1d_values, test_conv2d_transpose_values,
test_default_kernel_is_glorot_uniform, test_regularizer_values,
test_output_padding, test_compute_output_shape(_too_small_input),
test_get_config, test_input_spec_after_build, test_aliases,
test_signatures_name_the_reference_parameters,
test_every_differential_case_builds_and_runs (each case of
conv_layers_cases builds, runs and trains with ours: the check that the
differential cases hold on a TF where the reference cannot run) and
test_every_error_case_raises.
"""

import os
import types

import numpy as np
import pytest
import tensorflow as tf

import conv_layers_cases
import graph_summary

v1 = tf.compat.v1


def _layers():
  if os.environ.get('CONVTEST_AGAINST_REFERENCE'):
    from keras.legacy_tf_layers import convolutional  # pylint: disable=g-import-not-at-top
    return convolutional
  from tf_compat_bn.layers import convolutional  # pylint: disable=g-import-not-at-top
  return convolutional


L = _layers()


@pytest.fixture(autouse=True)
def _fresh_graph():
  with tf.Graph().as_default() as graph:
    yield graph


def _uniform(shape, dtype=tf.float32, seed=1):
  return tf.random.uniform(shape, dtype=dtype, seed=seed)


def _run(fetches, feed=None):
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    return sess.run(fetches, feed)


# Per family: functional name, class name, a channels-last input shape, and
# the channels-first counterpart.
FAMILIES = {
    'conv1d': ('conv1d', 'Conv1D', (5, 7, 4)),
    'conv2d': ('conv2d', 'Conv2D', (5, 7, 9, 4)),
    'conv3d': ('conv3d', 'Conv3D', (5, 6, 7, 9, 4)),
    'separable_conv1d': ('separable_conv1d', 'SeparableConv1D', (5, 9, 4)),
    'separable_conv2d': ('separable_conv2d', 'SeparableConv2D', (5, 7, 9, 4)),
    'conv2d_transpose': ('conv2d_transpose', 'Conv2DTranspose', (5, 7, 9, 4)),
    'conv3d_transpose': ('conv3d_transpose', 'Conv3DTranspose',
                         (5, 5, 7, 9, 4)),
}
UPSTREAM_VALIDATED = ('conv2d', 'separable_conv1d', 'separable_conv2d',
                      'conv2d_transpose', 'conv3d_transpose')


def _rank(family):
  return len(FAMILIES[family][2]) - 2


def _channels_first(shape):
  return (shape[0], shape[-1]) + tuple(shape[1:-1])


def _out_len(n, k, padding='valid', stride=1, dilation=1, transposed=False):
  """Hand formulas for one spatial length."""
  k = k + (k - 1) * (dilation - 1)
  if transposed:
    return n * stride if padding == 'same' else n * stride + max(k - stride, 0)
  n = n - k + 1 if padding == 'valid' else n
  return -(-n // stride)


def _expected_shape(family, shape, filters, k, padding='valid', strides=1,
                    channels_first=False):
  transposed = family.endswith('transpose')
  strides = (strides,) * _rank(family) if isinstance(strides, int) else strides
  spatial = shape[2:] if channels_first else shape[1:-1]
  spatial = [_out_len(n, k, padding, s, transposed=transposed)
             for n, s in zip(spatial, strides)]
  if channels_first:
    return [shape[0], filters] + spatial
  return [shape[0]] + spatial + [filters]


# ---- invalid arguments ------------------------------------------------------
@pytest.mark.parametrize('family', UPSTREAM_VALIDATED)
def test_invalid_data_format(family):
  fn = getattr(L, FAMILIES[family][0])
  x = _uniform(FAMILIES[family][2])
  with pytest.raises(ValueError, match='data_format'):
    fn(x, 4, 3, data_format='invalid')


@pytest.mark.parametrize('family', UPSTREAM_VALIDATED)
def test_invalid_strides(family):
  fn = getattr(L, FAMILIES[family][0])
  x = _uniform(FAMILIES[family][2])
  too_long = (1,) * (_rank(family) + 1)
  with pytest.raises(ValueError, match='strides'):
    fn(x, 4, 3, strides=too_long)
  with pytest.raises(ValueError, match='strides'):
    fn(x, 4, 3, strides=None)


@pytest.mark.parametrize('family', UPSTREAM_VALIDATED)
def test_invalid_kernel_size(family):
  fn = getattr(L, FAMILIES[family][0])
  x = _uniform(FAMILIES[family][2])
  with pytest.raises(ValueError, match='kernel_size'):
    fn(x, 4, (1,) * (_rank(family) + 1))
  with pytest.raises(ValueError, match='kernel_size'):
    fn(x, 4, None)


# ---- creating layers --------------------------------------------------------
def _kernel_shapes(family, k, channels, filters, depth_multiplier=1):
  """Variable shapes by family: [kernel] or [depthwise, pointwise]."""
  rank = _rank(family)
  window = [k] * rank
  if family.startswith('separable'):
    return [window + [channels, depth_multiplier],
            [1] * rank + [channels * depth_multiplier, filters]]
  if family.endswith('transpose'):
    return [window + [filters, channels]]
  return [window + [channels, filters]]


def _kernels(layer):
  if hasattr(layer, 'depthwise_kernel'):
    return [layer.depthwise_kernel, layer.pointwise_kernel]
  return [layer.kernel]


VARIANTS = ['relu', 'int_kernel', 'channels_first', 'depth_multiplier']
CREATE_CASES = [
    (family, variant) for family in FAMILIES for variant in VARIANTS
    if not (variant == 'depth_multiplier' and
            not family.startswith('separable'))]


@pytest.mark.parametrize('family,variant', CREATE_CASES,
                         ids=[f'{f}-{v}' for f, v in CREATE_CASES])
def test_create(family, variant):
  _, cls_name, shape = FAMILIES[family]
  channels, filters = shape[-1], 6
  kwargs, k = {}, 3
  if variant == 'relu':
    kwargs['activation'] = tf.nn.relu
  if variant == 'depth_multiplier':
    kwargs['depth_multiplier'] = 2
  if variant == 'channels_first':
    kwargs['data_format'] = 'channels_first'
    shape = _channels_first(shape)
  kernel_size = k if variant == 'int_kernel' else [k] * _rank(family)
  layer = getattr(L, cls_name)(filters, kernel_size, **kwargs)
  y = layer(_uniform(shape))
  if variant == 'relu':
    assert y.op.name == f'{family}/Relu'
  assert y.shape.as_list() == _expected_shape(
      family, shape, filters, k, channels_first=variant == 'channels_first')
  assert [v.shape.as_list() for v in _kernels(layer)] == _kernel_shapes(
      family, k, channels, filters, kwargs.get('depth_multiplier', 1))
  assert layer.bias.shape.as_list() == [filters]
  # It also runs (channels-first included: TF's CPU kernels take it).
  assert _run(y).shape == tuple(y.shape.as_list())


@pytest.mark.parametrize('family', ['conv1d', 'conv2d', 'conv2d_transpose'])
def test_float16(family):
  fn_name, _, shape = FAMILIES[family]
  y = getattr(L, fn_name)(_uniform(shape, tf.float16), 6, 3,
                          activation=tf.nn.relu)
  assert y.dtype == tf.float16
  assert y.shape.as_list() == _expected_shape(family, shape, 6, 3)
  assert {v.dtype.base_dtype for v in v1.global_variables()} == {tf.float16}


@pytest.mark.parametrize('family,data_format', [
    ('conv1d', 'channels_last'), ('conv1d', 'channels_first'),
    ('conv2d', 'channels_last'), ('conv2d', 'channels_first'),
    ('conv3d', 'channels_last')])
def test_unknown_input_channels(family, data_format):
  _, cls_name, shape = FAMILIES[family]
  shape = list(shape)
  axis = 1 if data_format == 'channels_first' else -1
  shape[axis] = None
  layer = getattr(L, cls_name)(32, 3, data_format=data_format)
  with pytest.raises(ValueError, match='The channel dimension of the inputs '
                     'should be defined. The input_shape received is'):
    layer(v1.placeholder(tf.float32, shape))


@pytest.mark.parametrize('family', FAMILIES)
def test_padding_same(family):
  _, cls_name, shape = FAMILIES[family]
  # A window as large as the input, given as a TensorShape, as upstream.
  x = _uniform(shape)
  layer = getattr(L, cls_name)(8, x.shape[1:1 + _rank(family)],
                               padding='same')
  y = layer(x)
  assert y.shape.as_list() == list(shape[:-1]) + [8]


STRIDE_CASES = [('conv2d', 'channels_last'),
                ('separable_conv1d', 'channels_last'),
                ('separable_conv1d', 'channels_first'),
                ('separable_conv2d', 'channels_last'),
                ('separable_conv2d', 'channels_first'),
                ('conv2d_transpose', 'channels_last'),
                ('conv3d_transpose', 'channels_last')]


@pytest.mark.parametrize('family,data_format', STRIDE_CASES,
                         ids=[f'{f}-{d}' for f, d in STRIDE_CASES])
def test_strides(family, data_format):
  _, cls_name, shape = FAMILIES[family]
  rank = _rank(family)
  shape = (5,) + (4, 6, 8)[-rank:] + (3,)
  first = data_format == 'channels_first'
  if first:
    shape = _channels_first(shape)
  x = _uniform(shape)
  stride_variants = [(2,) * rank, 2] + ([(2,) + (1,) * (rank - 1)]
                                        if rank > 1 else [])
  for strides in stride_variants:
    layer = getattr(L, cls_name)(4, 3, strides=strides, padding='same',
                                 data_format=data_format)
    expected = _expected_shape(family, shape, 4, 3, 'same', strides, first)
    assert layer(x).shape.as_list() == expected, strides


# ---- regularizers, bias, constraints ---------------------------------------
REGULARIZER_CASES = (
    [(f, 'kernel') for f in ('conv2d', 'conv2d_transpose',
                             'conv3d_transpose')] +
    [(f, 'bias') for f in ('conv2d', 'separable_conv1d', 'separable_conv2d',
                           'conv2d_transpose', 'conv3d_transpose')] +
    [(f, w) for f in ('separable_conv1d', 'separable_conv2d')
     for w in ('depthwise', 'pointwise')])


@pytest.mark.parametrize('family,weight', REGULARIZER_CASES,
                         ids=[f'{f}-{w}' for f, w in REGULARIZER_CASES])
def test_regularizer(family, weight):
  _, cls_name, shape = FAMILIES[family]
  layer = getattr(L, cls_name)(
      6, 3, **{weight + '_regularizer': lambda w: 0.1 * tf.reduce_sum(w)})
  layer(_uniform(shape))
  collected = v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)
  assert len(collected) == 1
  with v1.Session() as sess:
    sess.run([v.initializer for v in layer.variables])
    assert sess.run(layer.losses) == sess.run(collected)


def test_regularizer_values():
  """0.1 * sum of a ones kernel of shape 3x3x4x6 is 0.1 * 216 = 21.6."""
  layer = L.Conv2D(6, 3, kernel_initializer=v1.ones_initializer(),
                   kernel_regularizer=lambda w: 0.1 * tf.reduce_sum(w))
  layer(_uniform((5, 7, 9, 4)))
  losses = v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)
  np.testing.assert_allclose(_run(losses), [21.6], rtol=1e-6)
  assert losses[0].op.name.startswith('conv2d/kernel/Regularizer/')


@pytest.mark.parametrize('family', ['conv2d', 'separable_conv1d',
                                    'separable_conv2d', 'conv2d_transpose',
                                    'conv3d_transpose'])
def test_no_bias(family):
  _, cls_name, shape = FAMILIES[family]
  layer = getattr(L, cls_name)(6, 3, activation=tf.nn.relu, use_bias=False)
  y = layer(_uniform(shape))
  assert y.op.name == f'{family}/Relu'
  assert y.shape.as_list() == _expected_shape(family, shape, 6, 3)
  assert layer.bias is None
  assert [v.name for v in layer.variables] == [
      v.name for v in _kernels(layer)]


def test_dilated_conv2d():
  x = _uniform((5, 7, 9, 4))
  layer = L.Conv2D(32, [3, 3], dilation_rate=3)
  # A 3-tap window dilated by 3 spans 7: 7 -> 1, 9 -> 3.
  assert layer(x).shape.as_list() == [5, 1, 3, 32]
  assert layer.kernel.shape.as_list() == [3, 3, 4, 32]
  assert layer.bias.shape.as_list() == [32]
  layer = L.Conv2D(32, [3, 3], dilation_rate=(1, 3))
  assert layer(x).shape.as_list() == [5, 5, 3, 32]


@pytest.mark.parametrize('family', FAMILIES)
def test_constraints(family):
  _, cls_name, shape = FAMILIES[family]
  names = (['depthwise', 'pointwise', 'bias'] if family.startswith('separable')
           else ['kernel', 'bias'])
  constraints = {n + '_constraint': (lambda w: w / tf.reduce_sum(w))
                 for n in names}
  layer = getattr(L, cls_name)(2, 3, **constraints)
  layer(_uniform((5,) + (3,) * _rank(family) + (5,)))
  for key, fn in constraints.items():
    assert getattr(layer, key) is fn


def test_conv3d_channels_first_unknown_batch():
  # Upstream: GitHub issue 15655, a 9-wide channels-first 3D window.
  x = v1.placeholder(tf.float32, [None, 1, 32, 32, 32])
  y = L.conv3d(x, 32, 9, data_format='channels_first')
  assert y.shape.as_list() == [None, 32, 24, 24, 24]


# ---- variable scopes and reuse ---------------------------------------------
_VARIABLE_COUNT = {'separable_conv1d': 3, 'separable_conv2d': 3}


@pytest.mark.parametrize('family', ['conv2d', 'separable_conv1d',
                                    'separable_conv2d', 'conv2d_transpose',
                                    'conv3d_transpose'])
def test_functional_reuse(family):
  fn_name, _, shape = FAMILIES[family]
  fn, x = getattr(L, fn_name), _uniform(shape)
  count = _VARIABLE_COUNT.get(family, 2)
  fn(x, 4, 3, name='layer1')
  assert len(v1.trainable_variables()) == count
  fn(x, 4, 3, name='layer1', reuse=True)
  assert len(v1.trainable_variables()) == count


@pytest.mark.parametrize('family', ['conv2d', 'separable_conv1d',
                                    'separable_conv2d', 'conv2d_transpose',
                                    'conv3d_transpose'])
def test_functional_reuse_from_scope(family):
  fn_name, _, shape = FAMILIES[family]
  fn, x = getattr(L, fn_name), _uniform(shape)
  count = _VARIABLE_COUNT.get(family, 2)
  with v1.variable_scope('scope'):
    fn(x, 4, 3, name='layer1')
  assert len(v1.trainable_variables()) == count
  with v1.variable_scope('scope', reuse=True):
    fn(x, 4, 3, name='layer1')
  assert len(v1.trainable_variables()) == count


@pytest.mark.parametrize('family', ['conv2d', 'separable_conv1d',
                                    'separable_conv2d', 'conv2d_transpose',
                                    'conv3d_transpose'])
def test_functional_no_reuse(family):
  fn_name, _, shape = FAMILIES[family]
  fn, x = getattr(L, fn_name), _uniform(shape)
  count = _VARIABLE_COUNT.get(family, 2)
  fn(x, 4, 3)
  fn(x, 4, 3)
  assert len(v1.trainable_variables()) == 2 * count
  assert v1.trainable_variables()[count].name.startswith(family + '_1/')


@pytest.mark.parametrize('family', ['conv2d', 'separable_conv2d',
                                    'conv2d_transpose', 'conv3d_transpose'])
def test_initializer_from_scope(family):
  fn_name, _, shape = FAMILIES[family]
  with v1.variable_scope('scope', initializer=v1.ones_initializer()):
    getattr(L, fn_name)(_uniform(shape), 6, 3, name='layer1')
  weights = v1.trainable_variables()
  names = (['depthwise_kernel', 'pointwise_kernel', 'bias']
           if family.startswith('separable') else ['kernel', 'bias'])
  assert [w.name for w in weights] == [f'scope/layer1/{n}:0' for n in names]
  values = _run(weights)
  for value in values[:-1]:  # every kernel from the scope: ones
    np.testing.assert_array_equal(value, np.ones_like(value))
  np.testing.assert_array_equal(values[-1], np.zeros(6))  # bias: its own


# ---- numbers ----------------------------------------------------------------
def _window_sums(x, k):
  """NumPy: sums over every valid k x k window and all channels (NHWC)."""
  n, h, w, _ = x.shape
  out = np.zeros((n, h - k + 1, w - k + 1))
  for i in range(h - k + 1):
    for j in range(w - k + 1):
      out[:, i, j] = x[:, i:i + k, j:j + k, :].sum(axis=(1, 2, 3))
  return out


@pytest.mark.parametrize('fn_name', ['conv2d', 'separable_conv2d'])
def test_ones_kernel_values(fn_name):
  """All-ones kernels: each output channel is the window's sum over every
  input channel (for the separable layer: depthwise window sums, then their
  pointwise sum), plus the bias."""
  data = np.random.RandomState(0).normal(size=(2, 5, 6, 3))
  x = v1.placeholder(tf.float64, data.shape)
  init = {'conv2d': dict(kernel_initializer=v1.ones_initializer()),
          'separable_conv2d': dict(depthwise_initializer=v1.ones_initializer(),
                                   pointwise_initializer=v1.ones_initializer())}
  y = getattr(L, fn_name)(x, 2, 3, bias_initializer=v1.constant_initializer(
      0.5), **init[fn_name])
  expected = _window_sums(data, 3)[..., None].repeat(2, axis=-1) + 0.5
  np.testing.assert_allclose(_run(y, {x: data}), expected, rtol=1e-12)


def test_causal_conv1d_values():
  """Causal, dilation 2, 3 taps, ones kernel: out[t] = in[t] + in[t - 2] +
  in[t - 4] summed over channels (missing steps are zeros)."""
  data = np.random.RandomState(1).normal(size=(2, 9, 3))
  x = v1.placeholder(tf.float64, data.shape)
  y = L.conv1d(x, 1, 3, padding='causal', dilation_rate=2,
               kernel_initializer=v1.ones_initializer())
  summed = data.sum(axis=-1)
  padded = np.concatenate([np.zeros((2, 4)), summed], axis=1)
  expected = padded[:, 4:] + padded[:, 2:-2] + padded[:, :-4]
  np.testing.assert_allclose(_run(y, {x: data})[..., 0], expected,
                             rtol=1e-12)


def test_conv2d_transpose_values():
  """Stride 2, 3x3 ones kernel, 'valid': each input pixel (summed over
  channels) is added into the 3x3 block at (2i, 2j) of a 2n+1 square."""
  data = np.random.RandomState(2).normal(size=(1, 3, 4, 2))
  x = v1.placeholder(tf.float64, data.shape)
  y = L.conv2d_transpose(x, 1, 3, strides=2,
                         kernel_initializer=v1.ones_initializer())
  expected = np.zeros((1, 7, 9))
  summed = data.sum(axis=-1)
  for i in range(3):
    for j in range(4):
      expected[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3] += summed[:, i, j, None,
                                                              None]
  np.testing.assert_allclose(_run(y, {x: data})[..., 0], expected,
                             rtol=1e-12)


def test_default_kernel_is_glorot_uniform():
  """No initializer anywhere: uniform in +-sqrt(6 / (fan_in + fan_out)), here
  fan_in = 3*3*8 = 72, fan_out = 3*3*16 = 144, limit = 1/6; bias zeros."""
  layer = L.Conv2D(16, 3)
  layer(_uniform((1, 5, 5, 8)))
  kernel, bias = _run([layer.kernel, layer.bias])
  limit = np.sqrt(6.0 / (72 + 144))
  assert np.abs(kernel).max() <= limit
  assert np.abs(kernel).max() > 0.9 * limit  # 1152 draws reach the edge
  assert abs(kernel.std() - limit / np.sqrt(3)) < 0.1 * limit
  np.testing.assert_array_equal(bias, np.zeros(16))


@pytest.mark.parametrize('cls_name,shape,kwargs,expected', [
    ('Conv2DTranspose', (2, 4, 5, 3), dict(strides=2, output_padding=1),
     [2, 10, 12, 6]),  # (n - 1) * 2 + 3 + 1
    ('Conv2DTranspose', (2, 4, 5, 3), dict(strides=(2, 3),
                                           output_padding=(0, 2),
                                           padding='same'),
     [2, 7, 15, 6]),  # (n - 1) * s + 3 - 2 * 1 + p
    ('Conv3DTranspose', (2, 2, 3, 4, 3), dict(strides=2, output_padding=1),
     [2, 6, 8, 10, 6]),
])
def test_output_padding(cls_name, shape, kwargs, expected):
  layer = getattr(L, cls_name)(6, 3, **kwargs)
  y = layer(v1.placeholder(tf.float32, (None,) + shape[1:]))
  assert y.shape.as_list() == [None] + expected[1:]
  data = np.zeros(shape, np.float32)
  assert _run(y, {'Placeholder:0': data}).shape == tuple(expected)


# ---- the rest of the layer surface -----------------------------------------
@pytest.mark.parametrize('cls_name,kwargs,shape,expected', [
    ('Conv1D', dict(padding='causal'), [None, 10, 3], [None, 10, 6]),
    ('Conv2D', dict(strides=2), [None, 9, 8, 3], [None, 4, 3, 6]),
    ('Conv2D', dict(data_format='channels_first'), [4, 3, 9, 8],
     [4, 6, 7, 6]),
    ('Conv3D', dict(padding='same', strides=2), [1, 5, 6, 7, 3],
     [1, 3, 3, 4, 6]),
    ('SeparableConv2D', dict(dilation_rate=2), [2, 9, 9, 3], [2, 5, 5, 6]),
    ('Conv2DTranspose', dict(strides=2), [None, 4, None, 3],
     [None, 9, None, 6]),
    ('Conv3DTranspose', dict(padding='same', strides=(1, 2, 3)),
     [2, 3, 3, 3, 3], [2, 3, 6, 9, 6]),
])
def test_compute_output_shape(cls_name, kwargs, shape, expected):
  layer = getattr(L, cls_name)(6, 3, **kwargs)
  assert layer.compute_output_shape(shape).as_list() == expected


def test_compute_output_shape_too_small_input():
  layer = L.Conv2D(4, 5)
  with pytest.raises(ValueError, match='One of the dimensions in the output '
                     'is <= 0 due to downsampling in conv2d'):
    layer(v1.placeholder(tf.float32, [2, 3, 3, 3]))


def test_get_config():
  layer = L.Conv2D(4, 3, strides=(2, 1), padding='SAME',
                   activation=tf.nn.relu, name='c')
  config = layer.get_config()
  assert config == {
      'name': 'c', 'trainable': True, 'dtype': None, 'filters': 4,
      'kernel_size': (3, 3), 'strides': (2, 1), 'padding': 'same',
      'data_format': 'channels_last', 'dilation_rate': (1, 1), 'groups': 1,
      'activation': 'relu', 'use_bias': True, 'kernel_initializer': None,
      'bias_initializer': {'class_name': 'Zeros',
                           'config': {'dtype': 'float32'}},
      'kernel_regularizer': None, 'bias_regularizer': None,
      'activity_regularizer': None, 'kernel_constraint': None,
      'bias_constraint': None}
  transposed = L.Conv2DTranspose(4, 3, strides=2, output_padding=1)
  assert transposed.get_config()['output_padding'] == (1, 1)
  separable = L.SeparableConv1D(4, 3, depth_multiplier=2).get_config()
  assert separable['depth_multiplier'] == 2
  assert separable['activation'] == 'linear'
  assert separable['depthwise_initializer'] is None


def test_input_spec_after_build():
  layer = L.Conv2D(4, 3, data_format='channels_first')
  assert layer.input_spec.min_ndim == 4
  layer(v1.placeholder(tf.float32, [2, 3, 5, 5]))
  assert layer.input_spec.min_ndim == 4
  assert layer.input_spec.axes == {-3: 3}
  separable = L.SeparableConv1D(4, 3)
  separable(v1.placeholder(tf.float32, [2, 5, 3]))
  assert (separable.input_spec.ndim, separable.input_spec.axes) == (3, {-1: 3})


def test_aliases():
  assert L.Convolution1D is L.Conv1D and L.convolution1d is L.conv1d
  assert L.Convolution2D is L.Conv2D and L.convolution2d is L.conv2d
  assert L.Convolution3D is L.Conv3D and L.convolution3d is L.conv3d
  assert L.SeparableConvolution2D is L.SeparableConv2D
  assert L.separable_convolution2d is L.separable_conv2d
  for name in ('Convolution2DTranspose', 'Deconvolution2D', 'Deconv2D'):
    assert getattr(L, name) is L.Conv2DTranspose
  for name in ('Convolution3DTranspose', 'Deconvolution3D', 'Deconv3D'):
    assert getattr(L, name) is L.Conv3DTranspose
  for name in ('convolution2d_transpose', 'deconvolution2d', 'deconv2d'):
    assert getattr(L, name) is L.conv2d_transpose
  for name in ('convolution3d_transpose', 'deconvolution3d', 'deconv3d'):
    assert getattr(L, name) is L.conv3d_transpose


def test_signatures_name_the_reference_parameters():
  """Spot checks of parameter order and defaults (the full comparison is
  made against the reference in test_conv_reference)."""
  import inspect  # pylint: disable=g-import-not-at-top
  params = inspect.signature(L.conv2d_transpose).parameters
  assert list(params)[:7] == ['inputs', 'filters', 'kernel_size', 'strides',
                              'padding', 'data_format', 'activation']
  assert list(params)[-3:] == ['trainable', 'name', 'reuse']
  assert params['strides'].default == (1, 1)
  params = inspect.signature(L.SeparableConv1D.__init__).parameters
  assert list(params)[6:9] == ['dilation_rate', 'depth_multiplier',
                               'activation']
  assert params['kernel_size'].default is inspect.Parameter.empty


@pytest.mark.parametrize('case', conv_layers_cases.CASES,
                         ids=lambda c: c['id'])
def test_every_differential_case_builds_and_runs(case):
  namespace = types.SimpleNamespace(**vars(L))
  structure, values = graph_summary.summarize(
      case, conv_layers_cases.function(namespace, case),
      conv_layers_cases.make_kwargs)
  assert structure['output_shape'] == list(values['y_first'].shape)
  assert all(np.all(np.isfinite(g)) for g in values['grads'])
  if case.get('kwargs', {}).get('trainable', True) and not (
      case.get('calls') or case.get('towers')):
    # (float64 first: NumPy cannot compare bfloat16 arrays with a float.)
    assert not np.allclose(np.asarray(values['y_trained'], np.float64),
                           np.asarray(values['y_first'], np.float64))


@pytest.mark.parametrize('name', sorted(conv_layers_cases.ERROR_CASES))
def test_every_error_case_raises(name):
  """The differential error cases raise with ours on any TF too (their
  messages are compared with the reference's in test_conv_reference)."""
  error = conv_layers_cases.error_of(types.SimpleNamespace(**vars(L)), name)
  assert error is not None
  assert error[0] in ('ValueError', 'TypeError', 'AssertionError')
