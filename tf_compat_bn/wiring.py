"""Checking that training runs the batch-norm moving-average updates, and
that savers keep the moving statistics.

The most common batch-norm bug in TF1 code: the train op does not depend on
the update ops that batch norm put into UPDATE_OPS (or a custom collection,
or a Keras layer's `updates`), so the moving statistics never move and
inference uses their initial values.  `check_update_ops(train_op)` names the
updates a fetch would not run; `warn_on_session_run()` and
`UpdateOpsCheckHook` run that check when a session runs a training step.

The check reads the graph, so it finds the moving statistics of every batch
norm, whoever built it (tf_compat_bn, tf_slim, tf.compat.v1.layers, a Keras 2
or Keras 3 layer, hand-written `assign_moving_average` code):

* a moving statistic is a non-trainable variable named like one
  (`moving_mean`, `moving_variance`, renorm's `moving_stddev`,
  `renorm_mean`, `renorm_stddev`), or one that a batch-norm computation
  reads as its mean or variance, or one whose updates are computed from
  batch moments, or one that a tf_compat_bn update op writes;
* its update ops are the ops that write it during training (not its
  initializer, not a Saver's restore, not an assign from a constant or a
  placeholder);
* it is reported when it has update ops and the train op reaches none of
  them, or when it has none although the train op normalizes with batch
  statistics in its layer's scope (a fused batch norm in training mode, a
  tf.nn.moments).  One with no update op otherwise belongs to a layer run
  in inference mode (training=False, or a frozen Keras layer) and is not
  reported; nor is one in a layer whose gamma and beta the train op does
  not train (a frozen layer, when the train op trains something else).

The second common bug: `Saver(var_list=tf.trainable_variables())` leaves the
moving statistics out of every checkpoint.  `check_saver(saver_or_var_list)`
names them; the run-time checks warn about every Saver built in the graph
(found from its save ops, so a Saver kept in no collection is seen too).
"""

import contextlib
import dataclasses
import re
import warnings
import weakref

import tensorflow as tf

v1 = tf.compat.v1

# graph -> update ops (tf.Operation) our front ends put into a collection.
_REGISTERED = weakref.WeakKeyDictionary()

FIX = ('Run them with the train op:\n'
       '    update_ops = tf.compat.v1.get_collection('
       'tf.compat.v1.GraphKeys.UPDATE_OPS)\n'
       '    with tf.control_dependencies(update_ops):\n'
       '        train_op = optimizer.minimize(loss)')

VARIABLE_FIX = (
    'Make the train op run them, whichever built the layer:\n'
    '  * a Keras 2 / tf.compat.v1.keras layer keeps them in layer.updates '
    '(model.updates):\n'
    '      with tf.control_dependencies(layer.updates):\n'
    '          train_op = optimizer.minimize(loss)\n'
    '  * tf.compat.v1.layers, tf.contrib / tf_slim and tf_compat_bn put them '
    'into UPDATE_OPS:\n'
    '      with tf.control_dependencies(tf.compat.v1.get_collection('
    'tf.compat.v1.GraphKeys.UPDATE_OPS)):\n'
    '          train_op = optimizer.minimize(loss)\n'
    '  * a Keras 3 layer in a tf.compat.v1 graph keeps them nowhere: build it '
    'with tf_compat_bn.keras.BatchNormalization (updates in layer.updates) '
    'or tf_compat_bn.layers.BatchNormalization (updates in UPDATE_OPS), or '
    'put the update ops named above under tf.control_dependencies.')

SAVER_FIX = (
    'Save them too: tf.compat.v1.train.Saver() saves every global variable; '
    'with a var_list, add the moving statistics, e.g. '
    'var_list=tf.compat.v1.trainable_variables() + [v for v in '
    'tf.compat.v1.global_variables() if v.op.name in missing].')

# Last name component of a moving statistic (before `/part_N` and a `_N`
# uniquifying suffix): contrib/slim, tf.compat.v1.layers, Keras 2 and 3,
# and renorm's extra statistics.
_STAT_NAME = re.compile(
    r'^(moving_mean|moving_variance|moving_var|moving_stddev|renorm_mean|'
    r'renorm_stddev|renorm_mean_weight|renorm_stddev_weight|pop_mean|'
    r'pop_var|population_mean|population_variance)(_\d+)?$')
_PART = re.compile(r'/part_\d+$')

