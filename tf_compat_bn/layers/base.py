"""`Layer` and `InputSpec`: the tf.layers base class, with no Keras.

A `Layer` is what TF1 graph-mode code subclasses and what every
`tf.compat.v1.layers` class is built on.  It gives:

* the variable scope chosen at the first call (uniquified per graph:
  `dense`, `dense_1`, ..., or `name=`), `reuse` and enclosing reuse, one
  layer object called several times sharing its variables;
* `add_weight` / `add_variable` through `tf.compat.v1.get_variable`, so outer
  custom getters, partitioners, `use_resource` and scope initializers apply;
  weight regularizers add `<name>/Regularizer/...` losses to the layer and
  to REGULARIZATION_LOSSES; an `activity_regularizer` adds
  `ActivityRegularizer/...` losses after each call;
* `add_update` / `add_loss` with the reference's conditional / unconditional
  bookkeeping; update ops copied into UPDATE_OPS after every call;
* the weight lists (a layer held in an attribute keeps its own);
* the rest of the TF1 surface: `build`, `call`, `apply`, `input_spec`
  checks, `compute_output_shape`, `count_params`, `get_config` /
  `from_config`, `get_weights` / `set_weights` in the default session,
  `__deepcopy__`, and the connectivity accessors (`input`, `output`, ...).

Subclasses implement `build(input_shape)` (creating variables with
`add_weight`) and `call(inputs, ...)`.
"""

import contextlib
import copy
import functools
import inspect
import re
import sys
import warnings
import weakref

import numpy as np
import tensorflow as tf

from tf_compat_bn import branch_updates
from tf_compat_bn import variables
from tf_compat_bn import wiring
from tf_compat_bn.layers import identifiers

v1 = tf.compat.v1

# Whether new layers use Keras-style variable management (see
# `keras_style_scope`).
_KERAS_STYLE = False



def _autograph_leaves_us_alone():
  """Library code is never converted by AutoGraph, as TF treats `keras`.

  A user's `call` is converted (as in the reference); the layers, losses
  and updates it calls into are ours, run as written.  Without this rule
  AutoGraph would convert them recursively from a user `call`.
  """
  try:
    from tensorflow.python.autograph.core import config  # pylint: disable=g-import-not-at-top
  except ImportError:
    return
  rule = config.DoNotConvert('tf_compat_bn')
  if not any(getattr(r, '_prefix', None) == 'tf_compat_bn'
             for r in config.CONVERSION_RULES):
    config.CONVERSION_RULES = (rule,) + tuple(config.CONVERSION_RULES)


_autograph_leaves_us_alone()

# Per-graph counters behind default layer names (`dense`, `dense_1`, ...).
_NAME_UIDS = weakref.WeakKeyDictionary()

# Keyword arguments the reference's base accepts besides its named ones.
_ALLOWED_KWARGS = ('input_dim', 'input_shape', 'batch_input_shape',
                   'batch_size', 'weights', 'activity_regularizer',
                   'autocast', 'implementation')


def _snake_case(name):
  s = re.sub(r'(.)([A-Z][a-z0-9]+)', r'\1_\2', name)
  s = re.sub(r'([a-z])([A-Z])', r'\1_\2', s).lower()
  # A name starting with "_" would be private in the reference too.
  return 'private' + s if s.startswith('_') else s


def _unique_layer_name(base_name):
  # One-based, as the reference: the first unnamed Dense is `dense_1` (its
  # variable scope is still `dense`).
  counters = _NAME_UIDS.setdefault(v1.get_default_graph(), {})
  counters[base_name] = counters.get(base_name, 0) + 1
  return f'{base_name}_{counters[base_name]}'


