"""Resolving the arguments layers accept as callables or Keras string names.

TF 2.12's `tf.compat.v1.layers` constructors hand `*_initializer`,
`*_regularizer`, `activity_regularizer`, `*_constraint` and `activation` to
Keras' `get` functions, so TF1 programs may pass names ('glorot_uniform',
'l2', 'non_neg', 'relu', ...) or configs ({'class_name': ..., 'config': ...}).
`initializer`, `regularizer`, `constraint` and `activation` resolve the same
identifiers, without Keras, to callables that build the same ops (names,
types, attributes) with the same values:

* None stays None (an activation of None too: no op is built for it);
  callables pass through (a class given as an initializer is instantiated, as
  the reference does); anything else raises the reference's error.
* Initializer names resolve to different families depending on whether TF2
  behaviour is enabled when the name is resolved (that is, when the layer is
  constructed), as in the reference: with it, Keras-2-style initializers that
  draw from stateless random ops seeded once (the `seed` argument, or else a
  seed drawn from Python's `random` module at the first call); without it
  (`tf.compat.v1.disable_v2_behavior()`), TF's own `tf.compat.v1`
  initializers, whose stateful random ops follow the graph seed.  The `...V2`
  aliases always name the former.
* `serialize_*` give what the reference layers' `get_config()` report for
  these objects.

Not reproduced (see `UNSUPPORTED`): the Keras module attributes the
reference's lookups also reach by accident ('math', 'get', 'serialize', ...),
the `PReLU` activation (a Keras layer with its own weight), DTensor layouts,
Keras' custom-object registry and `tf.keras.utils.set_random_seed`'s private
seed stream (we draw unseeded initializer seeds from Python's global `random`,
which the reference also uses when that function was never called).
"""

import inspect
import math
import random
import re
import warnings
import weakref

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1

_FLOATX = 'float32'
_EPSILON = 1e-7

UNSUPPORTED = {
    'activation': ('PReLU',),
}


def _tf2_enabled():
  return tf.__internal__.tf2.enabled()


def _unknown(kind, name):
  return ValueError(
      f"Unknown {kind}: '{name}'. Please ensure you are using a "
      '`keras.utils.custom_object_scope` and that this object is included in '
      'the scope. See https://www.tensorflow.org/guide/keras/'
      'save_and_serialize#registering_the_custom_object for details.')


def _lookup(table, name, kind):
  obj = table.get(name)
  if obj is None:
    raise _unknown(kind, name)
  return obj


def _from_name(table, name, kind):
  """A class named by a string is instantiated without arguments."""
  obj = _lookup(table, name, kind)
  return obj() if inspect.isclass(obj) else obj


def _from_config(table, config, kind):
  if (not isinstance(config, dict) or 'class_name' not in config or
      'config' not in config):
    raise ValueError(
        f'Improper config format for {config}. Expecting python dict contains '
        '`class_name` and `config` as keys')
  cls = _lookup(table, config['class_name'], kind)
  cls_config = config['config']
  if isinstance(cls_config, dict):
    cls_config = dict(cls_config)
  if hasattr(cls, 'from_config'):
    return cls.from_config(cls_config)
  return cls(**cls_config)


def _serialize(obj):
  """Keras' legacy serialization of one object (None stays None)."""
  if obj is None:
    return None
  if hasattr(obj, 'get_config'):
    return {'class_name': type(obj).__name__, 'config': obj.get_config()}
  if hasattr(obj, '__name__'):
    return obj.__name__
  raise ValueError(
      f"Cannot serialize {obj} because it doesn't implement `get_config()`.")


# ---------------------------------------------------------------------------
# Initializers
# ---------------------------------------------------------------------------
_PARTITION_SHAPE = 'partition_shape'
_PARTITION_OFFSET = 'partition_offset'
_LAYOUT = 'layout'
_ALLOWED_INITIALIZER_KWARGS = [_PARTITION_SHAPE, _PARTITION_OFFSET, _LAYOUT]


def _get_dtype(dtype):
  return tf.as_dtype(_FLOATX if dtype is None else dtype)


def _assert_float_dtype(dtype):
  dtype = tf.as_dtype(dtype)
  if not dtype.is_floating:
    raise ValueError(f'Expected floating point type, got {dtype}.')
  return dtype


def _validate_kwargs(cls_name, kwargs, support_partition=True):
  invalid = [k for k in kwargs if k not in _ALLOWED_INITIALIZER_KWARGS]
  if invalid:
    raise TypeError(f'Unknown keyword arguments: {invalid}. Allowed keyword '
                    f'arguments: {_ALLOWED_INITIALIZER_KWARGS}.')
  if not support_partition and (_PARTITION_SHAPE in kwargs or
                                _PARTITION_OFFSET in kwargs):
    raise ValueError(f"{cls_name} initializer doesn't support "
                     'partition-related arguments.')
  if kwargs.get(_LAYOUT) is not None:
    raise NotImplementedError(
        'DTensor layouts are not supported by tf_compat_bn initializers.')


def _compute_fans(shape):
  if len(shape) < 1:
    fan_in = fan_out = 1
  elif len(shape) == 1:
    fan_in = fan_out = shape[0]
  elif len(shape) == 2:
    fan_in, fan_out = shape[0], shape[1]
  else:
    receptive_field = 1
    for dim in shape[:-2]:
      receptive_field *= dim
    fan_in = shape[-2] * receptive_field
    fan_out = shape[-1] * receptive_field
  return int(fan_in), int(fan_out)


