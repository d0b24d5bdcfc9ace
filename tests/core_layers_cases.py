"""The argument space of tf.compat.v1.layers' core family (`dense`, `Dense`,
`dropout`, `Dropout`, `flatten`, `Flatten`) for differential and golden
tests.

JSON-able cases, run by `graph_summary` like `layers_cases`:

* `fn`: the namespace attribute called -- a function form (`dense`, ...)
  or a class (`Dense`, ...), which `function` turns into "build one layer
  object (per graph) with the constructor arguments, call it on x"; a class
  case with `calls=2` therefore calls the same object twice.  `method:
  'apply'` calls `layer.apply` instead.
* `kwargs`: plain arguments; `objects`: {argument: symbolic name} resolved
  through `OBJECTS` (callables cannot be stored in JSON).
* `wrap`: builds the call inside a variable scope of the named kind
  (`auto_reuse`: two calls under an AUTO_REUSE scope; `scope_initializer`:
  under a scope with a constant initializer; `reuse_scope`: once plainly,
  then again with the enclosing scope reused).

Unknown-batch cases keep the output shape equal to the input's, as
`graph_summary` weights the output with a constant of the data's shape.
"""

import tensorflow as tf

v1 = tf.compat.v1


def _l2(scale):
  return lambda v: tf.multiply(scale, tf.nn.l2_loss(v), name='l2')


# Symbolic name -> factory of the object it stands for.
OBJECTS = {
    'relu': lambda: tf.nn.relu,
    'tanh': lambda: tf.tanh,
    'l2': lambda: _l2(0.01),
    'l2_bias': lambda: _l2(0.02),
    'activity_sum': lambda: (
        lambda y: tf.multiply(1e-3, tf.reduce_sum(tf.abs(y)), name='act')),
    'const_half': lambda: v1.constant_initializer(0.5),
    'const_small': lambda: v1.constant_initializer(0.1),
    'normal_seeded': lambda: v1.random_normal_initializer(stddev=0.5, seed=3),
    'uniform_seeded': lambda: v1.random_uniform_initializer(-0.3, 0.3, seed=4),
    'clip': lambda: (lambda w: tf.clip_by_value(w, -0.2, 0.2)),
    'nonneg': lambda: tf.nn.relu,
    'none': lambda: None,
}


def _case(cid, fn, shape, **kw):
  return dict(id=cid, fn=fn, shape=shape, **kw)


