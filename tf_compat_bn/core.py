"""The batch-normalization math shared by every front end.

Everything here works on tensors and already-created variables, in the
ambient graph, name scope and TF mode (ref or resource variables, control
flow v1 or v2).  Nothing here knows about a front end's argument names: the
contrib/slim front end (`contrib.py`) and the tf.layers front end
(`layers.py`) decide *which* of these functions a call uses, and in which
order, so that the op names and update objects follow the contract their
users' graphs and checkpoints were written against.

What each piece is for:

* `slim_static_value` / `layers_static_value` and `smart_cond`: the two
  reference conventions for a training flag that may be a Python value, a
  constant tensor, or a tensor only known at run time.
* `moments`: batch statistics (plain or frequency-weighted).
* `fused_batch_norm`: the FusedBatchNormV3 kernel, for NHWC/NCHW (rank 4) and
  NDHWC/NCDHW (rank 5); `fused_data_format` says which layout (if any) a
  rank/axis pair can use.
* `normalize`: the non-fused output, `x * inv + (beta - mean * inv)`.
* `ema_update`, `zero_debias_ema_update`, `assign_new_value`: the
  moving-average updates.  `bessel_factor` converts between the fused
  kernel's unbiased batch variance and the biased one of `moments`.
* `renorm_correction`: batch renormalization's (r, d) correction and the
  updates of its own moving averages.
* `ghost_batch_shapes` / `ghost_batch_mean`: virtual ("ghost") batches.
* `synchronized_statistics`: within it, in a replica context of a
  `tf.distribute` strategy, `moments`, the training `fused_batch_norm` and
  `bessel_factor` use the statistics of the global batch (all replicas).
"""

import contextlib
import threading

import tensorflow as tf

v1 = tf.compat.v1


# --------------------------------------------------------------------------
# Training flags.
# --------------------------------------------------------------------------
def slim_static_value(flag):
  """The training flag's value if known at graph-build time, else None.

  The contrib/slim convention: Python values pass through unchanged, tensors
  are statically evaluated, variables are always dynamic, None is an error.
  """
  if flag is None:
    raise ValueError('value_or_tensor_or_var cannot be None')
  if isinstance(flag, tf.Variable):
    return None
  if tf.is_tensor(flag):
    return tf.get_static_value(flag)
  return flag


def layers_static_value(flag):
  """As `slim_static_value`, with the tf.layers convention.

  0/1 and bools become bools; any other Python value is a TypeError.  A
  tensor whose value is known statically (`tf.constant(False)`) gives a
  Python bool too, so it behaves exactly like that Python value.
  """
  if tf.is_tensor(flag) and not isinstance(flag, tf.Variable):
    value = tf.get_static_value(flag)
    return None if value is None else bool(value)
  if isinstance(flag, tf.Variable):
    return None
  if flag in {0, 1}:
    return bool(flag)
  raise TypeError('`pred` must be a Tensor, or a Python bool, or 1 or 0. '
                  f'Received: {type(flag)}')


def smart_cond(flag, static, true_fn, false_fn):
  """Calls one branch when `static` (the flag's static value) is known.

  Otherwise builds a `tf.cond` on `flag`, so the choice is made at run time.
  """
  if static is None:
    return tf.cond(flag, true_fn, false_fn)
  return true_fn() if static else false_fn()


# --------------------------------------------------------------------------
# Statistics and normalization.
# --------------------------------------------------------------------------
def moments(x, axes, keepdims=False, weights=None):
  """Biased batch mean and variance over `axes`.

  With `weights` (broadcastable to `x`), the frequency-weighted moments:
  mean = sum(w x) / sum(w), variance = sum(w (x - mean)^2) / sum(w).
  Under `synchronized_statistics`, over the global batch of all replicas.
  """
  replicas = _synchronizing_replica_context()
  if replicas is not None:
    return _synchronized_moments(replicas, x, axes, keepdims, weights)
  if weights is None:
    return tf.nn.moments(x, axes, keepdims=keepdims)
  return _weighted_moments(x, axes, weights, keepdims)


