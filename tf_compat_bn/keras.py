"""`BatchNormalization` as `tf.compat.v1.keras.layers` had it, with no Keras.

TF1-era code also built Keras batch-norm layers inside a `tf.compat.v1`
graph and session and ran `layer.updates` itself.  On TF >= 2.16 (Keras 3)
that code still builds, but the moving statistics never move, the variable
names change and the learning phase is gone.  This module keeps Keras 2's
`tf.compat.v1.keras.layers.BatchNormalization` contract (the V1 layer) in v1
graphs:

* the signature and defaults (initializers as strings or objects, `fused`
  defaulting to the fused kernel wherever it can serve the call, ...);
* Keras naming: the layer is `batch_normalization`, `batch_normalization_1`,
  ... per graph (counted together with the tf.layers layers, as Keras did),
  its variables `batch_normalization/gamma` and so on, made in the layer's
  name scope, never through `tf.compat.v1.get_variable`;
* `updates` / `get_updates_for(inputs)`, which the program runs itself: they
  are not put in UPDATE_OPS, and regularization losses are on `losses` only,
  not in REGULARIZATION_LOSSES;
* `training=None` follows the Keras learning phase (`learning_phase()` here,
  which is Keras' own on TF <= 2.15);
* V1 trainable semantics: `trainable=False` lists every weight as
  non-trainable and reports no updates, but does not switch to inference;
* `get_config` / `from_config`, and the reference's errors.

The math is `tf_compat_bn.layers.BatchNormalization`'s (this is a thin
subclass of it).  `install(keras=True)` puts it under
`tf.compat.v1.keras.layers.BatchNormalization`.
"""

import importlib
import sys
import types
import warnings

import tensorflow as tf

from tf_compat_bn.layers import base
from tf_compat_bn.layers import normalization

v1 = tf.compat.v1



def learning_phase():
  """The Keras learning phase of the default graph: what `training=None`
  means for Keras layers.

  On TF <= 2.15 (Keras 2 loaded with TensorFlow) this is
  `tf.compat.v1.keras.backend.learning_phase()` itself.  Without Keras 2:
  the value fixed by `set_learning_phase` for this graph, else the graph's
  bool placeholder `keras_learning_phase` (default False), fed by that name
  as before.  The tf.layers layers (`training=None`) follow the same
  phase, as they followed Keras 2's.
  """
  return base.learning_phase()


def set_learning_phase(value):
  """Fixes the learning phase of the default graph to 0 (test) or 1 (train).

  Deprecated in Keras 2 as well (pass `training=` instead); kept for the
  programs that call it.  On TF <= 2.15 it is Keras' own.
  """
  backend = base._loaded_keras2_backend()  # pylint: disable=protected-access
  if backend is not None:
    return backend.set_learning_phase(value)
  if value not in {0, 1}:
    raise ValueError('Expected learning phase to be 0 or 1.')
  warnings.warn('`tf.keras.backend.set_learning_phase` is deprecated and '
                'will be removed after 2020-10-11. To update it, simply pass '
                'a True/False value to the `training` argument of the '
                '`__call__` method of your layer or model.')
  base.FIXED_PHASES[v1.get_default_graph()] = value
  return None


# Keras 2's record of `enable_v2_dtype_behavior()` / `disable_...()`, read
# where a program loaded Keras 2 (never imported from here).
_KERAS2_LAYER_UTILS = ('keras.engine.base_layer_utils',
                       'keras.src.engine.base_layer_utils',
                       'tf_keras.src.engine.base_layer_utils')


def _v2_dtype_behavior():
  """Whether a Keras layer without `dtype` computes in float32 (TF2
  behaviour) or takes its first input's dtype (TF1 behaviour, e.g. after
  `tf.compat.v1.disable_v2_behavior()`), as Keras 2 decided."""
  for name in _KERAS2_LAYER_UTILS:
    utils = sys.modules.get(name)
    if utils is not None and hasattr(utils, 'v2_dtype_behavior_enabled'):
      return utils.v2_dtype_behavior_enabled()
  return tf.__internal__.tf2.enabled()


