"""The argument space of the convolution layers covered by differential tests.

Each case is JSON-able.  `fn` names a function of the namespace
(`tf.compat.v1.layers` for the reference, ours otherwise), or `layer` a class
that is built with the case's kwargs and called (`twice`: the same instance
called again, on 2 * input, and the two outputs added).  Objects are written symbolically as strings
starting with '@' (see `OBJECTS`).  Keys understood by
`graph_summary.build`: shape, dtype, placeholder_shape, calls, towers, outer,
partitioned, mode.  `output_shape` (cases with a partly unknown placeholder):
the output's full static shape, set on it by `function` (no op) because the
runner weighs the output by a constant of the output's static shape.  No
case is `structure_only`: every one runs on CPU (TF 2.12's and 2.21's CPU
kernels take channels-first convolutions).

Values of default-initialized kernels: the reference draws its Glorot
initializer's seed from Python's `random`, so `function` reseeds `random`
(from the case id) before each call; both sides then draw the same seeds.

ERROR_CASES: name -> callable(namespace), run in a fresh graph; it must raise
the same (type, message) for both sides.
"""

import random
import zlib

import tensorflow as tf

v1 = tf.compat.v1


def _l2(scale):
  return lambda v: tf.multiply(tf.nn.l2_loss(v), scale, name='l2')


OBJECTS = {
    '@relu': lambda: tf.nn.relu,
    '@tanh': lambda: tf.nn.tanh,
    '@l2_small': lambda: _l2(0.01),
    '@l2_large': lambda: _l2(0.05),
    '@activity_l1': lambda: (lambda y: tf.multiply(
        tf.reduce_sum(tf.abs(y)), 1e-3, name='l1')),
    '@clip': lambda: (lambda v: tf.clip_by_value(v, -0.2, 0.2)),
    '@max_norm': lambda: (lambda v: v / tf.maximum(1.0, tf.norm(v))),
    '@truncated_normal': lambda: v1.truncated_normal_initializer(
        stddev=0.2, seed=3),
    '@random_uniform': lambda: v1.random_uniform_initializer(-0.3, 0.3,
                                                             seed=5),
    '@constant_0.1': lambda: v1.constant_initializer(0.1),
    '@constant_-0.2': lambda: v1.constant_initializer(-0.2),
    '@ones': lambda: v1.ones_initializer(),
}


def _case(cid, fn, shape, **kw):
  return dict(id=cid, fn=fn, shape=shape, **kw)


def _layer(cid, cls, shape, **kw):
  return dict(id=cid, layer=cls, shape=shape, **kw)


NWC = [2, 7, 3]
NHWC = [2, 5, 5, 3]
NDHWC = [2, 4, 4, 4, 2]
REGULARIZED = dict(kernel_regularizer='@l2_small', bias_regularizer='@l2_large')
CONSTRAINED = dict(kernel_constraint='@clip', bias_constraint='@max_norm')

