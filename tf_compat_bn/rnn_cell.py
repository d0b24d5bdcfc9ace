"""`tf.compat.v1.nn.rnn_cell`, with no Keras.

The ten public names of TF 1.x's `tf.nn.rnn_cell` (`RNNCell`,
`BasicRNNCell`, `BasicLSTMCell`, `LSTMCell`, `GRUCell`, `MultiRNNCell`,
`DropoutWrapper`, `ResidualWrapper`, `DeviceWrapper`, `LSTMStateTuple`),
built on the tf.layers-style `tf_compat_bn.layers.base.Layer`, so that graphs
built with TF's own `tf.compat.v1.nn.dynamic_rnn`, `static_rnn`,
`bidirectional_dynamic_rnn` and `raw_rnn` have the variables
(`rnn/lstm_cell/kernel`, `rnn/multi_rnn_cell/cell_0/lstm_cell/bias`, ...),
op names, numbers and errors of TF <= 2.12, and old checkpoints restore.

A cell is called as `cell(inputs, state, scope=None)` and returns
`(output, new_state)`.  Variables a cell's `call` gets with
`tf.compat.v1.get_variable` (user subclasses of `RNNCell`) are listed in the
cell's weights as well, as in TF 1.x.

`install_rnn_cell(patch)` puts these names under `tf.compat.v1.nn.rnn_cell`
(every import form) and `tensorflow.python.ops.rnn_cell_impl`.
"""

import base64
import collections
import hashlib
import importlib
import marshal
import numbers
import sys
import types
import warnings

import tensorflow as tf

from tf_compat_bn.layers import base as base_layer
from tf_compat_bn.layers import identifiers

v1 = tf.compat.v1
_logging = v1.logging

_BIAS_VARIABLE_NAME = 'bias'
_WEIGHTS_VARIABLE_NAME = 'kernel'
ASSERT_LIKE_RNNCELL_ERROR_REGEXP = 'is not an RNNCell'

__all__ = ['RNNCell', 'BasicRNNCell', 'BasicLSTMCell', 'LSTMCell', 'GRUCell',
           'MultiRNNCell', 'DropoutWrapper', 'ResidualWrapper',
           'DeviceWrapper', 'LSTMStateTuple']


def _hasattr(obj, attr_name):
  try:
    getattr(obj, attr_name)
  except AttributeError:
    return False
  return True


def assert_like_rnncell(cell_name, cell):
  """Raises TypeError unless `cell` looks like an RNN cell."""
  checks = [
      (_hasattr(cell, 'output_size'), "'output_size' property is missing"),
      (_hasattr(cell, 'state_size'), "'state_size' property is missing"),
      (_hasattr(cell, 'get_initial_state') or _hasattr(cell, 'zero_state'),
       "either 'zero_state' or 'get_initial_state' method is required"),
      (callable(cell), 'is not callable'),
  ]
  failed = [message for ok, message in checks if not ok]
  if failed:
    raise TypeError(f'The argument {cell_name!r} ({cell}) is not an RNNCell: '
                    f'{", ".join(failed)}.')


def _as_shape_vector(value, what):
  """(int32 vector tensor or None, static list or None) for a size."""
  if isinstance(value, tf.Tensor):
    static = tf.get_static_value(value)
    if value.shape.ndims == 0:
      value = v1.expand_dims(value, 0)
    elif value.shape.ndims != 1:
      raise ValueError(f'{what} tensor must be either a scalar or vector, '
                       f'but received tensor: {value}')
    return value, static
  shape = tf.TensorShape(value)
  static = shape.as_list() if shape.ndims is not None else None
  tensor = (tf.constant(shape.as_list(), dtype=tf.int32)
            if shape.is_fully_defined() else None)
  return tensor, static


def _concat(prefix, suffix, static=False):
  """`prefix` + `suffix` (ints, TensorShapes or tensors): a tensor, or with
  `static` a list with None for unknown sizes."""
  p, p_static = _as_shape_vector(prefix, 'Prefix')
  s, s_static = _as_shape_vector(suffix, 'suffix')
  if static:
    shape = tf.TensorShape(p_static).concatenate(s_static)
    return shape.as_list() if shape.ndims is not None else None
  if p is None or s is None:
    raise ValueError("Prefix or suffix can't be None. "
                     f'Received prefix = {prefix} and suffix = {suffix}')
  return tf.concat((p, s), 0)


def _zero_state_tensors(state_size, batch_size, dtype):
  """Zeros of shape [batch_size] + s for each size s in `state_size`."""
  def zeros(size):
    out = tf.zeros(_concat(batch_size, size), dtype=dtype)
    if not tf.executing_eagerly():
      out.set_shape(_concat(batch_size, size, static=True))
    return out
  return tf.nest.map_structure(zeros, state_size)


def _check_supported_dtypes(dtype):
  if dtype is None:
    return
  dtype = tf.as_dtype(dtype)
  if not (dtype.is_floating or dtype.is_complex):
    raise ValueError('RNN cell only supports floating point inputs, '
                     f'but received dtype: {dtype}')


def _check_rnn_cell_input_dtypes(inputs):
  for t in tf.nest.flatten(inputs):
    _check_supported_dtypes(t.dtype)


def _shape_tuple(shape):
  shape = tf.TensorShape(shape)
  return tuple(shape.as_list()) if shape.rank is not None else None


def _known_last_dim(inputs_shape):
  shape = _shape_tuple(inputs_shape)
  if shape is None or shape[-1] is None:
    raise ValueError('Expected inputs.shape[-1] to be known, '
                     f'received shape: {shape}')
  return shape[-1]


def _is_split_variable(v):
  return hasattr(v, '_variable_list') or hasattr(v, '_variables')


def _activation(activation):
  return identifiers.activation(activation) if activation else tf.tanh


