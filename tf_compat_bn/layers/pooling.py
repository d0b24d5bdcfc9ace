"""Max and average pooling over 1, 2 or 3 spatial axes, Keras-free.

The front ends of TF 2.12's `tf.compat.v1.layers` pooling family (classes,
function forms and the module's aliases): same signatures and defaults,
same argument checks and messages, and graphs built from the same
TensorFlow calls, so op names and values are those of the reference.

Op layout per rank, as in the reference:

* 1D: `ExpandDims` to a height-1 image, a 2D pool, `Squeeze`.  For
  channels-first data the 2D pool runs as NCHW when a GPU is visible and
  the graph is not pinned to a CPU, else it is wrapped in two transposes.
* 2D: one `MaxPool` / `AvgPool` in the data's own layout (NHWC or NCHW).
* 3D: `MaxPool3D` / `AvgPool3D` in NDHWC; channels-first data is
  transposed there and back.
"""


import tensorflow as tf

from tf_compat_bn.layers import base
from tf_compat_bn.layers import utils

v1 = tf.compat.v1


def _pool_image(x, pool_size, strides, padding, data_format, mode):
  """2D pooling of a 4D tensor in `data_format`, as the 1D layers use it."""
  if data_format not in ('channels_first', 'channels_last'):
    raise ValueError('Unknown data_format: ' + str(data_format))
  layout = 'NHWC'
  if data_format == 'channels_first':
    if utils.nchw_supported():
      layout = 'NCHW'
    else:
      x = v1.transpose(x, (0, 2, 3, 1))
  if padding not in ('same', 'valid'):
    raise ValueError('Invalid padding: ' + str(padding))
  padding = padding.upper()
  if layout == 'NHWC':
    strides = (1,) + strides + (1,)
    pool_size = (1,) + pool_size + (1,)
  else:
    strides = (1, 1) + strides
    pool_size = (1, 1) + pool_size
  pool = v1.nn.max_pool if mode == 'max' else v1.nn.avg_pool
  x = pool(x, pool_size, strides, padding=padding, data_format=layout)
  if data_format == 'channels_first' and layout == 'NHWC':
    x = v1.transpose(x, (0, 3, 1, 2))
  return x


class _Pooling(base.Layer):
  """Shared arguments, checks, shapes and config of the pooling layers.

  Subclasses set `_RANK` (spatial axes) and `_MODE` ('max' or 'avg') and
  implement `call`.
  """

  _RANK = None
  _MODE = None

  def __init__(self, pool_size, strides, padding='valid',
               data_format='channels_last', name=None, **kwargs):
    if strides is None:
      raise ValueError('Argument `strides` must not be None.')
    super().__init__(name=name, **kwargs)
    if data_format is None:
      data_format = 'channels_last'
    n = self._RANK
    self.pool_size = utils.normalize_tuple(pool_size, n, 'pool_size')
    self.strides = utils.normalize_tuple(strides, n, 'strides', allow_zero=True)
    self.padding = utils.normalize_padding(padding)
    self.data_format = utils.normalize_data_format(data_format)
    self.input_spec = base.InputSpec(ndim=n + 2)

  def compute_output_shape(self, input_shape):
    dims = tf.TensorShape(input_shape).as_list()
    if self.data_format == 'channels_first':
      spatial, channels = dims[2:], dims[1]
    else:
      spatial, channels = dims[1:-1], dims[-1]
    spatial = [utils.output_length(d, w, self.padding, s)
               for d, w, s in zip(spatial, self.pool_size, self.strides)]
    if self.data_format == 'channels_first':
      return tf.TensorShape([dims[0], channels] + spatial)
    return tf.TensorShape([dims[0]] + spatial + [channels])

  def get_config(self):
    config = super().get_config()
    config.update({'pool_size': self.pool_size, 'padding': self.padding,
                   'strides': self.strides,
                   'data_format': self.data_format})
    return config


class _Pooling1D(_Pooling):
  """Pooling over the steps of `(batch, steps, channels)` (or
  `(batch, channels, steps)` for channels_first)."""

  _RANK = 1

  def call(self, inputs):
    axis = 2 if self.data_format == 'channels_last' else 3
    inputs = tf.expand_dims(inputs, axis)
    outputs = _pool_image(inputs, self.pool_size + (1,), self.strides + (1,),
                          self.padding, self.data_format, self._MODE)
    return tf.squeeze(outputs, axis)


class _Pooling2D(_Pooling):
  """Pooling over the rows and columns of images."""

  _RANK = 2

  def call(self, inputs):
    if self.data_format == 'channels_last':
      ksize = (1,) + self.pool_size + (1,)
      strides = (1,) + self.strides + (1,)
      layout = 'NHWC'
    else:
      ksize = (1, 1) + self.pool_size
      strides = (1, 1) + self.strides
      layout = 'NCHW'
    pool = v1.nn.max_pool if self._MODE == 'max' else tf.nn.avg_pool
    return pool(inputs, ksize=ksize, strides=strides,
                padding=self.padding.upper(), data_format=layout)


class _Pooling3D(_Pooling):
  """Pooling over depth, rows and columns of volumes."""

  _RANK = 3

  def call(self, inputs):
    ksize = (1,) + self.pool_size + (1,)
    strides = (1,) + self.strides + (1,)
    channels_first = self.data_format == 'channels_first'
    if channels_first:
      inputs = tf.transpose(inputs, (0, 2, 3, 4, 1))
    pool = tf.nn.max_pool3d if self._MODE == 'max' else tf.nn.avg_pool3d
    outputs = pool(inputs, ksize=ksize, strides=strides,
                   padding=self.padding.upper())
    if channels_first:
      outputs = tf.transpose(outputs, (0, 4, 1, 2, 3))
    return outputs