CASES = [
    # ---- conv1d -----------------------------------------------------------
    _case('conv1d_default', 'conv1d', NWC, kwargs=dict(filters=4,
                                                       kernel_size=3)),
    _case('conv1d_same_strides2', 'conv1d', [2, 8, 3],
          kwargs=dict(filters=4, kernel_size=3, strides=2, padding='same')),
    _case('conv1d_causal_dilation2', 'conv1d', NWC,
          kwargs=dict(filters=4, kernel_size=3, padding='causal',
                      dilation_rate=2)),
    _case('conv1d_causal_channels_first', 'conv1d', [2, 3, 7],
          kwargs=dict(filters=2, kernel_size=2, padding='Causal',
                      data_format='channels_first')),
    _case('conv1d_channels_first', 'conv1d', [2, 3, 7],
          kwargs=dict(filters=4, kernel_size=3, data_format='channels_first')),
    _case('conv1d_extra_batch_dims', 'conv1d', [2, 2, 7, 3],
          kwargs=dict(filters=4, kernel_size=3)),
    _layer('conv1d_groups', 'Conv1D', [2, 7, 4],
           kwargs=dict(filters=4, kernel_size=3, groups=2)),
    _case('convolution1d_alias', 'convolution1d', NWC,
          kwargs=dict(filters=2, kernel_size=2, activation='@tanh')),
    # ---- conv2d -----------------------------------------------------------
    _case('conv2d_default', 'conv2d', NHWC, kwargs=dict(filters=4,
                                                        kernel_size=3)),
    _case('conv2d_same_strides', 'conv2d', [2, 6, 6, 3],
          kwargs=dict(filters=4, kernel_size=(3, 2), strides=(2, 1),
                      padding='SAME')),
    _case('conv2d_dilation', 'conv2d', [2, 7, 7, 3],
          kwargs=dict(filters=4, kernel_size=3, dilation_rate=(2, 1))),
    _case('conv2d_dilation_same', 'conv2d', [2, 7, 7, 3],
          kwargs=dict(filters=4, kernel_size=3, dilation_rate=2,
                      padding='same')),
    _case('conv2d_no_bias_relu', 'conv2d', NHWC,
          kwargs=dict(filters=4, kernel_size=3, use_bias=False,
                      activation='@relu')),
    _case('conv2d_channels_first', 'conv2d', [2, 3, 5, 5],
          kwargs=dict(filters=4, kernel_size=3, data_format='channels_first')),
    _case('conv2d_named', 'conv2d', NHWC,
          kwargs=dict(filters=4, kernel_size=3, name='conv')),
    _case('conv2d_initializers', 'conv2d', NHWC,
          kwargs=dict(filters=4, kernel_size=3,
                      kernel_initializer='@truncated_normal',
                      bias_initializer='@constant_0.1')),
    _case('conv2d_regularizers', 'conv2d', NHWC,
          kwargs=dict(filters=4, kernel_size=3, **REGULARIZED)),
    _case('conv2d_constraints', 'conv2d', NHWC,
          kwargs=dict(filters=4, kernel_size=3, **CONSTRAINED)),
    _case('conv2d_activity_regularizer', 'conv2d', NHWC,
          kwargs=dict(filters=4, kernel_size=3,
                      activity_regularizer='@activity_l1')),
    _case('conv2d_trainable_false', 'conv2d', NHWC,
          kwargs=dict(filters=4, kernel_size=3, trainable=False)),
    _case('conv2d_float16', 'conv2d', NHWC, dtype='float16',
          kwargs=dict(filters=4, kernel_size=3)),
    _case('conv2d_bfloat16', 'conv2d', NHWC, dtype='bfloat16',
          kwargs=dict(filters=4, kernel_size=3)),
    _case('conv2d_float64', 'conv2d', NHWC, dtype='float64',
          kwargs=dict(filters=4, kernel_size=3, activation='@relu')),
    _case('conv2d_unknown_batch', 'conv2d', NHWC,
          placeholder_shape=[None, 5, 5, 3], output_shape=[2, 3, 3, 4],
          kwargs=dict(filters=4, kernel_size=3)),
    _case('conv2d_unknown_spatial', 'conv2d', NHWC,
          placeholder_shape=[None, None, None, 3], output_shape=[2, 3, 3, 4],
          kwargs=dict(filters=4, kernel_size=3, strides=2, padding='same')),
    _case('conv2d_reuse', 'conv2d', NHWC, calls=2,
          kwargs=dict(filters=4, kernel_size=3, name='shared')),
    _case('conv2d_towers', 'conv2d', NHWC, towers=2,
          kwargs=dict(filters=4, kernel_size=3, padding='same')),
    _case('conv2d_outer_scope', 'conv2d', NHWC, outer='outer',
          kwargs=dict(filters=4, kernel_size=3)),
    _case('conv2d_partitioned', 'conv2d', [2, 5, 5, 4], outer='outer',
          partitioned=True,
          kwargs=dict(filters=4, kernel_size=3,
                      kernel_initializer='@random_uniform')),
    _case('conv2d_v1_mode', 'conv2d', NHWC, mode='v1',
          kwargs=dict(filters=4, kernel_size=3, **REGULARIZED)),
    _case('conv2d_extra_batch_dims', 'conv2d', [2, 2, 5, 5, 3],
          kwargs=dict(filters=4, kernel_size=3)),
    _layer('conv2d_class', 'Conv2D', NHWC,
           kwargs=dict(filters=4, kernel_size=[2, 3], activation='@relu')),
    _layer('conv2d_class_twice', 'Conv2D', NHWC, twice=True,
           kwargs=dict(filters=3, kernel_size=3, padding='same')),
    _layer('conv2d_groups', 'Conv2D', [2, 5, 5, 4],
           kwargs=dict(filters=6, kernel_size=3, groups=2)),
    _case('convolution2d_alias', 'convolution2d', NHWC,
          kwargs=dict(filters=2, kernel_size=2)),
    # ---- conv3d -----------------------------------------------------------
    _case('conv3d_default', 'conv3d', NDHWC, kwargs=dict(filters=3,
                                                         kernel_size=3)),
    _case('conv3d_same_strides2', 'conv3d', NDHWC,
          kwargs=dict(filters=3, kernel_size=(3, 2, 2), strides=2,
                      padding='same')),
    _case('conv3d_dilation_relu', 'conv3d', [2, 5, 5, 5, 2],
          kwargs=dict(filters=3, kernel_size=2, dilation_rate=2,
                      activation='@relu')),
    _case('conv3d_channels_first', 'conv3d', [2, 2, 4, 4, 4],
          kwargs=dict(filters=3, kernel_size=3,
                      data_format='channels_first')),
    _case('conv3d_float64', 'conv3d', NDHWC, dtype='float64',
          kwargs=dict(filters=3, kernel_size=2, **REGULARIZED)),
    # ---- separable_conv1d -------------------------------------------------
    _case('separable_conv1d_default', 'separable_conv1d', NWC,
          kwargs=dict(filters=4, kernel_size=3)),
    _case('separable_conv1d_causal_depth2', 'separable_conv1d', NWC,
          kwargs=dict(filters=4, kernel_size=3, padding='causal',
                      depth_multiplier=2, dilation_rate=2)),
    _case('separable_conv1d_channels_first', 'separable_conv1d', [2, 3, 8],
          kwargs=dict(filters=4, kernel_size=3, strides=2, padding='same',
                      data_format='channels_first')),
    _case('separable_conv1d_regularized_constrained', 'separable_conv1d',
          NWC, kwargs=dict(filters=4, kernel_size=3,
                           depthwise_regularizer='@l2_small',
                           pointwise_regularizer='@l2_large',
                           bias_regularizer='@l2_small',
                           depthwise_constraint='@clip',
                           pointwise_constraint='@max_norm',
                           bias_constraint='@clip')),
    _layer('separable_conv1d_class_no_bias', 'SeparableConv1D', NWC,
           kwargs=dict(filters=2, kernel_size=2, use_bias=False,
                       activation='@relu')),
    # ---- separable_conv2d -------------------------------------------------
    _case('separable_conv2d_default', 'separable_conv2d', NHWC,
          kwargs=dict(filters=4, kernel_size=3)),
    _case('separable_conv2d_depth2_dilation', 'separable_conv2d',
          [2, 7, 7, 3], kwargs=dict(filters=4, kernel_size=3,
                                    depth_multiplier=2, dilation_rate=2)),
    _case('separable_conv2d_strides_same', 'separable_conv2d', [2, 6, 6, 3],
          kwargs=dict(filters=4, kernel_size=3, strides=(2, 1),
                      padding='same')),
    _case('separable_conv2d_channels_first', 'separable_conv2d',
          [2, 3, 5, 5], kwargs=dict(filters=4, kernel_size=3,
                                    data_format='channels_first',
                                    depthwise_initializer='@truncated_normal',
                                    pointwise_initializer='@random_uniform')),
    _case('separable_conv2d_initializers', 'separable_conv2d', NHWC,
          kwargs=dict(filters=4, kernel_size=3,
                      depthwise_initializer='@truncated_normal',
                      pointwise_initializer='@constant_-0.2',
                      bias_initializer='@constant_0.1',
                      activation='@relu')),
    _case('separable_conv2d_float64', 'separable_conv2d', NHWC,
          dtype='float64', kwargs=dict(filters=4, kernel_size=3)),
    _layer('separable_conv2d_groups_unused', 'SeparableConv2D',
           [2, 5, 5, 4], kwargs=dict(filters=4, kernel_size=2, groups=2)),
    _case('separable_conv2d_reuse', 'separable_conv2d', NHWC, calls=2,
          kwargs=dict(filters=4, kernel_size=3, name='sep')),
    _case('separable_convolution2d_alias', 'separable_convolution2d', NHWC,
          kwargs=dict(filters=2, kernel_size=2, trainable=False)),
    # ---- conv2d_transpose -------------------------------------------------
    _case('conv2d_transpose_default', 'conv2d_transpose', NHWC,
          kwargs=dict(filters=4, kernel_size=3)),
    _case('conv2d_transpose_strides2_same', 'conv2d_transpose', NHWC,
          kwargs=dict(filters=4, kernel_size=3, strides=2, padding='same')),
    _case('conv2d_transpose_kernel_below_stride', 'conv2d_transpose', NHWC,
          kwargs=dict(filters=4, kernel_size=(1, 2), strides=(2, 3))),
    _case('conv2d_transpose_channels_first', 'conv2d_transpose',
          [2, 3, 5, 5], kwargs=dict(filters=4, kernel_size=3, strides=2,
                                    data_format='channels_first')),
    _case('conv2d_transpose_unknown_spatial', 'conv2d_transpose', NHWC,
          placeholder_shape=[None, 5, None, 3], output_shape=[2, 11, 11, 4],
          kwargs=dict(filters=4, kernel_size=3, strides=2)),
    _layer('conv2d_transpose_output_padding', 'Conv2DTranspose', NHWC,
           placeholder_shape=[None, None, None, 3],
           output_shape=[2, 12, 12, 4],
           kwargs=dict(filters=4, kernel_size=3, strides=2,
                       output_padding=1)),
    _layer('conv2d_transpose_dilation', 'Conv2DTranspose', NHWC,
           kwargs=dict(filters=4, kernel_size=3, dilation_rate=2)),
    _layer('conv2d_transpose_dilation_channels_first', 'Conv2DTranspose',
           [2, 3, 5, 5], kwargs=dict(filters=4, kernel_size=2,
                                     dilation_rate=2, padding='same',
                                     data_format='channels_first')),
    # Not trained: float16 SGD steps on a transposed conv drift by a few
    # float16 ulps between TF versions (golden files compare across them).
    _case('conv2d_transpose_float16', 'conv2d_transpose', NHWC,
          dtype='float16', kwargs=dict(filters=4, kernel_size=3, strides=2,
                                       activation='@relu', trainable=False)),
    _case('conv2d_transpose_regularized', 'conv2d_transpose', NHWC,
          kwargs=dict(filters=4, kernel_size=3, use_bias=False,
                      kernel_regularizer='@l2_small',
                      kernel_constraint='@clip')),
    _layer('conv2d_transpose_groups_unused', 'Conv2DTranspose', NHWC,
           kwargs=dict(filters=4, kernel_size=2, groups=2)),
    _case('deconv2d_alias', 'deconv2d', NHWC,
          kwargs=dict(filters=2, kernel_size=2, strides=2)),
    # ---- conv3d_transpose -------------------------------------------------
    _case('conv3d_transpose_default', 'conv3d_transpose', NDHWC,
          kwargs=dict(filters=3, kernel_size=3)),
    _case('conv3d_transpose_strides2_same', 'conv3d_transpose', NDHWC,
          kwargs=dict(filters=3, kernel_size=3, strides=(2, 1, 2),
                      padding='same')),
    _layer('conv3d_transpose_output_padding', 'Conv3DTranspose', NDHWC,
           kwargs=dict(filters=3, kernel_size=2, strides=2,
                       output_padding=(1, 0, 1))),
    _case('conv3d_transpose_channels_first', 'conv3d_transpose',
          [2, 2, 3, 3, 3], kwargs=dict(filters=3, kernel_size=2, strides=2,
                                       data_format='channels_first')),
    _case('conv3d_transpose_unknown_batch', 'conv3d_transpose', NDHWC,
          placeholder_shape=[None, 4, 4, 4, 2], output_shape=[2, 5, 5, 5, 3],
          kwargs=dict(filters=3, kernel_size=2, name='up')),
    _case('convolution3d_transpose_alias', 'convolution3d_transpose', NDHWC,
          kwargs=dict(filters=2, kernel_size=2, activation='@relu')),
]


