"""`tensorflow.contrib`, mapped onto tf_slim, with our batch norm and layers.

`install_contrib(patch, v1_modules)` (called by `install()`) builds a
`tensorflow.contrib` module and registers it under every form legacy code
reached it by: `tf.contrib.X`, `tf.compat.v1.contrib.X`, `import
tensorflow.contrib.slim as slim`, `from tensorflow.contrib import slim,
layers, framework`, `from tensorflow.contrib.layers import conv2d`, and the
TF1-era internal paths (`tensorflow.contrib.layers.python.layers.layers`,
`tensorflow.contrib.framework.python.ops.arg_scope`,
`tensorflow.contrib.slim.python.slim.nets.resnet_v1`, ...).

What tf.contrib was for TF1 users who moved on is tf_slim (the standalone
copy of `tf.contrib.slim`, `contrib.layers`, `contrib.framework`'s variables
and arg_scope, `contrib.losses`, `contrib.metrics`): where tf_slim has a name
it is tf_slim's, except `batch_norm`, which is `tf_compat_bn.batch_norm`
everywhere.  tf_slim 1.1.0's layer wrappers (conv2d, fully_connected,
max_pool2d, dropout, flatten, ...) build `tf.compat.v1.layers` objects from
`tensorflow.python.layers.*` modules they bound when tf_slim was imported;
those bindings are pointed at `tf_compat_bn.layers` (no Keras), whether
tf_slim was imported before `install()` or after it.

A contrib name that neither tf_slim nor tf_compat_bn provides
(`tf.contrib.rnn`, `seq2seq`, `tpu`, `distributions`, ...) raises an error
naming it and what to use instead, as attribute and as import.  Without
tf_slim installed, only `tf.contrib.layers.batch_norm` is there, and the
rest says `pip install tf-slim`.

Every change goes through `patch(owner, name, value, description)` (so
`uninstall()` undoes it), except one inert import hook: a finder put once at
the front of `sys.meta_path` that does nothing unless its `active`
attribute (itself patched) is true.
"""

import importlib
import sys
import types

import tensorflow as tf

PIP_HINT = 'pip install tf-slim==1.1.0 (or: pip install "tf-compat-bn[contrib]")'

# What to use instead of the contrib modules neither tf_slim nor we provide.
REPLACEMENTS = {
    'rnn': 'tf.compat.v1.nn.rnn_cell (BasicLSTMCell, LSTMCell, GRUCell, '
           'MultiRNNCell, DropoutWrapper, ...) with tf.compat.v1.nn.'
           'dynamic_rnn / static_rnn / bidirectional_dynamic_rnn',
    'cudnn_rnn': 'tf.compat.v1.nn.rnn_cell cells with '
                 'tf.compat.v1.nn.dynamic_rnn (checkpoints of CudnnLSTM are '
                 'not compatible)',
    'seq2seq': 'TensorFlow Addons (tfa.seq2seq) or a rewrite on '
               'tf.compat.v1.nn.rnn_cell; TensorFlow has no replacement',
    'legacy_seq2seq': 'a rewrite on tf.compat.v1.nn.rnn_cell; TensorFlow has '
                      'no replacement',
    'tpu': 'tf.compat.v1.tpu and tf.distribute.TPUStrategy',
    'distributions': 'TensorFlow Probability (tfp.distributions)',
    'bayesflow': 'TensorFlow Probability (tfp)',
    'data': 'tf.data (and tf.data.experimental)',
    'image': 'tf.image (or TensorFlow Addons tfa.image)',
    'opt': 'tf.compat.v1.train optimizers (or TensorFlow Addons tfa.'
           'optimizers)',
    'lookup': 'tf.lookup',
    'summary': 'tf.compat.v1.summary (or tf.summary)',
    'training': 'tf_slim.training (create_train_op, train) or '
                'tf.compat.v1.train',
    'quantize': 'the TensorFlow Model Optimization Toolkit (tfmot.'
                'quantization)',
    'crf': 'TensorFlow Addons (tfa.text.crf_*)',
    'keras': 'tf.keras',
    'learn': 'tf.compat.v1 graph code with tf.compat.v1.train (tf.contrib.'
             'learn has no successor)',
    'estimator': 'tf_estimator (TF <= 2.15) or plain tf.compat.v1 training '
                 'loops',
    'tensor_forest': 'TensorFlow Decision Forests',
    'boosted_trees': 'TensorFlow Decision Forests',
    'factorization': 'a rewrite (TensorFlow has no replacement)',
    'nccl': 'tf.distribute (MirroredStrategy uses NCCL all-reduce)',
    'stateless': 'tf.random.stateless_* ',
    'checkpoint': 'tf.train.Checkpoint',
    'eager': 'TensorFlow 2 eager execution (tf.function)',
    'predictor': 'tf.saved_model.load / tf.compat.v1.saved_model.loader',
    'graph_editor': 'a rewrite with tf.compat.v1.GraphDef manipulation',
    'nn': 'tf.nn (or tf.compat.v1.nn)',
    'util': 'tf.make_ndarray / tf.make_tensor_proto',
    'memory_stats': 'tf.config.experimental.get_memory_info',
    'timeseries': 'a rewrite (TensorFlow has no replacement)',
    'tensorboard': 'the tensorboard package',
    'compiler': 'tf.function(jit_compile=True) / tf.xla.experimental',
    'mixed_precision': 'tf.compat.v1.mixed_precision',
    'input_pipeline': 'tf.data',
    'sparsemax': 'TensorFlow Addons (tfa.activations.sparsemax)',
    'gan': 'TF-GAN (tensorflow_gan)',
    'staging': 'tf.raw_ops.Stage / tf.data prefetching',
    'text': 'tensorflow_text',
    'labeled_tensor': 'a rewrite (TensorFlow has no replacement)',
}

