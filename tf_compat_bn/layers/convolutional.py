"""Convolution layers of `tf.compat.v1.layers`, without Keras.

Classes `Conv1D`, `Conv2D`, `Conv3D`, `SeparableConv1D`, `SeparableConv2D`,
`Conv2DTranspose`, `Conv3DTranspose`, their functional forms `conv1d` ...
`conv3d_transpose`, and the legacy aliases (`Convolution2D`, `deconv2d`...).
Signatures and defaults are those of TF 2.12's `tf.compat.v1.layers`, and the
graph they build is the same, op for op: variable names, op names, shapes,
errors.

Layout: `_ConvSpec` records what a layer was configured with (rank, sizes,
padding, layout); the module-level functions `_convolve`, `_add_bias`,
`_transposed_2d`, `_transposed_3d` and `_separable` hold the math and take
that record; the classes only validate, create variables and call them.
"""

import dataclasses

import tensorflow as tf

from tf_compat_bn.layers import base
from tf_compat_bn.layers import identifiers
from tf_compat_bn.layers import utils

v1 = tf.compat.v1



def _tf_format(data_format, ndim):
  """'channels_last'/'channels_first' as TF's NWC, NCHW, NDHWC... strings."""
  if ndim not in (3, 4, 5):
    raise ValueError(f'Input rank not supported: {ndim}. Expected values are '
                     '[3, 4, 5]')
  spatial = {3: 'W', 4: 'HW', 5: 'DHW'}[ndim]
  return ('N' + spatial + 'C' if data_format == 'channels_last'
          else 'NC' + spatial)


