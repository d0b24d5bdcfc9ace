"""TF1-style batch normalization for tf.compat.v1 graphs, without Keras.

* `batch_norm`: the `tf.contrib.layers.batch_norm` / `tf_slim.batch_norm`
  contract.
* `BatchNormalization`, `batch_normalization`: the `tf.compat.v1.layers`
  class and function.
"""

from tf_compat_bn import contrib as _contrib
from tf_compat_bn.layers import BatchNormalization
from tf_compat_bn.layers import batch_normalization
from tf_compat_bn.install import install
from tf_compat_bn.install import installed
from tf_compat_bn.install import uninstall
from tf_compat_bn.wiring import check_update_ops
from tf_compat_bn.wiring import UpdateOpsCheckHook
from tf_compat_bn.wiring import warn_on_session_run

__version__ = "0.1.0"


def _register_with_slim_arg_scope(fn):
  """`fn` decorated with tf_slim's add_arg_scope when tf_slim is importable.

  tf_slim stays optional: without it (or where it cannot be imported), the
  plain function is returned.
  """
  try:
    from tf_slim.ops import arg_scope  # pylint: disable=g-import-not-at-top
  except Exception:  # pylint: disable=broad-except
    return fn
  return arg_scope.add_arg_scope(fn)


batch_norm = _register_with_slim_arg_scope(_contrib.batch_norm)

__all__ = ["batch_norm", "BatchNormalization", "batch_normalization",
           "install", "installed", "uninstall", "check_update_ops",
           "UpdateOpsCheckHook", "warn_on_session_run"]