class _StatelessRandom:
  """Stateless random ops under one seed, fixed at the first draw."""

  def __init__(self, seed):
    self._seed = seed
    self._built = False

  def _op_seed(self, nonce):
    if not self._built:
      if self._seed is None:
        self._seed = random.randint(1, int(1e9))
      self._built = True
    seed = [self._seed, 0]
    if nonce:
      seed = tf.random.experimental.stateless_fold_in(seed, nonce)
    return seed

  def random_uniform(self, shape, minval, maxval, dtype, nonce=None):
    return tf.random.stateless_uniform(
        shape=shape, minval=minval, maxval=maxval, dtype=dtype or _FLOATX,
        seed=self._op_seed(nonce))

  def random_normal(self, shape, mean, stddev, dtype, nonce=None):
    return tf.random.stateless_normal(
        shape=shape, mean=mean, stddev=stddev, dtype=dtype or _FLOATX,
        seed=self._op_seed(nonce))

  def truncated_normal(self, shape, mean, stddev, dtype, nonce=None):
    return tf.random.stateless_truncated_normal(
        shape=shape, mean=mean, stddev=stddev, dtype=dtype or _FLOATX,
        seed=self._op_seed(nonce))


class Initializer:
  """Base of the Keras-2-style initializers (TF2 behaviour)."""

  def __call__(self, shape, dtype=None, **kwargs):
    raise NotImplementedError(
        'Initializer subclasses must implement the `__call__()` method.')

  def get_config(self):
    return {}

  @classmethod
  def from_config(cls, config):
    config.pop('dtype', None)
    return cls(**config)

  def _warn_reuse(self):
    if getattr(self, '_used', False):
      if getattr(self, 'seed', None) is None:
        warnings.warn(
            f'The initializer {self.__class__.__name__} is unseeded and being '
            'called multiple times, which will return identical values each '
            'time (even if the initializer is unseeded). Please update your '
            'code to provide a seed to the initializer, or avoid using the '
            'same initalizer instance more than once.')
    else:
      self._used = True

  def _partition(self, shape, kwargs):
    """(shape, nonce) for a call, after the reuse check."""
    if _PARTITION_SHAPE in kwargs:
      shape = kwargs[_PARTITION_SHAPE]
    offset = kwargs.get(_PARTITION_OFFSET)
    if offset is None:
      self._warn_reuse()
    return shape, (hash(offset) if offset else None)


class _Filled(Initializer):
  _fill = None

  def __call__(self, shape, dtype=None, **kwargs):
    _validate_kwargs(type(self).__name__, kwargs)
    dtype = _get_dtype(dtype)
    if not dtype.is_numpy_compatible or dtype == tf.string:
      raise ValueError(f'Expected numeric or boolean dtype, got {dtype}.')
    if _PARTITION_SHAPE in kwargs:
      shape = kwargs[_PARTITION_SHAPE]
    return type(self)._fill(shape, dtype)


class Zeros(_Filled):
  """Zeros."""
  _fill = staticmethod(tf.zeros)


class Ones(_Filled):
  """Ones."""
  _fill = staticmethod(tf.ones)


class Constant(Initializer):
  """A scalar constant `value`."""

  def __init__(self, value=0):
    self.value = value

  def __call__(self, shape, dtype=None, **kwargs):
    _validate_kwargs(type(self).__name__, kwargs)
    if _PARTITION_SHAPE in kwargs:
      shape = kwargs[_PARTITION_SHAPE]
    return tf.constant(self.value, dtype=_get_dtype(dtype), shape=shape)

  def get_config(self):
    return {'value': self.value}


class RandomUniform(Initializer):
  """Uniform in [minval, maxval)."""

  def __init__(self, minval=-0.05, maxval=0.05, seed=None):
    self.minval = minval
    self.maxval = maxval
    self.seed = seed
    self._random = _StatelessRandom(seed)

  def __call__(self, shape, dtype=None, **kwargs):
    _validate_kwargs(type(self).__name__, kwargs)
    dtype = _get_dtype(dtype)
    if not dtype.is_floating and not dtype.is_integer:
      raise ValueError(f'Expected float or integer dtype, got {dtype}.')
    shape, nonce = self._partition(shape, kwargs)
    return self._random.random_uniform(shape, self.minval, self.maxval, dtype,
                                       nonce)

  def get_config(self):
    return {'minval': self.minval, 'maxval': self.maxval, 'seed': self.seed}


class RandomNormal(Initializer):
  """Normal(mean, stddev)."""

  def __init__(self, mean=0.0, stddev=0.05, seed=None):
    self.mean = mean
    self.stddev = stddev
    self.seed = seed
    self._random = _StatelessRandom(seed)

  def __call__(self, shape, dtype=None, **kwargs):
    _validate_kwargs(type(self).__name__, kwargs)
    dtype = _assert_float_dtype(_get_dtype(dtype))
    shape, nonce = self._partition(shape, kwargs)
    return self._random.random_normal(shape, self.mean, self.stddev, dtype,
                                      nonce)

  def get_config(self):
    return {'mean': self.mean, 'stddev': self.stddev, 'seed': self.seed}