class RNNCell(base_layer.Layer):
  """The abstract RNN cell: `(output, new_state) = cell(inputs, state)`.

  Subclasses define `state_size`, `output_size` and `call(inputs, state)`
  (and, for weights made once, `build`).  `scope=` at the first call names
  the cell's variable scope; by default it is the snake-cased class name
  under the caller's scope.
  """

  def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
    super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
    self._is_tf_rnn_cell = True

  def __call__(self, inputs, state, scope=None):
    """Runs the cell on `inputs` (`[batch, input_size]`) from `state`."""
    if scope is not None:
      with v1.variable_scope(scope,
                             custom_getter=self._rnn_get_variable) as scope:
        return super().__call__(inputs, state, scope=scope)
    rnncell_scope = getattr(self, 'rnncell_scope', None)
    if rnncell_scope is None:
      rnncell_scope = v1.variable_scope(v1.get_variable_scope(),
                                        custom_getter=self._rnn_get_variable)
      self.rnncell_scope = rnncell_scope
    with rnncell_scope:
      return super().__call__(inputs, state)

  def add_weight(self, *args, **kwargs):
    """As the Layer's; the parts of a partitioned weight are listed among
    the non-trainable weights, as the reference lists them."""
    variable = super().add_weight(*args, **kwargs)
    if _is_split_variable(variable):
      parts = list(variable)
      self._trainable_weights = [
          w for w in self._trainable_weights
          if all(w is not p for p in parts) and w is not variable]
      for part in parts:
        if all(part is not w for w in self._non_trainable_weights):
          self._non_trainable_weights.append(part)
    return variable

  def _rnn_get_variable(self, getter, *args, **kwargs):
    """Lists every variable got in the cell's scope among its weights."""
    variable = getter(*args, **kwargs)
    if v1.executing_eagerly_outside_functions():
      trainable = variable.trainable
    else:
      trainables = v1.trainable_variables()
      first = list(variable)[0] if _is_split_variable(variable) else variable
      trainable = any(first is t for t in trainables)
    target = (self._trainable_weights if trainable
              else self._non_trainable_weights)
    if all(variable is not w for w in target):
      target.append(variable)
    return variable

  @property
  def state_size(self):
    """Size(s) of the state: an int, a TensorShape, or a nest of them."""
    raise NotImplementedError('Abstract method')

  @property
  def output_size(self):
    """Size of the output: an int or a TensorShape."""
    raise NotImplementedError('Abstract method')

  def build(self, _):
    pass

  def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
    """The zero state, for `inputs`' batch and dtype or those given."""
    if inputs is not None:
      inputs = tf.convert_to_tensor(inputs, name='inputs')
      if batch_size is not None:
        if tf.is_tensor(batch_size):
          static_batch_size = tf.get_static_value(batch_size, partial=True)
        else:
          static_batch_size = batch_size
        if inputs.shape.dims[0].value != static_batch_size:
          raise ValueError(
              'batch size from input tensor is different from the input '
              f'param. Input tensor batch: {inputs.shape.dims[0].value}, '
              f'batch_size: {batch_size}')
      if dtype is not None and inputs.dtype != dtype:
        raise ValueError(
            'dtype from input tensor is different from the input param. '
            f'Input tensor dtype: {inputs.dtype}, dtype: {dtype}')
      batch_size = inputs.shape.dims[0].value or v1.shape(inputs)[0]
      dtype = inputs.dtype
    if batch_size is None or dtype is None:
      raise ValueError('batch_size and dtype cannot be None while '
                       f'constructing initial state: batch_size={batch_size}, '
                       f'dtype={dtype}')
    return self.zero_state(batch_size, dtype)

  def zero_state(self, batch_size, dtype):
    """Zero tensor(s) shaped `[batch_size] + state_size`."""
    state_size = self.state_size
    eager = tf.executing_eagerly()
    if eager and _hasattr(self, '_last_zero_state'):
      last_size, last_batch, last_dtype, last = self._last_zero_state
      if (last_batch == batch_size and last_dtype == dtype and
          last_size == state_size):
        return last
    with tf.name_scope(type(self).__name__ + 'ZeroState'):
      output = _zero_state_tensors(state_size, batch_size, dtype)
    if eager:
      self._last_zero_state = (state_size, batch_size, dtype, output)
    return output

  def get_config(self):
    return base_layer.Layer.get_config(self)

  @property
  def _use_input_spec_as_call_signature(self):
    return False


class LayerRNNCell(RNNCell):
  """An RNN cell whose variables are all made in `build` (as tf.layers)."""

  def __call__(self, inputs, state, scope=None, *args, **kwargs):
    return base_layer.Layer.__call__(self, inputs, state, scope=scope, *args,
                                     **kwargs)


def _warn_deprecated(old, new):
  warnings.warn(f'`tf.nn.rnn_cell.{old}` is deprecated and will be removed '
                'in a future version. This class is equivalent as '
                f'`tf.keras.layers.{new}`, and will be replaced by that in '
                'Tensorflow 2.0.', stacklevel=3)


