"""TF1-style batch normalization, and the TF1 layers around it, for
tf.compat.v1 graphs, without Keras.

* `batch_norm`: the `tf.contrib.layers.batch_norm` / `tf_slim.batch_norm`
  contract.
* `BatchNormalization`, `batch_normalization`: the `tf.compat.v1.layers`
  class and function.
* `layers`: the whole `tf.compat.v1.layers` namespace (Layer, dense,
  conv2d, max_pooling2d, ...); `rnn_cell`: `tf.compat.v1.nn.rnn_cell`.
* `keras`: `keras.BatchNormalization`, Keras 2's
  `tf.compat.v1.keras.layers.BatchNormalization` in TF1 graphs, and the
  Keras learning phase (`keras.learning_phase`, `keras.set_learning_phase`).
* `install()`: puts all of it (and `tf.contrib` on tf_slim) under the names
  legacy code uses; `install(keras=True)` also the Keras batch norm.
"""

from tf_compat_bn import contrib as _contrib
from tf_compat_bn import keras
from tf_compat_bn import layers
from tf_compat_bn import rnn_cell
from tf_compat_bn.layers import BatchNormalization
from tf_compat_bn.layers import batch_normalization
from tf_compat_bn.install import install
from tf_compat_bn.install import installed
from tf_compat_bn.install import uninstall
from tf_compat_bn.wiring import check_saver
from tf_compat_bn.wiring import check_update_ops
from tf_compat_bn.wiring import UpdateOpsCheckHook
from tf_compat_bn.wiring import warn_on_session_run

__version__ = "0.1.0"


def _register_with_slim_arg_scope(fn):
  """`fn` decorated with tf_slim's add_arg_scope when tf_slim is importable,
  keyed as tf_slim's own `batch_norm`.

  tf_slim keys an arg_scope on `arg_scope_func_key(op)`: the `_key_op` of
  the decorated function, i.e. `str()` of tf_slim's undecorated
  `batch_norm`.  Ours takes that same key, so a scope set on
  `tf_slim.batch_norm` / `tf_slim.layers.batch_norm` (e.g.
  `tf_slim.nets.resnet_v1.resnet_arg_scope()`) reaches
  `tf_compat_bn.batch_norm` (as `normalizer_fn` too), and a scope set on
  ours reaches tf_slim's: they are one op for arg_scope, as they are one
  API.  tf_slim's record of the op's argument names is left as it was
  (ours takes the same arguments).

  tf_slim stays optional: without it (or where it cannot be imported), the
  plain function is returned.
  """
  try:
    from tf_slim.ops import arg_scope  # pylint: disable=g-import-not-at-top
    from tf_slim.layers import layers as slim_layers  # pylint: disable=g-import-not-at-top
  except Exception:  # pylint: disable=broad-except
    return fn
  slim_batch_norm = getattr(slim_layers, 'batch_norm', None)
  if slim_batch_norm is None:
    return arg_scope.add_arg_scope(fn)
  key = arg_scope.arg_scope_func_key(slim_batch_norm)
  fn._key_op = key  # pylint: disable=protected-access
  registry = arg_scope._DECORATED_OPS  # pylint: disable=protected-access
  slims_entry = registry.get(key)
  decorated = arg_scope.add_arg_scope(fn)
  if slims_entry is not None:   # leave tf_slim's own record as it was
    registry[key] = slims_entry
  return decorated


batch_norm = _register_with_slim_arg_scope(_contrib.batch_norm)

__all__ = ["batch_norm", "BatchNormalization", "batch_normalization",
           "keras", "layers", "rnn_cell",
           "install", "installed", "uninstall",
           "check_saver", "check_update_ops",
           "UpdateOpsCheckHook", "warn_on_session_run"]
