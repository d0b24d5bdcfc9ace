"""`batch_norm`: the `tf.contrib.layers.batch_norm` / `tf_slim.batch_norm` front end.

The reference routes a call to one of three implementations whose observable
contracts differ (variable order, dtypes and collections, Bessel correction,
op names, which arguments are honoured), and users' checkpoints depend on
those differences.  We keep the routing and each contract, and take the math
from `core`:

* the *kernel* contract (`_kernel_contract`): rank 2 or 4, no batch weights,
  renorm or adjustment, and either zero-debias, rank 2 or a custom
  `updates_collections`: FusedBatchNormV3 with float32 parameters, updates
  made here;
* the *layer* contract: the default `updates_collections`, no batch weights
  and no zero-debias: a tf.layers `BatchNormalization` in this scope
  (renorm, adjustment, rank 3 and 5 go here);
* the *moments* contract (`_moments_contract`): everything else (batch
  weights, custom collections with `fused=False`, ...): `core.moments` and
  parameters in the input's dtype.
"""

import tensorflow as tf

from tf_compat_bn import branch_updates
from tf_compat_bn import core
from tf_compat_bn import layers
from tf_compat_bn import variables
from tf_compat_bn import wiring

v1 = tf.compat.v1
UPDATE_OPS = v1.GraphKeys.UPDATE_OPS
DATA_FORMAT_NHWC = 'NHWC'
DATA_FORMAT_NCHW = 'NCHW'


def batch_norm(inputs,
               decay=0.999,
               center=True,
               scale=False,
               epsilon=0.001,
               activation_fn=None,
               param_initializers=None,
               param_regularizers=None,
               updates_collections=v1.GraphKeys.UPDATE_OPS,
               is_training=True,
               reuse=None,
               variables_collections=None,
               outputs_collections=None,
               trainable=True,
               batch_weights=None,
               fused=None,
               data_format=DATA_FORMAT_NHWC,
               zero_debias_moving_mean=False,
               scope=None,
               renorm=False,
               renorm_clipping=None,
               renorm_decay=0.99,
               adjustment=None,
               synchronized=False):
  """Batch normalization (Ioffe & Szegedy, 2015) with the contrib/slim contract.

  Normalizes `inputs` over all dimensions but the channels (last for NHWC,
  second for NCHW), with the batch statistics when `is_training` and the
  moving averages (`decay`) otherwise.  Usable as `normalizer_fn`.

  Args:
    inputs: a tensor of rank >= 2 whose first dimension is the batch.
    decay: momentum of the moving averages.
    center: add the learned offset `beta`.
    scale: multiply by the learned `gamma`.
    epsilon: added to the variance before its square root.
    activation_fn: applied to the output, inside the scope (None: linear).
    param_initializers: dict of initializers for `beta`, `gamma`,
      `moving_mean`, `moving_variance`.
    param_regularizers: dict of regularizers for `beta` and `gamma`.
    updates_collections: where the moving-average updates are collected (a
      name or a list); None runs them in place, as control dependencies.
    is_training: Python bool, bool tensor or variable; dynamic values build
      both branches.
    reuse: reuse the variables of `scope`.
    variables_collections: extra collections for the variables: one list for
      all, or a dict by parameter name.
    outputs_collections: collections for the output, which gets the scope name
      as alias.
    trainable: put `beta`/`gamma` in TRAINABLE_VARIABLES.
    batch_weights: optional [batch] tensor of frequency weights for weighted
      moments.
    fused: None or True to use the fused kernel where possible, False not to.
    data_format: 'NHWC' or 'NCHW'.
    zero_debias_moving_mean: zero-debias the moving mean (adds the variables
      `moving_mean/biased` and `moving_mean/local_step`).
    scope: variable scope (default `BatchNorm`).
    renorm: batch renormalization.
    renorm_clipping: dict with optional `rmax`, `rmin`, `dmax` clipping the
      renorm correction.
    renorm_decay: momentum of renorm's own moving averages.
    adjustment: callable from the input's dynamic shape to a (scale, bias)
      pair applied to the normalized values in training.
    synchronized: in a replica context of a `tf.distribute` strategy, compute
      the batch statistics over the global batch of all replicas (one
      all-reduce per call), so every replica normalizes alike and keeps the
      same moving statistics.  Training statistics then do not come from the
      fused kernel (it cannot synchronize); variables and checkpoints are
      the same.  Outside a strategy it changes nothing.

  Returns:
    The normalized (and activated) tensor.
  """
  with core.synchronized_statistics(synchronized):
    if fused is None:
      fused = True
    inputs = tf.convert_to_tensor(inputs)
    rank = inputs.shape.ndims
    kernel_possible = (batch_weights is None and not renorm and
                       rank in (2, 4) and adjustment is None)
    # `is not UPDATE_OPS` is an identity test, as in the reference: only the
    # default collection object routes to the layer contract.
    if fused and kernel_possible and (
        zero_debias_moving_mean or rank == 2 or
        updates_collections is not UPDATE_OPS):
      return _kernel_contract(
          inputs, decay, center, scale, epsilon, activation_fn,
          param_initializers or {}, param_regularizers or {},
          updates_collections, is_training, reuse, variables_collections,
          outputs_collections, trainable, data_format, zero_debias_moving_mean,
          scope)

    _check_data_format(data_format)
    with v1.variable_scope(scope, 'BatchNorm', [inputs], reuse=reuse,
                           custom_getter=variables.model_variable_getter) as sc:
      inputs = tf.convert_to_tensor(inputs)
      if (batch_weights is None and updates_collections is UPDATE_OPS and
          not zero_debias_moving_mean):
        outputs = _layer_contract(
            inputs, sc, decay, center, scale, epsilon, param_initializers or {},
            param_regularizers or {}, is_training, reuse, variables_collections,
            trainable, fused, data_format, renorm, renorm_clipping,
            renorm_decay, adjustment)
      else:
        if renorm:
          raise ValueError('renorm is not supported with batch_weights, '
                           'updates_collections or zero_debias_moving_mean')
        outputs = _moments_contract(
            inputs, decay, center, scale, epsilon, param_initializers or {},
            updates_collections, is_training, variables_collections, trainable,
            batch_weights, data_format, zero_debias_moving_mean)
      return _finish(outputs, activation_fn, outputs_collections, sc)