def _transposed_length(length, size, padding, output_padding, stride,
                       dilation=1):
  """Length of a transposed convolution's output along one axis.

  `length` may be a scalar tensor (unknown static size): the arithmetic is
  then graph ops, written in the order that names them like the reference
  (`mul`, `add`, `sub`...).
  """
  if padding not in ('same', 'valid', 'full'):
    raise AssertionError()
  if length is None:
    return None
  size = size + (size - 1) * (dilation - 1)
  if output_padding is None:
    if padding == 'valid':
      return length * stride + max(size - stride, 0)
    if padding == 'full':
      return length * stride - (stride + size - 2)
    return length * stride
  pad = {'same': size // 2, 'valid': 0, 'full': size - 1}[padding]
  return (length - 1) * stride + size - 2 * pad + output_padding


# ---- the convolution math --------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _ConvSpec:
  """How a layer convolves: what the math below needs of its arguments."""
  rank: int
  filters: int
  kernel_size: tuple
  strides: tuple
  padding: object  # 'valid', 'same', 'causal' or explicit pairs
  data_format: str
  dilation_rate: tuple
  output_padding: tuple = None
  groups: int = 1

  @property
  def channels_first(self):
    return self.data_format == 'channels_first'

  @property
  def tf_format(self):
    return _tf_format(self.data_format, self.rank + 2)

  @property
  def op_padding(self):
    """The padding given to TF's ops ('causal' was applied with tf.pad)."""
    if isinstance(self.padding, (list, tuple)):
      return self.padding
    return 'VALID' if self.padding == 'causal' else self.padding.upper()

  def causal_pad(self, inputs):
    """Left-pads the time axis so that no output looks ahead ('causal')."""
    left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
    rank = inputs.shape.rank
    batch_rank = 1 if rank is None else rank - 2
    time_axis = [[0, 0], [left, 0]] if self.channels_first else [[left, 0],
                                                                  [0, 0]]
    return tf.pad(inputs, [[0, 0]] * batch_rank + time_axis)

  def output_shape(self, input_shape):
    """Static output shape of the (forward) convolution of `input_shape`."""
    dims = tf.TensorShape(input_shape).as_list()
    batch_rank = len(dims) - self.rank - 1
    if self.channels_first:
      spatial = dims[batch_rank + 1:]
    else:
      spatial = dims[batch_rank:-1]
    spatial = [utils.output_length(d, self.kernel_size[i], self.padding,
                              self.strides[i], self.dilation_rate[i])
               for i, d in enumerate(spatial)]
    if self.channels_first:
      return tf.TensorShape(dims[:batch_rank] + [self.filters] + spatial)
    return tf.TensorShape(dims[:batch_rank] + spatial + [self.filters])

  def transposed_shape(self, input_shape):
    """Static output shape of the transposed convolution of `input_shape`."""
    dims = tf.TensorShape(input_shape).as_list()
    first = 1 if self.channels_first else 0
    spatial_axes = range(first + 1, first + 1 + self.rank)
    channel_axis = 1 if self.channels_first else self.rank + 1
    out = list(dims)
    out[channel_axis] = self.filters
    pads = self.output_padding or (None,) * self.rank
    for i, axis in enumerate(spatial_axes):
      out[axis] = _transposed_length(
          dims[axis], self.kernel_size[i], self.padding, pads[i],
          self.strides[i], self._transposed_dilation(i))
    return tf.TensorShape(out)

  def _transposed_dilation(self, i):
    # The 3D transposed layer leaves its dilation out of the shape math.
    return self.dilation_rate[i] if self.rank == 2 else 1


def _convolve(spec, inputs, kernel, name):
  """The forward convolution (causal padding already applied)."""
  return tf.nn.convolution(inputs, kernel, strides=list(spec.strides),
                           padding=spec.op_padding,
                           dilations=list(spec.dilation_rate),
                           data_format=spec.tf_format, name=name)


def _add_bias(spec, outputs, bias):
  """Adds `bias` along the channel axis, as the reference does per rank."""
  if spec.rank == 1 and spec.channels_first:
    return outputs + tf.reshape(bias, (1, spec.filters, 1))
  rank = outputs.shape.rank
  if rank is not None and rank > spec.rank + 2:
    return _over_merged_batch(
        outputs, lambda o: tf.nn.bias_add(o, bias, data_format=spec.tf_format),
        spec.rank + 1)
  return tf.nn.bias_add(outputs, bias, data_format=spec.tf_format)


def _over_merged_batch(inputs, fn, inner_rank):
  """`fn` applied with all leading (batch) axes merged into one."""
  with tf.name_scope('squeeze_batch_dims'):
    shape = inputs.shape
    inner = shape[-inner_rank:]
    if not inner.is_fully_defined():
      inner = tf.shape(inputs)[-inner_rank:]
    outer = shape[:-inner_rank]
    if not outer.is_fully_defined():
      outer = tf.shape(inputs)[:-inner_rank]
    if isinstance(inner, tf.TensorShape):
      merged = tf.reshape(inputs, [-1] + inner.as_list())
    else:
      merged = tf.reshape(inputs, tf.concat(([-1], inner), axis=-1))
    result = fn(merged)
    result_inner = result.shape[-inner_rank:]
    if not result_inner.is_fully_defined():
      result_inner = tf.shape(result)[-inner_rank:]
    out = tf.reshape(result, tf.concat((outer, result_inner), axis=-1))
    out.set_shape(inputs.shape[:-inner_rank] + out.shape[-inner_rank:])
    return out


def _transposed_2d(spec, inputs, kernel):
  """The 2D transposed convolution (no bias), laid out like the reference:
  output-shape ops first, then NHWC transposes where TF lacks NCHW."""
  shape = tf.shape(inputs)
  batch = shape[0]
  h_axis, w_axis = (2, 3) if spec.channels_first else (1, 2)
  height = width = None
  if inputs.shape.rank is not None:
    height, width = inputs.shape[h_axis], inputs.shape[w_axis]
  height = height if height is not None else shape[h_axis]
  width = width if width is not None else shape[w_axis]
  pads = spec.output_padding or (None, None)
  out_h = _transposed_length(height, spec.kernel_size[0], spec.padding,
                             pads[0], spec.strides[0], spec.dilation_rate[0])
  out_w = _transposed_length(width, spec.kernel_size[1], spec.padding,
                             pads[1], spec.strides[1], spec.dilation_rate[1])
  if spec.channels_first:
    output_shape = tf.stack((batch, spec.filters, out_h, out_w))
  else:
    output_shape = tf.stack((batch, out_h, out_w, spec.filters))

  dilated = spec.dilation_rate != (1, 1)
  tf_format = 'NHWC'
  if spec.channels_first:
    if dilated or not utils.nchw_supported():
      inputs = v1.transpose(inputs, (0, 2, 3, 1))
    else:
      tf_format = 'NCHW'
  if spec.channels_first and tf_format == 'NHWC':
    output_shape = (output_shape[0], output_shape[2], output_shape[3],
                    output_shape[1])
  if output_shape[0] is None:  # indexes (names a strided_slice) like TF
    output_shape = (tf.shape(inputs)[0],) + tuple(output_shape[1:])
  if isinstance(output_shape, tuple):
    output_shape = tf.stack(list(output_shape))
  padding = spec.padding.upper()
  if tf_format == 'NHWC':
    strides = (1,) + spec.strides + (1,)
  else:
    strides = (1, 1) + spec.strides
  if not dilated:
    outputs = v1.nn.conv2d_transpose(inputs, kernel, output_shape, strides,
                                     padding=padding, data_format=tf_format)
  else:
    if spec.dilation_rate[0] != spec.dilation_rate[1]:
      raise ValueError(
          'Expected the 2 dimensions of the `dilation_rate` argument to be '
          f'equal to each other. Received: dilation_rate={spec.dilation_rate}')
    outputs = tf.nn.atrous_conv2d_transpose(
        inputs, kernel, output_shape, rate=spec.dilation_rate[0],
        padding=padding)
  if spec.channels_first and tf_format == 'NHWC':
    outputs = v1.transpose(outputs, (0, 3, 1, 2))
  return outputs


def _transposed_3d(spec, inputs, kernel):
  """The 3D transposed convolution (no bias)."""
  shape = tf.shape(inputs)
  batch = shape[0]
  first = 2 if spec.channels_first else 1
  lengths = [shape[first + i] for i in range(3)]
  pads = spec.output_padding or (None, None, None)
  out = [_transposed_length(lengths[i], spec.kernel_size[i], spec.padding,
                            pads[i], spec.strides[i]) for i in range(3)]
  if spec.channels_first:
    output_shape = (batch, spec.filters, *out)
    strides = (1, 1) + spec.strides
  else:
    output_shape = (batch, *out, spec.filters)
    strides = (1,) + spec.strides + (1,)
  return tf.nn.conv3d_transpose(inputs, kernel, tf.stack(output_shape),
                                strides, data_format=spec.tf_format,
                                padding=spec.padding.upper())


def _separable(spec, inputs, depthwise, pointwise, bias):
  """Depthwise then pointwise convolution (+ bias); 1D goes through 2D."""
  image_format = _tf_format(spec.data_format, 4)
  if spec.rank == 1:
    if spec.padding == 'causal':
      inputs = spec.causal_pad(inputs)
    axis = 2 if spec.channels_first else 1
    inputs = tf.expand_dims(inputs, axis)
    depthwise = tf.expand_dims(depthwise, 0)
    pointwise = tf.expand_dims(pointwise, 0)
    strides, rate = spec.strides * 2, (1,) + spec.dilation_rate
  else:
    strides, rate = spec.strides, spec.dilation_rate
  strides = (1, 1) + strides if spec.channels_first else (1,) + strides + (1,)
  outputs = v1.nn.separable_conv2d(inputs, depthwise, pointwise,
                                   strides=strides, padding=spec.op_padding,
                                   rate=rate, data_format=image_format)
  if bias is not None:
    outputs = tf.nn.bias_add(outputs, bias, data_format=image_format)
  if spec.rank == 1:
    outputs = tf.squeeze(outputs, [axis])
  return outputs


# ---- the layers ------------------------------------------------------------
_SERIALIZERS = {'initializer': identifiers.serialize_initializer,
                'regularizer': identifiers.serialize_regularizer,
                'constraint': identifiers.serialize_constraint}


def _add_serialized(config, layer, attributes):
  """config[a] = the reference's serialization of layer.a, for each a."""
  for attribute in attributes:
    kind = attribute.rsplit('_', 1)[1]
    config[attribute] = _SERIALIZERS[kind](getattr(layer, attribute))


class _Conv(base.Layer):
  """What every convolution layer shares: arguments, validation, kernel and
  bias variables, output shapes and config.  `_RANK` is set by subclasses;
  `_EXTRA_KWARGS` names what they take through **kwargs like the
  reference (its Keras parents' `groups`, `output_padding`...)."""

  _RANK = None
  _EXTRA_KWARGS = ('groups',)
  _CAUSAL_OK = False
  _TRANSPOSED = False

  def __init__(self, filters, kernel_size, strides=1, padding='valid',
               data_format='channels_last', dilation_rate=1, activation=None,
               use_bias=True, kernel_initializer=None,
               bias_initializer=v1.zeros_initializer(),
               kernel_regularizer=None, bias_regularizer=None,
               activity_regularizer=None, kernel_constraint=None,
               bias_constraint=None, trainable=True, name=None, **kwargs):
    extras = {k: kwargs.pop(k) for k in self._EXTRA_KWARGS if k in kwargs}
    super().__init__(trainable=trainable, name=name,
                     activity_regularizer=activity_regularizer, **kwargs)
    rank = self._RANK
    if isinstance(filters, float):
      filters = int(filters)
    if filters is not None and filters <= 0:
      raise ValueError('Invalid value for argument `filters`. Expected a '
                       f'strictly positive value. Received filters={filters}.')
    self.rank = rank
    self.filters = filters
    self.groups = extras.pop('groups', 1) or 1
    self.kernel_size = utils.normalize_tuple(kernel_size, rank, 'kernel_size')
    self.strides = utils.normalize_tuple(strides, rank, 'strides', allow_zero=True)
    self.padding = utils.normalize_padding(padding)
    self.data_format = utils.normalize_data_format(data_format)
    self.dilation_rate = utils.normalize_tuple(dilation_rate, rank, 'dilation_rate')
    self.activation = identifiers.activation(activation)
    self.use_bias = use_bias
    self.kernel_initializer = identifiers.initializer(kernel_initializer)
    self.bias_initializer = identifiers.initializer(bias_initializer)
    self.kernel_regularizer = identifiers.regularizer(kernel_regularizer)
    self.bias_regularizer = identifiers.regularizer(bias_regularizer)
    self.kernel_constraint = identifiers.constraint(kernel_constraint)
    self.bias_constraint = identifiers.constraint(bias_constraint)
    self.input_spec = base.InputSpec(min_ndim=rank + 2)
    self._check_arguments()
    if self._TRANSPOSED:
      self.output_padding = extras.pop('output_padding', None)
      if self.output_padding is not None:
        self.output_padding = utils.normalize_tuple(self.output_padding, rank,
                                         'output_padding', allow_zero=True)
        for stride, pad in zip(self.strides, self.output_padding):
          if pad >= stride:
            raise ValueError(
                'Strides must be greater than output padding. Received '
                f'strides={self.strides}, output_padding='
                f'{self.output_padding}.')

  def _check_arguments(self):
    if self.filters is not None and self.filters % self.groups != 0:
      raise ValueError(
          'The number of filters must be evenly divisible by the number of '
          f'groups. Received: groups={self.groups}, filters={self.filters}')
    if not all(self.kernel_size):
      raise ValueError('The argument `kernel_size` cannot contain 0(s). '
                       f'Received: {self.kernel_size}')
    if not all(self.strides):
      raise ValueError('The argument `strides` cannot contains 0(s). '
                       f'Received: {self.strides}')
    if self.padding == 'causal' and not self._CAUSAL_OK:
      raise ValueError('Causal padding is only supported for `Conv1D`'
                       'and `SeparableConv1D`.')
    if max(self.strides) > 1 and max(self.dilation_rate) > 1:
      raise ValueError(
          '`strides > 1` not supported in conjunction with `dilation_rate > '
          f'1`. Received: strides={self.strides} and '
          f'dilation_rate={self.dilation_rate}')

  @property
  def _spec(self):
    return _ConvSpec(
        rank=self.rank, filters=self.filters,
        kernel_size=tuple(self.kernel_size), strides=tuple(self.strides),
        padding=self.padding, data_format=self.data_format,
        dilation_rate=tuple(self.dilation_rate),
        output_padding=getattr(self, 'output_padding', None),
        groups=self.groups)

  # ---- variables ----------------------------------------------------------
  def _channel_axis(self):
    return -1 - self.rank if self.data_format == 'channels_first' else -1

  def _input_channels(self, input_shape, layer_label=''):
    axis = self._channel_axis()
    if input_shape.dims[axis].value is None:
      raise ValueError(
          f'The channel dimension of the inputs {layer_label}should be '
          f'defined. The input_shape received is {input_shape}, where axis '
          f'{axis} (0-based) is the channel dimension, which found to be '
          '`None`.')
    return int(input_shape[axis])

  def _weight(self, name, shape, initializer, regularizer, constraint):
    """A trainable variable of the layer's dtype (a None initializer: the
    enclosing scope's, else Glorot uniform, as the base decides)."""
    return self.add_weight(name, shape, self.dtype, initializer, regularizer,
                           trainable=True, constraint=constraint)

  def _bias_weight(self):
    if not self.use_bias:
      return None
    return self._weight('bias', (self.filters,), self.bias_initializer,
                        self.bias_regularizer, self.bias_constraint)

  def build(self, input_shape):
    input_shape = tf.TensorShape(input_shape)
    channels = self._input_channels(input_shape)
    if channels % self.groups != 0:
      raise ValueError(
          'The number of input channels must be evenly divisible by the '
          f'number of groups. Received groups={self.groups}, but the input '
          f'has {channels} channels (full input shape is {input_shape}).')
    self.compute_output_shape(input_shape)
    self.kernel = self._weight(
        'kernel', self.kernel_size + (channels // self.groups, self.filters),
        self.kernel_initializer, self.kernel_regularizer,
        self.kernel_constraint)
    self.bias = self._bias_weight()
    self.input_spec = base.InputSpec(min_ndim=self.rank + 2,
                                     axes={self._channel_axis(): channels})

  # ---- calling ------------------------------------------------------------
  def call(self, inputs):
    spec = self._spec
    input_shape = inputs.shape
    if spec.padding == 'causal':
      inputs = spec.causal_pad(inputs)
    name = type(self).__name__
    if spec.groups > 1:
      outputs = self._grouped_op(spec, name)(inputs,
                                             tf.convert_to_tensor(self.kernel))
    else:
      outputs = _convolve(spec, inputs, self.kernel, name)
    if self.use_bias:
      outputs = _add_bias(spec, outputs, self.bias)
    if input_shape.rank:
      outputs.set_shape(self.compute_output_shape(input_shape))
    return self._activate(outputs)

  def _grouped_op(self, spec, name):
    """Grouped convolutions run as an XLA-compiled function (so does the
    reference: TF has no grouped kernel outside XLA on CPU)."""
    op = getattr(self, '_grouped_fn', None)
    if op is None:
      def _jit_compiled_convolution_op(x, kernel):
        return _convolve(spec, x, kernel, name)
      op = tf.function(_jit_compiled_convolution_op, jit_compile=True)
      self._grouped_fn = op
    return op

  def _activate(self, outputs):
    if self.activation is not None:
      return self.activation(outputs)
    return outputs

  def compute_output_shape(self, input_shape):
    """The static output shape for inputs of shape `input_shape`."""
    try:
      return self._spec.output_shape(input_shape)
    except ValueError:
      dims = tf.TensorShape(input_shape).as_list()
      raise ValueError(
          'One of the dimensions in the output is <= 0 due to downsampling '
          f'in {self.name}. Consider increasing the input size. Received '
          f'input shape {dims} which would produce output shape with a zero '
          'or negative value in a dimension.') from None

  def get_config(self):
    """The constructor arguments, as the reference reports them."""
    config = super().get_config()
    config.update({
        'filters': self.filters,
        'kernel_size': self.kernel_size,
        'strides': self.strides,
        'padding': self.padding,
        'data_format': self.data_format,
        'dilation_rate': self.dilation_rate,
        'groups': self.groups,
        'activation': identifiers.serialize_activation(self.activation),
        'use_bias': self.use_bias,
    })
    _add_serialized(config, self, ('kernel_initializer', 'bias_initializer',
                                   'kernel_regularizer', 'bias_regularizer',
                                   'activity_regularizer', 'kernel_constraint',
                                   'bias_constraint'))
    return config


class Conv1D(_Conv):
  """1D convolution (cross-correlation) over `(batch, length, channels)`
  inputs (`(batch, channels, length)` with `channels_first`), plus a bias and
  an optional activation.

  Args:
    filters: number of output channels.
    kernel_size: window length (an int or a 1-tuple).
    strides: step of the window; > 1 excludes `dilation_rate` > 1.
    padding: 'valid', 'same' or 'causal' (left padding only, so no output
      sees later inputs); case-insensitive.
    data_format: 'channels_last' or 'channels_first'.
    dilation_rate: spacing between the taps of the window.
    activation: callable applied to the output, or None.
    use_bias: whether to add a bias vector.
    kernel_initializer: the kernel's initializer; None means the enclosing
      variable scope's, else Glorot uniform.
    bias_initializer: the bias's initializer.
    kernel_regularizer, bias_regularizer: callables returning a loss for the
      variable, added to REGULARIZATION_LOSSES.
    activity_regularizer: callable returning a loss for the output.
    kernel_constraint, bias_constraint: projections applied by optimizers
      after each update.
    trainable: whether the variables go to TRAINABLE_VARIABLES.
    name: the layer's name (and variable scope).
    **kwargs: also `groups`, as the reference's Keras parent takes it.
  """

  _RANK = 1
  _CAUSAL_OK = True

  def __init__(self, filters, kernel_size, strides=1, padding='valid',
               data_format='channels_last', dilation_rate=1, activation=None,
               use_bias=True, kernel_initializer=None,
               bias_initializer=v1.zeros_initializer(),
               kernel_regularizer=None, bias_regularizer=None,
               activity_regularizer=None, kernel_constraint=None,
               bias_constraint=None, trainable=True, name=None, **kwargs):
    super().__init__(
        filters, kernel_size, strides=strides, padding=padding,
        data_format=data_format, dilation_rate=dilation_rate,
        activation=activation, use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer,
        bias_regularizer=bias_regularizer,
        activity_regularizer=activity_regularizer,
        kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
        trainable=trainable, name=name, **kwargs)


class Conv2D(_Conv):
  """2D convolution over `(batch, height, width, channels)` images
  (`(batch, channels, height, width)` with `channels_first`), plus a bias and
  an optional activation.  Arguments as for `Conv1D`, with 2-tuples (or
  ints) for `kernel_size`, `strides` and `dilation_rate`; padding 'valid' or
  'same'.
  """

  _RANK = 2

  def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid',
               data_format='channels_last', dilation_rate=(1, 1),
               activation=None, use_bias=True, kernel_initializer=None,
               bias_initializer=v1.zeros_initializer(),
               kernel_regularizer=None, bias_regularizer=None,
               activity_regularizer=None, kernel_constraint=None,
               bias_constraint=None, trainable=True, name=None, **kwargs):
    super().__init__(
        filters, kernel_size, strides=strides, padding=padding,
        data_format=data_format, dilation_rate=dilation_rate,
        activation=activation, use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer,
        bias_regularizer=bias_regularizer,
        activity_regularizer=activity_regularizer,
        kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
        trainable=trainable, name=name, **kwargs)


class Conv3D(_Conv):
  """3D convolution over `(batch, depth, height, width, channels)` volumes
  (channels second with `channels_first`), plus a bias and an optional
  activation.  Arguments as for `Conv2D`, with 3-tuples.
  """

  _RANK = 3

  def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding='valid',
               data_format='channels_last', dilation_rate=(1, 1, 1),
               activation=None, use_bias=True, kernel_initializer=None,
               bias_initializer=v1.zeros_initializer(),
               kernel_regularizer=None, bias_regularizer=None,
               activity_regularizer=None, kernel_constraint=None,
               bias_constraint=None, trainable=True, name=None, **kwargs):
    super().__init__(
        filters, kernel_size, strides=strides, padding=padding,
        data_format=data_format, dilation_rate=dilation_rate,
        activation=activation, use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer,
        bias_regularizer=bias_regularizer,
        activity_regularizer=activity_regularizer,
        kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
        trainable=trainable, name=name, **kwargs)