def _weighted_moments(x, axes, weights, keepdims):
  """Two-pass frequency-weighted moments, dividing by one reciprocal.

  Written out (rather than `tf.nn.weighted_moments`, whose newer versions
  divide with `div_no_nan`) so that the ops and the float rounding are those
  of the TF 1.x / 2.12 graphs users trained: the mean and the variance are
  each multiplied by 1 / sum(w).  float16 is computed in float32.
  """
  with tf.name_scope('weighted_moments'):
    x = tf.convert_to_tensor(x, name='x')
    weights = tf.convert_to_tensor(weights, name='frequency_weights')
    half = x.dtype == tf.float16
    if half:
      x = tf.cast(x, tf.float32)
    if weights.dtype != x.dtype:
      weights = tf.cast(weights, x.dtype)
    weighted_sum = tf.reduce_sum(weights * x, axes, keepdims=True,
                                 name='weighted_input_sum')
    # Broadcast the weights to x's shape before summing them.
    weight_sum = tf.reduce_sum(weights + tf.zeros_like(x), axes,
                               keepdims=True, name='sum_of_weights')
    inverse = tf.math.reciprocal(weight_sum, name='inv_weight_sum')
    mean = tf.multiply(weighted_sum, inverse)
    distsq = tf.reduce_sum(weights * tf.math.squared_difference(x, mean), axes,
                           keepdims=True, name='weighted_distsq')
    variance = tf.multiply(distsq, inverse)
    if not keepdims:
      mean = tf.squeeze(mean, axis=axes)
      variance = tf.squeeze(variance, axis=axes)
    if half:
      mean = tf.cast(mean, tf.float16)
      variance = tf.cast(variance, tf.float16)
    return mean, variance


def normalize(x, mean, variance, offset, scale, epsilon):
  """The non-fused output: (x - mean) / sqrt(variance + eps) * scale + offset.

  `offset` and `scale` may be None (no beta / no gamma).
  """
  return tf.nn.batch_normalization(x, mean, variance, offset, scale, epsilon)


# Which kernel layout serves a given (rank, single normalized axis).
_FUSED_LAYOUTS = {(4, 1): 'NCHW', (4, 3): 'NHWC', (5, 1): 'NCDHW',
                  (5, 4): 'NDHWC'}
FUSED_DTYPES = (tf.float16, tf.bfloat16, tf.float32)


def fused_data_format(rank, axis):
  """The FusedBatchNormV3 data format for this rank and axis, or None."""
  return _FUSED_LAYOUTS.get((rank, axis))


def fused_batch_norm(x, scale, offset, mean, variance, epsilon, data_format,
                     training):
  """One FusedBatchNormV3 call; returns (y, batch_mean, batch_variance).

  In training the kernel normalizes with the biased batch variance but
  returns the unbiased (Bessel-corrected) one; `mean`/`variance` may then be
  None (empty inputs), since the kernel ignores them.  In inference it
  normalizes with the given `mean` and `variance` and returns them.
  """
  replicas = _synchronizing_replica_context() if training else None
  if replicas is not None:
    return _synchronized_fused_batch_norm(replicas, x, scale, offset,
                                          epsilon, data_format)
  return v1.nn.fused_batch_norm(
      x, scale, offset, mean=mean, variance=variance, epsilon=epsilon,
      data_format=data_format, is_training=training)


def bessel_factor(x, variance, unbiased_to_biased):
  """The factor converting a per-channel variance of `x` between estimators.

  n = size(x) / size(variance) samples per channel; the factor is
  (n - 1) / n to remove Bessel's correction, n / (n - 1) to add it.
  """
  n = tf.size(x) / tf.size(variance)
  replicas = _synchronizing_replica_context()
  if replicas is not None:
    # The global count: the one the statistics were computed over when it
    # is usable here, else (built in another cond branch) summed again.
    count = _SYNC.__dict__.get('count')
    if count is not None and count.graph is v1.get_default_graph():
      n = count
    else:
      n = _all_sum(replicas, tf.cast(n, tf.float32))
  n = tf.cast(n, variance.dtype)
  one = tf.cast(1.0, variance.dtype)
  return (n - one) / n if unbiased_to_biased else n / (n - one)