_VARIABLE_TYPES = frozenset(['VarHandleOp', 'VariableV2', 'Variable'])
# Ops passing a variable's handle or ref (or its value) along unchanged.
_PASS_THROUGH = frozenset(
    ['Identity', 'RefIdentity', 'Switch', 'RefSwitch', 'Enter', 'RefEnter',
     'ReadVariableOp', 'Snapshot'])
_VALUE_PASS_THROUGH = _PASS_THROUGH | frozenset(
    ['Cast', 'Reshape', 'Squeeze', 'ExpandDims', 'Merge', 'RefMerge',
     'Exit', 'RefExit', 'StopGradient'])
_WRITE_TYPES = frozenset(
    ['Assign', 'AssignAdd', 'AssignSub', 'AssignVariableOp',
     'AssignAddVariableOp', 'AssignSubVariableOp', 'ScatterUpdate',
     'ScatterAdd', 'ScatterSub', 'ResourceScatterUpdate',
     'ResourceScatterAdd', 'ResourceScatterSub'])
# The arithmetic of a moving-average step (renorm's stddev included).
_MOVING_AVERAGE_MATH = _VALUE_PASS_THROUGH | frozenset(
    ['Mul', 'Sub', 'Add', 'AddV2', 'RealDiv', 'Neg', 'Maximum', 'Minimum',
     'Sqrt', 'Square', 'Relu'])
_APPLY_PREFIXES = ('Apply', 'ResourceApply', 'SparseApply',
                   'ResourceSparseApply')
_FUNCTIONAL = {'If': ('then_branch', 'else_branch'),
               'StatelessIf': ('then_branch', 'else_branch'),
               'Case': ('branches',), 'StatelessCase': ('branches',),
               'While': ('body',), 'StatelessWhile': ('body',),
               'PartitionedCall': ('f',), 'StatefulPartitionedCall': ('f',)}
_FUNCTIONAL_OFFSET = {'If': 1, 'StatelessIf': 1, 'Case': 1,
                      'StatelessCase': 1}
_BATCH_NORM_TYPES = ('FusedBatchNorm', 'FusedBatchNormV2',
                     'FusedBatchNormV3', 'BatchNormWithGlobalNormalization')
# Values that are not a moving-average update when assigned to a variable.
_LOADED_TYPES = frozenset(
    ['RestoreV2', 'Restore', 'RestoreSlice', 'Const', 'Placeholder',
     'PlaceholderWithDefault', 'Fill', 'ZerosLike', 'OnesLike'])
_SAVE_TYPES = ('SaveV2', 'Save', 'SaveSlices')
_SEARCH_DEPTH = 16


def register(updates):
  """Records collected batch-norm update objects (tensors, ops, variables)."""
  for update in updates:
    op = update if isinstance(update, tf.Operation) else update.op
    ops = _REGISTERED.setdefault(op.graph, [])
    if op not in ops:
      ops.append(op)


def registered_update_ops(graph=None):
  """The batch-norm update ops tf_compat_bn collected in `graph`."""
  return list(_REGISTERED.get(graph or v1.get_default_graph(), []))


@dataclasses.dataclass(frozen=True)
class MovingStatistic:
  """A batch-norm moving statistic the checked step does not update.

  `variable` is the variable's name (no `:0`; a partitioned one by its
  full name), `layer` the scope holding it ('' at the top level),
  `update_ops` the names of the ops that would update it.
  """
  variable: str
  layer: str
  update_ops: tuple


class MissingUpdates(list):
  """What `check_update_ops` returns: a list of the names of the update ops
  the step skips, as before (ours first, in the order they were built, then
  those of other batch norms).  `variables` holds one `MovingStatistic` per
  moving-statistic variable none of whose updates the step runs (whoever
  built it), so a caller can name the variable and its layer."""

  def __init__(self, names=(), variables=()):
    super().__init__(names)
    self.variables = tuple(variables)


# --- reading the graph -----------------------------------------------------


def _as_ops(fetches):
  ops = []
  for fetch in tf.nest.flatten(fetches):
    if isinstance(fetch, tf.Operation):
      ops.append(fetch)
    elif hasattr(fetch, 'op'):
      ops.append(fetch.op)
  return ops


def _ancestors(ops):
  """Every op the given ops depend on (data and control inputs)."""
  seen = set()
  stack = list(ops)
  while stack:
    op = stack.pop()
    if op in seen:
      continue
    seen.add(op)
    stack.extend(t.op for t in op.inputs)
    stack.extend(op.control_inputs)
  return seen