class InputSpec:
  """What a layer accepts: dtype, full shape, rank bounds, sizes of axes.

  `None` anywhere means "not checked".  A given `shape` fixes `ndim`.
  """

  def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None,
               min_ndim=None, axes=None):
    self.dtype = None if dtype is None else tf.as_dtype(dtype).name
    shape = tf.TensorShape(shape)
    if shape.rank is None:
      self.shape, self.ndim = None, ndim
    else:
      self.shape = tuple(shape.as_list())
      self.ndim = len(self.shape)
    self.max_ndim = max_ndim
    self.min_ndim = min_ndim
    try:
      axes = axes or {}
      self.axes = {int(k): axes[k] for k in axes}
    except (ValueError, TypeError):
      raise TypeError('Argument `axes` must be a dict with integer keys. '
                      f'Received: axes={axes}') from None
    if self.axes and (self.ndim is not None or self.max_ndim is not None):
      highest = (self.ndim if self.ndim else self.max_ndim) - 1
      if max(self.axes) > highest:
        raise ValueError(f'Axis {max(self.axes)} is greater than the maximum '
                         f'allowed value: {highest}')

  def __repr__(self):
    parts = [(f'{key}={value}') for key, value in (
        ('dtype', self.dtype), ('shape', self.shape), ('ndim', self.ndim),
        ('max_ndim', self.max_ndim), ('min_ndim', self.min_ndim),
        ('axes', self.axes)) if value]
    return f"InputSpec({', '.join(parts)})"

  def get_config(self):
    return {'dtype': self.dtype, 'shape': self.shape, 'ndim': self.ndim,
            'max_ndim': self.max_ndim, 'min_ndim': self.min_ndim,
            'axes': self.axes}

  @classmethod
  def from_config(cls, config):
    return cls(**config)

  def check(self, index, x, layer_name):
    """Raises ValueError when input number `index`, `x`, does not fit."""
    shape = tf.TensorShape(x.shape)
    if shape.rank is None:
      return
    prefix = (f'Input {index} of layer "{layer_name}" is incompatible with '
              'the layer')
    rank = shape.rank
    if self.ndim is not None and rank != self.ndim:
      raise ValueError(f'{prefix}: expected ndim={self.ndim}, found '
                       f'ndim={rank}. Full shape received: {tuple(shape)}')
    if self.max_ndim is not None and rank > self.max_ndim:
      raise ValueError(f'{prefix}: expected max_ndim={self.max_ndim}, found '
                       f'ndim={rank}')
    if self.min_ndim is not None and rank < self.min_ndim:
      raise ValueError(f'{prefix}: expected min_ndim={self.min_ndim}, found '
                       f'ndim={rank}. Full shape received: {tuple(shape)}')
    if self.dtype is not None and x.dtype.name != self.dtype:
      raise ValueError(f'{prefix}: expected dtype={self.dtype}, found '
                       f'dtype={x.dtype}')
    dims = shape.as_list()
    for axis, size in self.axes.items():
      size = getattr(size, 'value', size)
      if size is not None and dims[int(axis)] not in (size, None):
        raise ValueError(f'{prefix}: expected axis {axis} of input shape to '
                         f'have value {size}, but received input with shape '
                         f'{tuple(dims)}')
    if self.shape is not None:
      for want, got in zip(self.shape, dims):
        if want is not None and got is not None and want != got:
          raise ValueError(f'{prefix}: expected shape={self.shape}, found '
                           f'shape={tuple(shape)}')


def _check_inputs(specs, inputs, layer_name):
  if not specs:
    return
  specs = tf.nest.flatten(specs)
  inputs = tf.nest.flatten(inputs)
  for x in inputs:
    if not hasattr(x, 'shape'):
      raise TypeError(f"Inputs to a layer should be tensors. Got '{x}' (of "
                      f"type {type(x)}) as input for layer '{layer_name}'.")
  if len(inputs) != len(specs):
    raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), '
                     f'but it received {len(inputs)} input tensors. Inputs '
                     f'received: {inputs}')
  for index, (x, spec) in enumerate(zip(inputs, specs)):
    if spec is not None:
      spec.check(index, x, layer_name)