# --------------------------------------------------------------------------
# Statistics synchronized across replicas.
# --------------------------------------------------------------------------
_SYNC = threading.local()


@contextlib.contextmanager
def synchronized_statistics(enabled=True):
  """Within the block (when `enabled`; else it changes nothing), batch
  statistics computed in a replica context of a `tf.distribute` strategy
  cover the global batch.

  One all-reduce per call of the per-replica sums, sums of squares and
  counts (frequency-weighted with `weights`); statistics in float32 for
  16-bit inputs.  The fused kernel cannot compute such statistics, so the
  training output is the non-fused normalization with them; its returned
  variance carries Bessel's correction over the global count, as the
  kernel's would over the concatenated batch.  Outside a strategy (or in a
  cross-replica context) nothing changes.
  """
  if not enabled:  # leaves an enclosing block in force
    yield
    return
  previous = _SYNC.__dict__.get('enabled', False)
  _SYNC.enabled = True
  _SYNC.count = None
  try:
    yield
  finally:
    _SYNC.enabled = previous
    _SYNC.count = None


def _synchronizing_replica_context():
  if not _SYNC.__dict__.get('enabled', False):
    return None
  if (not tf.distribute.has_strategy() or
      tf.distribute.in_cross_replica_context()):
    return None
  return tf.distribute.get_replica_context()


def _all_sum_values(replicas, x):
  """The sum of `x` over the replicas, with no gradient of its own."""
  extended = replicas.strategy.extended
  if extended._use_merge_call():  # pylint: disable=protected-access
    return replicas.merge_call(
        lambda strategy, value: strategy.extended.batch_reduce_to(
            tf.distribute.ReduceOp.SUM, [(value, value)])[0], args=(x,))
  return extended._replica_ctx_all_reduce(  # pylint: disable=protected-access
      tf.distribute.ReduceOp.SUM, [x])[0]


def _all_sum(replicas, x):
  """The sum of `x` over the replicas; its gradient is the sum of the
  replicas' gradients.

  `ReplicaContext.all_reduce` has that gradient, but in a v1 graph it fails
  once a variable feeds `x` ("Unsuccessful at finding variable
  .../replica_1": its custom gradient walks into the other replicas'
  graphs).  Here the sum carries no gradient and an identity on the local
  `x`, whose gradient is summed over the replicas, carries it; the forward
  value is the sum exactly (plus x - x = 0).
  """
  @tf.custom_gradient
  def local(value):
    return tf.identity(value), lambda dy: _all_sum_values(replicas, dy)
  return (tf.stop_gradient(_all_sum_values(replicas, x)) +
          (local(x) - tf.stop_gradient(x)))


def _synchronized_moments(replicas, x, axes, keepdims, weights):
  """Global-batch (weighted) mean and variance: one all-reduce of
  [sum(w x), sum(w x^2), sum(w)] per channel."""
  with tf.name_scope('synchronized_moments'):
    x = tf.convert_to_tensor(x, name='x')
    in_dtype = x.dtype
    if in_dtype in (tf.float16, tf.bfloat16):
      x = tf.cast(x, tf.float32)
    if weights is None:
      weights = tf.ones_like(x)
    else:
      weights = tf.cast(weights, x.dtype) + tf.zeros_like(x)
    local = [tf.reduce_sum(weights * x, axes, keepdims=True),
             tf.reduce_sum(weights * tf.square(x), axes, keepdims=True),
             tf.reduce_sum(weights, axes, keepdims=True)]
    stat_shape = tf.shape(local[0])
    total = _all_sum(replicas,
                     tf.stack([tf.reshape(t, [-1]) for t in local]))
    weighted_sum, weighted_squares, count = tf.unstack(total)
    inverse = tf.math.reciprocal(count)
    mean = weighted_sum * inverse
    variance = tf.nn.relu(weighted_squares * inverse - tf.square(mean))
    mean = tf.reshape(mean, stat_shape)
    variance = tf.reshape(variance, stat_shape)
    _SYNC.count = tf.reshape(count, stat_shape)
    if not keepdims:
      mean = tf.squeeze(mean, axis=axes)
      variance = tf.squeeze(variance, axis=axes)
      _SYNC.count = tf.squeeze(_SYNC.count, axis=axes)
    if in_dtype in (tf.float16, tf.bfloat16):
      mean = tf.cast(mean, in_dtype)
      variance = tf.cast(variance, in_dtype)
    return mean, variance


