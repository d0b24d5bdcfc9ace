"""Batch-norm updates collected inside a TF2 `tf.cond` branch of a v1 graph.

TF1 code often calls batch norm inside `tf.cond` (say, one branch per
training mode) and later runs the collected updates with the train op:

    y = tf.cond(pred, lambda: tf.layers.batch_normalization(x, training=True),
                lambda: ...)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
      train_op = optimizer.minimize(loss)

With TF 1.x control flow the update ops lived in the outer graph and this
ran: the moving statistics moved when the train op ran with the branch
taken.  With TF2 control flow (the default in `tf.compat.v1` graphs since
TF 2.0, unless `disable_v2_behavior()` / `disable_control_flow_v2()`), the
branch is a function graph, the updates are ops of that function, and
`control_dependencies` outside fails with "... is not an element of this
graph" (TF 2.12's own layers fail the same way).

A `BranchUpdate` is what our front ends put into the collection instead of
such an op.  Used inside the branch it is the update op itself, exactly as
before.  Used from the outer graph (`control_dependencies`, `tf.group`,
`Session.run`), it is an op there that applies the same update.  The branch
hands the update's value over in a one-element TensorArray made per step
in the outer graph (written by the branch, as one of its control outputs;
read after the cond has run, zeros when the branch was not taken), so:
the statistics move only when the branch is taken and the fetch depends on
the update, as in TF 1.15; the forward pass is not computed twice;
evaluating the branch without the train op leaves the statistics alone;
and nothing built before changes, so a session that already ran the graph
keeps running it.

An update whose value comes from another assign in the branch (renorm's
moving variance, computed from the moving stddev's update) makes that
other assign run whenever the branch runs, not only with the train op.

One difference from TF 1.15 stays, on purpose: there, a train op that
depended on updates of a branch *not* taken was itself skipped (a dead
control input), so a training step with the predicate false silently
changed nothing; here the step trains and only the statistics stay.

Updates made in a cond nested in another cond run only from inside their
own branch (used from outside, they raise a ValueError saying so rather
than never running).  Updates made in a `tf.while_loop` body cannot run
from outside the loop (TF 1.15 failed at run time, "inputs from different
frames"); used there they raise a ValueError saying so.  Branches inside a
`tf.function` (automatic control dependencies run their updates) are left
alone.
"""

import weakref

import tensorflow as tf

v1 = tf.compat.v1


# The update op types we can apply from outside, and the raw op doing it.
_APPLY = {
    'AssignSubVariableOp': tf.raw_ops.AssignSubVariableOp,
    'AssignAddVariableOp': tf.raw_ops.AssignAddVariableOp,
    'AssignVariableOp': tf.raw_ops.AssignVariableOp,
}
# Where the per-step hand-over TensorArrays live in the outer graph.
_STAGING_SCOPE = 'tf_compat_bn_branch_updates/'

# branch graph -> [BranchUpdate] made there, in order.
_MADE = weakref.WeakKeyDictionary()


def _op_of(update):
  return update if isinstance(update, tf.Operation) else update.op


def _kind(graph):
  """'cond', 'while' or None for the graph an update op was made in."""
  if getattr(graph, '_add_control_dependencies', False):
    return None  # inside tf.function: its updates run by themselves
  name = type(graph).__name__
  if name == 'CondBranchFuncGraph':
    return 'cond'
  if name in ('WhileBodyFuncGraph', 'WhileCondFuncGraph'):
    return 'while'
  return None


def _chain(graph):
  """graph, the graph enclosing it, and so on up to the v1 graph."""
  chain = [graph]
  while getattr(chain[-1], 'outer_graph', None) is not None:
    chain.append(chain[-1].outer_graph)
  return chain


def collectable(update):
  """What to put in a collection for a batch-norm `update` (an op, tensor
  or unread variable): the update itself, or its `BranchUpdate` when it was
  made inside a TF2 cond/while body of a v1 graph."""
  if isinstance(update, BranchUpdate):
    return update
  op = _op_of(update)
  kind = _kind(op.graph)
  if kind is None:
    return update
  made = _MADE.setdefault(op.graph, [])
  for proxy in made:
    if proxy._op is op:  # pylint: disable=protected-access
      return proxy
  made.append(BranchUpdate(update, kind))
  return made[-1]