# The reference module's other names (tf.compat.v1.layers exports only the
# canonical ones; keras.legacy_tf_layers.convolutional has these too).
ALIASES = {
    'Convolution1D': 'Conv1D', 'Convolution2D': 'Conv2D',
    'Convolution3D': 'Conv3D', 'SeparableConvolution2D': 'SeparableConv2D',
    'Convolution2DTranspose': 'Conv2DTranspose',
    'Deconvolution2D': 'Conv2DTranspose', 'Deconv2D': 'Conv2DTranspose',
    'Convolution3DTranspose': 'Conv3DTranspose',
    'Deconvolution3D': 'Conv3DTranspose', 'Deconv3D': 'Conv3DTranspose',
    'convolution1d': 'conv1d', 'convolution2d': 'conv2d',
    'convolution3d': 'conv3d', 'separable_convolution2d': 'separable_conv2d',
    'convolution2d_transpose': 'conv2d_transpose',
    'deconvolution2d': 'conv2d_transpose', 'deconv2d': 'conv2d_transpose',
    'convolution3d_transpose': 'conv3d_transpose',
    'deconvolution3d': 'conv3d_transpose', 'deconv3d': 'conv3d_transpose',
}


def _lookup(namespace, name):
  """`namespace.name`, or its canonical name where the namespace (like
  tf.compat.v1.layers) does not export the alias."""
  if hasattr(namespace, name):
    return getattr(namespace, name)
  return getattr(namespace, ALIASES[name])


