"""`BatchNormalization` and `batch_normalization`: the tf.layers front end.

Same signatures and defaults as TF 2.12's `tf.compat.v1.layers`; the math is
`core`'s, the Layer machinery `base`'s.  This module only maps
arguments, validates them, decides between the fused kernel and the plain
path, and orders the calls so that names, update ops and values follow the
reference contract.
"""

import warnings

from absl import logging
import tensorflow as tf

from tf_compat_bn import core
from tf_compat_bn.layers import base
from tf_compat_bn.layers import identifiers

v1 = tf.compat.v1

_CLIPPING_KEYS = ['rmax', 'rmin', 'dmax']


def _validate_axis(axis, shape):
  """Normalized list of non-negative axes; the reference's messages."""
  rank = shape.rank
  if not rank:
    raise ValueError(f'Input has undefined rank. Received: input_shape={shape}')
  axes = [axis] if isinstance(axis, int) else list(axis)
  axes = [a + rank if a < 0 else a for a in axes]
  for a in axes:
    if a < 0 or a >= rank:
      raise ValueError('Invalid value for `axis` argument. Expected 0 <= axis '
                       f'< inputs.rank (with inputs.rank={rank}). Received: '
                       f'axis={tuple(axes)}')
  if len(axes) != len(set(axes)):
    raise ValueError(f'Duplicate axis: {tuple(axes)}')
  return axes


_MASK_IGNORED = ('Masking is not supported with `fused=True`. You should '
                 'either turn off fusing (`fused=False`) or you should not '
                 'pass a `mask` argument when calling the layer. For the '
                 'moment `mask` will be ignored for the normalization.')