class _SeparableConv(_Conv):
  """A per-channel (depthwise) convolution with `depth_multiplier` outputs
  per input channel, then a 1x1 (pointwise) convolution to `filters`."""

  def __init__(self, filters, kernel_size, strides, padding, data_format,
               dilation_rate, depth_multiplier, activation, use_bias,
               depthwise_initializer, pointwise_initializer, bias_initializer,
               depthwise_regularizer, pointwise_regularizer, bias_regularizer,
               activity_regularizer, depthwise_constraint,
               pointwise_constraint, bias_constraint, trainable, name,
               **kwargs):
    super().__init__(
        filters, kernel_size, strides=strides, padding=padding,
        data_format=data_format, dilation_rate=dilation_rate,
        activation=activation, use_bias=use_bias,
        kernel_initializer='glorot_uniform',
        bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
        activity_regularizer=activity_regularizer,
        bias_constraint=bias_constraint, trainable=trainable, name=name,
        **kwargs)
    self.depth_multiplier = depth_multiplier
    self.depthwise_initializer = identifiers.initializer(depthwise_initializer)
    self.pointwise_initializer = identifiers.initializer(pointwise_initializer)
    self.depthwise_regularizer = identifiers.regularizer(depthwise_regularizer)
    self.pointwise_regularizer = identifiers.regularizer(pointwise_regularizer)
    self.depthwise_constraint = identifiers.constraint(depthwise_constraint)
    self.pointwise_constraint = identifiers.constraint(pointwise_constraint)

  def build(self, input_shape):
    input_shape = tf.TensorShape(input_shape)
    channels = self._input_channels(input_shape)
    self.input_spec = base.InputSpec(ndim=self.rank + 2,
                                     axes={self._channel_axis(): channels})
    self.depthwise_kernel = self._weight(
        'depthwise_kernel',
        self.kernel_size + (channels, self.depth_multiplier),
        self.depthwise_initializer, self.depthwise_regularizer,
        self.depthwise_constraint)
    self.pointwise_kernel = self._weight(
        'pointwise_kernel',
        (1,) * self.rank + (self.depth_multiplier * channels, self.filters),
        self.pointwise_initializer, self.pointwise_regularizer,
        self.pointwise_constraint)
    self.bias = self._bias_weight()

  def call(self, inputs):
    outputs = _separable(self._spec, inputs, self.depthwise_kernel,
                         self.pointwise_kernel,
                         self.bias if self.use_bias else None)
    return self._activate(outputs)

  def get_config(self):
    config = super().get_config()
    config['depth_multiplier'] = self.depth_multiplier
    _add_serialized(config, self, (
        'depthwise_initializer', 'pointwise_initializer',
        'depthwise_regularizer', 'pointwise_regularizer',
        'depthwise_constraint', 'pointwise_constraint'))
    return config