def _check_data_format(data_format):
  if data_format not in (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC):
    raise ValueError('data_format has to be either NCHW or NHWC.')


def _finish(outputs, activation_fn, outputs_collections, sc):
  """Activation (inside the scope), then the output collections + alias."""
  if activation_fn is not None:
    outputs = activation_fn(outputs)
  if outputs_collections:
    alias = sc.name[:-1] if sc.name.endswith('/') else sc.name
    if hasattr(outputs, 'aliases'):
      outputs.aliases.append(alias)
    else:
      outputs.aliases = [alias]
    v1.add_to_collections(outputs_collections, outputs)
  return outputs


def _create_params(params_shape, dtype, initializers, regularizers,
                   variables_collections, center, scale, trainable):
  """beta, gamma, then (unpartitioned) moving_mean and moving_variance.

  A disabled beta or gamma is None.  Regularizers are passed to get_variable
  (losses named `<var>/Regularizer/...`).
  """
  def make(name, default_initializer, trainable_param, regularizer=None):
    return variables.model_variable(
        name, shape=params_shape, dtype=dtype,
        initializer=initializers.get(name, default_initializer),
        regularizer=regularizer,
        collections=variables.collections_for(variables_collections, name),
        trainable=trainable_param)

  beta = gamma = None
  if center:
    beta = make('beta', v1.zeros_initializer(), trainable,
                regularizers.get('beta'))
  if scale:
    gamma = make('gamma', v1.ones_initializer(), trainable,
                 regularizers.get('gamma'))
  with variables.unpartitioned_scope():
    moving_mean = make('moving_mean', v1.zeros_initializer(), False)
    moving_variance = make('moving_variance', v1.ones_initializer(), False)
  return beta, gamma, moving_mean, moving_variance


def _collect_updates(updates_collections, update_mean, update_variance):
  """Adds the two updates to the collection(s); registers them for the
  update-op wiring check."""
  v1.add_to_collections(updates_collections,
                        branch_updates.collectable(update_mean))
  v1.add_to_collections(updates_collections,
                        branch_updates.collectable(update_variance))
  wiring.register([update_mean, update_variance])