class Layer:
  """Base of tf.layers-style layers (graph mode).

  Args:
    trainable: whether the layer's weights are trainable (put in
      TRAINABLE_VARIABLES) and its updates reported; settable later, which
      moves the weights between the layer's lists and reaches layers
      assigned as attributes.
    name: the layer's name and the base of its variable scope's name.
    dtype: the dtype of the layer's weights and computation; by default the
      first input's.
    **kwargs: `activity_regularizer` (a callable or identifier whose loss on
      each output, divided by the batch size, joins `losses`), and the
      arguments the reference accepts and ignores in graph mode
      (`input_shape`, `batch_input_shape`, `input_dim`, `batch_size`,
      `autocast`, `implementation`, `weights`).
  """

  def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
    scope = kwargs.pop('_scope', None)
    self._reuse = kwargs.pop('_reuse', None)
    self._keras_style = _KERAS_STYLE
    if self._keras_style:
      for what, value in (('scope', scope), ('reuse', self._reuse)):
        if value is not None:
          raise ValueError(f'{what} argument not allowed when keras style '
                           f'layers are enabled, but saw: {value}')
    for key in kwargs:
      if key not in _ALLOWED_KWARGS:
        raise TypeError('Keyword argument not understood:', key)
    self._trainable = trainable
    self.built = False
    self._input_spec = None
    self.supports_masking = False
    self._dtype = None if dtype is None else tf.as_dtype(dtype).name
    base_name = _snake_case(type(self).__name__)
    if isinstance(name, v1.VariableScope):
      self._name, self._base_name = _unique_layer_name(base_name), name.name
    elif name:
      self._name, self._base_name = name, name
    else:
      self._name, self._base_name = _unique_layer_name(base_name), base_name
    self._activity_regularizer = identifiers.regularizer(
        kwargs.get('activity_regularizer'))
    if 'input_dim' in kwargs and 'input_shape' not in kwargs:
      kwargs['input_shape'] = (kwargs['input_dim'],)
    if 'batch_input_shape' in kwargs:
      self._batch_input_shape = tuple(kwargs['batch_input_shape'])
    elif 'input_shape' in kwargs:
      self._batch_input_shape = ((kwargs.get('batch_size'),) +
                                 tuple(kwargs['input_shape']))
    self._initial_weights = kwargs.get('weights')
    self._trainable_weights = []
    self._non_trainable_weights = []
    self._updates = []
    self._losses = []
    self._callable_losses = []
    self._inbound_nodes = []
    self._current_scope = None
    self._scope = None
    if scope:
      with v1.variable_scope(scope) as captured:
        self._scope = captured

  # ---- naming and simple properties ---------------------------------------
  @property
  def name(self):
    return self._name

  @property
  def dtype(self):
    return self._dtype

  @property
  def graph(self):
    warnings.warn('`Layer.graph` is deprecated and will be removed in a '
                  'future version. Please stop using this property because '
                  'tf.layers layers no longer track their graph.',
                  stacklevel=2)
    return None

  @property
  def trainable(self):
    return self._trainable

  @trainable.setter
  def trainable(self, value):
    self._trainable = value

  @property
  def activity_regularizer(self):
    return self._activity_regularizer

  @activity_regularizer.setter
  def activity_regularizer(self, regularizer):
    self._activity_regularizer = regularizer

  @property
  def input_spec(self):
    return self._input_spec

  @input_spec.setter
  def input_spec(self, value):
    for spec in tf.nest.flatten(value):
      if spec is not None and not isinstance(spec, InputSpec):
        raise TypeError('Layer input_spec must be an instance of InputSpec. '
                        f'Got: {spec}')
    self._input_spec = value

  @property
  def scope_name(self):
    if not self._scope:
      raise ValueError(
          'No name available for layer scope because the layer "' +
          self._name + '" has not been used yet. The scope name ' +
          ' is determined the first time the layer instance is called. You '
          'must therefore call the layer before querying `scope_name`.')
    return self._scope.name

  def _set_scope(self, scope=None):
    if self._scope is not None:
      return
    if self._reuse:
      with v1.variable_scope(scope if scope is not None else
                             self._base_name) as captured:
        self._scope = captured
    else:
      with v1.variable_scope(scope, default_name=self._base_name) as captured:
        self._scope = captured

  # ---- variables ----------------------------------------------------------
  def add_weight(self, name, shape, dtype=None, initializer=None,
                 regularizer=None, trainable=None, constraint=None,
                 use_resource=None,
                 synchronization=tf.VariableSynchronization.AUTO,
                 aggregation=tf.VariableAggregation.NONE, partitioner=None,
                 **kwargs):
    """Creates (or, when reusing, gets) variable `name` in the layer scope.

    Returns a variable, or a `PartitionedVariable` under a partitioner.  A
    floating variable with no initializer here or in the scope is Glorot
    uniform; an integer or bool one zeros.
    """
    for key in kwargs:
      if key not in ('experimental_autocast', 'getter', 'collections',
                     'caching_device'):
        raise TypeError('Unknown keyword argument:', key)
    if self._keras_style:
      dtype = self._weight_dtype(dtype)
      keras_trainable = trainable and self.trainable
      return self._add_keras_style_weight(
          name, shape, dtype, initializer, regularizer,
          True if keras_trainable is None else keras_trainable, constraint,
          use_resource, kwargs.get('caching_device'))
    trainable = weight_trainable(synchronization, trainable)
    dtype = self._weight_dtype(dtype)
    # New variables are appended to GLOBAL_VARIABLES: remembering its length
    # tells a creation from a reuse without scanning every variable.
    # Inside a function-building graph, variables are made in the outer one.
    home = _variable_graph()
    globals_ref = home.get_collection_ref(v1.GraphKeys.GLOBAL_VARIABLES)
    known = len(globals_ref)
    self._set_scope(None)
    with self._own_scope(reuse=self.built or self._reuse) as scope:
      initializer = self._weight_initializer(
          name, dtype, initializer if initializer is not None
          else scope.initializer, has_getter='getter' in kwargs)
      getter = kwargs.pop('getter', v1.get_variable)
      extra = {k: kwargs[k] for k in ('collections', 'caching_device')
               if kwargs.get(k) is not None}
      variable = getter(
          name, shape=shape, dtype=dtype, initializer=initializer,
          trainable=bool(trainable and self.trainable),
          constraint=identifiers.constraint(constraint),
          partitioner=partitioner, use_resource=use_resource,
          synchronization=synchronization, aggregation=aggregation, **extra)
      created = globals_ref[known:]
      parts = variables.parts_of(variable)
      if regularizer and all(any(p is c for c in created) for p in parts):
        for part in parts:
          self._add_regularizer_loss(name, part, regularizer)
    # A trainable weight of a trainable layer that the scope did not make
    # trainable (e.g. an existing non-trainable variable, reused) is listed
    # as non-trainable, as the reference does.
    listed_trainable = trainable and self.trainable and any(
        parts[0] is v for v in reversed(
            home.get_collection_ref(v1.GraphKeys.TRAINABLE_VARIABLES)))
    target = (self._trainable_weights if listed_trainable
              else self._non_trainable_weights)
    target.extend(parts)
    return variable

  def _weight_dtype(self, dtype):
    """A weight's dtype: given, else the layer's, else float32; the first
    one also becomes the layer's dtype when it has none yet."""
    dtype = tf.as_dtype(dtype or self.dtype or tf.float32)
    if self._dtype is None:
      self._dtype = dtype.base_dtype.name
    return dtype

  def _weight_initializer(self, name, dtype, initializer, has_getter=False):
    """`initializer` resolved; for none, Glorot uniform (floating) or zeros
    (integer, bool), as the reference chooses."""
    initializer = identifiers.initializer(initializer)
    if initializer is not None:
      return initializer
    if dtype.is_floating:
      return identifiers.initializer('glorot_uniform')
    if dtype.is_integer or dtype.is_unsigned or dtype.is_bool:
      return v1.zeros_initializer()
    if has_getter:
      return None
    raise ValueError(f'An initializer for variable {name} of type '
                     f'{dtype.base_dtype} is required for layer {self.name}')

  def add_variable(self, *args, **kwargs):
    """Deprecated alias of `add_weight`."""
    warnings.warn('`layer.add_variable` is deprecated and will be removed '
                  'in a future version. Please use the `layer.add_weight()` '
                  'method instead.', stacklevel=2)
    return self.add_weight(*args, **kwargs)

  def _own_scope(self, reuse):
    """The layer's variable and name scope, entered only when not active.

    Inside `build` (called from `__call__`) they are active already, and
    re-entering them for every variable is most of a layer's Python cost.
    A changed partitioner (cleared for the moving statistics) needs the
    re-entry, as the active scope holds a copy of the old one; so does a
    different reuse flag (a weight added after `build` marked the layer
    built is looked up, not created, as in the reference).
    """
    active = v1.get_variable_scope()
    if (active is self._current_scope and
        active.reuse == (True if reuse else self._scope.reuse) and
        active.partitioner is self._scope.partitioner and
        v1.get_default_graph().get_name_scope() + '/' ==
        active.original_name_scope):
      return contextlib.nullcontext(active)
    return self._enter_own_scope(reuse)

  @contextlib.contextmanager
  def _enter_own_scope(self, reuse):
    with v1.variable_scope(self._scope, reuse=reuse,
                           auxiliary_name_scope=False) as scope:
      self._current_scope = scope
      with tf.name_scope(scope.original_name_scope):
        yield scope

  def _add_regularizer_loss(self, name, variable, regularizer):
    def loss():
      with tf.name_scope(name + '/Regularizer'):
        return regularizer(variable)
    self.add_loss(loss)

  # Layers held in attributes are not tracked: their weights, updates and
  # losses are theirs alone, as with the reference's tf.layers base.
  @property
  def trainable_weights(self):
    return _dedup(self._trainable_weights) if self.trainable else []

  @property
  def non_trainable_weights(self):
    if self.trainable:
      return _dedup(self._non_trainable_weights)
    return _dedup(self._trainable_weights + self._non_trainable_weights)

  @property
  def weights(self):
    return _dedup(self.trainable_weights + self.non_trainable_weights)

  @property
  def variables(self):
    return self.weights

  @property
  def trainable_variables(self):
    return self.trainable_weights

  @property
  def non_trainable_variables(self):
    return self.non_trainable_weights

  def count_params(self):
    """The number of scalars in the layer's weights (built layers only)."""
    if not self.built:
      raise ValueError(
          'You tried to call `count_params` on ' + self.name + ', but the '
          "layer isn't built. You can build it manually via: `" + self.name +
          '.build(batch_input_shape)`.')
    return int(sum(np.prod(w.shape.as_list()) for w in self.weights))

  def get_weights(self):
    """The weights' values, read in the default session."""
    return _session('get_weights').run(self.weights)

  def set_weights(self, weights):
    """Assigns `weights` (NumPy arrays, in `weights` order) in the default
    session."""
    params = self.weights
    if len(params) != len(weights):
      raise ValueError(
          f'You called `set_weights(weights)` on layer "{self.name}" with a '
          f'weight list of length {len(weights)}, but the layer was '
          f'expecting {len(params)} weights. Provided weights: '
          f'{str(weights)[:50]}...')
    for param, weight in zip(params, weights):
      weight_shape = weight.shape if hasattr(weight, 'shape') else ()
      if not param.shape.is_compatible_with(weight_shape):
        raise ValueError(f'Layer weight shape {param.shape} not compatible '
                         f'with provided weight shape {weight_shape}')
    session = _session('set_weights')
    for param, weight in zip(params, weights):
      param.load(np.asarray(weight), session)

  # ---- updates and losses -------------------------------------------------
  def add_update(self, updates, inputs=None):
    """Records update ops (an op, a tensor, a callable, or a list of them).

    An update that depends on none of the current call's inputs is
    unconditional: `get_updates_for(None)` returns it.  `inputs` is accepted
    for TF 1.x code and otherwise unused, as in TF 2.x.
    """
    del inputs
    relevant = getattr(self, '_call_inputs', None) or []
    for update in tf.nest.flatten(updates):
      if callable(update):
        update = update()
      if isinstance(update, tf.Operation):
        op = update
      elif hasattr(update, 'op'):
        op = update.op
      else:
        op = tf.convert_to_tensor(update).op
      op._tf_compat_bn_unconditional = not _reachable(relevant, [op])  # pylint: disable=protected-access
      self._updates.append(op)

  @property
  def updates(self):
    return list(self._updates) if self.trainable else []

  def get_updates_for(self, inputs):
    """The updates that depend on `inputs`; for None, those that depend on
    no input."""
    if inputs is None:
      return [u for u in self.updates
              if getattr(u, '_tf_compat_bn_unconditional', False)]
    return _reachable(tf.nest.flatten(inputs), self.updates)

  def add_loss(self, losses, inputs=None):
    """Records losses (tensors or zero-argument callables) and adds them to
    REGULARIZATION_LOSSES.  Losses given with `inputs` are conditional on
    them (see `get_losses_for`)."""
    new = []
    for loss in tf.nest.flatten(losses):
      if loss is None:
        continue
      if callable(loss):
        self._callable_losses.append(loss)
        tensor = loss()
        if tensor is not None:
          new.append(_as_loss(tensor, True))
        continue
      tensor = _as_loss(loss, inputs is None)
      self._losses.append(tensor)
      new.append(tensor)
    _add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES, new)

  @property
  def losses(self):
    """The recorded losses; callable ones are built afresh on each access."""
    out = list(self._losses)
    for loss in self._callable_losses:
      tensor = loss()
      if tensor is not None:
        out.append(_as_loss(tensor, True))
    return out

  def get_losses_for(self, inputs):
    """The losses that depend on `inputs`; for None, the unconditional
    ones."""
    if inputs is None:
      return [t for t in self.losses
              if getattr(t, '_tf_compat_bn_unconditional', False)]
    return _reachable(tf.nest.flatten(inputs), self.losses)

  # ---- connectivity (not tracked for graph tensors, as in the reference) --
  @property
  def inbound_nodes(self):
    return self._inbound_nodes

  @property
  def outbound_nodes(self):
    return []

  @property
  def input(self):
    raise AttributeError('Layer ' + self.name +
                         ' is not connected, no input to return.')

  @property
  def output(self):
    raise AttributeError('Layer ' + self.name + ' has no inbound nodes.')

  @property
  def input_shape(self):
    raise AttributeError(
        f'The layer "{self.name}" has never been called and thus has no '
        'defined input shape. Note that the `input_shape` property is only '
        'available for Functional and Sequential models.')

  @property
  def output_shape(self):
    raise AttributeError('The layer has never been called and thus has no '
                         'defined output shape.')

  def _never_called(self, what):
    raise RuntimeError(f'The layer has never been called and thus has no '
                       f'defined {what}.')

  def get_input_at(self, node_index):
    del node_index
    self._never_called('input')

  def get_output_at(self, node_index):
    del node_index
    self._never_called('output')

  def get_input_shape_at(self, node_index):
    del node_index
    self._never_called('input shape')

  def get_output_shape_at(self, node_index):
    del node_index
    self._never_called('output shape')

  # ---- configuration ------------------------------------------------------
  def get_config(self):
    """`name`, `trainable`, `dtype` (and `batch_input_shape` if given);
    subclasses with constructor arguments extend it."""
    config = {'name': self.name, 'trainable': self.trainable}
    if hasattr(self, '_batch_input_shape'):
      config['batch_input_shape'] = self._batch_input_shape
    config['dtype'] = self.dtype
    own_args = [a for a in inspect.getfullargspec(type(self).__init__).args
                if a not in config]
    if (len(own_args) > 1 and
        type(self).get_config is Layer.get_config):
      raise NotImplementedError('Layers with arguments in `__init__` must '
                                'override `get_config`.')
    return config

  @classmethod
  def from_config(cls, config):
    return cls(**config)

  def compute_output_shape(self, input_shape):
    """The output shape for `input_shape`; layers that know it override
    this (the base cannot tell in graph mode)."""
    del input_shape
    raise NotImplementedError

  def __deepcopy__(self, memo):
    cls = type(self)
    result = cls.__new__(cls)
    memo[id(self)] = result
    for key, value in vars(self).items():
      if key in ('_scope', '_always_reuse_variable_scope'):
        setattr(result, key, copy.copy(value))
      elif tf.is_tensor(value) or (
          isinstance(value, (list, tuple)) and value and
          all(tf.is_tensor(v) for v in value)):
        setattr(result, key, value)
      else:
        setattr(result, key, copy.deepcopy(value, memo))
    return result

  # ---- calling ------------------------------------------------------------
  def __call__(self, inputs, *args, **kwargs):
    """Builds the layer at the first call, then applies `call` in the layer's
    variable scope; copies new updates into UPDATE_OPS.

    `scope=` names the variable scope at the first call; a `call` with a
    `scope` parameter receives the variable scope.
    """
    scope = kwargs.pop('scope', None)
    call_params = _parameters(self.call)
    if 'training' in kwargs and 'training' not in call_params and not any(
        p.kind == p.VAR_KEYWORD for p in call_params.values()):
      kwargs.pop('training')
    if self._keras_style:
      # Keras-style: the layer's name as a (unique) name scope, no variable
      # scope, no UPDATE_OPS.
      if scope is not None:
        raise ValueError('scope argument not allowed when keras style layers '
                         f'are enabled, but saw: {scope}')
      return self._build_and_call(self._name, inputs, args, kwargs)
    self._set_scope(scope)
    reuse = True if self.built else self._reuse
    with v1.variable_scope(self._scope, reuse=reuse,
                           auxiliary_name_scope=False) as vscope:
      self._current_scope = vscope
      if 'scope' in call_params:
        kwargs['scope'] = vscope
      outputs = self._build_and_call(vscope.original_name_scope, inputs,
                                     args, kwargs)
    _add_to_collection(v1.GraphKeys.UPDATE_OPS,
                       [branch_updates.collectable(u) for u in self.updates])
    wiring.register(self.updates)
    return outputs

  def _build_and_call(self, name_scope, inputs, args, kwargs):
    """Checks `inputs`, then in `name_scope` builds the layer if needed,
    runs `call` and adds the activity-regularization losses."""
    inputs = tf.nest.map_structure(_to_tensor, inputs)
    _check_inputs(self.input_spec, inputs, self._name)
    with tf.name_scope(name_scope), _all_cond_intermediates_as_outputs():
      self._maybe_build(inputs)
      self._call_inputs = tf.nest.flatten(inputs)
      try:
        outputs = self._call_fn()(inputs, *args, **kwargs)
      finally:
        self._call_inputs = None
      if outputs is None:
        raise ValueError("A layer's `call` method should return a Tensor "
                         'or a list of Tensors, not None (layer: ' +
                         self.name + ').')
      self._regularize_activity(inputs, outputs)
    return outputs

  def _add_keras_style_weight(self, name, shape, dtype, initializer,
                              regularizer, trainable, constraint,
                              use_resource, caching_device):
    """A plain variable named in the current name scope, as Keras makes
    them (the partitioner, synchronization and aggregation are ignored, as
    there)."""
    initializer = self._weight_initializer(name, dtype, initializer)
    if callable(initializer):
      initial_value = functools.partial(initializer, shape, dtype=dtype)
      variable_dtype = dtype.base_dtype
    else:
      initial_value, variable_dtype = initializer, None
    shape = tf.TensorShape(shape)
    variable = v1.Variable(
        initial_value=initial_value, name=name, trainable=trainable,
        caching_device=caching_device, dtype=variable_dtype,
        constraint=identifiers.constraint(constraint),
        use_resource=True if use_resource is None else use_resource,
        shape=shape if shape else None)
    if regularizer is not None:
      # Keras names the loss after the variable's full name.
      self._add_regularizer_loss(variable.name[:variable.name.find(':')],
                                 variable, regularizer)
    (self._trainable_weights if trainable
     else self._non_trainable_weights).append(variable)
    return variable

  def _maybe_build(self, inputs):
    if self.built:
      return
    flat = tf.nest.flatten(inputs)
    if self._dtype is None and flat:
      self._dtype = flat[0].dtype.base_dtype.name
    shapes = tf.nest.map_structure(lambda x: x.shape, inputs)
    self.build(shapes)
    self.built = True
    if self._initial_weights is not None:
      weights, self._initial_weights = self._initial_weights, None
      self.set_weights(weights)

  def _call_fn(self):
    """`call`, converted by AutoGraph for users' own subclasses (so Python
    control flow on tensors works in it, as in the reference)."""
    if type(self).__module__.startswith('tf_compat_bn.'):
      return self.call
    return tf.__internal__.autograph.tf_convert(
        self.call, tf.__internal__.autograph.control_status_ctx())

  def _regularize_activity(self, inputs, outputs):
    if not self._activity_regularizer:
      return
    with tf.name_scope('ActivityRegularizer'):
      for output in tf.nest.flatten(outputs):
        loss = tf.convert_to_tensor(self._activity_regularizer(output))
        batch = tf.cast(v1.shape(output)[0], loss.dtype)
        self.add_loss(loss / batch, inputs=inputs)

  def apply(self, *args, **kwargs):
    """Same as calling the layer."""
    return self(*args, **kwargs)

  def build(self, input_shape):
    """Creates the layer's variables; marks the layer built."""
    del input_shape
    self.built = True

  def call(self, inputs, **kwargs):  # pylint: disable=unused-argument
    """The layer's computation; the base returns `inputs` unchanged."""
    return inputs