def _keras_layer_name(base_name):
  """Keras' zero-based unique name (`batch_normalization`, then `_1`, ...),
  from the per-graph counter the tf.layers layers count with too."""
  counters = base._NAME_UIDS.setdefault(v1.get_default_graph(), {})  # pylint: disable=protected-access
  number = counters.get(base_name, 0)
  counters[base_name] = number + 1
  return f'{base_name}_{number}' if number else base_name


class BatchNormalization(normalization.BatchNormalization):
  """Batch normalization as Keras 2's V1 layer
  (`tf.compat.v1.keras.layers.BatchNormalization`) in TF1 graphs.

  Normalizes over every dimension but `axis`: with the batch statistics when
  training, with the moving averages (`momentum`) otherwise.  `training`
  defaults to the Keras learning phase (see `learning_phase`).  The ops that
  update the moving averages are in `updates`, for the program to run with
  its train op; they are not in UPDATE_OPS.  Variants as in the tf.layers
  class: `renorm`, `virtual_batch_size`, `adjustment`, `fused`.
  """

  def __init__(self,
               axis=-1,
               momentum=0.99,
               epsilon=1e-3,
               center=True,
               scale=True,
               beta_initializer='zeros',
               gamma_initializer='ones',
               moving_mean_initializer='zeros',
               moving_variance_initializer='ones',
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
               **kwargs):
    kwargs.pop('synchronized', None)  # Not implemented by the V1 layer.
    for key in ('_scope', '_reuse'):
      if key in kwargs:
        raise TypeError('Keyword argument not understood:', key)
    if not kwargs.get('dtype') and _v2_dtype_behavior():
      kwargs['dtype'] = 'float32'   # and inputs are cast to it
    super().__init__(
        axis=axis, momentum=momentum, epsilon=epsilon, center=center,
        scale=scale, beta_initializer=beta_initializer,
        gamma_initializer=gamma_initializer,
        moving_mean_initializer=moving_mean_initializer,
        moving_variance_initializer=moving_variance_initializer,
        beta_regularizer=beta_regularizer,
        gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
        gamma_constraint=gamma_constraint, renorm=renorm,
        renorm_clipping=renorm_clipping, renorm_momentum=renorm_momentum,
        fused=fused, trainable=trainable,
        virtual_batch_size=virtual_batch_size, adjustment=adjustment,
        name=name or _keras_layer_name('batch_normalization'), **kwargs)
    self._keras_style = True

  def add_weight(self, name, shape, dtype=None, initializer=None,
                 regularizer=None, trainable=None, constraint=None,
                 use_resource=None,
                 synchronization=tf.VariableSynchronization.AUTO,
                 aggregation=tf.VariableAggregation.NONE, partitioner=None,
                 **kwargs):
    """A variable named in the layer's name scope, as Keras makes them.

    A weight asked for as trainable is a trainable variable (in
    TRAINABLE_VARIABLES) even in a non-trainable layer, as in Keras 2; the
    layer then lists it with its non-trainable weights.
    """
    del partitioner, aggregation  # Ignored by Keras layers in TF1 graphs.
    trainable = base.weight_trainable(synchronization, trainable)
    return self._add_keras_style_weight(
        name, shape, self._weight_dtype(dtype), initializer, regularizer,
        trainable, constraint, use_resource, kwargs.get('caching_device'))

  def add_loss(self, losses, inputs=None):
    """Records losses on the layer only (Keras kept them out of
    REGULARIZATION_LOSSES); callable ones are built at each `losses`
    access."""
    for loss in tf.nest.flatten(losses):
      if loss is None:
        continue
      if callable(loss):
        self._callable_losses.append(loss)
      else:
        self._losses.append(base._as_loss(loss, inputs is None))  # pylint: disable=protected-access

  def call(self, inputs, training=None, mask=None):
    if training is None:
      training = learning_phase()
    if isinstance(training, int) and not isinstance(training, bool):
      training = bool(training)
    return super().call(inputs, training=training, mask=mask)

  def compute_output_shape(self, input_shape):
    return tf.TensorShape(input_shape)



