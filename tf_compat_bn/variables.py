"""Creating batch-norm variables the way each reference contract does.

All variables are made with `tf.compat.v1.get_variable` in the current
variable scope, so outer custom getters, `reuse`, `use_resource`, caching
devices and partitioners apply as users expect.
"""

import contextlib

import tensorflow as tf

v1 = tf.compat.v1
GraphKeys = v1.GraphKeys


def model_variable(name, shape, dtype, initializer, collections=None,
                   regularizer=None, trainable=True, **kwargs):
  """A variable in GLOBAL_VARIABLES and MODEL_VARIABLES (+ `collections`).

  `collections` is iterated, so (as in the contrib contract) a plain string
  names one collection per character.  TRAINABLE_VARIABLES is added by
  get_variable when `trainable`.  A `regularizer` is run by get_variable,
  which names its loss `<var>/Regularizer/...`.
  """
  collections = list(collections or [])
  collections += [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES]
  return v1.get_variable(
      name, shape=shape, dtype=dtype, initializer=initializer,
      regularizer=regularizer, trainable=trainable,
      collections=_unique(collections), **kwargs)


def model_variable_getter(getter, name, *args, collections=None, **kwargs):
  """A custom getter that puts every variable into MODEL_VARIABLES too.

  The contrib contract opens its scope with it for its layer-backed and
  weighted paths, so that variables made inside (including the zero-debias
  ones) land in GLOBAL_VARIABLES and MODEL_VARIABLES.  Constraints are not
  passed on, as in the reference getter.
  """
  kwargs.pop('constraint', None)
  collections = list(collections or [])
  collections += [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES]
  return getter(name, *args, collections=_unique(collections), **kwargs)


def collections_for(variables_collections, name):
  """The extra collections of variable `name` (`beta`, `gamma`, ...).

  A dict maps names to collections (a missing name means none); any other
  value applies to every variable.
  """
  if isinstance(variables_collections, dict):
    return variables_collections.get(name)
  return variables_collections


def add_to_collections(variable, collections):
  """Adds `variable` (each part, when partitioned) to `collections`, once."""
  for collection in collections or []:
    for part in parts_of(variable):
      if part not in v1.get_collection(collection):
        v1.add_to_collection(collection, part)


def parts_of(variable):
  """The parts of a partitioned variable, or [variable]."""
  if type(variable).__name__ == 'PartitionedVariable':
    return list(variable)
  return [variable]


@contextlib.contextmanager
def unpartitioned_scope():
  """Re-enters the current variable scope with its partitioner cleared.

  Moving statistics are never partitioned (their updates could not be
  applied per part).  Re-entering opens the name scope `<S>/<last part of
  S>`, as the reference does, which matters for the names of later ops.
  """
  with v1.variable_scope(v1.get_variable_scope()) as scope:
    scope.set_partitioner(None)
    yield scope


def _unique(names):
  seen = []
  for n in names:
    if n not in seen:
      seen.append(n)
  return seen