class TruncatedNormal(RandomNormal):
  """Normal(mean, stddev) redrawn beyond two standard deviations."""

  def __call__(self, shape, dtype=None, **kwargs):
    _validate_kwargs(type(self).__name__, kwargs)
    dtype = _assert_float_dtype(_get_dtype(dtype))
    shape, nonce = self._partition(shape, kwargs)
    return self._random.truncated_normal(shape, self.mean, self.stddev, dtype,
                                         nonce)


class VarianceScaling(Initializer):
  """Scale / fan (fan_in, fan_out or their mean) as the variance."""

  def __init__(self, scale=1.0, mode='fan_in', distribution='truncated_normal',
               seed=None):
    if scale <= 0.0:
      raise ValueError(
          f'`scale` must be positive float. Received: scale={scale}.')
    allowed_modes = {'fan_in', 'fan_out', 'fan_avg'}
    if mode not in allowed_modes:
      raise ValueError(f'Invalid `mode` argument: {mode}. '
                       f'Please use one of the {allowed_modes}.')
    distribution = distribution.lower()
    if distribution == 'normal':
      distribution = 'truncated_normal'
    allowed = {'uniform', 'truncated_normal', 'untruncated_normal'}
    if distribution not in allowed:
      raise ValueError(f'Invalid `distribution` argument: {distribution}.'
                       f'Allowed distributions: {allowed}.')
    self.scale = scale
    self.mode = mode
    self.distribution = distribution
    self.seed = seed
    self._random = _StatelessRandom(seed)

  def __call__(self, shape, dtype=None, **kwargs):
    _validate_kwargs(type(self).__name__, kwargs)
    dtype = _assert_float_dtype(_get_dtype(dtype))
    shape, nonce = self._partition(shape, kwargs)
    scale = self.scale
    fan_in, fan_out = _compute_fans(shape)
    if self.mode == 'fan_in':
      scale /= max(1.0, fan_in)
    elif self.mode == 'fan_out':
      scale /= max(1.0, fan_out)
    else:
      scale /= max(1.0, (fan_in + fan_out) / 2.0)
    if self.distribution == 'truncated_normal':
      # The standard deviation of a unit normal truncated to [-2, 2].
      stddev = math.sqrt(scale) / 0.87962566103423978
      return self._random.truncated_normal(shape, 0.0, stddev, dtype, nonce)
    if self.distribution == 'untruncated_normal':
      return self._random.random_normal(shape, 0.0, math.sqrt(scale), dtype,
                                        nonce)
    limit = math.sqrt(3.0 * scale)
    return self._random.random_uniform(shape, -limit, limit, dtype, nonce)

  def get_config(self):
    return {'scale': self.scale, 'mode': self.mode,
            'distribution': self.distribution, 'seed': self.seed}


def _variance_scaling_preset(name, scale, mode, distribution):
  def __init__(self, seed=None):
    VarianceScaling.__init__(self, scale=scale, mode=mode,
                             distribution=distribution, seed=seed)

  def get_config(self):
    return {'seed': self.seed}

  return type(name, (VarianceScaling,), {
      '__init__': __init__, 'get_config': get_config,
      '__doc__': f'VarianceScaling({scale}, {mode!r}, {distribution!r}).'})


GlorotUniform = _variance_scaling_preset('GlorotUniform', 1.0, 'fan_avg',
                                         'uniform')
GlorotNormal = _variance_scaling_preset('GlorotNormal', 1.0, 'fan_avg',
                                        'truncated_normal')
LecunUniform = _variance_scaling_preset('LecunUniform', 1.0, 'fan_in',
                                        'uniform')
LecunNormal = _variance_scaling_preset('LecunNormal', 1.0, 'fan_in',
                                       'truncated_normal')
HeUniform = _variance_scaling_preset('HeUniform', 2.0, 'fan_in', 'uniform')
HeNormal = _variance_scaling_preset('HeNormal', 2.0, 'fan_in',
                                    'truncated_normal')


class Orthogonal(Initializer):
  """`gain` times an orthogonal matrix (QR of a normal draw)."""

  def __init__(self, gain=1.0, seed=None):
    self.gain = gain
    self.seed = seed
    self._random = _StatelessRandom(seed)

  def __call__(self, shape, dtype=None, **kwargs):
    _validate_kwargs(type(self).__name__, kwargs, support_partition=False)
    dtype = _assert_float_dtype(_get_dtype(dtype))
    if len(shape) < 2:
      raise ValueError('The tensor to initialize must be at least '
                       f'two-dimensional. Received: shape={shape} of rank '
                       f'{len(shape)}.')
    self._warn_reuse()
    num_rows = 1
    for dim in shape[:-1]:
      num_rows *= dim
    num_cols = shape[-1]
    flat_shape = (max(num_cols, num_rows), min(num_cols, num_rows))
    a = self._random.random_normal(flat_shape, 0.0, 1.0, dtype)
    q, r = tf.linalg.qr(a, full_matrices=False)
    q *= tf.sign(tf.linalg.tensor_diag_part(r))
    if num_rows < num_cols:
      q = tf.linalg.matrix_transpose(q)
    return self.gain * tf.reshape(q, shape)

  def get_config(self):
    return {'gain': self.gain, 'seed': self.seed}