# contrib name -> where it comes from in tf_slim (public names copied).
SLIM_BACKED = ('slim', 'layers', 'framework', 'losses', 'metrics')

# TF1-era internal paths under tensorflow.contrib -> tf_slim modules.
INTERNAL_PATHS = {
    'layers.python.layers.layers': 'tf_slim.layers.layers',
    'layers.python.layers.initializers': 'tf_slim.layers.initializers',
    'layers.python.layers.regularizers': 'tf_slim.layers.regularizers',
    'layers.python.layers.utils': 'tf_slim.layers.utils',
    'layers.python.layers.normalization': 'tf_slim.layers.normalization',
    'layers.python.layers.optimizers': 'tf_slim.layers.optimizers',
    'layers.python.layers.summaries': 'tf_slim.layers.summaries',
    'framework.python.ops.arg_scope': 'tf_slim.ops.arg_scope',
    'framework.python.ops.variables': 'tf_slim.ops.variables',
    'losses.python.losses.loss_ops': 'tf_slim.losses.loss_ops',
    'metrics.python.ops.metric_ops': 'tf_slim.metrics.metric_ops',
    'slim.python.slim.learning': 'tf_slim.learning',
    'slim.python.slim.evaluation': 'tf_slim.evaluation',
    'slim.python.slim.summaries': 'tf_slim.summaries',
    'slim.python.slim.queues': 'tf_slim.queues',
    'slim.python.slim.model_analyzer': 'tf_slim.model_analyzer',
    'slim.python.slim.nets.alexnet': 'tf_slim.nets.alexnet',
    'slim.python.slim.nets.inception_v1': 'tf_slim.nets.inception_v1',
    'slim.python.slim.nets.inception_v2': 'tf_slim.nets.inception_v2',
    'slim.python.slim.nets.inception_v3': 'tf_slim.nets.inception_v3',
    'slim.python.slim.nets.overfeat': 'tf_slim.nets.overfeat',
    'slim.python.slim.nets.resnet_utils': 'tf_slim.nets.resnet_utils',
    'slim.python.slim.nets.resnet_v1': 'tf_slim.nets.resnet_v1',
    'slim.python.slim.nets.resnet_v2': 'tf_slim.nets.resnet_v2',
    'slim.python.slim.nets.vgg': 'tf_slim.nets.vgg',
}

# tf.contrib.framework names that were re-exports of TensorFlow core, not
# slim: the same functions TF still has.
FRAMEWORK_FROM_TF = {
    'load_checkpoint': lambda: tf.compat.v1.train.load_checkpoint,
    'list_variables': lambda: tf.compat.v1.train.list_variables,
    'load_variable': lambda: tf.compat.v1.train.load_variable,
    'init_from_checkpoint': lambda: tf.compat.v1.train.init_from_checkpoint,
    'nest': lambda: tf.nest,
}

# tf_slim's layer wrappers' module globals -> our modules (name in
# tf_compat_bn.layers).
SLIM_LAYER_GLOBALS = {
    'tf_slim.layers.layers': {
        'base': 'base', 'convolutional_layers': 'convolutional',
        'core_layers': 'core', 'normalization_layers': 'normalization',
        'pooling_layers': 'pooling'},
    'tf_slim.layers.rev_block_lib': {'base': 'base'},
}