def _resolve(value):
  if isinstance(value, str) and value.startswith('@'):
    return OBJECTS[value]()
  return value


def make_kwargs(case, x, flag):
  """The call's keyword arguments for `case` (objects resolved)."""
  del x, flag
  return {k: _resolve(v) for k, v in case.get('kwargs', {}).items()}


def function(namespace, case):
  """fn(x, **kwargs) building `case` with `namespace`'s layers."""
  seed = zlib.crc32(case['id'].encode())

  if 'layer' in case:
    cls = _lookup(namespace, case['layer'])

    def build_layer(x, **kwargs):
      random.seed(seed)
      layer = cls(**kwargs)
      y = layer(x)
      if case.get('twice'):
        y = y + layer(x * 2.0)
      return _known_shape(case, y)
    return build_layer

  fn = _lookup(namespace, case['fn'])

  def call(x, **kwargs):
    random.seed(seed)
    return _known_shape(case, fn(x, **kwargs))
  return call


def _known_shape(case, y):
  """With a partly unknown input shape, states the output's full shape
  (`output_shape`; no op): the runner weighs the output by a constant of
  that shape.  test_conv_reference compares the inferred static shapes."""
  if 'output_shape' in case:
    y.set_shape(case['output_shape'])
  return y


# ---- errors -------------------------------------------------------------
def _x(shape, dtype=tf.float32):
  return v1.placeholder(dtype, shape, name='x')