class Identity(Initializer):
  """`gain` times the identity matrix (2-D only)."""

  def __init__(self, gain=1.0):
    self.gain = gain

  def __call__(self, shape, dtype=None, **kwargs):
    _validate_kwargs(type(self).__name__, kwargs, support_partition=False)
    dtype = _assert_float_dtype(_get_dtype(dtype))
    if len(shape) != 2:
      raise ValueError('Identity matrix initializer can only be used for 2D '
                       f'matrices. Received: shape={shape} of rank '
                       f'{len(shape)}.')
    return self.gain * tf.eye(*shape, dtype=dtype)

  def get_config(self):
    return {'gain': self.gain}


# TF1 behaviour: TF's own tf.compat.v1 initializers, with Keras' defaults.
def _v1_variance_scaling_preset(name, scale, mode, distribution):
  base = v1.variance_scaling_initializer

  def __init__(self, seed=None):
    base.__init__(self, scale=scale, mode=mode, distribution=distribution,
                  seed=seed)

  def get_config(self):
    return {'seed': self.seed}

  return type(name, (base,), {
      '__init__': __init__, 'get_config': get_config,
      '__doc__': f'tf.compat.v1 VarianceScaling({scale}, {mode!r}, '
                 f'{distribution!r}).'})


class _V1RandomNormal(v1.random_normal_initializer):

  def __init__(self, mean=0.0, stddev=0.05, seed=None, dtype=tf.float32):
    super().__init__(mean=mean, stddev=stddev, seed=seed, dtype=dtype)


class _V1RandomUniform(v1.random_uniform_initializer):

  def __init__(self, minval=-0.05, maxval=0.05, seed=None, dtype=tf.float32):
    super().__init__(minval=minval, maxval=maxval, seed=seed, dtype=dtype)


class _V1TruncatedNormal(v1.truncated_normal_initializer):

  def __init__(self, mean=0.0, stddev=0.05, seed=None, dtype=tf.float32):
    super().__init__(mean=mean, stddev=stddev, seed=seed, dtype=dtype)


_V1RandomNormal.__name__ = _V1RandomNormal.__qualname__ = 'RandomNormal'
_V1RandomUniform.__name__ = _V1RandomUniform.__qualname__ = 'RandomUniform'
_V1TruncatedNormal.__name__ = 'TruncatedNormal'
_V1TruncatedNormal.__qualname__ = 'TruncatedNormal'


def _snake(name):
  s = re.sub(r'(.)([A-Z][a-z]+)', r'\1_\2', name)
  s = re.sub(r'([a-z])([A-Z])', r'\1_\2', s).lower()
  return s if s[0] != '_' else 'private' + s


_V2_INITIALIZERS = {
    'Constant': Constant, 'GlorotNormal': GlorotNormal,
    'GlorotUniform': GlorotUniform, 'HeNormal': HeNormal,
    'HeUniform': HeUniform, 'Identity': Identity,
    'LecunNormal': LecunNormal, 'LecunUniform': LecunUniform, 'Ones': Ones,
    'Orthogonal': Orthogonal, 'RandomNormal': RandomNormal,
    'RandomUniform': RandomUniform, 'TruncatedNormal': TruncatedNormal,
    'VarianceScaling': VarianceScaling, 'Zeros': Zeros,
}
_V1_INITIALIZERS = {
    'Constant': v1.constant_initializer,
    'GlorotNormal': v1.glorot_normal_initializer,
    'GlorotUniform': v1.glorot_uniform_initializer,
    'Identity': v1.initializers.identity,
    'Ones': v1.ones_initializer,
    'Orthogonal': v1.orthogonal_initializer,
    'VarianceScaling': v1.variance_scaling_initializer,
    'Zeros': v1.zeros_initializer,
    'HeNormal': _v1_variance_scaling_preset('HeNormal', 2.0, 'fan_in',
                                            'truncated_normal'),
    'HeUniform': _v1_variance_scaling_preset('HeUniform', 2.0, 'fan_in',
                                             'uniform'),
    'LecunNormal': _v1_variance_scaling_preset('LecunNormal', 1.0, 'fan_in',
                                               'truncated_normal'),
    'LecunUniform': _v1_variance_scaling_preset('LecunUniform', 1.0,
                                                'fan_in', 'uniform'),
    'RandomNormal': _V1RandomNormal,
    'RandomUniform': _V1RandomUniform,
    'TruncatedNormal': _V1TruncatedNormal,
}


def _initializer_table(tf2_enabled):
  """Every name the reference's `initializers.get` accepts, in this mode."""
  table = {}
  for key, cls in _V2_INITIALIZERS.items():
    table[key + 'V2'] = cls
  for key in ('GlorotNormal', 'GlorotUniform', 'HeNormal', 'HeUniform',
              'LecunNormal', 'LecunUniform'):
    table[_snake(key) + 'V2'] = _V2_INITIALIZERS[key]
  if tf2_enabled:
    family = dict(_V2_INITIALIZERS, Initializer=Initializer)
  else:
    family = _V1_INITIALIZERS
  for key, cls in family.items():
    table[key] = cls
    table[_snake(key)] = cls
  table['normal'] = table['random_normal']
  table['uniform'] = table['random_uniform']
  table['one'] = table['ones']
  table['zero'] = table['zeros']
  return table


_INITIALIZER_TABLES = {True: _initializer_table(True),
                       False: _initializer_table(False)}


def initializer_names(tf2_enabled=None):
  """The names `initializer` accepts (under TF2 behaviour or not)."""
  if tf2_enabled is None:
    tf2_enabled = _tf2_enabled()
  return sorted(_INITIALIZER_TABLES[bool(tf2_enabled)])