# Keras 2 backends (TF <= 2.15, or tf_keras) whose learning phase the
# reference followed.  Only consulted when the user's program has loaded one
# (TF <= 2.15 loads Keras with TensorFlow); never imported from here.
_KERAS2_BACKENDS = ('keras.src.backend', 'keras.backend',
                    'tf_keras.src.backend')

# graph -> the learning-phase placeholder we made there.
_OUR_PHASES = weakref.WeakKeyDictionary()
# graph -> 0 or 1, fixed by `tf_compat_bn.keras.set_learning_phase` where no
# Keras 2 is loaded (Keras 2 keeps its own).
FIXED_PHASES = weakref.WeakKeyDictionary()


def _loaded_keras2_backend():
  for name in _KERAS2_BACKENDS:
    module = sys.modules.get(name)
    if module is not None and all(
        hasattr(module, a) for a in ('learning_phase',
                                     '_internal_get_learning_phase',
                                     '_internal_set_learning_phase')):
      return module
  return None


def learning_phase():
  """The learning phase `training=None` means, as the reference reads it.

  Where a Keras 2 backend is loaded (TF <= 2.15), that is Keras' own
  `learning_phase()`: the value of `set_learning_phase(...)` if one was set,
  else the graph's `keras_learning_phase` placeholder, shared with Keras
  (ours, if we made it first, is handed to Keras so that both use one).
  Without Keras 2 (TF >= 2.16): the value fixed by
  `tf_compat_bn.keras.set_learning_phase` for the graph, else one bool
  placeholder per graph named `keras_learning_phase`, defaulting to False.
  """
  graph = v1.get_default_graph()
  backend = _loaded_keras2_backend()
  if backend is None and graph in FIXED_PHASES:
    return FIXED_PHASES[graph]
  if backend is not None:
    ours = _OUR_PHASES.get(graph)
    if ours is not None and backend._internal_get_learning_phase(graph) is None:  # pylint: disable=protected-access
      backend._internal_set_learning_phase(graph, ours)  # pylint: disable=protected-access
    return backend.learning_phase()
  try:
    return graph.get_operation_by_name('keras_learning_phase').outputs[0]
  except KeyError:
    pass
  with graph.name_scope(None):
    phase = v1.placeholder_with_default(False, shape=(),
                                        name='keras_learning_phase')
  _OUR_PHASES[graph] = phase
  return phase