def _training_ops(graph):
  """The ops that apply gradients (what a train op ultimately runs)."""
  train = graph.get_collection(v1.GraphKeys.TRAIN_OP)
  if train:
    return _as_ops(train)
  return [op for op in graph.get_operations()
          if op.type.startswith(_APPLY_PREFIXES)]


def _source_variable(tensor):
  """The variable op whose handle, ref or value `tensor` passes on, or
  None."""
  op = tensor.op
  for _ in range(_SEARCH_DEPTH):
    if op.type in _VARIABLE_TYPES:
      return op
    if op.type not in _PASS_THROUGH or not op.inputs:
      return None
    op = op.inputs[0].op
  return None


def _variable_name(op):
  return _PART.sub('', op.name)


def _layer_of(name):
  return name.rsplit('/', 1)[0] if '/' in name else ''


def _is_named_statistic(op):
  return bool(_STAT_NAME.match(_variable_name(op).rsplit('/', 1)[-1]))


def _is_writer(op):
  return op.type in _WRITE_TYPES or op.type.startswith(_APPLY_PREFIXES)


def _get_function(graph, name):
  return graph._get_function(name)  # pylint: disable=protected-access


def _function_defs(op, attr):
  """The FunctionDefs an attribute of a functional op names."""
  try:
    value = op.get_attr(attr)
  except ValueError:
    return []
  names = [f.name for f in (value if isinstance(value, list) else [value])]
  defs = []
  for name in names:
    function = _get_function(op.graph, name)
    if function is not None and hasattr(function, 'definition'):
      defs.append(function.definition)
  return defs


def _node_function_defs(node, graph):
  """The FunctionDefs a functional node of a function body names (its
  branches, body or callee)."""
  defs = []
  for attr in _FUNCTIONAL[node.op]:
    if attr not in node.attr:
      continue
    value = node.attr[attr]
    names = ([f.name for f in value.list.func] if value.list.func
             else [value.func.name])
    for name in names:
      function = _get_function(graph, name)
      if function is not None and hasattr(function, 'definition'):
        defs.append(function.definition)
  return defs


def _written_args(fdef, graph, depth=0):
  """Indices of the arguments of a FunctionDef its body writes to."""
  args = [a.name for a in fdef.signature.input_arg]
  # Follow Identity chains inside the body back to an argument.
  alias = {a: i for i, a in enumerate(args)}
  nodes = {n.name: n for n in fdef.node_def}

  def arg_of(ref):
    for _ in range(_SEARCH_DEPTH):
      name = ref.split(':')[0]
      if name in alias and name not in nodes:
        return alias[name]
      node = nodes.get(name)
      if node is None or node.op not in _PASS_THROUGH or not node.input:
        return None
      ref = node.input[0]
    return None

  live = _live_nodes(fdef, nodes)
  written = set()
  for node in fdef.node_def:
    if node.name not in live:
      continue
    if node.op in _WRITE_TYPES and node.input:
      index = arg_of(node.input[0])
      if index is not None:
        written.add(index)
    elif node.op in _FUNCTIONAL and depth < 4:
      offset = _FUNCTIONAL_OFFSET.get(node.op, 0)
      data = [i for i in node.input if not i.startswith('^')]
      for inner_fdef in _node_function_defs(node, graph):
        for inner in _written_args(inner_fdef, graph, depth + 1):
          if offset + inner < len(data):
            index = arg_of(data[offset + inner])
            if index is not None:
              written.add(index)
  return written


def _live_nodes(fdef, nodes):
  """Names of the body nodes a call runs: those its outputs or control
  outputs depend on.  The rest is pruned: e.g. an update op made in a TF2
  cond branch of a v1 graph (no automatic control dependencies) never runs
  unless something in the branch depends on it."""
  stack = [ref.split(':')[0] for ref in fdef.ret.values()]
  stack += list(fdef.control_ret.values())
  live = set()
  while stack:
    name = stack.pop().lstrip('^').split(':')[0]
    if name in live or name not in nodes:
      continue
    live.add(name)
    stack.extend(nodes[name].input)
  return live


def _functional_writes(op):
  """The variable ops a functional op (cond, while, call) writes in its
  body."""
  offset = _FUNCTIONAL_OFFSET.get(op.type, 0)
  written = set()
  for attr in _FUNCTIONAL[op.type]:
    for fdef in _function_defs(op, attr):
      written |= _written_args(fdef, op.graph)
  variables = []
  for index in sorted(written):
    if offset + index < len(op.inputs):
      variable = _source_variable(op.inputs[offset + index])
      if variable is not None:
        variables.append(variable)
  return variables


