"""`Dense`, `Dropout` and `Flatten` (and their function forms), Keras-free.

The front ends of TF 2.12's `tf.compat.v1.layers` core family: same
signatures and defaults, and graphs built from the same TensorFlow calls in
the same order, so that variable names, op names, random streams and error
messages are those of graphs users built with the reference.  Scopes, reuse,
naming, dtype inference, regularization and activity losses are
`base.Layer`'s.
"""

import functools
import numbers
import operator

import tensorflow as tf

from tf_compat_bn.layers import base
from tf_compat_bn.layers import identifiers
from tf_compat_bn.layers import utils

v1 = tf.compat.v1


# --------------------------------------------------------------------------
# Dense
# --------------------------------------------------------------------------
class Dense(base.Layer):
  """A fully connected layer: `activation(inputs @ kernel + bias)`.

  The kernel has shape `[last input dim, units]` and is applied along the
  last axis (inputs of rank > 2 go through `tensordot`); the bias has shape
  `[units]`.

  Args:
    units: size of the output's last dimension.
    activation: callable applied to the output (None: none).
    use_bias: whether to add a bias.
    kernel_initializer: initializer of the kernel; None means the enclosing
      variable scope's initializer, else Glorot uniform.
    bias_initializer: initializer of the bias (zeros by default).
    kernel_regularizer, bias_regularizer: callables whose losses on the
      weights go to REGULARIZATION_LOSSES.
    activity_regularizer: callable whose loss on the output (divided by the
      batch size) goes to REGULARIZATION_LOSSES.
    kernel_constraint, bias_constraint: projections handed to the variables
      (for optimizers that apply them).
    trainable: whether the weights are trainable (TRAINABLE_VARIABLES).
    name: the layer's name and variable scope.
    **kwargs: `dtype`, and the base layer's other keyword arguments.
  """

  def __init__(self,
               units,
               activation=None,
               use_bias=True,
               kernel_initializer=None,
               bias_initializer=v1.zeros_initializer(),
               kernel_regularizer=None,
               bias_regularizer=None,
               activity_regularizer=None,
               kernel_constraint=None,
               bias_constraint=None,
               trainable=True,
               name=None,
               **kwargs):
    super().__init__(trainable=trainable, name=name,
                     activity_regularizer=activity_regularizer, **kwargs)
    self.units = units if isinstance(units, int) else int(units)
    if self.units < 0:
      raise ValueError('Received an invalid value for `units`, expected a '
                       f'positive integer. Received: units={units}')
    self.activation = identifiers.activation(activation)
    self.use_bias = use_bias
    self.kernel_initializer = identifiers.initializer(kernel_initializer)
    self.bias_initializer = identifiers.initializer(bias_initializer)
    self.kernel_regularizer = identifiers.regularizer(kernel_regularizer)
    self.bias_regularizer = identifiers.regularizer(bias_regularizer)
    self.kernel_constraint = identifiers.constraint(kernel_constraint)
    self.bias_constraint = identifiers.constraint(bias_constraint)
    self.input_spec = base.InputSpec(min_ndim=2)
    self.supports_masking = True

  def build(self, input_shape):
    dtype = tf.as_dtype(self.dtype or tf.float32)
    if not (dtype.is_floating or dtype.is_complex):
      raise TypeError('A Dense layer can only be built with a floating-point '
                      f'dtype. Received: dtype={dtype}')
    input_shape = tf.TensorShape(input_shape)
    last_dim = tf.compat.dimension_value(input_shape[-1])
    if last_dim is None:
      raise ValueError('The last dimension of the inputs to a Dense layer '
                       'should be defined. Found None. Full input shape '
                       f'received: {input_shape}')
    self.input_spec = base.InputSpec(min_ndim=2, axes={-1: last_dim})
    self.kernel = self.add_weight(
        'kernel', shape=[last_dim, self.units],
        initializer=self.kernel_initializer,
        regularizer=self.kernel_regularizer,
        constraint=self.kernel_constraint, dtype=self.dtype, trainable=True)
    self.bias = None
    if self.use_bias:
      self.bias = self.add_weight(
          'bias', shape=[self.units], initializer=self.bias_initializer,
          regularizer=self.bias_regularizer, constraint=self.bias_constraint,
          dtype=self.dtype, trainable=True)
    self.built = True

  def call(self, inputs):
    if inputs.dtype.base_dtype != tf.as_dtype(self.dtype):
      inputs = tf.cast(inputs, dtype=self.dtype)
    ragged = isinstance(inputs, tf.RaggedTensor)
    if ragged:
      inputs, rebuild = _dense_values_of_ragged(inputs)
      ragged = rebuild is not None
    rank = inputs.shape.rank
    if rank == 2 or rank is None:
      if isinstance(inputs, tf.SparseTensor):
        outputs = _sparse_matmul(inputs, self.kernel)
      else:
        outputs = tf.matmul(a=inputs, b=self.kernel)
    else:
      # Contract the last axis only; tensordot loses the static shape.
      outputs = tf.tensordot(inputs, self.kernel, [[rank - 1], [0]])
      outputs.set_shape(inputs.shape.as_list()[:-1] +
                        [self.kernel.shape[-1]])
    if self.use_bias:
      outputs = tf.nn.bias_add(outputs, self.bias)
    if self.activation is not None:
      outputs = self.activation(outputs)
    if ragged:
      outputs = rebuild(outputs)
    return outputs

  def compute_output_shape(self, input_shape):
    input_shape = tf.TensorShape(input_shape).with_rank_at_least(2)
    if tf.compat.dimension_value(input_shape[-1]) is None:
      raise ValueError('The last dimension of the input shape of a Dense '
                       'layer should be defined. Found None. Received: '
                       f'input_shape={input_shape}')
    return input_shape[:-1].concatenate(self.units)

  def get_config(self):
    config = super().get_config()
    ids = identifiers
    config.update({
        'units': self.units,
        'activation': ids.serialize_activation(self.activation),
        'use_bias': self.use_bias,
        'kernel_initializer': ids.serialize_initializer(self.kernel_initializer),
        'bias_initializer': ids.serialize_initializer(self.bias_initializer),
        'kernel_regularizer': ids.serialize_regularizer(self.kernel_regularizer),
        'bias_regularizer': ids.serialize_regularizer(self.bias_regularizer),
        'activity_regularizer': ids.serialize_regularizer(
            self.activity_regularizer),
        'kernel_constraint': ids.serialize_constraint(self.kernel_constraint),
        'bias_constraint': ids.serialize_constraint(self.bias_constraint),
    })
    return config