class SeparableConv1D(_SeparableConv):
  """Depthwise-separable 1D convolution: each input channel convolved on its
  own into `depth_multiplier` channels, then mixed by a 1x1 convolution into
  `filters` channels, plus a bias and an optional activation.

  Arguments as for `Conv1D` (padding may be 'causal'), with the kernel's
  initializer/regularizer/constraint given separately for the
  `depthwise_...` and `pointwise_...` kernels.
  """

  _RANK = 1
  _CAUSAL_OK = True

  def __init__(self, filters, kernel_size, strides=1, padding='valid',
               data_format='channels_last', dilation_rate=1,
               depth_multiplier=1, activation=None, use_bias=True,
               depthwise_initializer=None, pointwise_initializer=None,
               bias_initializer=v1.zeros_initializer(),
               depthwise_regularizer=None, pointwise_regularizer=None,
               bias_regularizer=None, activity_regularizer=None,
               depthwise_constraint=None, pointwise_constraint=None,
               bias_constraint=None, trainable=True, name=None, **kwargs):
    super().__init__(
        filters, kernel_size, strides, padding, data_format, dilation_rate,
        depth_multiplier, activation, use_bias, depthwise_initializer,
        pointwise_initializer, bias_initializer, depthwise_regularizer,
        pointwise_regularizer, bias_regularizer, activity_regularizer,
        depthwise_constraint, pointwise_constraint, bias_constraint,
        trainable, name, **kwargs)