def _moving_average_updates(is_training, static, updates_collections,
                            moving, batch, decay, zero_debias, gated,
                            otherwise):
  """The moving mean/variance updates towards the batch statistics.

  With `updates_collections` None they run in place: the result is `gated`
  (a tensor or tuple) behind the updates when training, `otherwise()` when
  not.  Else they are collected (the moving variables stand in for them when
  not training) and `gated` is returned as it is.
  """
  (moving_mean, moving_variance), (mean, variance) = moving, batch

  def updates():
    if zero_debias:
      update_mean = core.zero_debias_ema_update(moving_mean, mean, decay)
    else:
      update_mean = core.ema_update(moving_mean, mean, decay)
    return update_mean, core.ema_update(moving_variance, variance, decay)

  if updates_collections is None:
    def forced():
      with tf.control_dependencies(updates()):
        return tf.nest.map_structure(tf.identity, gated)
    return core.smart_cond(is_training, static, forced, otherwise)
  update_mean, update_variance = core.smart_cond(
      is_training, static, updates, lambda: moving)
  _collect_updates(updates_collections, update_mean, update_variance)
  return gated


def _kernel_contract(inputs, decay, center, scale, epsilon, activation_fn,
                     initializers, regularizers, updates_collections,
                     is_training, reuse, variables_collections,
                     outputs_collections, trainable, data_format,
                     zero_debias, scope):
  """The fused-kernel contract (rank 2 or 4, float32 parameters)."""
  _check_data_format(data_format)
  with v1.variable_scope(scope, 'BatchNorm', [inputs], reuse=reuse) as sc:
    inputs = tf.convert_to_tensor(inputs)
    original_inputs = inputs
    original_shape = inputs.shape
    rank = original_shape.ndims
    if rank is None:
      raise ValueError(f'Inputs {inputs.name} has undefined rank')
    if rank not in (2, 4):
      raise ValueError(f'Inputs {inputs.name} has unsupported rank. Expected '
                       f'2 or 4 but got {rank}')
    if rank == 2:
      channels = original_shape.dims[-1].value
      if channels is None:
        raise ValueError('`C` dimension must be known but is None')
      inputs = tf.reshape(inputs, [-1, 1, 1, channels]
                          if data_format == DATA_FORMAT_NHWC
                          else [-1, channels, 1, 1])
    inputs_shape = inputs.shape
    params_shape = (inputs_shape[-1:] if data_format == DATA_FORMAT_NHWC
                    else inputs_shape[1:2])
    if not params_shape.is_fully_defined():
      raise ValueError(f'Inputs {inputs.name} has undefined `C` dimension '
                       f'{params_shape}.')

    beta, gamma, moving_mean, moving_variance = _create_params(
        params_shape, tf.float32, initializers, regularizers,
        variables_collections, center, scale, trainable)
    if beta is None:
      beta = tf.constant(0.0, dtype=tf.float32, shape=params_shape)
    if gamma is None:
      gamma = tf.constant(1.0, dtype=tf.float32, shape=params_shape)

    static = core.slim_static_value(is_training)
    outputs, mean, variance = core.smart_cond(
        is_training, static,
        lambda: core.fused_batch_norm(inputs, gamma, beta, None, None,
                                      epsilon, data_format, training=True),
        lambda: core.fused_batch_norm(inputs, gamma, beta, moving_mean,
                                      moving_variance, epsilon, data_format,
                                      training=False))

    if static is None or static:
      unchanged = outputs
      outputs = _moving_average_updates(
          is_training, static, updates_collections,
          (moving_mean, moving_variance), (mean, variance), decay,
          zero_debias, gated=outputs, otherwise=lambda: unchanged)

    outputs.set_shape(inputs_shape)
    if rank == 2:
      outputs = tf.reshape(outputs, _static_target_shape(original_inputs))
    return _finish(outputs, activation_fn, outputs_collections, sc)


def _static_target_shape(x):
  """x's static shape for a reshape (one unknown dim as -1), else tf.shape."""
  dims = x.shape.as_list()
  if sum(d is None for d in dims) > 1:
    return tf.shape(x)
  return [-1 if d is None else d for d in dims]