class BasicRNNCell(LayerRNNCell):
  """`output = new_state = activation(W [inputs, state] + b)`.

  Args:
    num_units: the number of units.
    activation: the nonlinearity (callable or name); default tanh.
    reuse: reuse the variables of an existing scope.
    name: the layer's name (its default variable scope).
    dtype: the variables' dtype; by default the first input's.
    **kwargs: other Layer arguments (`trainable`, ...).
  """

  def __init__(self, num_units, activation=None, reuse=None, name=None,
               dtype=None, **kwargs):
    _warn_deprecated('BasicRNNCell', 'SimpleRNNCell')
    super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
    _check_supported_dtypes(self.dtype)
    self.input_spec = base_layer.InputSpec(ndim=2)
    self._num_units = num_units
    self._activation = _activation(activation)

  @property
  def state_size(self):
    return self._num_units

  @property
  def output_size(self):
    return self._num_units

  def build(self, inputs_shape):
    input_depth = _known_last_dim(inputs_shape)
    _check_supported_dtypes(self.dtype)
    self._kernel = self.add_weight(
        _WEIGHTS_VARIABLE_NAME,
        shape=[input_depth + self._num_units, self._num_units])
    self._bias = self.add_weight(
        _BIAS_VARIABLE_NAME, shape=[self._num_units],
        initializer=v1.zeros_initializer(dtype=self.dtype))
    self.built = True

  def call(self, inputs, state):
    _check_rnn_cell_input_dtypes([inputs, state])
    gate_inputs = tf.matmul(tf.concat([inputs, state], 1), self._kernel)
    gate_inputs = tf.nn.bias_add(gate_inputs, self._bias)
    output = self._activation(gate_inputs)
    return output, output

  def get_config(self):
    config = {'num_units': self._num_units,
              'activation': identifiers.serialize_activation(self._activation),
              'reuse': self._reuse}
    return dict(list(super().get_config().items()) + list(config.items()))


class GRUCell(LayerRNNCell):
  """Gated Recurrent Unit cell (Cho et al., 2014).

  Args:
    num_units: the number of units.
    activation: the candidate's nonlinearity; default tanh.
    reuse: reuse the variables of an existing scope.
    kernel_initializer: initializer of the gate and candidate kernels.
    bias_initializer: initializer of both biases (default: ones for the
      gates, zeros for the candidate).
    name: the layer's name.
    dtype: the variables' dtype; by default the first input's.
    **kwargs: other Layer arguments.
  """

  def __init__(self, num_units, activation=None, reuse=None,
               kernel_initializer=None, bias_initializer=None, name=None,
               dtype=None, **kwargs):
    _warn_deprecated('GRUCell', 'GRUCell')
    super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
    _check_supported_dtypes(self.dtype)
    self.input_spec = base_layer.InputSpec(ndim=2)
    self._num_units = num_units
    self._activation = _activation(activation)
    self._kernel_initializer = identifiers.initializer(kernel_initializer)
    self._bias_initializer = identifiers.initializer(bias_initializer)

  @property
  def state_size(self):
    return self._num_units

  @property
  def output_size(self):
    return self._num_units

  def build(self, inputs_shape):
    input_depth = _known_last_dim(inputs_shape)
    _check_supported_dtypes(self.dtype)
    n = self._num_units
    bias_init = self._bias_initializer
    self._gate_kernel = self.add_weight(
        f'gates/{_WEIGHTS_VARIABLE_NAME}', shape=[input_depth + n, 2 * n],
        initializer=self._kernel_initializer)
    self._gate_bias = self.add_weight(
        f'gates/{_BIAS_VARIABLE_NAME}', shape=[2 * n],
        initializer=(bias_init if bias_init is not None else
                     v1.constant_initializer(1.0, dtype=self.dtype)))
    self._candidate_kernel = self.add_weight(
        f'candidate/{_WEIGHTS_VARIABLE_NAME}', shape=[input_depth + n, n],
        initializer=self._kernel_initializer)
    self._candidate_bias = self.add_weight(
        f'candidate/{_BIAS_VARIABLE_NAME}', shape=[n],
        initializer=(bias_init if bias_init is not None else
                     v1.zeros_initializer(dtype=self.dtype)))
    self.built = True

  def call(self, inputs, state):
    _check_rnn_cell_input_dtypes([inputs, state])
    gate_inputs = tf.matmul(tf.concat([inputs, state], 1), self._gate_kernel)
    gate_inputs = tf.nn.bias_add(gate_inputs, self._gate_bias)
    value = tf.sigmoid(gate_inputs)
    r, u = tf.split(value=value, num_or_size_splits=2, axis=1)
    r_state = r * state
    candidate = tf.matmul(tf.concat([inputs, r_state], 1),
                          self._candidate_kernel)
    candidate = tf.nn.bias_add(candidate, self._candidate_bias)
    c = self._activation(candidate)
    new_h = u * state + (1 - u) * c
    return new_h, new_h

  def get_config(self):
    config = {
        'num_units': self._num_units,
        'kernel_initializer': identifiers.serialize_initializer(
            self._kernel_initializer),
        'bias_initializer': identifiers.serialize_initializer(
            self._bias_initializer),
        'activation': identifiers.serialize_activation(self._activation),
        'reuse': self._reuse}
    return dict(list(super().get_config().items()) + list(config.items()))


_LSTMStateTuple = collections.namedtuple('LSTMStateTuple', ('c', 'h'))


class LSTMStateTuple(_LSTMStateTuple):
  """`(c, h)`: an LSTM's cell state and output, as `state_size`, zero state
  and returned state when `state_is_tuple=True`."""
  __slots__ = ()

  @property
  def dtype(self):
    (c, h) = self
    if c.dtype != h.dtype:
      raise TypeError('Inconsistent dtypes for internal state: '
                      f'{c.dtype} vs {h.dtype}')
    return c.dtype


def _warn_concatenated_state(cell, state_is_tuple):
  if not state_is_tuple:
    _logging.warning('%s: Using a concatenated state is slower and will soon '
                     'be deprecated.  Use state_is_tuple=True.', cell)


