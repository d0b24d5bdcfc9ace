"""Installing our implementations under the names legacy TF1 code uses.

After `install()`, unchanged code finds:

* the whole `tf.compat.v1.layers` namespace (Layer, InputSpec, dense,
  conv2d, max_pooling2d, batch_normalization, ... and `experimental`), under
  every import form: `tf.compat.v1.layers.X`, `from tensorflow.compat.v1
  import layers`, `import tensorflow.compat.v1.layers`, `from
  tensorflow.compat.v1.layers import conv2d`, and the TF1-era internal
  modules `tensorflow.python.layers.{base,core,convolutional,pooling,
  normalization,layers}`; the same on every supported TF, also where the
  reference still works, so a program behaves alike across versions;
* `tf.compat.v1.nn.rnn_cell` (the ten cell and wrapper names, also `from
  tensorflow.compat.v1.nn.rnn_cell import LSTMCell` and
  `tensorflow.python.ops.rnn_cell_impl`), Keras-free, for `dynamic_rnn` and
  friends;
* `tf.contrib` (`contrib_namespace`): with tf_slim installed, `slim`,
  `layers`, `framework`, `losses`, `metrics` mapped onto tf_slim in every
  import form (`import tensorflow.contrib.slim as slim`, `from
  tensorflow.contrib.layers import ...`, the TF1-era internal paths), with
  the mends tf_slim 1.1.0 needs on new TensorFlow and its layers pointed at
  ours; `tf.contrib.layers.batch_norm` always; a contrib module nobody
  provides (`rnn`, `seq2seq`, ...) raises an error saying what to use;
* with tf_slim installed: `slim.batch_norm`, `tf_slim.layers.batch_norm`,
  `tf_slim.layers.layers.batch_norm` are ours;
* only with `install(keras=True)`: `tf.compat.v1.keras.layers.
  BatchNormalization` (every import form) is `tf_compat_bn.keras`'s, and
  `tf.compat.v1.keras.backend` has a learning phase where Keras 3 has none
  (see `tf_compat_bn.keras`).

Every change is recorded; `uninstall()` undoes them in reverse order, and
`installed()` is the context-manager form.  Nothing here imports Keras
(except `install(keras=True)`, which changes a Keras namespace).
"""

import contextlib
import importlib
import logging
import sys
import types

import tensorflow as tf

from tf_compat_bn import layers

_MISSING = object()
# (owner, attribute, previous value or _MISSING, description), in order.
_applied = []


def _patch(owner, name, value, description):
  """Sets owner.name (or owner[name] for a dict), remembering what was there."""
  if isinstance(owner, dict):
    previous = owner.get(name, _MISSING)
    owner[name] = value
  else:
    # Read the raw attribute where there is one: getattr could trigger one
    # of TF's lazy loaders (and import Keras).
    if type(owner) is types.ModuleType:  # pylint: disable=unidiomatic-typecheck
      previous = vars(owner).get(name, _MISSING)
    else:
      previous = getattr(owner, name, _MISSING)
    setattr(owner, name, value)
  _applied.append((owner, name, previous, description))


# TF1-era internal modules legacy code imported the layers from.
_INTERNAL_LAYER_MODULES = {
    'base': layers.base, 'core': layers.core,
    'convolutional': layers.convolutional, 'pooling': layers.pooling,
    'normalization': layers.normalization, 'layers': layers}


def _public_layer_names():
  return [n for n in dir(layers) if not n.startswith('_') and
          not isinstance(getattr(layers, n), types.ModuleType)]


def _layers_namespace():
  """A module holding every public name of `tf_compat_bn.layers`, to stand
  as `tensorflow.compat.v1.layers`."""
  module = types.ModuleType('tensorflow.compat.v1.layers',
                            'tf.compat.v1.layers, provided by tf_compat_bn '
                            '(no Keras).')
  for name in _public_layer_names():
    setattr(module, name, getattr(layers, name))
  module.experimental = layers.experimental
  module.__all__ = sorted(_public_layer_names() + ['experimental'])
  return module


def _v1_modules():
  """Every distinct `tf.compat.v1` module object.

  TF can hold more than one: `tensorflow._api.v2.compat.v1` (what
  `tf.compat.v1` is at first) and `tensorflow.compat.v1` (made by the first
  `import tensorflow.compat.v1`, after which `tf.compat.v1` is that one).
  Both are imported here so that a later import finds one we changed.
  """
  found = [tf.compat.v1]
  for name in ('tensorflow.compat.v1', 'tensorflow._api.v2.compat.v1'):
    try:
      module = importlib.import_module(name)
    except ImportError:
      continue
    if not any(module is f for f in found):
      found.append(module)
  if not any(tf.compat.v1 is f for f in found):
    found.append(tf.compat.v1)
  return found


def register_v1_submodule(suffix, module, what, patch=_patch):
  """Registers `module` as `tensorflow.compat.v1.<suffix>` under both
  module names TF uses for it (see `_v1_modules`), so that an import of it
  finds `module` rather than running one of TF's lazy loaders."""
  for prefix in ('tensorflow.compat.v1', 'tensorflow._api.v2.compat.v1'):
    name = f'{prefix}.{suffix}'
    patch(sys.modules, name, module, f'sys.modules[{name!r}] -> {what}')