_ARGS_DOC = """
  Args:
    pool_size: window size: an int (same on every spatial axis) or one int
      per spatial axis.
    strides: step between windows, int or one per spatial axis (required).
    padding: 'valid' or 'same', any case.
    data_format: 'channels_last' (default; channels on the last axis) or
      'channels_first' (channels on axis 1).
    name: the layer's name (and name scope).
"""


class AveragePooling1D(_Pooling1D):
  __doc__ = ('Average pooling over the steps of `(batch, steps, channels)` '
             'data.\n' + _ARGS_DOC)
  _MODE = 'avg'

  def __init__(self, pool_size, strides, padding='valid',
               data_format='channels_last', name=None, **kwargs):
    super().__init__(pool_size, strides, padding=padding,
                     data_format=data_format, name=name, **kwargs)


class MaxPooling1D(_Pooling1D):
  __doc__ = ('Max pooling over the steps of `(batch, steps, channels)` '
             'data.\n' + _ARGS_DOC)
  _MODE = 'max'

  def __init__(self, pool_size, strides, padding='valid',
               data_format='channels_last', name=None, **kwargs):
    super().__init__(pool_size, strides, padding=padding,
                     data_format=data_format, name=name, **kwargs)


class AveragePooling2D(_Pooling2D):
  __doc__ = 'Average pooling over the rows and columns of images.\n' + _ARGS_DOC
  _MODE = 'avg'

  def __init__(self, pool_size, strides, padding='valid',
               data_format='channels_last', name=None, **kwargs):
    super().__init__(pool_size, strides, padding=padding,
                     data_format=data_format, name=name, **kwargs)


class MaxPooling2D(_Pooling2D):
  __doc__ = 'Max pooling over the rows and columns of images.\n' + _ARGS_DOC
  _MODE = 'max'

  def __init__(self, pool_size, strides, padding='valid',
               data_format='channels_last', name=None, **kwargs):
    super().__init__(pool_size, strides, padding=padding,
                     data_format=data_format, name=name, **kwargs)


class AveragePooling3D(_Pooling3D):
  __doc__ = ('Average pooling over depth, rows and columns of volumes.\n' +
             _ARGS_DOC)
  _MODE = 'avg'

  def __init__(self, pool_size, strides, padding='valid',
               data_format='channels_last', name=None, **kwargs):
    super().__init__(pool_size, strides, padding=padding,
                     data_format=data_format, name=name, **kwargs)


class MaxPooling3D(_Pooling3D):
  __doc__ = ('Max pooling over depth, rows and columns of volumes.\n' +
             _ARGS_DOC)
  _MODE = 'max'

  def __init__(self, pool_size, strides, padding='valid',
               data_format='channels_last', name=None, **kwargs):
    super().__init__(pool_size, strides, padding=padding,
                     data_format=data_format, name=name, **kwargs)


def _apply(cls, inputs, pool_size, strides, padding, data_format, name):
  layer = cls(pool_size=pool_size, strides=strides, padding=padding,
              data_format=data_format, name=name)
  return layer(inputs)


_FN_DOC = """Pools `inputs` with a new `{cls}` layer (see there for the
  arguments).  `inputs` must have rank {rank}.

  Returns:
    The pooled tensor, of rank {rank}.
  """


def average_pooling1d(inputs, pool_size, strides, padding='valid',
                      data_format='channels_last', name=None):
  return _apply(AveragePooling1D, inputs, pool_size,
                strides, padding, data_format, name)


def max_pooling1d(inputs, pool_size, strides, padding='valid',
                  data_format='channels_last', name=None):
  return _apply(MaxPooling1D, inputs, pool_size, strides,
                padding, data_format, name)


def average_pooling2d(inputs, pool_size, strides, padding='valid',
                      data_format='channels_last', name=None):
  return _apply(AveragePooling2D, inputs, pool_size,
                strides, padding, data_format, name)


def max_pooling2d(inputs, pool_size, strides, padding='valid',
                  data_format='channels_last', name=None):
  return _apply(MaxPooling2D, inputs, pool_size, strides,
                padding, data_format, name)


def average_pooling3d(inputs, pool_size, strides, padding='valid',
                      data_format='channels_last', name=None):
  return _apply(AveragePooling3D, inputs, pool_size,
                strides, padding, data_format, name)


def max_pooling3d(inputs, pool_size, strides, padding='valid',
                  data_format='channels_last', name=None):
  return _apply(MaxPooling3D, inputs, pool_size, strides,
                padding, data_format, name)


for _fn, _cls, _rank in ((average_pooling1d, 'AveragePooling1D', 3),
                         (max_pooling1d, 'MaxPooling1D', 3),
                         (average_pooling2d, 'AveragePooling2D', 4),
                         (max_pooling2d, 'MaxPooling2D', 4),
                         (average_pooling3d, 'AveragePooling3D', 5),
                         (max_pooling3d, 'MaxPooling3D', 5)):
  _fn.__doc__ = _FN_DOC.format(cls=_cls, rank=_rank)
del _fn, _cls, _rank

# The reference module's other names for the same objects.
AvgPool2D = AveragePooling2D
MaxPool2D = MaxPooling2D
max_pool2d = max_pooling2d
avg_pool2d = average_pooling2d