# Classes tf_slim defines on `tensorflow.python.layers.base.Layer` at import
# time: rebuilt on ours when tf_slim was imported before install().
SLIM_LAYER_CLASSES = (('tf_slim.layers.layers', 'GDN'),
                      ('tf_slim.layers.rev_block_lib', 'RevBlock'))


def _ours():
  import tf_compat_bn  # pylint: disable=g-import-not-at-top
  return tf_compat_bn


class ContribNamespace(types.ModuleType):
  """A `tensorflow.contrib[...]` module: names copied in at install time;
  any other name raises an error saying what to use instead."""

  def __init__(self, name, doc, missing_hint):
    super().__init__(name, doc)
    self.__path__ = []   # a package: submodules import through sys.modules
    self._missing_hint = missing_hint

  def __getattr__(self, name):
    if name.startswith('__') or name == '_missing_hint':
      raise AttributeError(name)
    raise AttributeError(self._missing_hint(f'{self.__name__}.{name}', name))


def _top_level_hint(slim_available):
  def hint(full_name, name):
    if name in SLIM_BACKED and not slim_available:
      return (f'{full_name} needs tf_slim, the maintained copy of '
              f'tf.contrib.{name} ({PIP_HINT}); without it tf_compat_bn '
              'provides only tf.contrib.layers.batch_norm.')
    instead = REPLACEMENTS.get(name)
    text = (f'{full_name} is not available: tf.contrib was removed from '
            'TensorFlow, and neither tf_slim nor tf_compat_bn provides it.')
    if instead:
      text += f' Instead use: {instead}.'
    return text
  return hint


def _sub_hint(contrib_name, slim_available):
  def hint(full_name, name):
    if not slim_available:
      return (f'{full_name} needs tf_slim ({PIP_HINT}); without it '
              f'tf_compat_bn provides only tf.contrib.layers.batch_norm.')
    return (f'{full_name} is not available: tf_slim 1.1.0 (which stands for '
            f'tf.contrib.{contrib_name}) does not have {name!r}, and '
            'tf_compat_bn does not provide it.')
  return hint


class _ContribImportHook:
  """Makes `import tensorflow.contrib.<unknown>` fail with the same
  explanation as the attribute (not Python's bare 'No module named').
  Inert unless `active` (patched by install_contrib)."""

  active = False

  def __init__(self):
    self.top = None

  def find_spec(self, fullname, path=None, target=None):  # pylint: disable=unused-argument
    if not self.active or self.top is None:
      return None
    if not fullname.startswith('tensorflow.contrib.'):
      return None
    parts = fullname.split('.')
    parent = sys.modules.get('.'.join(parts[:-1]))
    if isinstance(parent, ContribNamespace):
      raise ImportError(parent._missing_hint(fullname, parts[-1]),  # pylint: disable=protected-access
                        name=fullname)
    raise ImportError(f'No module named {fullname!r}: tf.contrib was removed '
                      'from TensorFlow; tf_compat_bn maps onto tf_slim only '
                      'what tf_slim provides.', name=fullname)


_HOOK = _ContribImportHook()


def _import_slim():
  try:
    return importlib.import_module('tf_slim')
  except Exception:  # pylint: disable=broad-except
    return None


def _public(module):
  names = getattr(module, '__all__', None)
  if names is None:
    names = [n for n in vars(module) if not n.startswith('_')]
  return [n for n in names if hasattr(module, n)]


def _fill(namespace, *modules, skip=()):
  for module in modules:
    for name in _public(module):
      if name not in skip and not isinstance(getattr(module, name),
                                             types.ModuleType):
        setattr(namespace, name, getattr(module, name))


# ---------------------------------------------------------------- mends