def _value_sources(tensor, stop_types):
  """Whether `tensor` traces back (through ops that pass values along) only
  to ops of `stop_types`."""
  op = tensor.op
  for _ in range(_SEARCH_DEPTH):
    if op.type in stop_types:
      return True
    if op.type not in _VALUE_PASS_THROUGH or not op.inputs:
      return False
    op = op.inputs[0].op
  return False


def _is_batch_moment(tensor):
  """A batch mean or variance: a fused batch norm's batch statistics, a
  tf.nn.moments / sufficient_statistics result, or a per-channel Mean."""
  op = tensor.op
  if op.type in _BATCH_NORM_TYPES:
    return tensor.value_index in (1, 2)
  if op.type == 'SquaredDifference' or re.search(
      r'(^|/)(moments|sufficient_statistics)(_\d+)?/', op.name):
    return True
  if op.type == 'Mean':
    rank = tensor.shape.rank
    return rank is not None and rank >= 1   # a loss is a scalar
  return False


def _from_batch_moments(tensor):
  """Whether `tensor` is a moving-average step towards batch moments: a
  few arithmetic ops away from one (so that an average of a loss or of the
  weights is not taken for a moving statistic)."""
  seen = set()
  stack = [(tensor, 0)]
  while stack:
    tensor, depth = stack.pop()
    if tensor in seen or depth > 8:
      continue
    seen.add(tensor)
    if _is_batch_moment(tensor):
      return True
    if tensor.op.type in _MOVING_AVERAGE_MATH:
      stack.extend((t, depth + 1) for t in tensor.op.inputs)
  return False


def _read_by_batch_norm(variable):
  """Whether a batch-norm computation reads `variable` as its mean or
  variance: a fused batch norm's mean/variance input, the `rsqrt(variance
  + epsilon)` of tf.nn.batch_normalization or its `mean * inv`."""
  stack = [(t, 0) for t in variable.outputs]
  seen = set()
  while stack:
    tensor, depth = stack.pop()
    if tensor in seen or depth > 8:
      continue
    seen.add(tensor)
    for consumer in tensor.consumers():
      if consumer.type in _BATCH_NORM_TYPES:
        position = list(consumer.inputs).index(tensor)
        normal = ((1, 2) if consumer.type ==
                  'BatchNormWithGlobalNormalization' else (3, 4))
        if position in normal:
          return True
      elif consumer.type in ('Add', 'AddV2'):
        if any(c.type == 'Rsqrt' for c in consumer.outputs[0].consumers()):
          return True
      elif consumer.type == 'Mul':
        others = [t.op for t in consumer.inputs if t is not tensor]
        near = others + [t.op for o in others for t in o.inputs]
        if any(o.type == 'Rsqrt' for o in near):
          return True
      elif consumer.type in _VALUE_PASS_THROUGH:
        stack.extend((t, depth + 1) for t in consumer.outputs)
  return False


@dataclasses.dataclass(frozen=True)
class _Statistic:
  """A moving statistic found in the graph and the ops updating it."""
  variable: tf.Operation
  name: str
  layer: str
  update_ops: tuple


def _trainable_ops(graph):
  ops = set()
  for variable in graph.get_collection(v1.GraphKeys.TRAINABLE_VARIABLES):
    parts = getattr(variable, '_get_variable_list', None)
    if callable(parts):   # a PartitionedVariable
      ops.update(p.op for p in parts())
    elif hasattr(variable, 'op'):
      ops.add(variable.op)
  return ops


def _initializer_ops(graph):
  ops = set()
  for key in (v1.GraphKeys.GLOBAL_VARIABLES, v1.GraphKeys.LOCAL_VARIABLES):
    for variable in graph.get_collection(key):
      initializer = getattr(variable, 'initializer', None)
      if isinstance(initializer, tf.Operation):
        ops.add(initializer)
  return ops


def _writers(graph):
  """variable op -> the ops that write it: update-like writes only (no
  initializer, restore, or load from a constant/placeholder), and the
  functional ops (conds, loops, calls) whose body writes it."""
  initializers = _initializer_ops(graph)
  writers = {}
  for op in graph.get_operations():
    if op.type in _FUNCTIONAL:
      for variable in _functional_writes(op):
        writers.setdefault(variable, []).append(op)
      continue
    if not _is_writer(op) or not op.inputs or op in initializers:
      continue
    variable = _source_variable(op.inputs[0])
    if variable is None:
      continue
    if op.name == variable.name + '/Assign' and op.type in (
        'Assign', 'AssignVariableOp'):
      continue  # the initializer of a variable kept in no collection
    if (op.type in _WRITE_TYPES and len(op.inputs) > 1
        and _value_sources(op.inputs[1], _LOADED_TYPES)):
      continue
    writers.setdefault(variable, []).append(op)
  return writers