CASES = [
    # ---- dense: arguments -------------------------------------------------
    _case('dense_default', 'dense', [4, 3], kwargs=dict(units=5)),
    _case('dense_relu', 'dense', [4, 3], kwargs=dict(units=5),
          objects=dict(activation='relu')),
    _case('dense_tanh_no_bias', 'dense', [4, 3],
          kwargs=dict(units=2, use_bias=False), objects=dict(activation='tanh')),
    _case('dense_initializers', 'dense', [4, 3], kwargs=dict(units=4),
          objects=dict(kernel_initializer='normal_seeded',
                       bias_initializer='const_small')),
    _case('dense_bias_initializer_none', 'dense', [4, 3], kwargs=dict(units=3),
          objects=dict(kernel_initializer='uniform_seeded',
                       bias_initializer='none')),
    _case('dense_regularizers', 'dense', [4, 3], kwargs=dict(units=4),
          objects=dict(kernel_regularizer='l2', bias_regularizer='l2_bias')),
    _case('dense_activity_regularizer', 'dense', [4, 3], kwargs=dict(units=4),
          objects=dict(activity_regularizer='activity_sum')),
    _case('dense_all_regularizers_no_bias', 'dense', [4, 3],
          kwargs=dict(units=4, use_bias=False),
          objects=dict(kernel_regularizer='l2', bias_regularizer='l2_bias',
                       activity_regularizer='activity_sum')),
    _case('dense_constraints', 'dense', [4, 3], kwargs=dict(units=4),
          objects=dict(kernel_constraint='clip', bias_constraint='nonneg')),
    _case('dense_trainable_false', 'dense', [4, 3],
          kwargs=dict(units=4, trainable=False)),
    _case('dense_named', 'dense', [4, 3], kwargs=dict(units=4, name='fc')),
    _case('dense_one_unit', 'dense', [4, 3], kwargs=dict(units=1)),
    # ---- dense: inputs ----------------------------------------------------
    _case('dense_rank3', 'dense', [2, 4, 3], kwargs=dict(units=5),
          objects=dict(activation='relu')),
    _case('dense_rank4', 'dense', [2, 2, 2, 3], kwargs=dict(units=2)),
    _case('dense_rank3_unknown_batch', 'dense', [2, 4, 3],
          placeholder_shape=[None, 4, 3], kwargs=dict(units=3)),
    _case('dense_rank3_unknown_inner', 'dense', [2, 4, 3],
          placeholder_shape=[None, None, 3], kwargs=dict(units=3)),
    _case('dense_unknown_batch', 'dense', [4, 3], placeholder_shape=[None, 3],
          kwargs=dict(units=3)),
    _case('dense_float16', 'dense', [4, 3], dtype='float16',
          kwargs=dict(units=4), objects=dict(kernel_initializer='const_half')),
    _case('dense_bfloat16', 'dense', [4, 3], dtype='bfloat16',
          kwargs=dict(units=4), objects=dict(kernel_initializer='const_half')),
    _case('dense_float64', 'dense', [4, 3], dtype='float64',
          kwargs=dict(units=4), objects=dict(activation='relu')),
    _case('dense_class_dtype_cast', 'Dense', [4, 3],
          kwargs=dict(units=4, dtype='float64')),
    # ---- dense: scopes, reuse, partitioning, TF1 variables -----------------
    _case('dense_reuse_by_name', 'dense', [4, 3], calls=2,
          kwargs=dict(units=4, name='fc')),
    _case('dense_towers', 'dense', [4, 3], towers=2, kwargs=dict(units=3)),
    _case('dense_reuse_scope', 'dense', [4, 3], wrap='reuse_scope',
          kwargs=dict(units=3, name='fc')),
    _case('dense_auto_reuse', 'dense', [4, 3], wrap='auto_reuse',
          kwargs=dict(units=3, name='fc')),
    _case('dense_scope_initializer', 'dense', [4, 3], wrap='scope_initializer',
          kwargs=dict(units=3)),
    _case('dense_outer_scope', 'dense', [4, 3], outer='outer',
          kwargs=dict(units=3)),
    _case('dense_partitioned', 'dense', [4, 6], outer='outer',
          partitioned=True, kwargs=dict(units=4),
          objects=dict(kernel_initializer='normal_seeded',
                       kernel_regularizer='l2')),
    _case('dense_v1_variables', 'dense', [4, 3], mode='v1',
          kwargs=dict(units=4), objects=dict(kernel_regularizer='l2')),
    _case('dense_class_called_twice', 'Dense', [4, 3], calls=2,
          kwargs=dict(units=3)),
    _case('dense_class_apply', 'Dense', [2, 4, 3], method='apply',
          kwargs=dict(units=3, name='proj')),
    # ---- dropout ------------------------------------------------------------
    _case('dropout_training', 'dropout', [6, 5], flag='python_true'),
    _case('dropout_seeded_rate', 'dropout', [6, 5], flag='python_true',
          kwargs=dict(rate=0.3, seed=3)),
    _case('dropout_inference', 'dropout', [6, 5], flag='python_false'),
    _case('dropout_placeholder', 'dropout', [6, 5], flag='placeholder',
          kwargs=dict(rate=0.4, seed=2)),
    _case('dropout_const_true', 'dropout', [6, 5], flag='const_true',
          kwargs=dict(seed=1)),
    _case('dropout_flag_none_learning_phase', 'dropout', [6, 5], flag='none'),
    _case('dropout_noise_shape_dynamic', 'dropout', [4, 3, 5],
          flag='python_true', kwargs=dict(noise_shape=[None, 1, None], seed=5)),
    _case('dropout_noise_shape_static', 'dropout', [4, 3, 5],
          flag='placeholder', kwargs=dict(noise_shape=[4, 1, 5], seed=5)),
    _case('dropout_rate_zero', 'dropout', [6, 5], flag='python_true',
          kwargs=dict(rate=0.0)),
    _case('dropout_unknown_batch', 'dropout', [6, 5],
          placeholder_shape=[None, 5], flag='python_true',
          kwargs=dict(seed=7)),
    _case('dropout_float16', 'dropout', [6, 5], dtype='float16',
          flag='python_true', kwargs=dict(seed=8)),
    _case('dropout_float64', 'dropout', [6, 5], dtype='float64',
          flag='placeholder', kwargs=dict(seed=8)),
    _case('dropout_named', 'dropout', [6, 5], flag='python_true',
          kwargs=dict(name='drop', seed=9)),
    _case('dropout_class_called_twice', 'Dropout', [6, 5], flag='python_true',
          calls=2, kwargs=dict(rate=0.25, seed=5)),
    _case('dropout_v1_cond', 'dropout', [6, 5], mode='v1', flag='placeholder',
          kwargs=dict(seed=4)),
    # ---- flatten ------------------------------------------------------------
    _case('flatten_rank3', 'flatten', [2, 3, 4]),
    _case('flatten_rank2_unknown_batch', 'flatten', [4, 6],
          placeholder_shape=[None, 6]),
    _case('flatten_unknown_dims', 'flatten', [4, 6],
          placeholder_shape=[None, None]),
    _case('flatten_known_batch_unknown_dim', 'flatten', [4, 6],
          placeholder_shape=[4, None]),
    _case('flatten_rank1', 'flatten', [5]),
    _case('flatten_channels_first', 'flatten', [2, 3, 2, 2],
          kwargs=dict(data_format='channels_first')),
    _case('flatten_class_channels_first_5d', 'Flatten', [2, 3, 2, 2, 2],
          kwargs=dict(data_format='channels_first', name='flat')),
    _case('flatten_float64', 'flatten', [2, 3, 4], dtype='float64'),
]