class BatchNormalization(base.Layer):
  """Batch normalization (Ioffe & Szegedy, 2015) as a tf.layers layer.

  Normalizes over every dimension but `axis` with the batch statistics in
  training and with moving averages (`momentum`) in inference; the updates of
  the moving averages go to UPDATE_OPS after each call.  Variants: batch
  renormalization (`renorm`, `renorm_clipping`, `renorm_momentum`), ghost
  batches (`virtual_batch_size`), a training-time `adjustment` of the
  normalized values, and the fused kernel, used whenever it can serve the
  call (`fused=None` or `True`; it silently falls back otherwise).

  `synchronized=True` (Keras 3's name; not in TF1): in a replica context of
  a `tf.distribute` strategy, the batch statistics cover the global batch of
  all replicas (one all-reduce per call), so the output equals batch norm
  on the concatenated batch and every replica keeps the same moving
  statistics.  The fused kernel cannot compute such statistics: training
  then normalizes without it.  Same variables and checkpoints; outside a
  strategy nothing changes.
  """

  def __init__(self,
               axis=-1,
               momentum=0.99,
               epsilon=1e-3,
               center=True,
               scale=True,
               beta_initializer=v1.zeros_initializer(),
               gamma_initializer=v1.ones_initializer(),
               moving_mean_initializer=v1.zeros_initializer(),
               moving_variance_initializer=v1.ones_initializer(),
               beta_regularizer=None,
               gamma_regularizer=None,
               beta_constraint=None,
               gamma_constraint=None,
               renorm=False,
               renorm_clipping=None,
               renorm_momentum=0.99,
               fused=None,
               trainable=True,
               virtual_batch_size=None,
               adjustment=None,
               name=None,
               synchronized=False,
               **kwargs):
    super().__init__(name=name, trainable=trainable, **kwargs)
    if synchronized and virtual_batch_size is not None:
      raise ValueError('`synchronized=True` does not support '
                       '`virtual_batch_size`: ghost batches are per replica.')
    self.synchronized = bool(synchronized)
    if isinstance(axis, (list, tuple)):
      self.axis = axis[:]
    elif isinstance(axis, int):
      self.axis = axis
    else:
      raise TypeError('Expected an int or a list/tuple of ints for the '
                      f"argument 'axis', but received: {axis!r}")
    self.momentum = momentum
    self.epsilon = epsilon
    self.center = center
    self.scale = scale
    ids = identifiers
    self.beta_initializer = ids.initializer(beta_initializer)
    self.gamma_initializer = ids.initializer(gamma_initializer)
    self.moving_mean_initializer = ids.initializer(moving_mean_initializer)
    self.moving_variance_initializer = ids.initializer(
        moving_variance_initializer)
    self.beta_regularizer = identifiers.regularizer(beta_regularizer)
    self.gamma_regularizer = identifiers.regularizer(gamma_regularizer)
    self.beta_constraint = identifiers.constraint(beta_constraint)
    self.gamma_constraint = identifiers.constraint(gamma_constraint)
    self.renorm = renorm
    self.virtual_batch_size = virtual_batch_size
    self.adjustment = adjustment
    self.fused = True if fused is None else fused
    self.supports_masking = True
    self._bessels_correction_test_only = True
    if renorm:
      renorm_clipping = renorm_clipping or {}
      if set(renorm_clipping) - set(_CLIPPING_KEYS):
        raise ValueError('Received invalid keys for `renorm_clipping` '
                         f'argument: {renorm_clipping}. Supported values: '
                         f'{_CLIPPING_KEYS}.')
      self.renorm_clipping = renorm_clipping
      self.renorm_momentum = renorm_momentum

  @property
  def _param_dtype(self):
    if self.dtype in ('float16', 'bfloat16'):
      return tf.float32
    return tf.as_dtype(self.dtype or tf.float32)

  def _fused_can_be_used(self, rank):
    return (not self.renorm and len(self.axis) == 1 and
            core.fused_data_format(rank, self.axis[0]) is not None and
            self.virtual_batch_size is None and self.adjustment is None and
            tf.as_dtype(self.dtype or tf.float32) in core.FUSED_DTYPES)

  def get_config(self):
    """The constructor arguments as the reference reports them: renorm and
    ghost-batch settings only when used; `fused` never; `adjustment` (a
    function) omitted with a warning."""
    ids = identifiers
    config = super().get_config()
    config.update({
        'axis': self.axis, 'momentum': self.momentum,
        'epsilon': self.epsilon, 'center': self.center, 'scale': self.scale,
        'beta_initializer': ids.serialize_initializer(self.beta_initializer),
        'gamma_initializer': ids.serialize_initializer(
            self.gamma_initializer),
        'moving_mean_initializer': ids.serialize_initializer(
            self.moving_mean_initializer),
        'moving_variance_initializer': ids.serialize_initializer(
            self.moving_variance_initializer),
        'beta_regularizer': ids.serialize_regularizer(self.beta_regularizer),
        'gamma_regularizer': ids.serialize_regularizer(
            self.gamma_regularizer),
        'beta_constraint': ids.serialize_constraint(self.beta_constraint),
        'gamma_constraint': ids.serialize_constraint(self.gamma_constraint),
    })
    if self.renorm:
      config.update(renorm=True, renorm_clipping=self.renorm_clipping,
                    renorm_momentum=self.renorm_momentum)
    if self.virtual_batch_size is not None:
      config['virtual_batch_size'] = self.virtual_batch_size
    if self.synchronized:
      config['synchronized'] = True
    if self.adjustment is not None:
      logging.warning('The `adjustment` function of this `BatchNormalization` '
                      'layer cannot be serialized and has been omitted from '
                      'the layer config. It will not be included when '
                      're-creating the layer from the saved config.')
    return config

  def build(self, input_shape):
    input_shape = tf.TensorShape(input_shape)
    self.axis = _validate_axis(self.axis, input_shape)
    rank = input_shape.rank
    if self.virtual_batch_size is not None:
      if self.virtual_batch_size <= 0:
        raise ValueError(
            '`virtual_batch_size` must be a positive integer that divides the '
            'true batch size of the input tensor. Received: '
            f'virtual_batch_size={self.virtual_batch_size}')
      if 0 in self.axis:
        raise ValueError(
            'When using `virtual_batch_size`, the batch dimension must be 0 '
            f'and thus axis cannot include 0. Received axis={self.axis}')
      if self.adjustment is not None:
        raise ValueError('When using `virtual_batch_size`, adjustment cannot '
                         'be specified')
    if self.fused in (None, True):
      self.fused = self._fused_can_be_used(rank)
    if self.fused:
      self._data_format = core.fused_data_format(rank, self.axis[0])

    axis_to_dim = {a: input_shape.dims[a].value for a in self.axis}
    if any(d is None for d in axis_to_dim.values()):
      raise ValueError('Input has undefined `axis` dimension. Received input '
                       f'with shape {tuple(input_shape)} and '
                       f'axis={tuple(self.axis)}')
    self.input_spec = base.InputSpec(ndim=rank, axes=axis_to_dim)

    if len(axis_to_dim) == 1 and self.virtual_batch_size is None:
      param_shape = (axis_to_dim[self.axis[0]],)
    else:
      param_shape = [axis_to_dim.get(i, 1) for i in range(rank)]
      if self.virtual_batch_size is not None:
        param_shape.insert(1, 1)
        self.axis = [a + 1 for a in self.axis]
    self._param_shape = param_shape

    pdtype = self._param_dtype
    self.gamma = self.beta = None
    if self.scale:
      self.gamma = self.add_weight(
          'gamma', param_shape, pdtype, self.gamma_initializer,
          self.gamma_regularizer, trainable=True,
          constraint=self.gamma_constraint)
    if self.center:
      self.beta = self.add_weight(
          'beta', param_shape, pdtype, self.beta_initializer,
          self.beta_regularizer, trainable=True,
          constraint=self.beta_constraint)

    partitioner = self._scope.partitioner if self._scope else None
    if partitioner:
      self._scope.set_partitioner(None)
    try:
      def stat(name, initializer):
        return self.add_weight(
            name, param_shape, pdtype, initializer, trainable=False,
            synchronization=tf.VariableSynchronization.ON_READ,
            aggregation=tf.VariableAggregation.MEAN)
      self.moving_mean = stat('moving_mean', self.moving_mean_initializer)
      self.moving_variance = stat('moving_variance',
                                  self.moving_variance_initializer)
      if self.renorm:
        def stddev_initializer(*args, **kwargs):
          return tf.sqrt(self.moving_variance_initializer(*args, **kwargs))
        self.moving_stddev = stat('moving_stddev', stddev_initializer)
        self.renorm_mean = stat('renorm_mean', self.moving_mean_initializer)
        self.renorm_stddev = stat('renorm_stddev', stddev_initializer)
    finally:
      if partitioner:
        self._scope.set_partitioner(partitioner)

  # ---- call ---------------------------------------------------------------
  def call(self, inputs, training=False, mask=None):
    inputs = tf.cast(inputs, self.dtype)
    if training is None:
      training = base.learning_phase()
    static = core.layers_static_value(training)

    if self.virtual_batch_size is not None:
      expanded, original = core.ghost_batch_shapes(
          inputs, self.virtual_batch_size, split=self._ghost_split(static))
      inputs = tf.reshape(inputs, expanded)

    with core.synchronized_statistics(self.synchronized):
      if self.fused:
        if mask is not None:
          warnings.warn(_MASK_IGNORED)
        outputs = self._fused_call(inputs, training, static)
      else:
        outputs = self._plain_call(inputs, training, static, mask)

    if self.virtual_batch_size is not None:
      outputs = tf.reshape(outputs, original)
    return outputs

  def _ghost_split(self, static):
    # TF2 behaviour splits into ghost batches only for a constant True flag
    # (a dynamic flag then uses whole-batch statistics, as in the
    # reference); TF1 behaviour always splits.
    if tf.__internal__.tf2.enabled():
      return bool(static)
    return True

  def _fused_call(self, inputs, training, static):
    pdtype = self._param_dtype
    beta = (self.beta if self.center else
            tf.constant(0.0, dtype=pdtype, shape=self._param_shape))
    gamma = (self.gamma if self.scale else
             tf.constant(1.0, dtype=pdtype, shape=self._param_shape))
    debiased = not self._bessels_correction_test_only

    def train():
      variance = self.moving_variance
      if debiased:
        variance = variance * core.bessel_factor(inputs, variance, False)
      return core.fused_batch_norm(
          inputs, gamma, beta, self.moving_mean, variance, self.epsilon,
          self._data_format, training=True)

    def infer():
      return core.fused_batch_norm(
          inputs, gamma, beta, self.moving_mean, self.moving_variance,
          self.epsilon, self._data_format, training=False)

    output, mean, variance = core.smart_cond(training, static, train, infer)
    if debiased:
      variance = variance * core.bessel_factor(inputs, variance, True)
    if static or static is None:
      if static is None:
        momentum = core.smart_cond(training, static, lambda: self.momentum,
                                   lambda: 1.0)
      else:
        momentum = tf.convert_to_tensor(self.momentum)
      self.add_update(lambda: core.ema_update(
          self.moving_mean, mean, momentum, cast_value=True))
      self.add_update(lambda: core.ema_update(
          self.moving_variance, variance, momentum, cast_value=True))
    return output

  def _plain_call(self, inputs, training, static, mask=None):
    in_dtype = inputs.dtype.base_dtype
    if in_dtype in (tf.float16, tf.bfloat16):
      inputs = tf.cast(inputs, tf.float32)
    shape = inputs.shape
    ndims = len(shape)
    reduction_axes = [i for i in range(ndims) if i not in self.axis]
    if self.virtual_batch_size is not None:
      del reduction_axes[1]
    broadcast_shape = [1] * ndims
    broadcast_shape[self.axis[0]] = shape.dims[self.axis[0]].value

    def broadcast(v):
      if (v is not None and len(v.shape) != ndims and
          reduction_axes != list(range(ndims - 1))):
        return tf.reshape(v, broadcast_shape)
      return v

    scale, offset = broadcast(self.gamma), broadcast(self.beta)

    if static is False:
      mean, variance = self.moving_mean, self.moving_variance
    else:
      if self.adjustment:
        adj_scale, adj_bias = self.adjustment(tf.shape(inputs))
        adj_scale = core.smart_cond(training, static, lambda: adj_scale,
                                    lambda: tf.ones_like(adj_scale))
        adj_bias = core.smart_cond(training, static, lambda: adj_bias,
                                   lambda: tf.zeros_like(adj_bias))
        scale, offset = _compose(adj_scale, adj_bias, scale, offset)
      keepdims = self.virtual_batch_size is not None or len(self.axis) > 1
      weights = None
      if mask is not None:
        # A mask weighs each example's contribution to the batch statistics
        # (one weight per position, broadcast over the channels).
        weights = tf.expand_dims(tf.cast(mask, self.dtype, name='mask_weights'),
                                 axis=-1, name='mask_weights_broadcasted')
      mean, variance = core.moments(tf.cast(inputs, self._param_dtype),
                                    reduction_axes, keepdims=keepdims,
                                    weights=weights)
      moving_mean, moving_variance = self.moving_mean, self.moving_variance
      mean = core.smart_cond(training, static, lambda: mean,
                             lambda: tf.convert_to_tensor(moving_mean))
      variance = core.smart_cond(training, static, lambda: variance,
                                 lambda: tf.convert_to_tensor(moving_variance))
      if self.virtual_batch_size is not None:
        new_mean = core.ghost_batch_mean(mean)
        new_variance = core.ghost_batch_mean(variance)
      else:
        new_mean, new_variance = mean, variance

      if self.renorm:
        r, d, new_mean, new_variance = core.renorm_correction(
            new_mean, new_variance, self.epsilon, self.renorm_mean,
            self.renorm_stddev, self.renorm_clipping, self.renorm_momentum,
            training, static)
        r = broadcast(tf.stop_gradient(r, name='renorm_r'))
        d = broadcast(tf.stop_gradient(d, name='renorm_d'))
        scale, offset = _compose(r, d, scale, offset)

      def update(var, value):
        return core.ema_update(var, value, self.momentum, cast_value=True)

      def variance_update():
        if not self.renorm:
          return update(self.moving_variance, new_variance)
        stddev = update(self.moving_stddev,
                        tf.sqrt(new_variance + self.epsilon))
        return core.assign_new_value(
            self.moving_variance,
            tf.nn.relu(stddev * stddev - self.epsilon))

      self.add_update(lambda: core.smart_cond(
          training, static, lambda: update(self.moving_mean, new_mean),
          lambda: self.moving_mean))
      self.add_update(lambda: core.smart_cond(
          training, static, variance_update, lambda: self.moving_variance))

    dtype = inputs.dtype
    mean, variance = tf.cast(mean, dtype), tf.cast(variance, dtype)
    if offset is not None:
      offset = tf.cast(offset, dtype)
    if scale is not None:
      scale = tf.cast(scale, dtype)
    outputs = core.normalize(inputs, broadcast(mean), broadcast(variance),
                             offset, scale, self.epsilon)
    if in_dtype in (tf.float16, tf.bfloat16):
      outputs = tf.cast(outputs, in_dtype)
    outputs.set_shape(shape)
    return outputs