class BranchUpdate:
  """A batch-norm update made in a TF2 cond branch, usable from outside.

  Inside the branch (or a graph nested in it) it stands for the update op;
  from the outer v1 graph, for the op that applies the same update there.
  """

  def __init__(self, update, kind):
    self._update = update
    self._op = _op_of(update)
    self._kind = kind
    self._applied = None  # the op in the outer graph, once asked for
    self._problem = None  # why it cannot run from outside, if it cannot
    self._staged = None
    if kind == 'while':
      self._problem = (
          'was made inside a tf.while_loop body and cannot run from outside '
          'the loop (TF 1.x failed at run time, "inputs from different '
          'frames"). Run it inside the body: compute the loop output under '
          '`tf.control_dependencies(tf.compat.v1.get_collection('
          'tf.compat.v1.GraphKeys.UPDATE_OPS))` there, or pass '
          '`updates_collections=None` (contrib/slim) to update in place')
    else:
      self._stage()

  # What code reading a collection looks at.
  @property
  def name(self):
    return self._op.name

  @property
  def device(self):
    return self._op.device

  @property
  def type(self):
    return self._op.type

  @property
  def update(self):
    """The op, tensor or unread variable made inside the branch."""
    return self._update

  def __repr__(self):
    return f'<tf_compat_bn.BranchUpdate {self._op.name!r} ({self._kind})>'

  def _stage(self):
    """In the branch, at trace time: hands the update's value (and, for an
    assign, that the branch ran) to the outer graph, every step."""
    op = self._op
    if len(_chain(op.graph)) > 2:
      self._problem = (
          'was made in a tf.cond nested in another tf.cond or function; it '
          'can run only from inside its own branch: wire it there, under '
          '`tf.control_dependencies(tf.compat.v1.get_collection('
          'tf.compat.v1.GraphKeys.UPDATE_OPS))`')
      return
    if op.type not in _APPLY:
      self._problem = f'is a {op.type}, not a resource-variable assign'
      return
    handle, value = op.inputs[0], op.inputs[1]
    variable = _outer_tensor(op.graph, handle)
    if variable is None:
      self._problem = ('updates a variable created inside the tf.cond '
                       'branch')
      return
    if not value.shape.is_fully_defined():
      self._problem = f'has a value of unknown shape {value.shape}'
      return
    outer = _chain(op.graph)[-1]
    with outer.as_default(), outer.control_dependencies(None), \
        outer.name_scope(_STAGING_SCOPE):
      arrays = [_one_element_array(value.dtype, value.shape, 'value')]
      if op.type == 'AssignVariableOp':
        arrays.append(_one_element_array(tf.bool, [], 'taken'))
    with op.graph.as_default():
      for (array, flow), element in zip(arrays, [value, True]):
        write = tf.raw_ops.TensorArrayWriteV3(
            handle=array, index=0, value=element, flow_in=flow)
        op.graph.control_outputs.append(write.op)
    self._staged = (variable, arrays)

  def _as_graph_element(self):
    graph = v1.get_default_graph()
    chain = _chain(self._op.graph)
    if self._op.graph in _chain(graph):
      # Inside the branch itself, or a graph nested in it.
      convert = getattr(self._update, '_as_graph_element', None)
      return convert() if callable(convert) else self._update
    if graph is not chain[-1] and graph in chain:
      raise ValueError(f'The batch-norm update {self._op.name!r} cannot run '
                       'from an enclosing tf.cond branch; run it inside its '
                       'own branch or from the outer graph.')
    return self.applied()

  def applied(self):
    """The op applying this update in the outer v1 graph."""
    if self._problem:
      raise ValueError(f'The batch-norm update {self._op.name!r} '
                       f'{self._problem}.')
    if self._applied is None:
      self._applied = _apply(self._op, *self._staged)
    return self._applied


def _outer_tensor(graph, tensor):
  """The outer v1 graph's tensor that `tensor`, captured into `graph` (a
  function graph, maybe nested), stands for; None if it is not a capture."""
  # A capture may name a tensor of any enclosing graph, not only the next.
  while getattr(graph, 'outer_graph', None) is not None:
    tensor = {id(inner): outer for outer, inner in graph.captures}.get(
        id(tensor))
    if tensor is None:
      return None
    graph = tensor.graph
  return tensor


def _one_element_array(dtype, shape, name):
  """(handle, flow) of a TensorArray made afresh at every step; an element
  not written in a step reads as zeros (its shape is fully known)."""
  return tuple(tf.raw_ops.TensorArrayV3(
      size=1, dtype=dtype, element_shape=shape, dynamic_size=False,
      clear_after_read=False, identical_element_shapes=True, name=name))


def _outer_cond(branch):
  """The If op of the outer v1 graph that runs `branch` (maybe nested)."""
  chain = _chain(branch)
  top, outer = chain[-2], chain[-1]
  for op in outer.get_operations():
    if op.type in ('If', 'StatelessIf') and top in (
        getattr(op, '_true_graph', None), getattr(op, '_false_graph', None)):
      return op
  raise ValueError(
      f'Cannot find the tf.cond that runs the batch-norm updates made in '
      f'{branch.name!r}: only updates made in tf.cond branches can run from '
      'outside (not those of tf.case / tf.switch_case).')


def _apply(op, variable, arrays):
  """In the outer graph: after the cond has run, applies the value the
  branch handed over (zeros, or nothing for an assign, when the branch did
  not run).  Named after the update, under the cond's name."""
  cond = _outer_cond(op.graph)
  outer = cond.graph
  scope, _, short = op.name.rpartition('/')
  (value_array, value_flow) = arrays[0]
  with outer.as_default(), outer.control_dependencies(None), \
      outer.name_scope(None), outer.name_scope(f'{cond.name}/'), \
      outer.name_scope(scope):
    with outer.control_dependencies([cond]):
      value = tf.raw_ops.TensorArrayReadV3(
          handle=value_array, index=0, flow_in=value_flow,
          dtype=op.inputs[1].dtype)
      if len(arrays) > 1:
        taken = tf.raw_ops.TensorArrayReadV3(
            handle=arrays[1][0], index=0, flow_in=arrays[1][1],
            dtype=tf.bool)
        current = tf.raw_ops.ReadVariableOp(resource=variable,
                                            dtype=value.dtype)
        value = tf.where(taken, value, current)
    return _APPLY[op.type](resource=variable, value=value, name=short)