def initializer(value):
  """An initializer callable for `value` (None stays None)."""
  if value is None:
    return None
  table = _INITIALIZER_TABLES[bool(_tf2_enabled())]
  if isinstance(value, dict):
    return _from_config(table, value, 'initializer')
  if isinstance(value, str):
    return _from_name(table, str(value), 'initializer')
  if callable(value):
    return value() if inspect.isclass(value) else value
  raise ValueError('Could not interpret initializer identifier: ' + str(value))


def serialize_initializer(obj):
  """{'class_name': ..., 'config': ...} as the reference's get_config has it."""
  return _serialize(obj)


# ---------------------------------------------------------------------------
# Regularizers
# ---------------------------------------------------------------------------
def _check_penalty_number(x):
  if not isinstance(x, (float, int)):
    raise ValueError(f'Value {x} is not a valid regularization penalty '
                     'number, expected an int or float value.')
  if math.isinf(x) or math.isnan(x):
    raise ValueError(f'Value {x} is not a valid regularization penalty '
                     'number, an infinite number or NaN are not valid values.')


def _floatx(x):
  return np.asarray(x, dtype=_FLOATX)


class Regularizer:
  """Base regularizer: no penalty (a Python 0.0)."""

  def __call__(self, x):
    return 0.0

  @classmethod
  def from_config(cls, config):
    return cls(**config)

  def get_config(self):
    raise NotImplementedError(f'{self} does not implement get_config()')


class L1L2(Regularizer):
  """l1 * sum(|x|) + l2 * sum(x**2)."""

  def __init__(self, l1=0.0, l2=0.0):
    l1 = 0.0 if l1 is None else l1
    l2 = 0.0 if l2 is None else l2
    _check_penalty_number(l1)
    _check_penalty_number(l2)
    self.l1 = _floatx(l1)
    self.l2 = _floatx(l2)

  def __call__(self, x):
    regularization = tf.constant(0.0, dtype=x.dtype)
    if self.l1:
      regularization += self.l1 * tf.reduce_sum(tf.abs(x))
    if self.l2:
      regularization += 2.0 * self.l2 * tf.nn.l2_loss(x)
    return regularization

  def get_config(self):
    return {'l1': float(self.l1), 'l2': float(self.l2)}


class L1(Regularizer):
  """l1 * sum(|x|)."""

  def __init__(self, l1=0.01, **kwargs):
    l1 = kwargs.pop('l', l1)
    if kwargs:
      raise TypeError(f'Argument(s) not recognized: {kwargs}')
    l1 = 0.01 if l1 is None else l1
    _check_penalty_number(l1)
    self.l1 = _floatx(l1)

  def __call__(self, x):
    return self.l1 * tf.reduce_sum(tf.abs(x))

  def get_config(self):
    return {'l1': float(self.l1)}


class L2(Regularizer):
  """l2 * sum(x**2) (as 2 * l2 * l2_loss(x))."""

  def __init__(self, l2=0.01, **kwargs):
    l2 = kwargs.pop('l', l2)
    if kwargs:
      raise TypeError(f'Argument(s) not recognized: {kwargs}')
    l2 = 0.01 if l2 is None else l2
    _check_penalty_number(l2)
    self.l2 = _floatx(l2)

  def __call__(self, x):
    return 2.0 * self.l2 * tf.nn.l2_loss(x)

  def get_config(self):
    return {'l2': float(self.l2)}


class OrthogonalRegularizer(Regularizer):
  """factor * mean |dot product| of the normalized rows (or columns)."""

  def __init__(self, factor=0.01, mode='rows'):
    _check_penalty_number(factor)
    self.factor = _floatx(factor)
    if mode not in {'rows', 'columns'}:
      raise ValueError('Invalid value for argument `mode`. Expected one of '
                       f'{{"rows", "columns"}}. Received: mode={mode}')
    self.mode = mode

  def __call__(self, inputs):
    if inputs.shape.rank != 2:
      raise ValueError('Inputs to OrthogonalRegularizer must have rank 2. '
                       f'Received: inputs.shape == {inputs.shape}')
    if self.mode == 'rows':
      inputs = tf.math.l2_normalize(inputs, axis=1)
      product = tf.matmul(inputs, tf.transpose(inputs))
      size = inputs.shape[0]
    else:
      inputs = tf.math.l2_normalize(inputs, axis=0)
      product = tf.matmul(tf.transpose(inputs), inputs)
      size = inputs.shape[1]
    product_no_diagonal = product * (1.0 - tf.eye(size, dtype=inputs.dtype))
    num_pairs = size * (size - 1.0) / 2.0
    return (self.factor * 0.5 * tf.reduce_sum(tf.abs(product_no_diagonal)) /
            num_pairs)

  def get_config(self):
    return {'factor': float(self.factor), 'mode': self.mode}


def l1_l2(l1=0.01, l2=0.01):  # pylint: disable=redefined-outer-name
  """An L1L2 regularizer (0.01 each by default)."""
  return L1L2(l1=l1, l2=l2)


_REGULARIZERS = {
    'Regularizer': Regularizer, 'L1L2': L1L2, 'L1': L1, 'L2': L2,
    'OrthogonalRegularizer': OrthogonalRegularizer, 'l1_l2': l1_l2,
    'l1': L1, 'l2': L2, 'orthogonal_regularizer': OrthogonalRegularizer,
}