def moving_statistics(graph=None):
  """The batch-norm moving statistics of `graph` (see the module doc),
  each with the ops that update it."""
  graph = graph or v1.get_default_graph()
  writers = _writers(graph)
  trainable = _trainable_ops(graph)
  registered = set(registered_update_ops(graph))
  found = []
  for op in graph.get_operations():
    if op.type not in _VARIABLE_TYPES or op in trainable:
      continue
    name = _variable_name(op)
    if name.endswith(('/biased', '/local_step')):
      continue  # zero-debias helpers of a moving mean
    updates = writers.get(op, [])
    if not (_is_named_statistic(op)
            or any(u in registered for u in updates)
            or _read_by_batch_norm(op)
            or any(_from_batch_moments(u.inputs[1]) for u in updates
                   if u.type in _WRITE_TYPES and len(u.inputs) > 1)):
      continue
    found.append(_Statistic(op, op.name, _layer_of(name), tuple(updates)))
  return found


# --- the update check ------------------------------------------------------


def _written_variables(ops):
  variables = set()
  for op in ops:
    if op.type in _FUNCTIONAL:
      variables.update(_functional_writes(op))
    elif _is_writer(op) and op.inputs:
      variable = _source_variable(op.inputs[0])
      if variable is not None:
        variables.add(variable)
  return variables


def _layer_params(graph):
  """layer scope -> its gamma/beta variable ops."""
  params = {}
  for op in graph.get_operations():
    if op.type not in _VARIABLE_TYPES:
      continue
    name = _variable_name(op)
    if re.search(r'(^|/)(gamma|beta)(_\d+)?$', name):
      params.setdefault(_layer_of(name), []).append(op)
  return params


def _batch_statistics_scope(op_type, name, is_training):
  """The layer scope an op (or body node) normalizes with batch statistics
  in: a fused batch norm in training mode (`is_training()`), or the mean of
  a tf.nn.moments of the layer's own; else None."""
  if op_type in _BATCH_NORM_TYPES[:3]:
    return _layer_of(name) if is_training() else None
  if op_type == 'Mean' and re.search(r'(^|/)moments(_\d+)?/mean$', name):
    return _layer_of(_layer_of(name))
  return None


def _normalizing_with_batch_statistics(reached):
  """The scopes in which a step normalizes with batch statistics: a fused
  batch norm in training mode, or a tf.nn.moments of the layer's own."""
  scopes = set()
  for op in reached:
    if op.type in _FUNCTIONAL:
      scopes |= _body_batch_statistics(op)
      continue

    def training(op=op):
      try:
        return op.get_attr('is_training')
      except ValueError:
        return False
    scopes.add(_batch_statistics_scope(op.type, op.name, training))
  scopes.discard(None)
  return scopes


def _body_batch_statistics(op):
  """As `_normalizing_with_batch_statistics`, for the nodes a functional
  op (cond, loop, call) runs in its bodies (names are relative to the body,
  as the layer scopes of the variables it uses)."""
  scopes = set()
  pending = [(fdef, 0) for attr in _FUNCTIONAL[op.type]
             for fdef in _function_defs(op, attr)]
  while pending:
    fdef, depth = pending.pop()
    nodes = {n.name: n for n in fdef.node_def}
    for name in _live_nodes(fdef, nodes):
      node = nodes[name]
      if node.op in _FUNCTIONAL:
        if depth < 4:
          pending.extend((inner, depth + 1)
                         for inner in _node_function_defs(node, op.graph))
        continue
      scopes.add(_batch_statistics_scope(
          node.op, name, lambda node=node: node.attr['is_training'].b))
  scopes.discard(None)
  return scopes