# TF-internal names tf_slim 1.1.0 reads that TF moved since 2.12: (module,
# name, the same object in TF's public API, who uses it).  Each is set only
# where TF lacks it (on TF 2.12 none is).
SLIM_TF_ALIASES = (
    ('tensorflow.python.framework.ops', 'Tensor', lambda: tf.Tensor,
     'tf_slim.layers.utils, optimizers, rev_block_lib, learning'),
    ('tensorflow.python.framework.ops', 'IndexedSlices',
     lambda: tf.IndexedSlices, 'tf_slim.layers.optimizers'),
    ('tensorflow.python.ops.array_ops', 'stack', lambda: tf.stack,
     'tf_slim.layers.layers, data.tfexample_decoder, metrics'),
    ('tensorflow.python.ops.array_ops', 'unstack', lambda: tf.unstack,
     'tf_slim.layers.layers.legacy_fully_connected'),
    ('tensorflow.python.ops.control_flow_ops', 'Assert',
     lambda: tf.compat.v1.Assert, 'tf_slim.metrics.histogram_ops'),
    ('tensorflow.python.ops.control_flow_ops', 'case',
     lambda: tf.compat.v1.case, 'tf_slim.data.tfexample_decoder'),
    ('tensorflow.python.ops.control_flow_ops', 'cond',
     lambda: tf.compat.v1.cond, 'tf_slim.layers.utils, metrics, data'),
    ('tensorflow.python.ops.control_flow_ops', 'while_loop',
     lambda: tf.compat.v1.while_loop, 'tf_slim.losses.metric_learning'),
    ('tensorflow.python.ops.variable_scope', 'variable',
     lambda: tf.compat.v1.Variable,
     'tf_slim.ops.variables.local_variable / global_variable'),
    ('tensorflow.python.ops.variables', 'VariableV1',
     lambda: tf.compat.v1.Variable, "tf_slim's metric_ops_test"),
    ('tensorflow.python.ops.variable_scope', 'disable_resource_variables',
     lambda: tf.compat.v1.disable_resource_variables,
     "tf_slim's optimizers_test and variables_test"),
    ('tensorflow.python.ops.variable_scope', 'resource_variables_enabled',
     lambda: tf.compat.v1.resource_variables_enabled,
     "tf_slim's variables_test"),
    ('tensorflow.python.ops.variable_scope', 'enable_resource_variables',
     lambda: tf.compat.v1.enable_resource_variables,
     "tf_slim's optimizers_test and variables_test"),
)


def _mend_slim(patch):
  """What tf_slim 1.1.0 needs on new TensorFlow in the contrib paths."""
  for module_name, name, value, users in SLIM_TF_ALIASES:
    module = importlib.import_module(module_name)
    if not hasattr(module, name):
      target = value()
      label = getattr(target, '__name__', name)
      public = {'Tensor': 'tf.Tensor', 'IndexedSlices': 'tf.IndexedSlices',
                'stack': 'tf.stack', 'unstack': 'tf.unstack',
                'variable': 'tf.compat.v1.Variable',
                'VariableV1': 'tf.compat.v1.Variable'}.get(
                    name, f'tf.compat.v1.{label}')
      patch(module, name, target,
            f'mend: {module_name}.{name} = {public} (used by {users})')
  from tf_compat_bn import layers as our_layers  # pylint: disable=g-import-not-at-top
  input_spec = types.ModuleType('tf_compat_bn_input_spec',
                                'InputSpec for tf_slim (tf_compat_bn).')
  input_spec.InputSpec = our_layers.InputSpec
  for module_name, bindings in SLIM_LAYER_GLOBALS.items():
    module = sys.modules.get(module_name)
    if module is None:
      continue
    for global_name, ours_name in bindings.items():
      ours = getattr(our_layers, ours_name)
      if vars(module).get(global_name) is not ours:
        patch(module, global_name, ours,
              f'mend: {module_name}.{global_name} -> '
              f'tf_compat_bn.layers.{ours_name} (tf_slim builds its '
              'tf.compat.v1.layers objects from it; no Keras)')
    if 'input_spec' in vars(module):
      patch(module, 'input_spec', input_spec,
            f'mend: {module_name}.input_spec.InputSpec -> '
            'tf_compat_bn.layers.InputSpec')
  for module_name, class_name in SLIM_LAYER_CLASSES:
    module = sys.modules.get(module_name)
    cls = getattr(module, class_name, None) if module else None
    if cls is None or issubclass(cls, our_layers.Layer):
      continue
    body = {k: v for k, v in vars(cls).items()
            if k not in ('__dict__', '__weakref__')}
    rebuilt = type(class_name, (our_layers.Layer,), body)
    patch(module, class_name, rebuilt,
          f'mend: {module_name}.{class_name} rebuilt on '
          'tf_compat_bn.layers.Layer (tf_slim was imported before install())')


# ---------------------------------------------------------------- namespace