class SeparableConv2D(_SeparableConv):
  """Depthwise-separable 2D convolution (see `SeparableConv1D`) over images;
  2-tuples (or ints) for `kernel_size`, `strides` and `dilation_rate`."""

  _RANK = 2

  def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid',
               data_format='channels_last', dilation_rate=(1, 1),
               depth_multiplier=1, activation=None, use_bias=True,
               depthwise_initializer=None, pointwise_initializer=None,
               bias_initializer=v1.zeros_initializer(),
               depthwise_regularizer=None, pointwise_regularizer=None,
               bias_regularizer=None, activity_regularizer=None,
               depthwise_constraint=None, pointwise_constraint=None,
               bias_constraint=None, trainable=True, name=None, **kwargs):
    super().__init__(
        filters, kernel_size, strides, padding, data_format, dilation_rate,
        depth_multiplier, activation, use_bias, depthwise_initializer,
        pointwise_initializer, bias_initializer, depthwise_regularizer,
        pointwise_regularizer, bias_regularizer, activity_regularizer,
        depthwise_constraint, pointwise_constraint, bias_constraint,
        trainable, name, **kwargs)


class _ConvTranspose(_Conv):
  """Transposed convolution (the gradient of a convolution with respect to
  its input), often called deconvolution: it upsamples by `strides`."""

  _TRANSPOSED = True
  _EXTRA_KWARGS = ('groups', 'output_padding')

  def build(self, input_shape):
    input_shape = tf.TensorShape(input_shape)
    ndim = self.rank + 2
    if len(input_shape) != ndim:
      raise ValueError(f'Inputs should have rank {ndim}. Received '
                       f'input_shape={input_shape}.')
    channels = self._input_channels(input_shape,
                                    f'to `{type(self).__name__}` ')
    self.input_spec = base.InputSpec(ndim=ndim,
                                     axes={self._channel_axis(): channels})
    self.kernel = self._weight(
        'kernel', self.kernel_size + (self.filters, channels),
        self.kernel_initializer, self.kernel_regularizer,
        self.kernel_constraint)
    self.bias = self._bias_weight()

  def call(self, inputs):
    spec = self._spec
    transposed = _transposed_2d if self.rank == 2 else _transposed_3d
    outputs = transposed(spec, inputs, self.kernel)
    if inputs.shape.rank:
      outputs.set_shape(self.compute_output_shape(inputs.shape))
    if self.use_bias:
      outputs = tf.nn.bias_add(outputs, self.bias,
                               data_format=_tf_format(self.data_format, 4))
    return self._activate(outputs)

  def compute_output_shape(self, input_shape):
    return self._spec.transposed_shape(input_shape)

  def get_config(self):
    config = super().get_config()
    config['output_padding'] = self.output_padding
    return config