def _variable_graph():
  graph = v1.get_default_graph()
  if graph.building_function:
    with tf.init_scope():
      return v1.get_default_graph()
  return graph


def _parameters(fn):
  try:
    return inspect.signature(fn).parameters
  except (TypeError, ValueError):
    return {}


def _to_tensor(x):
  if isinstance(x, (np.ndarray, float, int)):
    return tf.convert_to_tensor(x)
  return x


def _as_loss(loss, unconditional):
  if not tf.is_tensor(loss):
    loss = tf.convert_to_tensor(loss, dtype=tf.float32)
  try:
    loss._tf_compat_bn_unconditional = unconditional  # pylint: disable=protected-access
  except AttributeError:
    pass
  return loss


def _dedup(weights):
  out = []
  for w in weights:
    if not any(w is o for o in out):
      out.append(w)
  return out


def _session(method):
  session = v1.get_default_session()
  if session is None:
    raise ValueError(f'Layer.{method}() in a graph needs a default session: '
                     'call it inside `with tf.compat.v1.Session() as sess:` '
                     '(or `sess.as_default()`).')
  return session


@contextlib.contextmanager
def _all_cond_intermediates_as_outputs():
  """While building a layer, v2 conds output all their intermediates.

  TF does this for every layer it builds (so gradients can reach them), and
  the extra `cond/Identity_<k>` outputs are part of the graphs users saved;
  we do the same.  The previous setting is restored afterwards.
  """
  try:
    from tensorflow.python.ops import control_flow_util_v2  # pylint: disable=g-import-not-at-top
    previous = control_flow_util_v2._EXPERIMENTAL_OUTPUT_ALL_INTERMEDIATES_OVERRIDE  # pylint: disable=protected-access
  except (ImportError, AttributeError):
    previous = None
  v1.experimental.output_all_intermediates(True)
  try:
    yield
  finally:
    v1.experimental.output_all_intermediates(previous)