def _dense_values_of_ragged(inputs):
  """(dense tensor to multiply, function putting the result back in the
  ragged structure or None when the result stays dense)."""
  if tf.compat.dimension_value(inputs.shape[-1]) is None:
    raise ValueError('Dense layer only supports RaggedTensors when the '
                     'innermost dimension is non-ragged. Received: '
                     f'inputs.shape={inputs.shape}.')
  if inputs.flat_values.shape.rank > 1:
    return inputs.flat_values, inputs.with_flat_values
  if inputs.shape.rank == 2:
    return inputs.to_tensor(), None
  splits = inputs.nested_row_splits[:-1]
  for _ in range(inputs.ragged_rank - 1):
    inputs = inputs.values
  inputs = inputs.to_tensor()
  outer = tf.RaggedTensor.from_nested_row_splits(inputs, splits)
  return inputs, outer.with_flat_values


def _sparse_matmul(inputs, kernel):
  """`inputs @ kernel` for a rank-2 SparseTensor, as an embedding lookup."""
  inputs, _ = tf.sparse.fill_empty_rows(inputs, 0)
  ids = tf.SparseTensor(indices=inputs.indices, values=inputs.indices[:, 1],
                        dense_shape=inputs.dense_shape)
  return tf.nn.embedding_lookup_sparse(kernel, ids, inputs, combiner='sum')


def dense(inputs,
          units,
          activation=None,
          use_bias=True,
          kernel_initializer=None,
          bias_initializer=v1.zeros_initializer(),
          kernel_regularizer=None,
          bias_regularizer=None,
          activity_regularizer=None,
          kernel_constraint=None,
          bias_constraint=None,
          trainable=True,
          name=None,
          reuse=None):
  """Applies a new `Dense` layer to `inputs` (see `Dense` for the arguments).

  `name` is also the variable scope (a new uniquified `dense`, `dense_1`...
  when None); `reuse=True` (or a reusing enclosing scope) takes the existing
  variables of that scope instead of creating them.

  Returns:
    `inputs` with its last dimension replaced by `units`.
  """
  layer = Dense(units,
                activation=activation,
                use_bias=use_bias,
                kernel_initializer=kernel_initializer,
                bias_initializer=bias_initializer,
                kernel_regularizer=kernel_regularizer,
                bias_regularizer=bias_regularizer,
                activity_regularizer=activity_regularizer,
                kernel_constraint=kernel_constraint,
                bias_constraint=bias_constraint,
                trainable=trainable,
                name=name,
                _scope=name,
                _reuse=reuse)
  return layer(inputs)