class BasicLSTMCell(LayerRNNCell):
  """The basic LSTM cell: no peepholes, clipping or projection.

  Args:
    num_units: the number of units.
    forget_bias: added to the forget gate's pre-activation.
    state_is_tuple: states are `LSTMStateTuple(c, h)` (else `[c, h]`
      concatenated on axis 1).
    activation: the inner activation; default tanh.
    reuse: reuse the variables of an existing scope.
    name: the layer's name.
    dtype: the variables' dtype; by default the first input's.
    **kwargs: other Layer arguments.
  """

  def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True,
               activation=None, reuse=None, name=None, dtype=None, **kwargs):
    _warn_deprecated('BasicLSTMCell', 'LSTMCell')
    super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
    _check_supported_dtypes(self.dtype)
    _warn_concatenated_state(self, state_is_tuple)
    self.input_spec = base_layer.InputSpec(ndim=2)
    self._num_units = num_units
    self._forget_bias = forget_bias
    self._state_is_tuple = state_is_tuple
    self._activation = _activation(activation)

  @property
  def state_size(self):
    if self._state_is_tuple:
      return LSTMStateTuple(self._num_units, self._num_units)
    return 2 * self._num_units

  @property
  def output_size(self):
    return self._num_units

  def build(self, inputs_shape):
    input_depth = _known_last_dim(inputs_shape)
    _check_supported_dtypes(self.dtype)
    self._kernel = self.add_weight(
        _WEIGHTS_VARIABLE_NAME,
        shape=[input_depth + self._num_units, 4 * self._num_units])
    self._bias = self.add_weight(
        _BIAS_VARIABLE_NAME, shape=[4 * self._num_units],
        initializer=v1.zeros_initializer(dtype=self.dtype))
    self.built = True

  def call(self, inputs, state):
    _check_rnn_cell_input_dtypes([inputs, state])
    one = tf.constant(1, dtype=tf.int32)
    if self._state_is_tuple:
      c, h = state
    else:
      c, h = tf.split(value=state, num_or_size_splits=2, axis=one)
    gate_inputs = tf.matmul(tf.concat([inputs, h], 1), self._kernel)
    gate_inputs = tf.nn.bias_add(gate_inputs, self._bias)
    i, j, f, o = tf.split(value=gate_inputs, num_or_size_splits=4, axis=one)
    forget_bias = tf.constant(self._forget_bias, dtype=f.dtype)
    new_c = tf.add(tf.multiply(c, tf.sigmoid(tf.add(f, forget_bias))),
                   tf.multiply(tf.sigmoid(i), self._activation(j)))
    new_h = tf.multiply(self._activation(new_c), tf.sigmoid(o))
    if self._state_is_tuple:
      new_state = LSTMStateTuple(new_c, new_h)
    else:
      new_state = tf.concat([new_c, new_h], 1)
    return new_h, new_state

  def get_config(self):
    config = {'num_units': self._num_units,
              'forget_bias': self._forget_bias,
              'state_is_tuple': self._state_is_tuple,
              'activation': identifiers.serialize_activation(self._activation),
              'reuse': self._reuse}
    return dict(list(super().get_config().items()) + list(config.items()))