def weight_trainable(synchronization, trainable):
  """Whether a new weight is trainable (None: yes); an ON_READ weight
  cannot be, as in the reference."""
  if synchronization == tf.VariableSynchronization.ON_READ:
    if trainable:
      raise ValueError(
          'Synchronization value can be set to '
          'VariableSynchronization.ON_READ only for non-trainable '
          'variables. You have specified trainable=True and '
          'synchronization=VariableSynchronization.ON_READ.')
    return False
  return True if trainable is None else trainable


def _add_to_collection(name, elements):
  collection = v1.get_collection_ref(name)
  present = {id(e) for e in collection}
  for element in elements:
    if id(element) not in present:
      collection.append(element)
      present.add(id(element))


def _reachable(inputs, targets):
  """Those of `targets` (ops or tensors) reachable from `inputs`."""
  if not inputs or not targets:
    return []
  wanted = {id(t.op if hasattr(t, 'op') and not isinstance(t, tf.Operation)
               else t) for t in targets}
  seen, found = set(), set()
  frontier = [t.op if hasattr(t, 'op') else t for t in inputs]
  while frontier:
    op = frontier.pop()
    if id(op) in seen:
      continue
    seen.add(id(op))
    if id(op) in wanted:
      found.add(id(op))
    for out in op.outputs:
      frontier.extend(out.consumers())
    frontier.extend(op._control_outputs)  # pylint: disable=protected-access
  return [t for t in targets
          if id(t.op if hasattr(t, 'op') and not isinstance(t, tf.Operation)
                else t) in found]


@contextlib.contextmanager
def keras_style_scope():
  """Layers created inside use Keras-style variable management.

  Such a layer opens no variable scope: its variables are plain
  `tf.compat.v1.Variable`s named after the current name scope (inside a
  call, the layer's name), `scope=` and `reuse=` are refused, calling it
  again never shares by scope (the layer object holds its variables), and
  its updates are not copied into UPDATE_OPS.  This is what TF1 code used to
  make tf.layers layers and RNN cells behave like Keras layers.
  """
  global _KERAS_STYLE
  previous, _KERAS_STYLE = _KERAS_STYLE, True
  try:
    yield
  finally:
    _KERAS_STYLE = previous


def set_keras_style():
  """Every layer created from now on uses Keras-style variable management
  (see `keras_style_scope`); there is no way back, as in the reference."""
  global _KERAS_STYLE
  _KERAS_STYLE = True