def _twice(layer, first, second):
  layer(first)
  return layer(second)


ERROR_CASES = {
    'conv2d_invalid_padding':
        lambda L: L.conv2d(_x(NHWC), 4, 3, padding='full'),
    'conv2d_invalid_data_format':
        lambda L: L.conv2d(_x(NHWC), 4, 3, data_format='NHWC'),
    'conv2d_dilation_with_strides':
        lambda L: L.conv2d(_x(NHWC), 4, 3, strides=2, dilation_rate=2),
    'conv2d_causal':
        lambda L: L.conv2d(_x(NHWC), 4, 3, padding='causal'),
    'conv2d_unknown_channels':
        lambda L: L.conv2d(_x([2, 5, 5, None]), 4, 3),
    'conv2d_channels_first_unknown_channels':
        lambda L: L.conv2d(_x([2, None, 5, 5]), 4, 3,
                           data_format='channels_first'),
    'conv2d_rank3_input':
        lambda L: L.conv2d(_x(NWC), 4, 3),
    'conv2d_filters_zero':
        lambda L: L.conv2d(_x(NHWC), 0, 3),
    'conv2d_filters_negative':
        lambda L: L.Conv2D(-2, 3),
    'conv2d_kernel_size_wrong_length':
        lambda L: L.conv2d(_x(NHWC), 4, (1, 2, 3)),
    'conv2d_kernel_size_none':
        lambda L: L.conv2d(_x(NHWC), 4, None),
    'conv2d_kernel_size_zero':
        lambda L: L.conv2d(_x(NHWC), 4, (0, 2)),
    'conv2d_kernel_size_not_int':
        lambda L: L.conv2d(_x(NHWC), 4, (2, 'a')),
    'conv2d_strides_wrong_length':
        lambda L: L.conv2d(_x(NHWC), 4, 3, strides=(1, 2, 3)),
    'conv2d_strides_none':
        lambda L: L.conv2d(_x(NHWC), 4, 3, strides=None),
    'conv2d_strides_zero':
        lambda L: L.conv2d(_x(NHWC), 4, 3, strides=0),
    'conv2d_dilation_negative':
        lambda L: L.conv2d(_x(NHWC), 4, 3, dilation_rate=-1),
    'conv2d_input_too_small':
        lambda L: L.conv2d(_x([2, 3, 3, 3]), 4, 5),
    'conv2d_unknown_keyword':
        lambda L: L.Conv2D(4, 3, output_padding=1),
    'conv2d_groups_not_dividing_filters':
        lambda L: L.Conv2D(5, 3, groups=2),
    'conv2d_groups_not_dividing_channels':
        lambda L: L.Conv2D(4, 3, groups=2)(_x(NHWC)),
    'conv2d_second_call_other_channels':
        lambda L: _twice(L.Conv2D(4, 3), _x(NHWC), _x([2, 5, 5, 2])),
    'conv2d_reuse_missing':
        lambda L: L.conv2d(_x(NHWC), 4, 3, name='absent', reuse=True),
    'conv2d_unknown_rank':
        lambda L: L.conv2d(v1.placeholder(tf.float32, None), 4, 3),
    'conv2d_explicit_padding_list':
        lambda L: L.conv2d(_x(NHWC), 4, 3,
                           padding=[[0, 0], [1, 1], [1, 1], [0, 0]]),
    'conv2d_transpose_explicit_padding':
        lambda L: L.conv2d_transpose(_x(NHWC), 4, 3, padding=(1, 1)),
    'conv1d_unknown_channels':
        lambda L: L.conv1d(_x([5, 4, None]), 4, 3),
    'conv1d_channels_first_unknown_channels':
        lambda L: L.conv1d(_x([5, None, 4]), 4, 3,
                           data_format='channels_first'),
    'conv1d_rank2_input':
        lambda L: L.conv1d(_x([5, 4]), 4, 3),
    'conv3d_unknown_channels':
        lambda L: L.conv3d(_x([2, 4, 4, 4, None]), 4, 3),
    'conv3d_causal':
        lambda L: L.conv3d(_x(NDHWC), 4, 3, padding='causal'),
    'separable_conv1d_invalid_data_format':
        lambda L: L.separable_conv1d(_x(NWC), 4, 3, data_format='invalid'),
    'separable_conv1d_strides_wrong_length':
        lambda L: L.separable_conv1d(_x(NWC), 4, 3, strides=(1, 2)),
    'separable_conv2d_unknown_channels':
        lambda L: L.separable_conv2d(_x([2, 5, 5, None]), 4, 3),
    'separable_conv2d_causal':
        lambda L: L.separable_conv2d(_x(NHWC), 4, 3, padding='causal'),
    'separable_conv2d_kernel_size_none':
        lambda L: L.separable_conv2d(_x(NHWC), 4, None),
    'separable_conv2d_second_call_other_rank':
        lambda L: _twice(L.SeparableConv2D(4, 3), _x(NHWC),
                         _x([2, 2, 5, 5, 3])),
    'conv2d_transpose_rank5_input':
        lambda L: L.conv2d_transpose(_x([2, 3, 3, 3, 3]), 4, 3),
    'conv2d_transpose_rank3_input':
        lambda L: L.conv2d_transpose(_x(NWC), 4, 3),
    'conv2d_transpose_unknown_channels':
        lambda L: L.conv2d_transpose(_x([2, 5, 5, None]), 4, 3),
    'conv2d_transpose_output_padding_too_large':
        lambda L: L.Conv2DTranspose(4, 3, strides=2, output_padding=2),
    'conv2d_transpose_output_padding_negative':
        lambda L: L.Conv2DTranspose(4, 3, strides=2, output_padding=-1),
    'conv2d_transpose_unequal_dilation':
        lambda L: L.Conv2DTranspose(4, 3, dilation_rate=(1, 2))(_x(NHWC)),
    'conv2d_transpose_invalid_data_format':
        lambda L: L.conv2d_transpose(_x(NHWC), 4, 3, data_format='invalid'),
    'conv3d_transpose_rank4_input':
        lambda L: L.conv3d_transpose(_x(NHWC), 4, 3),
    'conv3d_transpose_unknown_channels':
        lambda L: L.conv3d_transpose(_x([2, 4, 4, 4, None]), 4, 3),
    'conv3d_transpose_strides_wrong_length':
        lambda L: L.conv3d_transpose(_x(NDHWC), 4, 3, strides=(1, 2)),
}


def error_of(namespace, name):
  """(type name, message) of ERROR_CASES[name] in a fresh graph, or None."""
  with tf.Graph().as_default():
    try:
      ERROR_CASES[name](namespace)
    except Exception as e:  # pylint: disable=broad-except
      return type(e).__name__, str(e)
  return None