def internal_module(module_name, patch=_patch):
  """The TF-internal module `module_name` (e.g.
  `tensorflow.python.layers.core`) as TF already imported it; else a
  registered stand-in attached to its package, so that a later import finds
  it without loading TF's own (and its Keras copy)."""
  module = sys.modules.get(module_name)
  if module is not None:
    return module
  module = types.ModuleType(module_name, f'{module_name} stand-in from '
                            'tf_compat_bn (no Keras).')
  patch(sys.modules, module_name, module,
        f'sys.modules[{module_name!r}] -> tf_compat_bn stand-in')
  package_name, _, short = module_name.rpartition('.')
  package = sys.modules.get(package_name)
  if package is not None:
    patch(package, short, module, f'{module_name} -> tf_compat_bn stand-in')
  return module


def _install_layers():
  """Puts our layers under every name and import path TF1 code used."""
  namespace = _layers_namespace()
  for v1 in _v1_modules():
    _patch(v1, 'layers', namespace,
           f'{v1.__name__}.layers -> tf_compat_bn.layers (every name)')
  # Registered modules win over TF's lazy loaders: `import
  # tensorflow.compat.v1.layers` and `from tensorflow.compat.v1.layers
  # import X` find ours instead of loading (and re-attaching) TF's.
  register_v1_submodule('layers', namespace, 'tf_compat_bn.layers')
  for short, source in _INTERNAL_LAYER_MODULES.items():
    _install_internal_layers_module(short, source)


def _install_internal_layers_module(short, source):
  """`tensorflow.python.layers.<short>` with `source`'s names.

  One TF already imported gets our names set on it; otherwise a stand-in
  holding them is registered (and attached to the package), so a later
  import finds ours without loading TF's internal Keras copy.
  """
  module_name = f'tensorflow.python.layers.{short}'
  public = set(_public_layer_names()) | {'keras_style_scope',
                                         'set_keras_style'}
  names = [n for n in dir(source) if n in public]
  module = internal_module(module_name)
  for name in names:
    _patch(module, name, getattr(source, name),
           f'{module_name}.{name} -> tf_compat_bn.layers.{name}')


def _slim_registered_batch_norm():
  import tf_compat_bn  # pylint: disable=g-import-not-at-top
  return tf_compat_bn.batch_norm


def _import_tf_slim():
  try:
    return importlib.import_module('tf_slim')
  except Exception:  # pylint: disable=broad-except
    return None


def install(keras=False):
  """Installs our layers and batch norm under the legacy names; returns
  what changed (one line per change).

  `keras=True` (opt-in) also makes `tf.compat.v1.keras.layers.
  BatchNormalization` ours (`tf_compat_bn.keras.BatchNormalization`, Keras
  2's V1 layer in TF1 graphs), for the whole process, and gives
  `tf.compat.v1.keras.backend` a `learning_phase` / `set_learning_phase`
  where Keras has none (Keras 3); it loads Keras to do so.  `tf.keras` is
  left as it is.  Without it nothing under Keras changes.

  Idempotent: a second call changes nothing and returns the same list (a
  later `keras=True` adds the Keras part).
  """
  if _applied and (not keras or _keras_installed()):
    return report()
  already = len(_applied)
  if not _applied:
    _install_everything_but_keras()
  if keras:
    from tf_compat_bn import keras as keras_bn  # pylint: disable=g-import-not-at-top
    keras_bn.install_keras(_patch, _v1_modules())
  for line in report()[already:]:
    logging.info('tf_compat_bn.install: %s', line)
  return report()


def _keras_installed():
  from tf_compat_bn import keras as keras_bn  # pylint: disable=g-import-not-at-top
  return any(keras_bn.INSTALL_MARK in line for line in report())


def _install_everything_but_keras():
  """What install() does by default."""
  _install_layers()
  from tf_compat_bn import rnn_cell  # pylint: disable=g-import-not-at-top
  rnn_cell.install_rnn_cell(_patch)

  from tf_compat_bn import contrib_namespace  # pylint: disable=g-import-not-at-top
  contrib_namespace.install_contrib(_patch, _v1_modules())

  slim = _import_tf_slim()
  if slim is not None:
    ours = _slim_registered_batch_norm()
    for module_name in ('tf_slim', 'tf_slim.layers', 'tf_slim.layers.layers'):
      module = sys.modules.get(module_name)
      if module is not None and hasattr(module, 'batch_norm'):
        _patch(module, 'batch_norm', ours,
               f'{module_name}.batch_norm -> tf_compat_bn.batch_norm')


def report():
  """What install() changed, one line per change."""
  return [description for _, _, _, description in _applied]


def uninstall():
  """Restores everything install() changed, in reverse order."""
  _undo_to(0)


def _undo_to(count):
  """Undoes the changes after the first `count`, in reverse order."""
  while len(_applied) > count:
    owner, name, previous, _ = _applied.pop()
    if isinstance(owner, dict):
      if previous is _MISSING:
        owner.pop(name, None)
      else:
        owner[name] = previous
    elif previous is _MISSING:
      try:
        delattr(owner, name)
      except AttributeError:
        pass
    else:
      setattr(owner, name, previous)


@contextlib.contextmanager
def installed(keras=False):
  """`with installed(): ...` runs the block with install() (`keras` as
  there) in effect; afterwards what it changed is undone (nothing, where
  it was all installed already)."""
  before = len(_applied)
  changes = install(keras=keras)
  try:
    yield changes
  finally:
    _undo_to(before)