_FUSED_AXES = {'NHWC': [0, 1, 2], 'NCHW': [0, 2, 3], 'NDHWC': [0, 1, 2, 3],
               'NCDHW': [0, 2, 3, 4]}


def _synchronized_fused_batch_norm(replicas, x, scale, offset, epsilon,
                                   data_format):
  """What the fused kernel returns in training, with global statistics:
  (y, mean, Bessel-corrected variance), statistics in float32."""
  axes = _FUSED_AXES[data_format]
  x32 = tf.cast(x, tf.float32) if x.dtype != tf.float32 else x
  mean, variance = _synchronized_moments(replicas, x32, axes, True, None)
  y = normalize(x32, mean, variance,
                tf.reshape(offset, tf.shape(mean)),
                tf.reshape(scale, tf.shape(mean)), epsilon)
  count = _SYNC.count
  n = tf.reshape(count, [-1])
  unbiased = tf.reshape(variance, [-1]) * n / tf.maximum(n - 1.0, 1.0)
  _SYNC.count = n
  return tf.cast(y, x.dtype), tf.reshape(mean, [-1]), unbiased


# --------------------------------------------------------------------------
# Moving averages.
# --------------------------------------------------------------------------
def ema_update(variable, value, momentum, cast_value=False):
  """variable <- variable - (variable - value) * (1 - momentum).

  One assign-sub, under the name scope `AssignMovingAvg` (uniquified in the
  current scope), returning what `tf.compat.v1.assign_sub` returns.
  `momentum` may be a Python number or a tensor.  With `cast_value` the
  value is first cast to the variable's dtype (the tf.layers convention).
  """
  with tf.name_scope('AssignMovingAvg') as scope:
    with v1.colocate_with(variable):
      decay = tf.convert_to_tensor(1.0 - momentum, name='decay')
      if decay.dtype != variable.dtype.base_dtype:
        decay = tf.cast(decay, variable.dtype.base_dtype)
      if cast_value:
        value = tf.cast(value, variable.dtype)
      return v1.assign_sub(variable, (variable - value) * decay, name=scope)


def zero_debias_ema_update(variable, value, momentum):
  """The zero-debiased moving average of `value`, assigned to `variable`.

  Keeps a biased average `biased <- biased - (biased - value) * (1 - m)` and
  a step counter `local_step`, in a variable scope named after `variable`
  (relative to the current one); then assigns
  `variable <- biased / (1 - m ** local_step)`, so that after the first step
  `variable` equals `value` instead of being pulled towards its initial 0.
  """
  with tf.name_scope('AssignMovingAvg') as scope:
    decay = tf.convert_to_tensor(1.0 - momentum, name='decay')
    if decay.dtype != variable.dtype.base_dtype:
      decay = tf.cast(decay, variable.dtype.base_dtype)
    with v1.variable_scope(variable.name[:-len(':0')],
                           values=[variable, value, decay]):
      shape = variable.get_shape()
      dtype = variable.dtype.base_dtype
      with v1.colocate_with(variable):
        biased = v1.get_variable(
            _unique_debias_name('biased'), shape=shape, dtype=dtype,
            initializer=v1.zeros_initializer(), trainable=False)
        local_step = v1.get_variable(
            _unique_debias_name('local_step'), shape=[], dtype=dtype,
            initializer=v1.zeros_initializer(), trainable=False)
    with v1.colocate_with(variable):
      new_biased = v1.assign_sub(biased, (biased - value) * decay)
      step = local_step.assign_add(1)
      correction = 1 - tf.pow(1.0 - decay, step)
      return v1.assign(variable, new_biased / correction, name=scope)