class LSTMCell(LayerRNNCell):
  """LSTM cell with optional peepholes, cell clipping and projection.

  Args:
    num_units: the number of units.
    use_peepholes: diagonal peephole connections (`w_f_diag`, `w_i_diag`,
      `w_o_diag`).
    cell_clip: clip the cell state to [-cell_clip, cell_clip].
    initializer: initializer of the kernels and peepholes.
    num_proj: project the output to this size (`projection/kernel`).
    proj_clip: clip the projected output to [-proj_clip, proj_clip].
    num_unit_shards, num_proj_shards: deprecated: split the kernel /
      projection into this many partitions.
    forget_bias: added to the forget gate's pre-activation.
    state_is_tuple: states are `LSTMStateTuple(c, m)` (else concatenated).
    activation: the inner activation; default tanh.
    reuse: reuse the variables of an existing scope.
    name: the layer's name.
    dtype: the variables' dtype; by default the first input's.
    **kwargs: other Layer arguments.
  """

  def __init__(self, num_units, use_peepholes=False, cell_clip=None,
               initializer=None, num_proj=None, proj_clip=None,
               num_unit_shards=None, num_proj_shards=None, forget_bias=1.0,
               state_is_tuple=True, activation=None, reuse=None, name=None,
               dtype=None, **kwargs):
    _warn_deprecated('LSTMCell', 'LSTMCell')
    super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
    _check_supported_dtypes(self.dtype)
    _warn_concatenated_state(self, state_is_tuple)
    if num_unit_shards is not None or num_proj_shards is not None:
      _logging.warning(
          '%s: The num_unit_shards and proj_unit_shards parameters are '
          'deprecated and will be removed in Jan 2017.  Use a variable scope '
          'with a partitioner instead.', self)
    self.input_spec = base_layer.InputSpec(ndim=2)
    self._num_units = num_units
    self._use_peepholes = use_peepholes
    self._cell_clip = cell_clip
    self._initializer = identifiers.initializer(initializer)
    self._num_proj = num_proj
    self._proj_clip = proj_clip
    self._num_unit_shards = num_unit_shards
    self._num_proj_shards = num_proj_shards
    self._forget_bias = forget_bias
    self._state_is_tuple = state_is_tuple
    self._activation = _activation(activation)
    width = num_proj if num_proj else num_units
    if state_is_tuple:
      self._state_size = LSTMStateTuple(num_units, width)
    else:
      self._state_size = num_units + width
    self._output_size = width

  @property
  def state_size(self):
    return self._state_size

  @property
  def output_size(self):
    return self._output_size

  def build(self, inputs_shape):
    input_depth = _known_last_dim(inputs_shape)
    _check_supported_dtypes(self.dtype)
    h_depth = self._num_units if self._num_proj is None else self._num_proj
    partitioner = (v1.fixed_size_partitioner(self._num_unit_shards)
                   if self._num_unit_shards is not None else None)
    self._kernel = self.add_weight(
        _WEIGHTS_VARIABLE_NAME,
        shape=[input_depth + h_depth, 4 * self._num_units],
        initializer=self._initializer, partitioner=partitioner)
    if self.dtype is None:
      bias_initializer = v1.zeros_initializer
    else:
      bias_initializer = v1.zeros_initializer(dtype=self.dtype)
    self._bias = self.add_weight(_BIAS_VARIABLE_NAME,
                                 shape=[4 * self._num_units],
                                 initializer=bias_initializer)
    if self._use_peepholes:
      self._w_f_diag = self.add_weight('w_f_diag', shape=[self._num_units],
                                       initializer=self._initializer)
      self._w_i_diag = self.add_weight('w_i_diag', shape=[self._num_units],
                                       initializer=self._initializer)
      self._w_o_diag = self.add_weight('w_o_diag', shape=[self._num_units],
                                       initializer=self._initializer)
    if self._num_proj is not None:
      proj_partitioner = (v1.fixed_size_partitioner(self._num_proj_shards)
                          if self._num_proj_shards is not None else None)
      self._proj_kernel = self.add_weight(
          f'projection/{_WEIGHTS_VARIABLE_NAME}',
          shape=[self._num_units, self._num_proj],
          initializer=self._initializer, partitioner=proj_partitioner)
    self.built = True

  def call(self, inputs, state):
    _check_rnn_cell_input_dtypes([inputs, state])
    num_proj = self._num_units if self._num_proj is None else self._num_proj
    sigmoid = tf.sigmoid
    if self._state_is_tuple:
      (c_prev, m_prev) = state
    else:
      c_prev = tf.slice(state, [0, 0], [-1, self._num_units])
      m_prev = tf.slice(state, [0, self._num_units], [-1, num_proj])
    input_size = inputs.get_shape().with_rank(2).dims[1].value
    if input_size is None:
      raise ValueError('Could not infer input size from inputs.get_shape()'
                       f'[-1].Received input shape: {inputs.get_shape()}')
    lstm_matrix = tf.matmul(tf.concat([inputs, m_prev], 1), self._kernel)
    lstm_matrix = tf.nn.bias_add(lstm_matrix, self._bias)
    i, j, f, o = tf.split(value=lstm_matrix, num_or_size_splits=4, axis=1)
    if self._use_peepholes:
      c = (sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev +
           sigmoid(i + self._w_i_diag * c_prev) * self._activation(j))
    else:
      c = (sigmoid(f + self._forget_bias) * c_prev +
           sigmoid(i) * self._activation(j))
    if self._cell_clip is not None:
      c = tf.clip_by_value(c, -self._cell_clip, self._cell_clip)
    if self._use_peepholes:
      m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
    else:
      m = sigmoid(o) * self._activation(c)
    if self._num_proj is not None:
      m = tf.matmul(m, self._proj_kernel)
      if self._proj_clip is not None:
        m = tf.clip_by_value(m, -self._proj_clip, self._proj_clip)
    new_state = (LSTMStateTuple(c, m) if self._state_is_tuple
                 else tf.concat([c, m], 1))
    return m, new_state

  def get_config(self):
    config = {
        'num_units': self._num_units,
        'use_peepholes': self._use_peepholes,
        'cell_clip': self._cell_clip,
        'initializer': identifiers.serialize_initializer(self._initializer),
        'num_proj': self._num_proj,
        'proj_clip': self._proj_clip,
        'num_unit_shards': self._num_unit_shards,
        'num_proj_shards': self._num_proj_shards,
        'forget_bias': self._forget_bias,
        'state_is_tuple': self._state_is_tuple,
        'activation': identifiers.serialize_activation(self._activation),
        'reuse': self._reuse}
    return dict(list(super().get_config().items()) + list(config.items()))


_warned_shared_cells = []


class MultiRNNCell(RNNCell):
  """Cells applied in sequence (`cell_0`, `cell_1`, ... scopes).

  Args:
    cells: list of RNN cells, applied in this order.
    state_is_tuple: states are n-tuples (else concatenated on axis 1).

  Raises:
    ValueError: empty `cells`, or a cell with a tuple state while
      `state_is_tuple` is False.
    TypeError: `cells` is not a list or tuple.
  """

  def __init__(self, cells, state_is_tuple=True):
    _logging.warning(
        '`tf.nn.rnn_cell.MultiRNNCell` is deprecated. This class is '
        'equivalent as `tf.keras.layers.StackedRNNCells`, and will be '
        'replaced by that in Tensorflow 2.0.')
    super().__init__()
    if not cells:
      raise ValueError('Must specify at least one cell for MultiRNNCell.')
    if not tf.nest.is_nested(cells):
      raise TypeError(f'cells must be a list or tuple, but received: {cells}.')
    if len(set(id(cell) for cell in cells)) < len(cells):
      if not _warned_shared_cells:
        _warned_shared_cells.append(True)
        _logging.warning('At least two cells provided to MultiRNNCell are the '
                         'same object and will share weights.')
    self._cells = cells
    self._state_is_tuple = state_is_tuple
    if not state_is_tuple:
      if any(tf.nest.is_nested(c.state_size) for c in self._cells):
        raise ValueError(
            'Some cells return tuples of states, but the flag state_is_tuple '
            'is not set. State sizes are: '
            f'{[c.state_size for c in self._cells]}')

  @property
  def state_size(self):
    if self._state_is_tuple:
      return tuple(cell.state_size for cell in self._cells)
    return sum(cell.state_size for cell in self._cells)

  @property
  def output_size(self):
    return self._cells[-1].output_size

  def zero_state(self, batch_size, dtype):
    with tf.name_scope(type(self).__name__ + 'ZeroState'):
      if self._state_is_tuple:
        return tuple(cell.zero_state(batch_size, dtype)
                     for cell in self._cells)
      return super().zero_state(batch_size, dtype)

  @property
  def trainable_weights(self):
    if not self.trainable:
      return []
    weights = []
    for cell in self._cells:
      if isinstance(cell, base_layer.Layer):
        weights += cell.trainable_weights
    return weights

  @property
  def non_trainable_weights(self):
    weights = []
    for cell in self._cells:
      if isinstance(cell, base_layer.Layer):
        weights += cell.non_trainable_weights
    if not self.trainable:
      trainable = []
      for cell in self._cells:
        if isinstance(cell, base_layer.Layer):
          trainable += cell.trainable_weights
      return trainable + weights
    return weights

  def call(self, inputs, state):
    cur_state_pos = 0
    cur_inp = inputs
    new_states = []
    for i, cell in enumerate(self._cells):
      with v1.variable_scope('cell_%d' % i):
        if self._state_is_tuple:
          if not tf.nest.is_nested(state):
            raise ValueError('Expected state to be a tuple of length '
                             f'{len(self.state_size)}, but received: {state}')
          cur_state = state[i]
        else:
          cur_state = tf.slice(state, [0, cur_state_pos],
                               [-1, cell.state_size])
          cur_state_pos += cell.state_size
        cur_inp, new_state = cell(cur_inp, cur_state)
        new_states.append(new_state)
    new_states = (tuple(new_states) if self._state_is_tuple
                  else tf.concat(new_states, 1))
    return cur_inp, new_states