# --------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------
class Dropout(base.Layer):
  """Zeroes a random fraction `rate` of the inputs in training.

  Kept values are scaled by `1 / (1 - rate)` so that the expected sum is
  unchanged; in inference the inputs pass through (as an identity op).

  Args:
    rate: fraction dropped, in [0, 1] (a float tensor is accepted too).
    noise_shape: shape of the random keep mask, broadcast against the
      inputs; `None` entries take the input's size on that axis, so
      `[None, 1, None]` drops the same features at every time step.
    seed: op-level seed of the first call; each later call of the same
      layer object in training uses the next integer.  With the graph seed
      it fixes the mask.
    name: the layer's name (and name scope).
    **kwargs: the base layer's keyword arguments.
  """

  def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None,
               **kwargs):
    super().__init__(name=name, **kwargs)
    if isinstance(rate, (int, float)) and not 0 <= rate <= 1:
      raise ValueError(f'Invalid value {rate} received for `rate`, expected '
                       'a value between 0 and 1.')
    self.rate = rate
    self.noise_shape = noise_shape
    self.seed = seed
    self._next_seed = seed
    self.supports_masking = True

  def _take_seed(self):
    seed = self._next_seed
    if seed is not None:
      self._next_seed = seed + 1
    return seed

  def _noise_shape(self, inputs):
    if self.noise_shape is None:
      return None
    dynamic = tf.shape(inputs)
    return tf.convert_to_tensor(
        [dynamic[i] if size is None else size
         for i, size in enumerate(self.noise_shape)])

  def call(self, inputs, training=False):
    if isinstance(self.rate, numbers.Real) and self.rate == 0:
      return tf.identity(inputs)
    if training is None:
      training = base.learning_phase()

    def dropped():
      return tf.nn.dropout(inputs, rate=self.rate,
                           noise_shape=self._noise_shape(inputs),
                           seed=self._take_seed())

    return _smart_cond(training, dropped, lambda: tf.identity(inputs))

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    config = super().get_config()
    config.update({'rate': self.rate, 'noise_shape': self.noise_shape,
                   'seed': self.seed})
    return config


def _smart_cond(pred, true_fn, false_fn):
  """One branch for a flag known when the graph is built, else a `tf.cond`
  (always for a variable)."""
  if isinstance(pred, tf.Variable):
    return tf.cond(pred, true_fn=true_fn, false_fn=false_fn)
  return tf.__internal__.smart_cond.smart_cond(pred, true_fn=true_fn,
                                               false_fn=false_fn)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False,
            name=None):
  """Applies a new `Dropout` layer to `inputs` (see `Dropout`).

  Args:
    training: Python bool or boolean scalar tensor (e.g. a placeholder);
      dropout applies only when it is true.  None means the graph's
      `keras_learning_phase` flag (False unless fed).

  Returns:
    A tensor of the inputs' shape and dtype.
  """
  layer = Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)
  return layer(inputs, training=training)


# --------------------------------------------------------------------------
# Flatten
# --------------------------------------------------------------------------
class Flatten(base.Layer):
  """Reshapes the input to `[batch, -1]`, keeping axis 0.

  A rank-1 input becomes `[batch, 1]`.  With `data_format='channels_first'`
  the channel axis (1) is moved last first, so the flattened order is that
  of the same data laid out channels-last.

  Args:
    data_format: 'channels_last' (default) or 'channels_first'.
    **kwargs: `name`, `trainable`, `dtype` and the base layer's other
      keyword arguments.
  """

  def __init__(self, data_format=None, **kwargs):
    super().__init__(**kwargs)
    self.data_format = utils.normalize_data_format(data_format)
    self.input_spec = base.InputSpec(min_ndim=1)
    self._channels_first = self.data_format == 'channels_first'

  def call(self, inputs):
    rank = inputs.shape.rank
    if self._channels_first and rank and rank > 1:
      inputs = tf.transpose(inputs, perm=[0] + list(range(2, rank)) + [1])
      rank = inputs.shape.rank
    if rank == 1:
      return tf.expand_dims(inputs, axis=1)
    shape = inputs.shape
    batch = tf.compat.dimension_value(shape[0])
    rest = shape[1:]
    if rest.is_fully_defined():
      size = int(functools.reduce(operator.mul, rest))
      target = tf.constant([-1, size])
    elif batch is not None:
      target = tf.constant([int(batch), -1])
    else:
      target = [tf.shape(inputs)[0], -1]
    return tf.reshape(inputs, target)

  def compute_output_shape(self, input_shape):
    dims = tf.TensorShape(input_shape).as_list()
    if not dims:  # A scalar counts as one example of one value.
      return tf.TensorShape([1, 1])
    rest = dims[1:]
    size = None
    if all(rest):
      size = functools.reduce(operator.mul, rest, 1)
    return tf.TensorShape([dims[0], size])

  def get_config(self):
    config = super().get_config()
    config['data_format'] = self.data_format
    return config


def flatten(inputs, name=None, data_format='channels_last'):
  """Applies a new `Flatten` layer to `inputs` (see `Flatten`).

  Returns:
    A tensor of shape `[batch, product of the other dimensions]`.
  """
  layer = Flatten(name=name, data_format=data_format)
  return layer(inputs)


# The reference module's other names for the same objects.
FullyConnected = Dense
fully_connected = dense