def _missing_in(reached, statistics, registered, params):
  """(registered update ops, statistics) a step reaching `reached` skips.

  A layer whose gamma and beta exist and are not trained by the step is
  taken for frozen, when the step trains something at all.  A statistic
  with no update op is skipped only where the step normalizes with batch
  statistics in its layer's scope (else the layer runs in inference mode).
  """
  stat_ops = {s.variable for s in statistics}
  written = _written_variables(reached)
  trains = bool(written - stat_ops) or any(
      op.type.startswith(_APPLY_PREFIXES) for op in reached)

  def frozen(variable_name):
    layer_params = params.get(_layer_of(variable_name))
    return (trains and bool(layer_params)
            and not any(p in written for p in layer_params))

  skipped = []
  batch_normalized = None
  for statistic in statistics:
    if not statistic.update_ops:
      if batch_normalized is None:
        batch_normalized = _normalizing_with_batch_statistics(reached)
      if (statistic.layer not in batch_normalized
          or frozen(_variable_name(statistic.variable))):
        continue  # inference mode / frozen layer: nothing to run
      skipped.append(statistic)
      continue
    if any(u in reached for u in statistic.update_ops):
      continue
    if frozen(_variable_name(statistic.variable)):
      continue
    skipped.append(statistic)
  frozen_ops = {u for s in statistics if frozen(_variable_name(s.variable))
                for u in s.update_ops}
  # An update of a statistic the step updates anyway (another tower's
  # update of a shared variable) is not missing.
  updated = {s.variable for s in statistics
             if any(u in reached for u in s.update_ops)}
  ops = [u for u in registered
         if u not in reached and u not in frozen_ops
         and not (_written_variables([u]) and
                  _written_variables([u]) <= updated)]
  return ops, skipped


def missing_update_ops(fetches=None, graph=None, only_training=False):
  """The batch-norm updates that running `fetches` would skip.

  Returns a `MissingUpdates`: the names of the update ops not run (those
  tf_compat_bn registered first, then those of other batch norms found in
  the graph; for a moving statistic that nothing in the graph updates
  although its layer normalizes with batch statistics in the step, the
  name of its variable), with `.variables` naming the moving statistics
  none of whose updates run.  With no `fetches`, the graph's training ops
  (its TRAIN_OP collection, else every op applying gradients) are checked:
  an update any of them skips is reported; a graph with no training op
  reports nothing.
  With `only_training`, fetches that apply no gradient are not expected to
  run updates and report nothing (used by the run-time checks, so that
  evaluation runs are not flagged).  Training ops built inside a v2
  `tf.cond`/`tf.while_loop` body are not visible from the outer graph;
  pass such a train op explicitly.
  """
  fetch_ops = _as_ops(fetches) if fetches is not None else None
  if graph is None:
    graph = fetch_ops[0].graph if fetch_ops else v1.get_default_graph()
  registered = registered_update_ops(graph)
  statistics = moving_statistics(graph)
  if not registered and not statistics:
    return MissingUpdates()
  if fetch_ops is None:
    targets = [[op] for op in _training_ops(graph)]
  elif only_training:
    ancestors = _ancestors(fetch_ops)
    trains = any(op in ancestors for op in _training_ops(graph))
    targets = [fetch_ops] if trains else []
  else:
    targets = [fetch_ops]
  params = _layer_params(graph)
  names, skipped = [], {}
  for target in targets:
    reached = _ancestors(target)
    ops, statistics_skipped = _missing_in(reached, statistics, registered,
                                          params)
    names.extend(u.name for u in ops if u.name not in names)
    for statistic in statistics_skipped:
      skipped.setdefault(statistic.name, statistic)
  covered = _ancestors(registered) if skipped else set()
  for statistic in skipped.values():
    if not statistic.update_ops:   # nothing updates it: name the variable
      names.append(statistic.name)
    elif not any(u in covered for u in statistic.update_ops):
      names.extend(u.name for u in statistic.update_ops
                   if u.name not in names)
  return MissingUpdates(names, [
      MovingStatistic(s.name, s.layer, tuple(u.name for u in s.update_ops))
      for s in skipped.values()])


def _named(statistics):
  return ', '.join(f"'{s.variable}' (layer '{s.layer or '<top level>'}')"
                   for s in statistics)


def message(missing):
  """The warning for a `missing_update_ops` result (or a list of names)."""
  statistics = getattr(missing, 'variables', ())
  absent = [s for s in statistics if not s.update_ops]
  ops = [n for n in missing if n not in {s.variable for s in absent}]
  sentences = []
  if ops:
    sentences.append(f'The training step does not run {len(ops)} '
                     f'batch-norm update op(s): {", ".join(ops)}.')
  if absent:
    sentences.append(
        'The training step normalizes with batch statistics, but nothing in '
        f'the graph updates {_named(absent)}: build their moving-average '
        'updates (tf.compat.v1.train.ExponentialMovingAverage, or a batch '
        'norm of tf_compat_bn) and run them with the train op.')
  if len(absent) < len(statistics):
    named = _named([s for s in statistics if s.update_ops])
    sentences.append(f'These moving statistics are never updated: {named}.')
  sentences.append('The moving mean and variance will not change in '
                   'training, and inference will use their initial values.')
  text = 'tf_compat_bn: ' + ' '.join(sentences)
  text = text.replace('tf_compat_bn: The', 'tf_compat_bn: the', 1)
  registered = set()
  for graph_ops in list(_REGISTERED.values()):
    registered.update(op.name for op in graph_ops)
  if all(name in registered for name in missing):
    return f'{text} {FIX}'
  return f'{text} {VARIABLE_FIX}'