# ---- wrappers --------------------------------------------------------------
def _enumerated_map_structure_up_to(shallow_structure, map_fn, *args):
  index = [0]

  def enumerated(*inner):
    result = map_fn(index[0], *inner)
    index[0] += 1
    return result

  return tf.__internal__.nest.map_structure_up_to(shallow_structure,
                                                  enumerated, *args)


def _function_to_config(function):
  """(payload, kind, module) for a wrapper's function in get_config: a
  Python function as (base64 marshalled code, defaults, closure values),
  another callable by name -- the reference's format."""
  if isinstance(function, types.FunctionType):
    code = base64.encodebytes(marshal.dumps(function.__code__)).decode(
        'ascii')
    closure = (tuple(c.cell_contents for c in function.__closure__)
               if function.__closure__ else None)
    return (code, function.__defaults__, closure), 'lambda', function.__module__
  if callable(function):
    return function.__name__, 'function', function.__module__
  raise ValueError(f'Unrecognized function type for input: {type(function)}')


def _function_from_config(config, custom_objects, key, type_key, module_key):
  """The function `config[key]` describes (popping the type and module)."""
  module = config.pop(module_key, None)
  namespace = {}
  if module in sys.modules:
    namespace.update(vars(sys.modules[module]))
  elif module is not None:
    warnings.warn(f'{module} is not loaded, but a layer uses it. It may '
                  'cause errors.', UserWarning, stacklevel=2)
  if custom_objects:
    namespace.update(custom_objects)
  kind = config.pop(type_key)
  if kind == 'function':
    name = config[key]
    if name not in namespace:
      raise ValueError(f'Unknown function in wrapper: {name}. Please ensure '
                       'you are using a `keras.utils.custom_object_scope` and '
                       'that this object is included in the scope.')
    return namespace[name]
  if kind == 'lambda':
    code, defaults, closure = config[key]
    code = marshal.loads(base64.decodebytes(code.encode('ascii')))
    if closure is not None:
      closure = tuple(types.CellType(value) for value in closure)
    return types.FunctionType(code, namespace or globals(), code.co_name,
                              tuple(defaults) if isinstance(defaults, list)
                              else defaults, closure)
  raise TypeError(f'Unknown function type received: {kind}. Expected types '
                  "are ['function', 'lambda']")


class _RNNCellWrapperV1(RNNCell):
  """A cell around `cell`: the same sizes and zero state; the call goes
  through `_call_wrapped_cell` (no scope of its own)."""

  def __init__(self, cell, *args, **kwargs):
    super().__init__(*args, **kwargs)
    assert_like_rnncell('cell', cell)
    self.cell = cell

  def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
    raise NotImplementedError

  def __call__(self, inputs, state, scope=None):
    return self._call_wrapped_cell(inputs, state,
                                   cell_call_fn=self.cell.__call__,
                                   scope=scope)

  @property
  def state_size(self):
    return self.cell.state_size

  @property
  def output_size(self):
    return self.cell.output_size

  def zero_state(self, batch_size, dtype):
    with tf.name_scope(type(self).__name__ + 'ZeroState'):
      return self.cell.zero_state(batch_size, dtype)

  def get_config(self):
    config = {'cell': {'class_name': self.cell.__class__.__name__,
                       'config': self.cell.get_config()}}
    return dict(list(super().get_config().items()) + list(config.items()))

  @classmethod
  def from_config(cls, config, custom_objects=None):
    del custom_objects
    config = config.copy()
    cell = config.pop('cell')
    try:
      assert_like_rnncell('cell', cell)
      return cls(cell, **config)
    except TypeError:
      raise ValueError('RNNCellWrapper cannot reconstruct the wrapped cell. '
                       'Please overwrite the cell in the config with a '
                       'RNNCell instance.') from None


def _default_dropout_state_filter_visitor(substate):
  if isinstance(substate, LSTMStateTuple):
    # Drop out h, never the memory c.
    return LSTMStateTuple(c=False, h=True)
  if isinstance(substate, tf.TensorArray):
    return False
  return True