def _compose(scale, offset, then_scale, then_offset):
  """(x * scale + offset) * then_scale + then_offset as one scale/offset."""
  if then_scale is not None:
    scale *= then_scale
    offset *= then_scale
  if then_offset is not None:
    offset += then_offset
  return scale, offset


def batch_normalization(inputs,
                        axis=-1,
                        momentum=0.99,
                        epsilon=1e-3,
                        center=True,
                        scale=True,
                        beta_initializer=v1.zeros_initializer(),
                        gamma_initializer=v1.ones_initializer(),
                        moving_mean_initializer=v1.zeros_initializer(),
                        moving_variance_initializer=v1.ones_initializer(),
                        beta_regularizer=None,
                        gamma_regularizer=None,
                        beta_constraint=None,
                        gamma_constraint=None,
                        training=False,
                        trainable=True,
                        name=None,
                        reuse=None,
                        renorm=False,
                        renorm_clipping=None,
                        renorm_momentum=0.99,
                        fused=None,
                        virtual_batch_size=None,
                        adjustment=None,
                        synchronized=False):
  """Functional form of `BatchNormalization`: builds a layer, applies it.

  With `name`, the variable scope is `name` in the current scope (reused with
  `reuse=True`); without, a fresh `batch_normalization[_k]` scope.  The
  update ops go to UPDATE_OPS, to be run with the train op.
  `synchronized` as for `BatchNormalization`.
  """
  layer = BatchNormalization(
      axis=axis, momentum=momentum, epsilon=epsilon, center=center,
      scale=scale, beta_initializer=beta_initializer,
      gamma_initializer=gamma_initializer,
      moving_mean_initializer=moving_mean_initializer,
      moving_variance_initializer=moving_variance_initializer,
      beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
      beta_constraint=beta_constraint, gamma_constraint=gamma_constraint,
      renorm=renorm, renorm_clipping=renorm_clipping,
      renorm_momentum=renorm_momentum, fused=fused, trainable=trainable,
      virtual_batch_size=virtual_batch_size, adjustment=adjustment,
      name=name, synchronized=synchronized, _reuse=reuse, _scope=name)
  return layer(inputs, training=training)


BatchNorm = BatchNormalization
batch_norm = batch_normalization