def regularizer_names():
  return sorted(_REGULARIZERS)


def regularizer(value):
  """A regularizer callable for `value` (None stays None)."""
  if value is None:
    return None
  if isinstance(value, dict):
    return _from_config(_REGULARIZERS, value, 'regularizer')
  if isinstance(value, str):
    if value == 'l1_l2':
      return L1L2(l1=0.01, l2=0.01)
    return _from_name(_REGULARIZERS, str(value), 'regularizer')
  if callable(value):
    return value
  raise ValueError(f'Could not interpret regularizer identifier: {value}')


def serialize_regularizer(obj):
  return _serialize(obj)


# ---------------------------------------------------------------------------
# Constraints
# ---------------------------------------------------------------------------
def _sqrt(x):
  return tf.sqrt(tf.maximum(x, tf.constant(0.0, dtype=x.dtype.base_dtype)))


def _clip(x, min_value, max_value):
  if isinstance(min_value, (int, float)) and isinstance(max_value,
                                                        (int, float)):
    if max_value < min_value:
      max_value = min_value
  if min_value is None:
    min_value = -np.inf
  if max_value is None:
    max_value = np.inf
  return tf.clip_by_value(x, min_value, max_value)


class Constraint:
  """Base constraint: the weights unchanged."""

  def __call__(self, w):
    return w

  def get_config(self):
    return {}

  @classmethod
  def from_config(cls, config):
    return cls(**config)


class MaxNorm(Constraint):
  """Rescales weights whose norm along `axis` exceeds `max_value`."""

  def __init__(self, max_value=2, axis=0):
    self.max_value = max_value
    self.axis = axis

  def __call__(self, w):
    norms = _sqrt(tf.reduce_sum(tf.square(w), axis=self.axis, keepdims=True))
    desired = _clip(norms, 0, self.max_value)
    return w * (desired / (_EPSILON + norms))

  def get_config(self):
    return {'max_value': self.max_value, 'axis': self.axis}


class NonNeg(Constraint):
  """Zeroes the negative weights."""

  def __call__(self, w):
    return w * tf.cast(tf.greater_equal(w, 0.0), _FLOATX)


class UnitNorm(Constraint):
  """Unit norm along `axis`."""

  def __init__(self, axis=0):
    self.axis = axis

  def __call__(self, w):
    return w / (_EPSILON + _sqrt(
        tf.reduce_sum(tf.square(w), axis=self.axis, keepdims=True)))

  def get_config(self):
    return {'axis': self.axis}


class MinMaxNorm(Constraint):
  """Moves norms along `axis` into [min_value, max_value] at `rate`."""

  def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
    self.min_value = min_value
    self.max_value = max_value
    self.rate = rate
    self.axis = axis

  def __call__(self, w):
    norms = _sqrt(tf.reduce_sum(tf.square(w), axis=self.axis, keepdims=True))
    desired = (self.rate * _clip(norms, self.min_value, self.max_value) +
               (1 - self.rate) * norms)
    return w * (desired / (_EPSILON + norms))

  def get_config(self):
    return {'min_value': self.min_value, 'max_value': self.max_value,
            'rate': self.rate, 'axis': self.axis}


class RadialConstraint(Constraint):
  """Makes each (height, width) kernel slice constant on rings."""

  def __call__(self, w):
    w_shape = w.shape
    if w_shape.rank is None or w_shape.rank != 4:
      raise ValueError('The weight tensor must have rank 4. Received weight '
                       f'tensor with shape: {w_shape}')
    height, width, channels, kernels = w_shape
    w = tf.reshape(w, (height, width, channels * kernels))
    w = tf.map_fn(self._kernel_constraint,
                  tf.stack(tf.unstack(w, axis=-1), axis=0))
    return tf.reshape(tf.stack(tf.unstack(w, axis=0), axis=-1),
                      (height, width, channels, kernels))

  def _kernel_constraint(self, kernel):
    padding = tf.constant([[1, 1], [1, 1]], dtype='int32')
    kernel_shape = tf.shape(kernel)[0]
    start = tf.cast(kernel_shape / 2, 'int32')
    odd = tf.cast(tf.math.floormod(kernel_shape, 2), 'bool')
    kernel_new = v1.cond(
        odd, lambda: kernel[start - 1:start, start - 1:start],
        lambda: kernel[start - 1:start, start - 1:start] + tf.zeros(
            (2, 2), dtype=kernel.dtype))
    index = v1.cond(
        tf.cast(tf.math.floormod(kernel_shape, 2), 'bool'),
        lambda: tf.constant(0, dtype='int32'),
        lambda: tf.constant(1, dtype='int32'))

    def body_fn(i, array):
      return i + 1, tf.pad(array, padding,
                           constant_values=kernel[start + i, start + i])

    _, kernel_new = v1.while_loop(
        lambda index, *args: tf.less(index, start), body_fn,
        [index, kernel_new],
        shape_invariants=[index.get_shape(), tf.TensorShape([None, None])])
    return kernel_new