def make_kwargs(case, x, flag):
  """The call's keyword arguments for `case` (input `x`, training `flag`)."""
  del x
  kwargs = dict(case.get('kwargs', {}))
  for param, symbol in case.get('objects', {}).items():
    kwargs[param] = OBJECTS[symbol]()
  if case['fn'].lower() == 'dropout':
    kwargs['training'] = flag
  return kwargs


def function(namespace, case):
  """`fn(x, **kwargs)` building `case` with `namespace`'s layers."""
  target = getattr(namespace, case['fn'])
  if case['fn'][0].isupper():
    fn = _instance_caller(target, case.get('method'))
  else:
    fn = target
  wrap = case.get('wrap')
  if wrap == 'auto_reuse':
    def auto_reuse(x, **kwargs):
      with v1.variable_scope('shared', reuse=v1.AUTO_REUSE):
        return fn(x, **kwargs) + fn(x, **kwargs)
    return auto_reuse
  if wrap == 'reuse_scope':
    def reuse_scope(x, **kwargs):
      with v1.variable_scope('shared'):
        y = fn(x, **kwargs)
      with v1.variable_scope('shared', reuse=True):
        return y + fn(x, **kwargs)
    return reuse_scope
  if wrap == 'scope_initializer':
    def scope_initializer(x, **kwargs):
      with v1.variable_scope('init', initializer=v1.constant_initializer(0.3)):
        return fn(x, **kwargs)
    return scope_initializer
  return fn


def _instance_caller(cls, method):
  """Calls one `cls(**constructor arguments)` object per graph on x."""
  built = {}

  def call(x, **kwargs):
    kwargs.pop('reuse', None)
    call_kwargs = {}
    if 'training' in kwargs:
      call_kwargs['training'] = kwargs.pop('training')
    graph = v1.get_default_graph()
    if graph not in built:
      built.clear()
      built[graph] = cls(**kwargs)
    layer = built[graph]
    return (layer.apply if method == 'apply' else layer)(x, **call_kwargs)

  return call


# ---- errors: each builds in a fresh graph and must raise --------------------
def _in_graph(build):
  def run(namespace):
    with tf.Graph().as_default():
      return build(namespace)
  return run


def _ph(shape, dtype=tf.float32):
  return v1.placeholder(dtype, shape, name='x')


def _dense_twice_same_name(L):
  x = _ph([4, 3])
  L.dense(x, 2, name='fc')
  return L.dense(x, 2, name='fc')


def _dense_second_call_other_width(L):
  layer = L.Dense(2)
  layer(_ph([4, 3]))
  return layer(v1.placeholder(tf.float32, [4, 5], name='x2'))


ERROR_CASES = {
    'dense_unknown_last_dim': _in_graph(
        lambda L: L.dense(_ph([4, None]), 2)),
    'dense_unknown_rank': _in_graph(lambda L: L.dense(_ph(None), 2)),
    'dense_rank1_input': _in_graph(lambda L: L.dense(_ph([3]), 2)),
    'dense_integer_input': _in_graph(
        lambda L: L.dense(_ph([4, 3], tf.int32), 2)),
    'dense_negative_units': _in_graph(lambda L: L.Dense(-1)),
    'dense_units_not_a_number': _in_graph(lambda L: L.Dense('two')),
    'dense_unknown_keyword': _in_graph(lambda L: L.Dense(2, bogus=1)),
    'dense_reuse_missing_variables': _in_graph(
        lambda L: L.dense(_ph([4, 3]), 2, name='fc', reuse=True)),
    'dense_same_name_without_reuse': _in_graph(_dense_twice_same_name),
    'dense_second_call_other_width': _in_graph(_dense_second_call_other_width),
    'dense_compute_output_shape_rank1': _in_graph(
        lambda L: L.Dense(2).compute_output_shape([3])),
    'dense_compute_output_shape_unknown_last': _in_graph(
        lambda L: L.Dense(2).compute_output_shape([None, None])),
    'dropout_rate_above_one': _in_graph(lambda L: L.Dropout(1.5)),
    'dropout_rate_negative': _in_graph(lambda L: L.Dropout(-0.1)),
    'dropout_rate_one_in_training': _in_graph(
        lambda L: L.dropout(_ph([4, 3]), rate=1.0, training=True)),
    'dropout_training_string': _in_graph(
        lambda L: L.dropout(_ph([4, 3]), training='yes')),
    'dropout_integer_input': _in_graph(
        lambda L: L.dropout(_ph([4, 3], tf.int32), training=True)),
    'flatten_bad_data_format': _in_graph(
        lambda L: L.flatten(_ph([2, 3, 4]), data_format='channels_middle')),
    'flatten_scalar_input': _in_graph(lambda L: L.flatten(_ph([]))),
}