def check_update_ops(fetches=None, graph=None, warn=False):
  """Checks that training runs the batch-norm updates; see module doc.

  Returns the names of the update ops not run (empty when all are), as a
  list whose `variables` attribute names the moving statistics concerned
  (`MovingStatistic`: variable, layer, update ops).  With `warn=True` a
  non-empty result is also issued as a UserWarning, and so is every Saver
  of the graph that would not save a moving statistic.
  """
  missing = missing_update_ops(fetches, graph)
  if missing and warn:
    warnings.warn(message(missing), UserWarning, stacklevel=2)
  if warn:
    fetch_ops = _as_ops(fetches) if fetches is not None else []
    graph = graph or _graph_of(fetch_ops, None)
    for text in _saver_messages(graph, set()):
      warnings.warn(text, UserWarning, stacklevel=2)
  return missing


# --- savers ----------------------------------------------------------------


def _saved_variables(save_ops):
  saved = set()
  for op in save_ops:
    first = 3 if op.type == 'SaveV2' else 2
    for tensor in op.inputs[first:]:
      variable = _source_variable(tensor)
      if variable is not None:
        saved.add(variable)
  return saved


def _graph_savers(graph):
  """name scope -> the save ops of each saver built in `graph`."""
  savers = {}
  for op in graph.get_operations():
    if op.type in _SAVE_TYPES:
      savers.setdefault(_layer_of(op.name), []).append(op)
  return savers


def _unsaved(statistics, saved):
  return [s.name for s in statistics if s.variable not in saved]


def saver_message(saver_name, missing):
  return (f'tf_compat_bn: the Saver {saver_name} does not save '
          f'{len(missing)} batch-norm moving statistic(s): '
          f'{", ".join(missing)}. Checkpoints it writes lack them, and a '
          'model restored from them runs inference with their initial '
          f'values. {SAVER_FIX}')


def _saver_messages(graph, warned):
  statistics = moving_statistics(graph)
  if not statistics:
    return []
  texts = []
  for scope, save_ops in sorted(_graph_savers(graph).items()):
    key = (graph, scope, tuple(op.name for op in save_ops))
    if key in warned:
      continue
    warned.add(key)
    missing = _unsaved(statistics, _saved_variables(save_ops))
    if missing:
      texts.append(saver_message(f"built in scope '{scope}'", missing))
  return texts


_VAR_LIST_HELP = ('check_saver takes a tf.compat.v1.train.Saver or what its '
                  'var_list takes: a list/tuple of variables, partitioned '
                  'variables and saveable objects, a dict of names to them '
                  '(or to lists of variable slices), or None (every global '
                  'variable)')


def _var_list_ops(value, where='var_list'):
  """The variable ops a var_list (element) names."""
  if isinstance(value, dict):
    ops = []
    for key, item in value.items():
      if not isinstance(key, str):
        raise TypeError(f'{_VAR_LIST_HELP}; a dict key must be a str, got '
                        f'{type(key).__name__} ({key!r}).')
      ops.extend(_var_list_ops(item, f'{where}[{key!r}]'))
    return ops
  if isinstance(value, (list, tuple, set, frozenset)):
    ops = []
    for i, item in enumerate(value):
      ops.extend(_var_list_ops(item, f'{where}[{i}]'))
    return ops
  if isinstance(value, tf.Variable):
    op = _source_variable(value.op.outputs[0]) if value.op.outputs else None
    return [op or value.op]
  partitions = getattr(value, '_get_variable_list', None)
  if callable(partitions):   # a PartitionedVariable
    return [p.op for p in partitions()]
  if isinstance(value, tf.Tensor):
    op = _source_variable(value)
    return [op] if op is not None else []
  if hasattr(value, 'specs') and hasattr(value, 'name'):   # SaveableObject
    inner = getattr(value, 'op', None)
    if inner is not None and inner is not value:
      try:
        return _var_list_ops(inner, where)
      except TypeError:
        pass
    ops = []
    for spec in value.specs:
      tensor = spec.tensor() if callable(spec.tensor) else spec.tensor
      if isinstance(tensor, tf.Tensor):
        op = _source_variable(tensor)
        if op is not None:
          ops.append(op)
    return ops
  raise TypeError(f'{_VAR_LIST_HELP}; {where} is a {type(value).__name__} '
                  f'({value!r}).')