def _unique_debias_name(name):
  """`name`, or `name_<k>` when a debias variable of that name exists and the
  scope does not reuse (a second debiased average of the same variable)."""
  scope = v1.get_variable_scope()
  if scope.reuse:
    return name
  taken = {v.op.name for v in scope.global_variables()}
  full = scope.name + '/' + name
  if full not in taken:
    return name
  k = 1
  while f'{full}_{k}' in taken:
    k += 1
  return f'{name}_{k}'


def assign_new_value(variable, value):
  """variable <- value, as one assign named `AssignNewValue`."""
  with tf.name_scope('AssignNewValue') as scope:
    with v1.colocate_with(variable):
      return v1.assign(variable, value, name=scope)


# --------------------------------------------------------------------------
# Batch renormalization.
# --------------------------------------------------------------------------
def renorm_correction(mean, variance, epsilon, renorm_mean, renorm_stddev,
                      clipping, momentum, flag, static):
  """Batch renormalization (arXiv:1702.03275) correction.

  Returns (r, d, mean, variance): with sigma = sqrt(variance + eps) and
  s = max(renorm_stddev, sqrt(eps)), r = sigma / s and
  d = (mean - renorm_mean) / s, both from the *pre-update* renorm averages,
  clipped to [rmin, rmax] and [-dmax, dmax] for the keys in `clipping`, and
  replaced by 1 and 0 when not training.  The returned mean and variance
  carry control dependencies on the renorm averages' own updates (with
  `momentum`), so that whatever is computed from them runs those updates.
  """
  stddev = tf.sqrt(variance + epsilon)
  floor = tf.maximum(renorm_stddev, tf.sqrt(epsilon))
  r = stddev / floor
  d = (mean - renorm_mean) / floor
  with tf.control_dependencies([r, d]):
    mean = tf.identity(mean)
    stddev = tf.identity(stddev)
  rmin, rmax, dmax = (clipping.get(k) for k in ('rmin', 'rmax', 'dmax'))
  if rmin is not None:
    r = tf.maximum(r, rmin)
  if rmax is not None:
    r = tf.minimum(r, rmax)
  if dmax is not None:
    d = tf.minimum(tf.maximum(d, -dmax), dmax)
  r = smart_cond(flag, static, lambda: r, lambda: tf.ones_like(r))
  d = smart_cond(flag, static, lambda: d, lambda: tf.zeros_like(d))

  def averaged(var, value):
    value = tf.identity(value)
    return smart_cond(
        flag, static,
        lambda: ema_update(var, value, momentum, cast_value=True),
        lambda: tf.identity(var))

  new_mean = averaged(renorm_mean, mean)
  new_stddev = averaged(renorm_stddev, stddev)
  with tf.control_dependencies([new_mean, new_stddev]):
    return r, d, tf.identity(mean), tf.identity(variance)


# --------------------------------------------------------------------------
# Virtual (ghost) batches.
# --------------------------------------------------------------------------
def ghost_batch_shapes(x, virtual_batch_size, split):
  """(expanded, original) dynamic shapes for ghost batches of `x`.

  `expanded` is [virtual_batch_size, -1, rest...] when `split`, else
  [-1, 1, rest...] (one sample per ghost batch: no batch statistics are
  used then).  Reshaping x to it puts rows {j, j + G, j + 2G, ...} in ghost
  batch j.  `original` is [-1, rest...], for the way back.
  """
  rest = tf.shape(x)[1:]
  original = tf.concat([tf.constant([-1]), rest], axis=0)
  head = [virtual_batch_size, -1] if split else [-1, 1]
  expanded = tf.concat([tf.constant(head), original[1:]], axis=0)
  return expanded, original


def ghost_batch_mean(stat):
  """Averages per-ghost-batch statistics over the ghost batches (axis 1)."""
  return tf.reduce_mean(stat, axis=1, keepdims=True)