class Conv2DTranspose(_ConvTranspose):
  """Transposed 2D convolution over images: output spatial size is about
  `strides` times the input's.  Arguments as for `Conv2D` (padding 'valid'
  or 'same'); through **kwargs also `output_padding` (extra rows/columns at
  the end, each < its stride) and `dilation_rate` (equal in both axes), as
  the reference's Keras parent takes them.  The kernel has shape
  `kernel_size + (filters, input_channels)`.
  """

  _RANK = 2

  def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid',
               data_format='channels_last', activation=None, use_bias=True,
               kernel_initializer=None,
               bias_initializer=v1.zeros_initializer(),
               kernel_regularizer=None, bias_regularizer=None,
               activity_regularizer=None, kernel_constraint=None,
               bias_constraint=None, trainable=True, name=None, **kwargs):
    super().__init__(
        filters, kernel_size, strides=strides, padding=padding,
        data_format=data_format, activation=activation, use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer,
        bias_regularizer=bias_regularizer,
        activity_regularizer=activity_regularizer,
        kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
        trainable=trainable, name=name, **kwargs)


class Conv3DTranspose(_ConvTranspose):
  """Transposed 3D convolution over volumes; see `Conv2DTranspose` (3-tuples;
  `output_padding` through **kwargs)."""

  _RANK = 3

  def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding='valid',
               data_format='channels_last', activation=None, use_bias=True,
               kernel_initializer=None,
               bias_initializer=v1.zeros_initializer(),
               kernel_regularizer=None, bias_regularizer=None,
               activity_regularizer=None, kernel_constraint=None,
               bias_constraint=None, trainable=True, name=None, **kwargs):
    super().__init__(
        filters, kernel_size, strides=strides, padding=padding,
        data_format=data_format, activation=activation, use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer,
        bias_regularizer=bias_regularizer,
        activity_regularizer=activity_regularizer,
        kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
        trainable=trainable, name=name, **kwargs)

  def get_config(self):
    config = super().get_config()
    del config['dilation_rate']  # not reported by the reference either
    return config