def _graph_of(ops, graph):
  if graph is not None:
    return graph
  return ops[0].graph if ops else v1.get_default_graph()


def check_saver(saver_or_var_list, graph=None, warn=False):
  """Names the batch-norm moving statistics a Saver would not save.

  `saver_or_var_list` is a `tf.compat.v1.train.Saver` or what its
  `var_list` takes (a list, tuple or dict of variables, partitioned
  variables or saveable objects; None for every global variable).  A built
  Saver is read from its save ops (what it really writes).  The moving
  statistics are those of every batch norm in the graph (`graph`, else the
  variables' graph, else the default graph), whoever built it.  Returns
  their names (`scope/moving_mean`, ...; empty when all are saved); with
  `warn=True` a non-empty result is also issued as a UserWarning naming the
  fix.
  """
  if isinstance(saver_or_var_list, v1.train.Saver):
    saver = saver_or_var_list
    var_list = saver._var_list  # pylint: disable=protected-access
    try:
      ops = _var_list_ops(var_list) if var_list is not None else []
    except TypeError:
      ops = []
    graph = _graph_of(ops, graph)
    saved = None
    saver_def = saver.saver_def
    if saver_def is not None and saver_def.save_tensor_name:
      try:
        save_tensor = graph.as_graph_element(saver_def.save_tensor_name)
      except (KeyError, ValueError):
        save_tensor = None
      if save_tensor is not None:
        save_ops = [op for op in _ancestors([save_tensor.op])
                    if op.type in _SAVE_TYPES]
        saved = _saved_variables(save_ops)
    if saved is None:
      if var_list is None:
        saved = set(_var_list_ops(
            graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)))
      else:
        saved = set(ops)
    name = 'given'
  elif saver_or_var_list is None:
    graph = graph or v1.get_default_graph()
    saved = set(_var_list_ops(
        graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)))
    name = 'var_list=None'
  elif isinstance(saver_or_var_list, (str, bytes, int, float)):
    raise TypeError(f'{_VAR_LIST_HELP}; got a '
                    f'{type(saver_or_var_list).__name__} '
                    f'({saver_or_var_list!r}).')
  else:
    ops = _var_list_ops(saver_or_var_list)
    graph = _graph_of(ops, graph)
    saved = set(ops)
    name = 'given'
  missing = _unsaved(moving_statistics(graph), saved)
  if missing and warn:
    warnings.warn(saver_message(f'({name})', missing), UserWarning,
                  stacklevel=2)
  return missing


# --- run-time checks -------------------------------------------------------


class UpdateOpsCheckHook(v1.train.SessionRunHook):
  """A SessionRunHook warning (once per fetch) about skipped updates, and
  (once per Saver) about Savers leaving moving statistics out."""

  def __init__(self):
    self._checked = set()

  def before_run(self, run_context):
    _check_once(run_context.original_args.fetches, self._checked)
    return None


def _check_once(fetches, checked):
  ops = _as_ops(fetches)
  if not ops:
    return
  key = (ops[0].graph, tuple(op.name for op in ops))
  if key in checked:
    return
  checked.add(key)
  missing = missing_update_ops(ops, only_training=True)
  if missing:
    warnings.warn(message(missing), UserWarning, stacklevel=4)
  for text in _saver_messages(ops[0].graph, checked):
    warnings.warn(text, UserWarning, stacklevel=4)


@contextlib.contextmanager
def warn_on_session_run():
  """Within the block, every Session.run of a training step is checked
  (once per distinct fetch) and skipped updates are warned about; so is
  (once) every Saver of the graph that leaves moving statistics out."""
  session_class = v1.Session
  own = 'run' in session_class.__dict__
  original = session_class.run
  checked = set()

  def run(self, fetches, *args, **kwargs):
    _check_once(fetches, checked)
    return original(self, fetches, *args, **kwargs)

  session_class.run = run
  try:
    yield
  finally:
    if own:
      session_class.run = original
    else:
      del session_class.run