class DropoutWrapper(_RNNCellWrapperV1):
  """Dropout on a cell's inputs, outputs and (filtered) state.

  Args:
    cell: the RNN cell.
    input_keep_prob, output_keep_prob, state_keep_prob: keep probabilities
      (floats in [0, 1] or scalar tensors); 1 means no dropout.
    variational_recurrent: one dropout mask per sequence (Gal &
      Ghahramani), drawn at construction; needs `dtype` (and `input_size`
      when inputs are dropped).
    input_size: (nested) depth(s) of the inputs, for variational dropout.
    dtype: dtype of the noise for variational dropout.
    seed: the random seed (per-tensor seeds are derived from it).
    dropout_state_filter_visitor: `substate -> bool or nest of bools`,
      which parts of the state to drop (default: all but LSTM `c`).
    **kwargs: other Layer arguments.
  """

  def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0,
               state_keep_prob=1.0, variational_recurrent=False,
               input_size=None, dtype=None, seed=None,
               dropout_state_filter_visitor=None, **kwargs):
    super().__init__(cell, dtype=dtype, **kwargs)
    if (dropout_state_filter_visitor is not None and
        not callable(dropout_state_filter_visitor)):
      raise TypeError('dropout_state_filter_visitor must be callable. '
                      f'Received: {dropout_state_filter_visitor}')
    self._dropout_state_filter = (dropout_state_filter_visitor or
                                  _default_dropout_state_filter_visitor)
    with tf.name_scope('DropoutWrapperInit'):
      for prob, attr in [(input_keep_prob, 'input_keep_prob'),
                         (state_keep_prob, 'state_keep_prob'),
                         (output_keep_prob, 'output_keep_prob')]:
        tensor_prob = tf.convert_to_tensor(prob)
        const_prob = tf.get_static_value(tensor_prob)
        if const_prob is not None:
          if const_prob < 0 or const_prob > 1:
            raise ValueError(f'Parameter {attr} must be between 0 and 1. '
                             f'Received {const_prob}')
          setattr(self, f'_{attr}', float(const_prob))
        else:
          setattr(self, f'_{attr}', tensor_prob)
    self._variational_recurrent = variational_recurrent
    self._input_size = input_size
    self._seed = seed
    self._recurrent_input_noise = None
    self._recurrent_state_noise = None
    self._recurrent_output_noise = None
    if not variational_recurrent:
      return
    if dtype is None:
      raise ValueError('When variational_recurrent=True, dtype must be '
                       'provided')

    def batch_noise(s, inner_seed):
      shape = tf.concat(([1], tf.TensorShape(s).as_list()), 0)
      return tf.random.uniform(shape, seed=inner_seed, dtype=dtype)

    def noise_for(sizes, salt):
      return _enumerated_map_structure_up_to(
          sizes, lambda i, s: batch_noise(s, self._gen_seed(salt, i)), sizes)

    if (not isinstance(self._input_keep_prob, numbers.Real) or
        self._input_keep_prob < 1.0):
      if input_size is None:
        raise ValueError('When variational_recurrent=True and '
                         'input_keep_prob < 1.0 or is unknown, input_size '
                         'must be provided')
      self._recurrent_input_noise = noise_for(input_size, 'input')
    self._recurrent_state_noise = noise_for(cell.state_size, 'state')
    self._recurrent_output_noise = noise_for(cell.output_size, 'output')

  def _gen_seed(self, salt_prefix, index):
    if self._seed is None:
      return None
    salt = '%s_%d' % (salt_prefix, index)
    digest = hashlib.md5((str(self._seed) + salt).encode('utf-8')).hexdigest()
    return int(digest[:8], 16) & 0x7FFFFFFF

  @property
  def wrapped_cell(self):
    return self.cell

  def build(self, inputs_shape):
    self.cell.build(inputs_shape)
    self.built = True

  def _variational_recurrent_dropout_value(self, unused_index, value, noise,
                                           keep_prob):
    binary_tensor = tf.floor(keep_prob + noise)
    ret = tf.divide(value, keep_prob) * binary_tensor
    ret.set_shape(value.get_shape())
    return ret

  def _dropout(self, values, salt_prefix, recurrent_noise, keep_prob,
               shallow_filtered_substructure=None):
    if shallow_filtered_substructure is None:
      shallow_filtered_substructure = values
    if not self._variational_recurrent:
      def dropout(i, do_dropout, v):
        if not isinstance(do_dropout, bool) or do_dropout:
          return tf.nn.dropout(v, rate=1.0 - keep_prob,
                               seed=self._gen_seed(salt_prefix, i))
        return v
      return _enumerated_map_structure_up_to(
          shallow_filtered_substructure, dropout,
          shallow_filtered_substructure, values)

    def variational(i, do_dropout, v, n):
      if not isinstance(do_dropout, bool) or do_dropout:
        return self._variational_recurrent_dropout_value(i, v, n, keep_prob)
      return v
    return _enumerated_map_structure_up_to(
        shallow_filtered_substructure, variational,
        shallow_filtered_substructure, values, recurrent_noise)

  def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
    def should_dropout(p):
      return (not isinstance(p, float)) or p < 1

    if should_dropout(self._input_keep_prob):
      inputs = self._dropout(inputs, 'input', self._recurrent_input_noise,
                             self._input_keep_prob)
    output, new_state = cell_call_fn(inputs, state, **kwargs)
    if should_dropout(self._state_keep_prob):
      shallow = tf.__internal__.nest.get_traverse_shallow_structure(
          self._dropout_state_filter, new_state)
      new_state = self._dropout(new_state, 'state',
                                self._recurrent_state_noise,
                                self._state_keep_prob, shallow)
    if should_dropout(self._output_keep_prob):
      output = self._dropout(output, 'output', self._recurrent_output_noise,
                             self._output_keep_prob)
    return output, new_state

  def get_config(self):
    config = {'input_keep_prob': self._input_keep_prob,
              'output_keep_prob': self._output_keep_prob,
              'state_keep_prob': self._state_keep_prob,
              'variational_recurrent': self._variational_recurrent,
              'input_size': self._input_size,
              'seed': self._seed}
    if self._dropout_state_filter is not _default_dropout_state_filter_visitor:
      (config['dropout_fn'], config['dropout_fn_type'],
       config['dropout_fn_module']) = _function_to_config(
           self._dropout_state_filter)
    return dict(list(super().get_config().items()) + list(config.items()))

  @classmethod
  def from_config(cls, config, custom_objects=None):
    if 'dropout_fn' in config:
      config = config.copy()
      config['dropout_state_filter_visitor'] = _function_from_config(
          config, custom_objects, 'dropout_fn', 'dropout_fn_type',
          'dropout_fn_module')
      config.pop('dropout_fn')
    return super(DropoutWrapper, cls).from_config(
        config, custom_objects=custom_objects)