# ---- functional forms ------------------------------------------------------
def _apply(cls, inputs, reuse, name, **arguments):
  """Builds a `cls` layer scoped by `name` (reusing it if asked), calls it."""
  layer = cls(name=name, _reuse=reuse, _scope=name, **arguments)
  return layer(inputs)


def conv1d(inputs, filters, kernel_size, strides=1, padding='valid',
           data_format='channels_last', dilation_rate=1, activation=None,
           use_bias=True, kernel_initializer=None,
           bias_initializer=v1.zeros_initializer(), kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None,
           kernel_constraint=None, bias_constraint=None, trainable=True,
           name=None, reuse=None):
  """`Conv1D(...)(inputs)`; with `reuse`, the variables of the layer named
  `name` are used again.  Returns the output tensor."""
  return _apply(
      Conv1D, inputs, reuse, name, filters=filters, kernel_size=kernel_size,
      strides=strides, padding=padding, data_format=data_format,
      dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
      kernel_initializer=kernel_initializer,
      bias_initializer=bias_initializer,
      kernel_regularizer=kernel_regularizer,
      bias_regularizer=bias_regularizer,
      activity_regularizer=activity_regularizer,
      kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
      trainable=trainable)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding='valid',
           data_format='channels_last', dilation_rate=(1, 1), activation=None,
           use_bias=True, kernel_initializer=None,
           bias_initializer=v1.zeros_initializer(), kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None,
           kernel_constraint=None, bias_constraint=None, trainable=True,
           name=None, reuse=None):
  """`Conv2D(...)(inputs)`; see `conv1d` for `name` and `reuse`."""
  return _apply(
      Conv2D, inputs, reuse, name, filters=filters, kernel_size=kernel_size,
      strides=strides, padding=padding, data_format=data_format,
      dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
      kernel_initializer=kernel_initializer,
      bias_initializer=bias_initializer,
      kernel_regularizer=kernel_regularizer,
      bias_regularizer=bias_regularizer,
      activity_regularizer=activity_regularizer,
      kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
      trainable=trainable)


def conv3d(inputs, filters, kernel_size, strides=(1, 1, 1), padding='valid',
           data_format='channels_last', dilation_rate=(1, 1, 1),
           activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer=v1.zeros_initializer(), kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None,
           kernel_constraint=None, bias_constraint=None, trainable=True,
           name=None, reuse=None):
  """`Conv3D(...)(inputs)`; see `conv1d` for `name` and `reuse`."""
  return _apply(
      Conv3D, inputs, reuse, name, filters=filters, kernel_size=kernel_size,
      strides=strides, padding=padding, data_format=data_format,
      dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
      kernel_initializer=kernel_initializer,
      bias_initializer=bias_initializer,
      kernel_regularizer=kernel_regularizer,
      bias_regularizer=bias_regularizer,
      activity_regularizer=activity_regularizer,
      kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
      trainable=trainable)


