"""A minimal tf.layers-style Layer base, with no Keras.

It gives a layer the surface that TF1 graph-mode code touches: the variable
scope chosen at the first call (uniquified `batch_normalization`,
`batch_normalization_1`, ..., or `name=`), `reuse` and enclosing reuse,
calling one layer object several times (shared variables, separate update
ops), update ops copied into UPDATE_OPS after every call, regularization
losses, and the weight lists.

Subclasses implement `build(input_shape)` (creating variables with
`add_weight`) and `call(inputs, training=...)` (recording update ops with
`add_update`).
"""

import contextlib
import re
import weakref

import tensorflow as tf

from tf_compat_bn import variables
from tf_compat_bn import wiring

v1 = tf.compat.v1

# Per-graph counters behind default layer names (`batch_normalization_1`...).
_NAME_UIDS = weakref.WeakKeyDictionary()

# Keyword arguments the legacy base layer accepts and that mean nothing here.
_IGNORED_KWARGS = ('input_dim', 'input_shape', 'batch_input_shape',
                   'batch_size', 'weights', 'activity_regularizer',
                   'autocast', 'implementation')


def _snake_case(name):
  s = re.sub(r'(.)([A-Z][a-z0-9]+)', r'\1_\2', name)
  return re.sub(r'([a-z])([A-Z])', r'\1_\2', s).lower()


def _unique_layer_name(base_name):
  counters = _NAME_UIDS.setdefault(v1.get_default_graph(), {})
  counters[base_name] = counters.get(base_name, 0) + 1
  return f'{base_name}_{counters[base_name]}'


class InputSpec:
  """The rank and per-axis sizes a built layer accepts."""

  def __init__(self, ndim=None, axes=None):
    self.ndim = ndim
    self.axes = dict(axes or {})

  def __repr__(self):
    return f'InputSpec(ndim={self.ndim}, axes={self.axes})'

  def check(self, x, layer_name):
    """Raises ValueError when `x` does not fit (unknown rank always fits)."""
    shape = x.shape
    if shape.rank is None:
      return
    dims = shape.as_list()
    prefix = f'Input 0 of layer "{layer_name}" is incompatible with the layer'
    if self.ndim is not None and shape.rank != self.ndim:
      raise ValueError(f'{prefix}: expected ndim={self.ndim}, found '
                       f'ndim={shape.rank}. Full shape received: '
                       f'{tuple(dims)}')
    for axis, size in self.axes.items():
      if size is not None and dims[axis] not in (size, None):
        raise ValueError(f'{prefix}: expected axis {axis} of input shape to '
                         f'have value {size}, but received input with shape '
                         f'{tuple(dims)}')