class ResidualWrapper(_RNNCellWrapperV1):
  """Adds the cell's inputs to its outputs (or applies `residual_fn(inputs,
  outputs)`)."""

  def __init__(self, cell, residual_fn=None, **kwargs):
    super().__init__(cell, **kwargs)
    self._residual_fn = residual_fn

  def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
    outputs, new_state = cell_call_fn(inputs, state, **kwargs)

    def assert_shape_match(inp, out):
      inp.get_shape().assert_is_compatible_with(out.get_shape())

    def default_residual_fn(inputs, outputs):
      tf.nest.assert_same_structure(inputs, outputs)
      tf.nest.map_structure(assert_shape_match, inputs, outputs)
      return tf.nest.map_structure(lambda inp, out: inp + out, inputs,
                                   outputs)

    res_outputs = (self._residual_fn or default_residual_fn)(inputs, outputs)
    return (res_outputs, new_state)

  def get_config(self):
    config = {}
    if self._residual_fn is not None:
      (config['residual_fn'], config['residual_fn_type'],
       config['residual_fn_module']) = _function_to_config(self._residual_fn)
    return dict(list(super().get_config().items()) + list(config.items()))

  @classmethod
  def from_config(cls, config, custom_objects=None):
    if 'residual_fn' in config:
      config = config.copy()
      config['residual_fn'] = _function_from_config(
          config, custom_objects, 'residual_fn', 'residual_fn_type',
          'residual_fn_module')
    return super(ResidualWrapper, cls).from_config(
        config, custom_objects=custom_objects)


class DeviceWrapper(_RNNCellWrapperV1):
  """Runs the cell (and its zero state) on `device`."""

  def __init__(self, cell, device, **kwargs):
    super().__init__(cell, **kwargs)
    self._device = device

  def zero_state(self, batch_size, dtype):
    with tf.name_scope(type(self).__name__ + 'ZeroState'):
      with v1.device(self._device):
        return self.cell.zero_state(batch_size, dtype)

  def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
    with v1.device(self._device):
      return cell_call_fn(inputs, state, **kwargs)

  def get_config(self):
    config = {'device': self._device}
    return dict(list(super().get_config().items()) + list(config.items()))


# ---- installing --------------------------------------------------------------
# Also set on tensorflow.python.ops.rnn_cell_impl, where TF1 code (and
# subclasses) imported them from.
_IMPL_EXTRA = ('LayerRNNCell',)


def namespace():
  """A module holding the ten public names, to stand as
  `tensorflow.compat.v1.nn.rnn_cell`."""
  module = types.ModuleType('tensorflow.compat.v1.nn.rnn_cell',
                            'tf.compat.v1.nn.rnn_cell, provided by '
                            'tf_compat_bn (no Keras).')
  this = sys.modules[__name__]
  for name in __all__:
    setattr(module, name, getattr(this, name))
  module.__all__ = sorted(__all__)
  return module


def install_rnn_cell(patch):
  """Puts our cells under the names TF1 code uses, through `patch(owner,
  name, value, description)` (which records each change for uninstall).

  * `tf.compat.v1.nn.rnn_cell` on every `tf.compat.v1` module object;
  * `sys.modules` entries for `tensorflow.compat.v1.nn.rnn_cell` (and the
    `tensorflow._api.v2...` one), so `from tensorflow.compat.v1.nn.rnn_cell
    import LSTMCell` finds ours;
  * the names in `tensorflow.python.ops.rnn_cell_impl` when TF loaded it,
    else a stand-in module holding them.
  """
  # The package exports the function `install` under that name: load the
  # module itself.
  install_module = importlib.import_module('tf_compat_bn.install')
  module = namespace()
  seen = []
  for compat_v1 in install_module._v1_modules():  # pylint: disable=protected-access
    # Read the raw attribute: getattr could run a lazy loader.
    nn = vars(compat_v1).get('nn') if type(compat_v1) is types.ModuleType else None  # pylint: disable=unidiomatic-typecheck
    if nn is None:
      nn = getattr(compat_v1, 'nn', None)
    if nn is None or any(nn is s for s in seen):
      continue
    seen.append(nn)
    patch(nn, 'rnn_cell', module,
          f'{compat_v1.__name__}.nn.rnn_cell -> tf_compat_bn.rnn_cell')
  install_module.register_v1_submodule('nn.rnn_cell', module,
                                       'tf_compat_bn.rnn_cell', patch)
  impl_name = 'tensorflow.python.ops.rnn_cell_impl'
  if impl_name not in sys.modules:
    impl = install_module.internal_module(impl_name, patch)
    impl.assert_like_rnncell = assert_like_rnncell
    impl.ASSERT_LIKE_RNNCELL_ERROR_REGEXP = ASSERT_LIKE_RNNCELL_ERROR_REGEXP
    impl._concat = _concat  # pylint: disable=protected-access
    impl._zero_state_tensors = _zero_state_tensors  # pylint: disable=protected-access
  impl = sys.modules[impl_name]
  this = sys.modules[__name__]
  for name in tuple(__all__) + _IMPL_EXTRA:
    patch(impl, name, getattr(this, name),
          f'{impl_name}.{name} -> tf_compat_bn.rnn_cell.{name}')