def separable_conv1d(inputs, filters, kernel_size, strides=1, padding='valid',
                     data_format='channels_last', dilation_rate=1,
                     depth_multiplier=1, activation=None, use_bias=True,
                     depthwise_initializer=None, pointwise_initializer=None,
                     bias_initializer=v1.zeros_initializer(),
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None,
                     depthwise_constraint=None, pointwise_constraint=None,
                     bias_constraint=None, trainable=True, name=None,
                     reuse=None):
  """`SeparableConv1D(...)(inputs)`; see `conv1d` for `name` and `reuse`."""
  return _apply(
      SeparableConv1D, inputs, reuse, name, filters=filters,
      kernel_size=kernel_size, strides=strides, padding=padding,
      data_format=data_format, dilation_rate=dilation_rate,
      depth_multiplier=depth_multiplier, activation=activation,
      use_bias=use_bias, depthwise_initializer=depthwise_initializer,
      pointwise_initializer=pointwise_initializer,
      bias_initializer=bias_initializer,
      depthwise_regularizer=depthwise_regularizer,
      pointwise_regularizer=pointwise_regularizer,
      bias_regularizer=bias_regularizer,
      activity_regularizer=activity_regularizer,
      depthwise_constraint=depthwise_constraint,
      pointwise_constraint=pointwise_constraint,
      bias_constraint=bias_constraint, trainable=trainable)


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1),
                     padding='valid', data_format='channels_last',
                     dilation_rate=(1, 1), depth_multiplier=1,
                     activation=None, use_bias=True,
                     depthwise_initializer=None, pointwise_initializer=None,
                     bias_initializer=v1.zeros_initializer(),
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None,
                     depthwise_constraint=None, pointwise_constraint=None,
                     bias_constraint=None, trainable=True, name=None,
                     reuse=None):
  """`SeparableConv2D(...)(inputs)`; see `conv1d` for `name` and `reuse`."""
  return _apply(
      SeparableConv2D, inputs, reuse, name, filters=filters,
      kernel_size=kernel_size, strides=strides, padding=padding,
      data_format=data_format, dilation_rate=dilation_rate,
      depth_multiplier=depth_multiplier, activation=activation,
      use_bias=use_bias, depthwise_initializer=depthwise_initializer,
      pointwise_initializer=pointwise_initializer,
      bias_initializer=bias_initializer,
      depthwise_regularizer=depthwise_regularizer,
      pointwise_regularizer=pointwise_regularizer,
      bias_regularizer=bias_regularizer,
      activity_regularizer=activity_regularizer,
      depthwise_constraint=depthwise_constraint,
      pointwise_constraint=pointwise_constraint,
      bias_constraint=bias_constraint, trainable=trainable)


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1),
                     padding='valid', data_format='channels_last',
                     activation=None, use_bias=True, kernel_initializer=None,
                     bias_initializer=v1.zeros_initializer(),
                     kernel_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None,
                     reuse=None):
  """`Conv2DTranspose(...)(inputs)`; see `conv1d` for `name` and `reuse`."""
  return _apply(
      Conv2DTranspose, inputs, reuse, name, filters=filters,
      kernel_size=kernel_size, strides=strides, padding=padding,
      data_format=data_format, activation=activation, use_bias=use_bias,
      kernel_initializer=kernel_initializer,
      bias_initializer=bias_initializer,
      kernel_regularizer=kernel_regularizer,
      bias_regularizer=bias_regularizer,
      activity_regularizer=activity_regularizer,
      kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
      trainable=trainable)


def conv3d_transpose(inputs, filters, kernel_size, strides=(1, 1, 1),
                     padding='valid', data_format='channels_last',
                     activation=None, use_bias=True, kernel_initializer=None,
                     bias_initializer=v1.zeros_initializer(),
                     kernel_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None,
                     reuse=None):
  """`Conv3DTranspose(...)(inputs)`; see `conv1d` for `name` and `reuse`."""
  return _apply(
      Conv3DTranspose, inputs, reuse, name, filters=filters,
      kernel_size=kernel_size, strides=strides, padding=padding,
      data_format=data_format, activation=activation, use_bias=use_bias,
      kernel_initializer=kernel_initializer,
      bias_initializer=bias_initializer,
      kernel_regularizer=kernel_regularizer,
      bias_regularizer=bias_regularizer,
      activity_regularizer=activity_regularizer,
      kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
      trainable=trainable)


# ---- the reference's other names -------------------------------------------
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
SeparableConvolution2D = SeparableConv2D
Convolution2DTranspose = Deconvolution2D = Deconv2D = Conv2DTranspose
Convolution3DTranspose = Deconvolution3D = Deconv3D = Conv3DTranspose
convolution1d = conv1d
convolution2d = conv2d
convolution3d = conv3d
separable_convolution2d = separable_conv2d
convolution2d_transpose = deconvolution2d = deconv2d = conv2d_transpose
convolution3d_transpose = deconvolution3d = deconv3d = conv3d_transpose