_CONSTRAINTS = {
    'Constraint': Constraint, 'MaxNorm': MaxNorm, 'NonNeg': NonNeg,
    'UnitNorm': UnitNorm, 'MinMaxNorm': MinMaxNorm,
    'RadialConstraint': RadialConstraint, 'max_norm': MaxNorm,
    'non_neg': NonNeg, 'unit_norm': UnitNorm, 'min_max_norm': MinMaxNorm,
    'radial_constraint': RadialConstraint, 'maxnorm': MaxNorm,
    'nonneg': NonNeg, 'unitnorm': UnitNorm,
}


def constraint_names():
  return sorted(_CONSTRAINTS)


def constraint(value):
  """A constraint callable for `value` (None stays None)."""
  if value is None:
    return None
  if isinstance(value, dict):
    return _from_config(_CONSTRAINTS, value, 'constraint')
  if isinstance(value, str):
    return _from_config(_CONSTRAINTS, {'class_name': str(value), 'config': {}},
                        'constraint')
  if callable(value):
    return value
  raise ValueError(
      f'Could not interpret constraint function identifier: {value}')


def serialize_constraint(obj):
  return _serialize(obj)


# ---------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------
def _relu(x, alpha=0.0, max_value=None, threshold=0.0):
  """Keras' backend relu: leaky, clipped and thresholded variants."""
  dtype = getattr(x, 'dtype', _FLOATX)
  if alpha != 0.0:
    if max_value is None and threshold == 0:
      return tf.nn.leaky_relu(x, alpha=alpha)
    if threshold != 0:
      negative_part = tf.nn.relu(-x + threshold)
    else:
      negative_part = tf.nn.relu(-x)
  clip_max = max_value is not None
  if threshold != 0:
    x = x * tf.cast(tf.greater(x, threshold), dtype=dtype)
  elif max_value == 6:
    x = tf.nn.relu6(x)
    clip_max = False
  else:
    x = tf.nn.relu(x)
  if clip_max:
    max_value = tf.constant(max_value, dtype=x.dtype.base_dtype)
    zero = tf.constant(0, dtype=x.dtype.base_dtype)
    x = tf.clip_by_value(x, zero, max_value)
  if alpha != 0.0:
    alpha = tf.convert_to_tensor(alpha, dtype=x.dtype.base_dtype)
    x -= alpha * negative_part
  return x


def _elu(x, alpha=1.0):
  res = tf.nn.elu(x)
  if alpha == 1:
    return res
  return tf.where(x > 0, res, alpha * res)


def softmax(x, axis=-1):
  """Softmax along `axis` (a tuple of axes too); not for 1-D inputs."""
  if x.shape.rank > 1:
    if isinstance(axis, int):
      return tf.nn.softmax(x, axis=axis)
    e = tf.exp(x - tf.reduce_max(x, axis=axis, keepdims=True))
    s = tf.reduce_sum(e, axis=axis, keepdims=True)
    return e / s
  raise ValueError(
      f'Cannot apply softmax to a tensor that is 1D. Received input: {x}')


def elu(x, alpha=1.0):
  """x if x > 0 else alpha * (exp(x) - 1)."""
  return _elu(x, alpha)


def selu(x):
  """Scaled ELU."""
  return tf.nn.selu(x)


def softplus(x):
  """log(exp(x) + 1)."""
  return tf.math.softplus(x)


def softsign(x):
  """x / (|x| + 1)."""
  return tf.math.softsign(x)


def swish(x):
  """x * sigmoid(x)."""
  return tf.nn.silu(x)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
  """Rectified linear unit (with Keras' optional variants)."""
  return _relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def gelu(x, approximate=False):
  """Gaussian error linear unit."""
  return tf.nn.gelu(x, approximate)


def tanh(x):
  """Hyperbolic tangent."""
  return tf.tanh(x)


def sigmoid(x):
  """1 / (1 + exp(-x))."""
  return tf.sigmoid(x)


def exponential(x):
  """exp(x)."""
  return tf.exp(x)


def hard_sigmoid(x):
  """clip(0.2 * x + 0.5, 0, 1)."""
  point_two = tf.constant(0.2, dtype=x.dtype.base_dtype)
  point_five = tf.constant(0.5, dtype=x.dtype.base_dtype)
  x = tf.multiply(x, point_two)
  x = tf.add(x, point_five)
  return tf.clip_by_value(x, 0.0, 1.0)


def linear(x):
  """x unchanged."""
  return x


# Keras' activation layer classes, which its lookup also reaches: called as
# an activation each builds its ops in a name scope named after the object
# (`re_lu`, `re_lu_1`, ... per graph at construction, uniquified per call).
_LAYER_NAME_UIDS = weakref.WeakKeyDictionary()


def _unique_name(base):
  counters = _LAYER_NAME_UIDS.setdefault(v1.get_default_graph(), {})
  count = counters.get(base, 0)
  counters[base] = count + 1
  return base if count == 0 else f'{base}_{count}'


class _ActivationLayer:
  """A parameter-free Keras activation layer, without Keras."""

  def __init__(self, name=None, trainable=True, dtype=None, **kwargs):
    del kwargs
    self.name = name or _unique_name(_snake(type(self).__name__))
    self.trainable = trainable
    self.dtype = dtype

  def __call__(self, inputs):
    with tf.name_scope(self.name):
      return self.call(tf.convert_to_tensor(inputs))

  def call(self, inputs):
    raise NotImplementedError

  def _base_config(self):
    return {'name': self.name, 'trainable': self.trainable,
            'dtype': self.dtype or _FLOATX}

  @classmethod
  def from_config(cls, config):
    return cls(**config)