def _build(slim):
  """(top module, {sys.modules name: module}) for tf_slim or None."""
  available = slim is not None
  batch_norm = _ours().batch_norm
  top = ContribNamespace('tensorflow.contrib',
                         'tf.contrib provided by tf_compat_bn: tf_slim where '
                         'it has the name, tf_compat_bn.batch_norm.',
                         _top_level_hint(available))
  layers = ContribNamespace('tensorflow.contrib.layers',
                            'tf.contrib.layers: tf_slim.layers, with '
                            'tf_compat_bn.batch_norm.',
                            _sub_hint('layers', available))
  registered = {'tensorflow.contrib': top,
                'tensorflow.contrib.layers': layers}
  top.layers = layers
  if available:
    _fill(layers, sys.modules['tf_slim.layers'])
    layers.summaries = importlib.import_module('tf_slim.layers.summaries')
    # TF1's tf.contrib.layers re-exported these from contrib.framework.
    for name in ('arg_scope', 'add_arg_scope'):
      setattr(layers, name, getattr(slim, name))
  layers.batch_norm = batch_norm
  if not available:
    return top, registered

  top.slim = slim
  registered['tensorflow.contrib.slim'] = slim
  framework = ContribNamespace('tensorflow.contrib.framework',
                               'tf.contrib.framework: tf_slim.ops '
                               '(variables, arg_scope).',
                               _sub_hint('framework', True))
  _fill(framework, importlib.import_module('tf_slim.ops.variables'),
        importlib.import_module('tf_slim.ops.arg_scope'),
        importlib.import_module('tf_slim.ops.framework_ops'))
  for name, get in FRAMEWORK_FROM_TF.items():
    setattr(framework, name, get())
  top.framework = framework
  registered['tensorflow.contrib.framework'] = framework
  for name in ('losses', 'metrics'):
    module = importlib.import_module(f'tf_slim.{name}')
    setattr(top, name, module)
    registered[f'tensorflow.contrib.{name}'] = module

  # tf_slim's own submodules under tensorflow.contrib.slim.*.
  importlib.import_module('tf_slim.nets')
  for name, module in list(sys.modules.items()):
    if name.startswith('tf_slim.') and module is not None and (
        '_test' not in name):
      registered['tensorflow.contrib.slim.' + name[len('tf_slim.'):]] = module
  # TF1-era internal paths, with plain packages in between.
  for tail, target in INTERNAL_PATHS.items():
    registered['tensorflow.contrib.' + tail] = importlib.import_module(target)
  return top, registered


def _link_packages(registered):
  """Intermediate packages of the registered paths, and each child bound
  as an attribute of its parent (what `import a.b.c` needs)."""
  names = sorted(registered)
  for name in names:
    parts = name.split('.')
    for i in range(3, len(parts)):
      parent = '.'.join(parts[:i])
      if parent not in registered:
        registered[parent] = ContribNamespace(
            parent, f'{parent} (tf_compat_bn: internal path of tf.contrib).',
            _sub_hint(parts[2], True))
  links = []
  for name in sorted(registered):
    parent, _, child = name.rpartition('.')
    if parent in registered and isinstance(registered[parent],
                                           ContribNamespace):
      if child not in vars(registered[parent]):
        setattr(registered[parent], child, registered[name])
    elif parent in registered:
      links.append((registered[parent], child, registered[name]))
  return links


def install_contrib(patch, v1_modules):
  """Builds `tensorflow.contrib` on tf_slim and registers it everywhere.

  Args:
    patch: `patch(owner, name, value, description)`, recording each change
      so that uninstall() undoes it (install.py's `_patch`).
    v1_modules: the distinct `tf.compat.v1` module objects.

  Returns:
    The `tensorflow.contrib` module installed.
  """
  slim = _import_slim()
  if slim is not None:
    _mend_slim(patch)
  top, registered = _build(slim)
  _link_packages(registered)
  for owner, label in [(tf, 'tf')] + [(m, m.__name__) for m in v1_modules]:
    current = vars(owner).get('contrib')
    if getattr(current, '__file__', None) is None:   # not a real tf.contrib
      patch(owner, 'contrib', top,
            f'{label}.contrib.layers.batch_norm -> tf_compat_bn.batch_norm '
            f'({label}.contrib -> tensorflow.contrib on '
            f'{"tf_slim" if slim else "nothing else: no tf_slim"})')
  for name in sorted(registered):
    if sys.modules.get(name) is not registered[name]:
      patch(sys.modules, name, registered[name], f'sys.modules[{name!r}]')
  if _HOOK not in sys.meta_path:
    sys.meta_path.insert(0, _HOOK)
  _HOOK.top = top
  patch(_HOOK, 'active', True,
        'import tensorflow.contrib.<name not provided> -> ImportError saying '
        'what to use instead')
  return top
