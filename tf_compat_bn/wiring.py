"""Checking that training runs the batch-norm moving-average updates.

The most common batch-norm bug in TF1 code: the train op does not depend on
the update ops that batch norm put into UPDATE_OPS (or a custom collection),
so the moving statistics never move and inference uses their initial
values.  `check_update_ops(train_op)` names the updates a fetch would not
run; `warn_on_session_run()` and `UpdateOpsCheckHook` run that check when a
session runs a training step.
"""

import contextlib
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
          if op.type.startswith(('Apply', 'ResourceApply', 'SparseApply',
                                 'ResourceSparseApply'))]


def missing_update_ops(fetches=None, graph=None, only_training=False):
  """Names of the batch-norm update ops that running `fetches` would skip.

  With no `fetches`, the graph's training ops (its TRAIN_OP collection, else
  every op applying gradients) are checked: an update any of them skips is
  reported.  With `only_training`, fetches that apply no gradient are not
  expected to run updates and report nothing (used by the run-time checks,
  so that evaluation runs are not flagged).  Training ops built inside a
  v2 `tf.cond`/`tf.while_loop` body are not visible from the outer graph;
  pass such a train op explicitly.
  """
  fetch_ops = _as_ops(fetches) if fetches is not None else None
  if graph is None:
    graph = fetch_ops[0].graph if fetch_ops else v1.get_default_graph()
  updates = registered_update_ops(graph)
  if not updates:
    return []
  if fetch_ops is None:
    targets = [[op] for op in _training_ops(graph)]
  elif only_training:
    ancestors = _ancestors(fetch_ops)
    trains = any(op in ancestors for op in _training_ops(graph))
    targets = [fetch_ops] if trains else []
  else:
    targets = [fetch_ops]
  missing = []
  for target in targets:
    reached = _ancestors(target)
    missing.extend(u.name for u in updates
                   if u not in reached and u.name not in missing)
  return missing


def message(missing):
  return (f'tf_compat_bn: the training step does not run {len(missing)} '
          f'batch-norm update op(s): {", ".join(missing)}. The moving mean '
          'and variance will not change in training, and inference will use '
          f'their initial values. {FIX}')


def check_update_ops(fetches=None, graph=None, warn=False):
  """Checks that training runs the batch-norm updates; see module doc.

  Returns the names of the update ops not run (empty when all are).  With
  `warn=True` a non-empty result is also issued as a UserWarning.
  """
  missing = missing_update_ops(fetches, graph)
  if missing and warn:
    warnings.warn(message(missing), UserWarning, stacklevel=2)
  return missing


class UpdateOpsCheckHook(v1.train.SessionRunHook):
  """A SessionRunHook warning (once per fetch) about skipped updates."""

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


@contextlib.contextmanager
def warn_on_session_run():
  """Within the block, every Session.run of a training step is checked
  (once per distinct fetch) and skipped updates are warned about."""
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