class ReLU(_ActivationLayer):
  """Keras' ReLU layer: max_value, negative_slope, threshold."""

  def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0,
               **kwargs):
    super().__init__(**kwargs)
    if max_value is not None and max_value < 0.0:
      raise ValueError('max_value of a ReLU layer cannot be a negative '
                       f'value. Received: {max_value}')
    if negative_slope is None or negative_slope < 0.0:
      raise ValueError('negative_slope of a ReLU layer cannot be a negative '
                       f'value. Received: {negative_slope}')
    if threshold is None or threshold < 0.0:
      raise ValueError('threshold of a ReLU layer cannot be a negative '
                       f'value. Received: {threshold}')
    self.max_value = None if max_value is None else _floatx(max_value)
    self.negative_slope = _floatx(negative_slope)
    self.threshold = _floatx(threshold)

  def call(self, inputs):
    return _relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                 threshold=self.threshold)

  def get_config(self):
    return dict(self._base_config(), max_value=self.max_value,
                negative_slope=self.negative_slope, threshold=self.threshold)


class ELU(_ActivationLayer):
  """Keras' ELU layer."""

  def __init__(self, alpha=1.0, **kwargs):
    super().__init__(**kwargs)
    if alpha is None:
      raise ValueError('Alpha of an ELU layer cannot be None, expecting a '
                       f'float. Received: {alpha}')
    self.alpha = _floatx(alpha)

  def call(self, inputs):
    return _elu(inputs, self.alpha)

  def get_config(self):
    return dict(self._base_config(), alpha=float(self.alpha))


class LeakyReLU(_ActivationLayer):
  """Keras' LeakyReLU layer (alpha 0.3)."""

  def __init__(self, alpha=0.3, **kwargs):
    super().__init__(**kwargs)
    if alpha is None:
      raise ValueError('The alpha value of a Leaky ReLU layer cannot be None, '
                       f'Expecting a float. Received: {alpha}')
    self.alpha = _floatx(alpha)

  def call(self, inputs):
    return _relu(inputs, alpha=self.alpha)

  def get_config(self):
    return dict(self._base_config(), alpha=float(self.alpha))


class Softmax(_ActivationLayer):
  """Keras' Softmax layer (no mask)."""

  def __init__(self, axis=-1, **kwargs):
    super().__init__(**kwargs)
    self.axis = axis

  def call(self, inputs):
    if isinstance(self.axis, (tuple, list)):
      if len(self.axis) > 1:
        return tf.exp(inputs - tf.reduce_logsumexp(
            inputs, axis=self.axis, keepdims=True))
      return tf.nn.softmax(inputs, axis=self.axis[0])
    return tf.nn.softmax(inputs, axis=self.axis)

  def get_config(self):
    return dict(self._base_config(), axis=self.axis)


class ThresholdedReLU(_ActivationLayer):
  """Keras' ThresholdedReLU layer: x where x > theta, else 0."""

  def __init__(self, theta=1.0, **kwargs):
    super().__init__(**kwargs)
    if theta is None:
      raise ValueError('Theta of a Thresholded ReLU layer cannot be None, '
                       f'expecting a float. Received: {theta}')
    if theta < 0:
      raise ValueError('The theta value of a Thresholded ReLU layer should be '
                       f'>=0. Received: {theta}')
    self.theta = _floatx(theta)

  def call(self, inputs):
    return inputs * tf.cast(tf.greater(inputs, self.theta),
                            self.dtype or _FLOATX)

  def get_config(self):
    return dict(self._base_config(), theta=float(self.theta))


def _prelu(**kwargs):
  del kwargs
  raise NotImplementedError(
      "The 'PReLU' activation (a Keras layer with its own trainable weight) "
      'is not supported by tf_compat_bn; pass a callable instead.')


_ACTIVATIONS = {
    'ELU': ELU, 'LeakyReLU': LeakyReLU, 'PReLU': _prelu, 'ReLU': ReLU,
    'Softmax': Softmax, 'ThresholdedReLU': ThresholdedReLU,
    'elu': elu, 'exponential': exponential, 'gelu': gelu,
    'hard_sigmoid': hard_sigmoid, 'leaky_relu': tf.nn.leaky_relu,
    'linear': linear, 'log_softmax': tf.nn.log_softmax, 'relu': relu,
    'relu6': tf.nn.relu6, 'selu': selu, 'sigmoid': sigmoid,
    'silu': tf.nn.silu, 'softmax': softmax, 'softplus': softplus,
    'softsign': softsign, 'swish': swish, 'tanh': tanh,
}


def activation_names():
  return sorted(_ACTIVATIONS)


def activation(value):
  """An activation callable for `value` (None stays None)."""
  if value is None:
    return None
  if isinstance(value, dict):
    return _from_config(_ACTIVATIONS, value, 'activation function')
  if isinstance(value, str):
    if value == 'PReLU':
      return _prelu()
    return _from_name(_ACTIVATIONS, value, 'activation function')
  if callable(value):
    return value
  raise TypeError(
      f'Could not interpret activation function identifier: {value}')


def serialize_activation(obj):
  """The name (or config) the reference's get_config reports; None: 'linear'."""
  if obj is None:
    return 'linear'
  if getattr(obj, '__name__', None) == 'softmax_v2':
    return 'softmax'
  return _serialize(obj)