# ---- install(keras=True) ----------------------------------------------------
# What it changes, in the descriptions `install.report()` lists.
INSTALL_MARK = '(tf_compat_bn.keras)'


class _StandIn(types.ModuleType):
  """A module that is `target` except for the names in `own`.

  Stands for `tf.compat.v1.keras` (and its `layers`, `backend`) so that the
  Keras module itself, shared with `tf.keras` on TF >= 2.16, is never
  changed.
  """

  def __init__(self, name, target, own):
    super().__init__(name, f'{target.__name__}, with {sorted(own)} from '
                     'tf_compat_bn (install(keras=True)).')
    self.__dict__['_tf_compat_bn_target'] = target
    self.__dict__.update(own)

  def __getattr__(self, item):
    return getattr(self.__dict__['_tf_compat_bn_target'], item)

  def __dir__(self):
    return sorted(set(dir(self.__dict__['_tf_compat_bn_target'])) |
                  set(self.__dict__) - {'_tf_compat_bn_target'})


def _real_keras(v1_module):
  """The Keras module behind `v1_module.keras`, loaded (TF reaches it
  through a lazy loader that would otherwise replace our stand-in when it
  loads)."""
  try:
    loader = getattr(v1_module, 'keras')
    getattr(loader, 'layers')   # loads it
    name = loader.__name__
    return sys.modules.get(name) or importlib.import_module(name)
  except (ImportError, AttributeError) as e:
    raise ImportError(
        'install(keras=True) changes tf.compat.v1.keras, which needs the '
        'Keras package TensorFlow uses for it; it could not be loaded: '
        f'{e}') from e


def install_keras(patch, v1_modules):
  """`tf.compat.v1.keras` becomes a stand-in for TF's whose
  `layers.BatchNormalization` is ours, and whose `backend` has our
  `learning_phase` / `set_learning_phase` where Keras has none (Keras 3);
  also under `import tensorflow.compat.v1.keras...`.  `tf.keras` and the
  Keras modules themselves are left as they are.  `patch(owner, name,
  value, description)` records each change for uninstall()."""
  stand_ins = {}
  for v1_module in v1_modules:
    real = _real_keras(v1_module)
    if id(real) not in stand_ins:
      backend = real.backend
      own_backend = {n: f for n, f in (('learning_phase', learning_phase),
                                       ('set_learning_phase',
                                        set_learning_phase))
                     if not hasattr(backend, n)}
      layers = _StandIn('tensorflow.compat.v1.keras.layers', real.layers,
                        {'BatchNormalization': BatchNormalization})
      backend = _StandIn('tensorflow.compat.v1.keras.backend', backend,
                         own_backend)
      stand_ins[id(real)] = (_StandIn('tensorflow.compat.v1.keras', real,
                                      {'layers': layers,
                                       'backend': backend}), own_backend)
    keras, own_backend = stand_ins[id(real)]
    also = ''.join(f', .backend.{n}' for n in sorted(own_backend))
    patch(v1_module, 'keras', keras,
          f'{v1_module.__name__}.keras -> stand-in: .layers.BatchNormalization'
          f'{also} from tf_compat_bn.keras, the rest Keras {INSTALL_MARK}')
  keras = next(iter(stand_ins.values()))[0]
  install_module = importlib.import_module('tf_compat_bn.install')
  for suffix, module in (('keras', keras), ('keras.layers', keras.layers),
                         ('keras.backend', keras.backend)):
    install_module.register_v1_submodule(
        suffix, module, f'tf_compat_bn stand-in {INSTALL_MARK}', patch)


__all__ = ['BatchNormalization', 'learning_phase', 'set_learning_phase']