def _layer_contract(inputs, sc, decay, center, scale, epsilon, initializers,
                    regularizers, is_training, reuse, variables_collections,
                    trainable, fused, data_format, renorm, renorm_clipping,
                    renorm_decay, adjustment):
  """A tf.layers BatchNormalization built in scope `sc`, then collections."""
  layer = layers.BatchNormalization(
      axis=1 if data_format == DATA_FORMAT_NCHW else -1,
      momentum=decay,
      epsilon=epsilon,
      center=center,
      scale=scale,
      beta_initializer=initializers.get('beta', v1.zeros_initializer()),
      gamma_initializer=initializers.get('gamma', v1.ones_initializer()),
      moving_mean_initializer=initializers.get('moving_mean',
                                               v1.zeros_initializer()),
      moving_variance_initializer=initializers.get('moving_variance',
                                                   v1.ones_initializer()),
      beta_regularizer=regularizers.get('beta'),
      gamma_regularizer=regularizers.get('gamma'),
      trainable=trainable,
      renorm=renorm,
      renorm_clipping=renorm_clipping,
      renorm_momentum=renorm_decay,
      adjustment=adjustment,
      name=sc.name,
      _scope=sc,
      _reuse=reuse,
      fused=fused)
  outputs = layer.apply(inputs, training=is_training)
  for name in ('moving_mean', 'moving_variance', 'beta', 'gamma'):
    variable = getattr(layer, name)
    if variable is not None:
      variables.add_to_collections(
          variable, variables.collections_for(variables_collections, name))
  return outputs


def _moments_contract(inputs, decay, center, scale, epsilon, initializers,
                      updates_collections, is_training, variables_collections,
                      trainable, batch_weights, data_format, zero_debias):
  """The moments contract: parameters in the input dtype, biased variance.

  `param_regularizers` and `adjustment` are not used here (as in the
  reference, silently).
  """
  shape = inputs.shape
  rank = shape.ndims
  if rank is None:
    raise ValueError(f'Inputs {inputs.name} has undefined rank.')
  dtype = inputs.dtype.base_dtype
  if batch_weights is not None:
    batch_weights = tf.convert_to_tensor(batch_weights)
    shape[0:1].assert_is_compatible_with(batch_weights.shape)
    batch_weights = tf.reshape(batch_weights, [-1] + [1] * (rank - 1))
  nchw = data_format == DATA_FORMAT_NCHW
  if nchw:
    axes = [0] + list(range(2, rank))
    params_shape = shape[1:2]
    broadcast_shape = [1, shape.dims[1].value] + [1] * (rank - 2)
  else:
    axes = list(range(rank - 1))
    params_shape = shape[-1:]
  if not params_shape.is_fully_defined():
    raise ValueError(f'Inputs {inputs.name} has undefined channels dimension '
                     f'{params_shape}.')

  beta, gamma, moving_mean, moving_variance = _create_params(
      params_shape, dtype, initializers, {}, variables_collections, center,
      scale, trainable)

  static = core.slim_static_value(is_training)
  if static is None or static:
    mean, variance = core.moments(inputs, axes, keepdims=nchw,
                                  weights=batch_weights)
    if nchw:
      mean = tf.reshape(mean, [-1])
      variance = tf.reshape(variance, [-1])

    def moving():
      return moving_mean, moving_variance

    batch = (mean, variance)
    mean, variance = _moving_average_updates(
        is_training, static, updates_collections, moving(), batch, decay,
        zero_debias, gated=batch, otherwise=moving)
    if updates_collections is not None:
      # Batch statistics in training, the moving ones otherwise.
      mean, variance = core.smart_cond(is_training, static, lambda: batch,
                                       moving)
  else:
    mean, variance = moving_mean, moving_variance

  if nchw:
    mean = tf.reshape(mean, broadcast_shape)
    variance = tf.reshape(variance, broadcast_shape)
    if beta is not None:
      beta = tf.reshape(beta, broadcast_shape)
    if gamma is not None:
      gamma = tf.reshape(gamma, broadcast_shape)
  outputs = core.normalize(inputs, mean, variance, beta, gamma, epsilon)
  outputs.set_shape(shape)
  return outputs