class Layer:
  """Base of tf.layers-style layers (graph mode only).

  Args:
    trainable: whether the layer's weights are trainable and its updates are
      reported (`updates` is empty for a non-trainable layer).
    name: the layer's name and the base of its variable scope's name.
    dtype: the dtype of the layer's computation; by default the first
      input's.
  """

  def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
    scope = kwargs.pop('_scope', None)
    self._reuse = kwargs.pop('_reuse', None)
    for key in kwargs:
      if key not in _IGNORED_KWARGS:
        raise TypeError('Keyword argument not understood:', key)
    self.trainable = trainable
    self.built = False
    self.input_spec = None
    self._dtype = None if dtype is None else tf.as_dtype(dtype).name
    base_name = _snake_case(type(self).__name__)
    if isinstance(name, v1.VariableScope):
      self._name, self._base_name = _unique_layer_name(base_name), name.name
    elif name:
      self._name, self._base_name = name, name
    else:
      self._name, self._base_name = _unique_layer_name(base_name), base_name
    self._trainable_weights = []
    self._non_trainable_weights = []
    self._updates = []
    self._callable_losses = []
    self._current_scope = None
    self._scope = None
    if scope:
      with v1.variable_scope(scope) as captured:
        self._scope = captured

  # ---- naming -------------------------------------------------------------
  @property
  def name(self):
    return self._name

  @property
  def dtype(self):
    return self._dtype

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
                 synchronization=tf.VariableSynchronization.AUTO,
                 aggregation=tf.VariableAggregation.NONE, partitioner=None):
    """Creates (or, when reusing, gets) variable `name` in the layer scope."""
    if synchronization == tf.VariableSynchronization.ON_READ:
      if trainable:
        raise ValueError(
            'Synchronization value can be set to '
            'VariableSynchronization.ON_READ only for non-trainable '
            'variables. You have specified trainable=True and '
            'synchronization=VariableSynchronization.ON_READ.')
      trainable = False
    elif trainable is None:
      trainable = True
    trainable = bool(trainable and self.trainable)
    # New variables are appended to GLOBAL_VARIABLES: remembering its length
    # tells a creation from a reuse without scanning every variable.
    globals_ref = v1.get_collection_ref(v1.GraphKeys.GLOBAL_VARIABLES)
    known = len(globals_ref)
    self._set_scope(None)
    with self._own_scope(reuse=self.built or self._reuse) as scope:
      variable = v1.get_variable(
          name, shape=shape, dtype=tf.as_dtype(dtype or self.dtype or
                                               tf.float32),
          initializer=initializer if initializer is not None
          else scope.initializer,
          trainable=trainable, constraint=constraint,
          partitioner=partitioner, synchronization=synchronization,
          aggregation=aggregation)
      created = globals_ref[known:]
      parts = variables.parts_of(variable)
      if regularizer and all(any(p is c for c in created) for p in parts):
        for part in parts:
          self._add_regularizer_loss(name, part, regularizer)
    if trainable:
      self._trainable_weights.append(variable)
    else:
      self._non_trainable_weights.append(variable)
    return variable

  def _own_scope(self, reuse):
    """The layer's variable and name scope, entered only when not active.

    Inside `build` (called from `__call__`) they are active already, and
    re-entering them for every variable is most of a layer's Python cost.
    A changed partitioner (cleared for the moving statistics) needs the
    re-entry, as the active scope holds a copy of the old one.
    """
    active = v1.get_variable_scope()
    if (active is self._current_scope and
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
    self._callable_losses.append(loss)
    tensor = loss()
    if tensor is not None:
      _add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES, [tensor])

  @property
  def trainable_weights(self):
    return list(self._trainable_weights) if self.trainable else []

  @property
  def non_trainable_weights(self):
    if self.trainable:
      return list(self._non_trainable_weights)
    return self._trainable_weights + self._non_trainable_weights

  @property
  def weights(self):
    return self.trainable_weights + self.non_trainable_weights

  variables = weights
  trainable_variables = trainable_weights
  non_trainable_variables = non_trainable_weights

  # ---- updates and losses -------------------------------------------------
  def add_update(self, update):
    """Records an update (an op, a tensor, or a callable building one)."""
    if callable(update):
      update = update()
    if not isinstance(update, tf.Operation):
      update = update.op
    self._updates.append(update)

  @property
  def updates(self):
    return list(self._updates) if self.trainable else []

  def get_updates_for(self, inputs):
    """The updates that depend on `inputs` (None: those that depend on none,
    which for batch normalization is always an empty list)."""
    if inputs is None:
      return []
    return _reachable(tf.nest.flatten(inputs), self.updates)

  @property
  def losses(self):
    """The regularization losses, computed afresh on each access."""
    return [t for t in (loss() for loss in self._callable_losses)
            if t is not None]

  def get_losses_for(self, inputs):
    """Regularization losses depend on no input: all for None, else none."""
    return self.losses if inputs is None else []

  # ---- calling ------------------------------------------------------------
  def __call__(self, inputs, *args, **kwargs):
    scope = kwargs.pop('scope', None)
    self._set_scope(scope)
    reuse = True if self.built else self._reuse
    with v1.variable_scope(self._scope, reuse=reuse,
                           auxiliary_name_scope=False) as vscope:
      self._current_scope = vscope
      if not tf.is_tensor(inputs):
        inputs = tf.convert_to_tensor(inputs)
      if self.input_spec is not None:
        self.input_spec.check(inputs, self._name)
      with tf.name_scope(vscope.original_name_scope), \
          _all_cond_intermediates_as_outputs():
        if not self.built:
          if self._dtype is None:
            self._dtype = inputs.dtype.base_dtype.name
          self.build(inputs.shape)
          self.built = True
        outputs = self.call(inputs, *args, **kwargs)
    _add_to_collection(v1.GraphKeys.UPDATE_OPS, self.updates)
    wiring.register(self.updates)
    return outputs

  def apply(self, *args, **kwargs):
    return self(*args, **kwargs)

  def build(self, input_shape):
    del input_shape

  def call(self, inputs, **kwargs):
    raise NotImplementedError


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


def _add_to_collection(name, elements):
  collection = v1.get_collection_ref(name)
  present = {id(e) for e in collection}
  for element in elements:
    if id(element) not in present:
      collection.append(element)
      present.add(id(element))


def _reachable(inputs, targets):
  """Those of `targets` (ops) reachable from the ops consuming `inputs`."""
  wanted = set(targets)
  seen, found = set(), set()
  frontier = [t.op if hasattr(t, 'op') else t for t in inputs]
  while frontier:
    op = frontier.pop()
    if op in seen:
      continue
    seen.add(op)
    if op in wanted:
      found.add(op)
    for out in op.outputs:
      frontier.extend(out.consumers())
    frontier.extend(op._control_outputs)  # pylint: disable=protected-access
  return [t for t in targets if t in found]
