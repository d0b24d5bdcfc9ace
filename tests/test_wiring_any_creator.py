"""The wiring check on batch norms of every creator (issue 13, part 3).

The check reads moving statistics off the graph, so it must flag a batch
norm whose updates the train op never runs whoever built it (a Keras 3 layer
in a tf.compat.v1 graph, a Keras 2 layer whose `updates` are not run,
tf_slim / tf.compat.v1.layers / tf_compat_bn without UPDATE_OPS,
hand-written moving averages), and stay silent on right wiring, inference
graphs, updates_collections=None and frozen layers.

Expected results come from how each creator wires its updates (read off the
reference sources and checked on the graphs): which variables are moving
statistics, and which ops write them.
"""

import warnings

import numpy as np
import pytest
import tensorflow as tf

import conftest
import tf_compat_bn

v1 = tf.compat.v1


KERAS3, NO_KERAS3 = conftest.keras3()
needs_keras3 = pytest.mark.skipif(KERAS3 is None, reason=NO_KERAS3)


def _minimize(loss, deps=(), var_list=None):
  with tf.control_dependencies(list(deps)):
    return v1.train.GradientDescentOptimizer(0.1).minimize(
        loss, var_list=var_list)


def _stats(missing):
  return sorted(s.variable for s in missing.variables)


def _writes(graph, names, variable):
  """Whether every op named writes `variable` (a tf.Variable)."""
  ops = [graph.get_operation_by_name(n) for n in names]
  return all(op.inputs[0].op is variable.handle.op for op in ops)


# --- Keras 3 in a tf.compat.v1 graph (TF >= 2.16) ---------------------------


@needs_keras3
def test_keras3_batch_norm_in_v1_graph_is_flagged():
  """Keras 3 builds its moving-average assigns and leaves them
  unreferenced (no UPDATE_OPS, no layer.updates): the train op never runs
  them."""
  graph = tf.Graph()
  with graph.as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    layer = KERAS3.layers.BatchNormalization()
    loss = tf.reduce_sum(layer(x, training=True) ** 2)
    assert v1.get_collection(v1.GraphKeys.UPDATE_OPS) == []
    assert tf_compat_bn.check_update_ops(graph=graph) == []  # no train op
    train_op = _minimize(loss)
  missing = tf_compat_bn.check_update_ops(train_op)
  mean, variance = layer.moving_mean.value, layer.moving_variance.value
  names = [mean.handle.op.name, variance.handle.op.name]
  assert _stats(missing) == sorted(names)
  layer_name = names[0].rsplit('/', 1)[0]
  assert {s.layer for s in missing.variables} == {layer_name}
  assert len(missing) == 2
  assert _writes(graph, missing.variables[0].update_ops,
                 mean if 'mean' in missing.variables[0].variable
                 else variance)
  with pytest.warns(UserWarning, match=(
      f"(?s)'{names[0]}' \\(layer '{layer_name}'\\).*"
      r'tf_compat_bn\.keras\.BatchNormalization')):
    tf_compat_bn.check_update_ops(train_op, warn=True)
  # The fix the message names: run those ops with the train op.
  with graph.as_default():
    fixed = _minimize(loss, [graph.get_operation_by_name(n)
                             for n in missing])
  assert tf_compat_bn.check_update_ops(fixed) == []


@needs_keras3
@pytest.mark.parametrize('kind', ['training_false', 'trainable_false'])
def test_keras3_inference_and_frozen_layers_are_silent(kind):
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    head = tf.Variable(1.0, name='head')
    if kind == 'training_false':
      y = KERAS3.layers.BatchNormalization()(x, training=False)
    else:
      y = KERAS3.layers.BatchNormalization(trainable=False)(x, training=True)
    train_op = _minimize(tf.reduce_sum(y ** 2) * head)
    assert tf_compat_bn.check_update_ops(train_op) == []


@needs_keras3
def test_keras3_warn_on_session_run():
  """A TF1-style program training a Keras 3 batch norm: warned at run."""
  graph = tf.Graph()
  with graph.as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    y = KERAS3.layers.BatchNormalization()(x, training=True)
    loss = tf.reduce_mean(y ** 2)
    train_op = _minimize(loss)
    with warnings.catch_warnings(record=True) as caught:
      warnings.simplefilter('always')
      with tf_compat_bn.warn_on_session_run(), v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        sess.run(train_op, {x: np.ones([4, 3], np.float32)})
  ours = [str(w.message) for w in caught
          if 'batch-norm update' in str(w.message)]
  assert len(ours) == 1 and 'moving_mean' in ours[0]


# --- Keras 2 (TF 2.12.1, the oracle) ------------------------------------------


def _keras2_layers():
  return [v1.keras.layers.BatchNormalization,
          tf.keras.layers.BatchNormalization]


@pytest.mark.reference
@pytest.mark.parametrize('which', [0, 1], ids=['v1.keras', 'tf.keras'])
@pytest.mark.parametrize('flag_kind', ['python', 'placeholder'])
def test_keras2_updates_run_or_not(which, flag_kind):
  """Keras 2 keeps the updates in layer.updates (not UPDATE_OPS)."""
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3, 3, 2])
    training = True if flag_kind == 'python' else v1.placeholder(tf.bool, [])
    layer = _keras2_layers()[which]()
    loss = tf.reduce_sum(layer(x, training=training) ** 2)
    assert v1.get_collection(v1.GraphKeys.UPDATE_OPS) == []
    forgot = _minimize(loss)
    wired = _minimize(loss, layer.updates)
    update_names = sorted(u.name for u in layer.updates)
  missing = tf_compat_bn.check_update_ops(forgot)
  assert _stats(missing) == ['batch_normalization/moving_mean',
                             'batch_normalization/moving_variance']
  assert sorted(missing) == update_names
  assert tf_compat_bn.check_update_ops(wired) == []


@pytest.mark.reference
def test_keras2_frozen_layer_is_silent():
  """trainable=False: Keras 2 drops the updates from layer.updates; a train
  op training only the head must not be told to run them."""
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3, 3, 2])
    layer = v1.keras.layers.BatchNormalization(trainable=False)
    y = layer(x, training=True)
    assert layer.updates == []
    head = tf.Variable(1.0, name='head')
    train_op = _minimize(tf.reduce_sum(y ** 2) * head, var_list=[head])
    assert tf_compat_bn.check_update_ops(train_op) == []


# --- tf_slim and tf.compat.v1.layers (TF 2.12.1) ----------------------------


@pytest.mark.reference
@pytest.mark.parametrize('front_end', ['slim', 'v1.layers', 'slim_renorm'])
def test_reference_front_ends_without_update_ops(front_end):
  import tf_slim  # pylint: disable=g-import-not-at-top
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3, 3, 2])
    if front_end == 'slim':
      y = tf_slim.batch_norm(x, is_training=True)
    elif front_end == 'slim_renorm':
      y = tf_slim.batch_norm(x, is_training=True, renorm=True)
    else:
      y = v1.layers.batch_normalization(x, training=True)
    loss = tf.reduce_sum(y ** 2)
    updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
    forgot = _minimize(loss)
    wired = _minimize(loss, updates)
    missing = tf_compat_bn.check_update_ops(forgot)
    names = [u.name if isinstance(u, tf.Operation) else u.op.name
             for u in updates]
    scope = 'BatchNorm' if front_end.startswith('slim') else (
        'batch_normalization')
    stats = ['moving_mean', 'moving_variance']
    if front_end == 'slim_renorm':
      # renorm also keeps moving_stddev, renorm_mean and renorm_stddev,
      # written by ops outside UPDATE_OPS that its two entries depend on.
      stats += ['moving_stddev', 'renorm_mean', 'renorm_stddev']
      assert set(names) < set(missing) and len(missing) == 5
    else:
      assert sorted(missing) == sorted(names)
    assert _stats(missing) == sorted(f'{scope}/{s}' for s in stats)
    assert tf_compat_bn.check_update_ops(wired) == []


@pytest.mark.reference
def test_slim_updates_collections_none_is_silent():
  import tf_slim  # pylint: disable=g-import-not-at-top
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3, 3, 2])
    y = tf_slim.batch_norm(x, is_training=True, updates_collections=None)
    assert tf_compat_bn.check_update_ops(
        _minimize(tf.reduce_sum(y ** 2))) == []


# --- tf_compat_bn's own front ends (any TF) -----------------------------------


@pytest.mark.parametrize('case', ['fused', 'zero_debias', 'renorm',
                                  'ref_variables', 'cond_v1'])
def test_ours_forgot_and_wired(case):
  with tf.Graph().as_default():
    if case == 'ref_variables':
      v1.disable_resource_variables()
    if case == 'cond_v1':
      v1.disable_control_flow_v2()
    try:
      x = v1.placeholder(tf.float32, [4, 3, 3, 2])
      flag = v1.placeholder(tf.bool, [])
      if case == 'renorm':
        y = tf_compat_bn.batch_normalization(x, training=True, renorm=True)
      else:
        y = tf_compat_bn.batch_norm(
            x, is_training=flag if case != 'fused' else True,
            zero_debias_moving_mean=case == 'zero_debias')
      loss = tf.reduce_sum(y ** 2)
      updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
      forgot = _minimize(loss)
      wired = _minimize(loss, updates)
    finally:
      v1.enable_resource_variables()
      v1.enable_control_flow_v2()
    missing = tf_compat_bn.check_update_ops(forgot)
    assert list(missing) == [u.name if isinstance(u, tf.Operation)
                             else u.op.name for u in updates]
    scope = 'batch_normalization' if case == 'renorm' else 'BatchNorm'
    expected = [f'{scope}/moving_mean', f'{scope}/moving_variance']
    if case == 'renorm':
      # The moving variance is written from the moving stddev's update.
      expected += [f'{scope}/moving_stddev']
    assert set(expected) <= set(_stats(missing))
    assert tf_compat_bn.check_update_ops(wired) == []


@pytest.mark.parametrize('case', ['updates_none', 'training_false',
                                  'frozen', 'inference_only'])
def test_ours_silent_cases(case):
  with tf.Graph().as_default() as graph:
    x = v1.placeholder(tf.float32, [4, 3, 3, 2])
    if case == 'updates_none':
      y = tf_compat_bn.batch_norm(x, updates_collections=None)
    elif case == 'training_false':
      y = tf_compat_bn.batch_normalization(x, training=False)
    else:
      y = tf_compat_bn.layers.BatchNormalization(
          trainable=case != 'frozen')(x, training=True)
    head = tf.Variable(1.0, name='head')
    loss = tf.reduce_sum(y ** 2) * head
    if case == 'inference_only':
      assert tf_compat_bn.check_update_ops(graph=graph) == []
      return
    train_op = _minimize(loss, var_list=[head] if case == 'frozen' else None)
    assert tf_compat_bn.check_update_ops(train_op) == []
    assert tf_compat_bn.check_update_ops(graph=graph) == []


# --- hand-written moving averages (any TF) ------------------------------------


def test_hand_written_assign_moving_average():
  # pylint: disable-next=g-import-not-at-top
  from tensorflow.python.training import moving_averages
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    with v1.variable_scope('bn'):
      mean, variance = tf.nn.moments(x, [0])
      moving_mean = v1.get_variable('moving_mean', [3], trainable=False,
                                    initializer=v1.zeros_initializer())
      moving_variance = v1.get_variable('moving_variance', [3],
                                        trainable=False,
                                        initializer=v1.ones_initializer())
      updates = [
          moving_averages.assign_moving_average(moving_mean, mean, 0.9),
          moving_averages.assign_moving_average(moving_variance, variance,
                                                0.9)]
      beta = v1.get_variable('beta', [3], initializer=v1.zeros_initializer())
      y = tf.nn.batch_normalization(x, mean, variance, beta, None, 1e-3)
    loss = tf.reduce_sum(y ** 2)
    missing = tf_compat_bn.check_update_ops(_minimize(loss))
    assert _stats(missing) == ['bn/moving_mean', 'bn/moving_variance']
    assert {s.layer for s in missing.variables} == {'bn'}
    assert tf_compat_bn.check_update_ops(_minimize(loss, updates)) == []


def test_hand_written_unnamed_population_statistics():
  """Variables named 'Variable_N' updated from tf.nn.moments (a common TF1
  tutorial): found from the graph's structure, not their names."""
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    scale, beta = tf.Variable(tf.ones([3])), tf.Variable(tf.zeros([3]))
    pop_mean = tf.Variable(tf.zeros([3]), trainable=False)
    pop_var = tf.Variable(tf.ones([3]), trainable=False)
    batch_mean, batch_var = tf.nn.moments(x, [0])
    updates = [v1.assign(pop_mean, pop_mean * 0.9 + batch_mean * 0.1),
               v1.assign(pop_var, pop_var * 0.9 + batch_var * 0.1)]
    y = tf.nn.batch_normalization(x, batch_mean, batch_var, beta, scale,
                                  1e-3)
    loss = tf.reduce_sum(y ** 2)
    missing = tf_compat_bn.check_update_ops(_minimize(loss))
    assert _stats(missing) == sorted([pop_mean.op.name, pop_var.op.name])
    assert tf_compat_bn.check_update_ops(_minimize(loss, updates)) == []


@pytest.mark.parametrize('cond_v1', [True, False], ids=['cond-v1', 'cond-v2'])
def test_ema_inside_a_cond_is_wired(cond_v1):
  """The classic `tf.cond(phase_train, mean_var_with_update, ...)` pattern
  runs its ExponentialMovingAverage inside the cond, on the data path."""
  with tf.Graph().as_default():
    if cond_v1:
      v1.disable_control_flow_v2()
    try:
      x = v1.placeholder(tf.float32, [4, 3])
      phase_train = v1.placeholder(tf.bool, [])
      beta = tf.Variable(tf.zeros([3]))
      batch_mean, batch_var = tf.nn.moments(x, [0], name='moments')
      ema = v1.train.ExponentialMovingAverage(decay=0.5)

      def mean_var_with_update():
        with tf.control_dependencies([ema.apply([batch_mean, batch_var])]):
          return tf.identity(batch_mean), tf.identity(batch_var)
      mean, var = tf.cond(phase_train, mean_var_with_update,
                          lambda: (ema.average(batch_mean),
                                   ema.average(batch_var)))
      y = tf.nn.batch_normalization(x, mean, var, beta, None, 1e-3)
      train_op = _minimize(tf.reduce_sum(y ** 2))
    finally:
      v1.enable_control_flow_v2()
    assert tf_compat_bn.check_update_ops(train_op) == []


@pytest.mark.parametrize('kernel', ['fused', 'moments'])
@pytest.mark.parametrize('training', [True, False])
def test_moving_statistics_nothing_updates(kernel, training):
  """Moving statistics kept next to a batch norm that trains with batch
  statistics, but never updated by anything: reported by variable name.
  The same layer in inference mode (reading them) is silent."""
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3, 3, 2])
    with v1.variable_scope('bn'):
      gamma = v1.get_variable('gamma', [2], initializer=v1.ones_initializer())
      beta = v1.get_variable('beta', [2], initializer=v1.zeros_initializer())
      moving_mean = v1.get_variable('moving_mean', [2], trainable=False,
                                    initializer=v1.zeros_initializer())
      moving_variance = v1.get_variable('moving_variance', [2],
                                        trainable=False,
                                        initializer=v1.ones_initializer())
      if kernel == 'fused' and training:
        y, _, _ = v1.nn.fused_batch_norm(x, gamma, beta, is_training=True)
      elif kernel == 'fused':
        y, _, _ = v1.nn.fused_batch_norm(x, gamma, beta, moving_mean,
                                         moving_variance, is_training=False)
      elif training:
        mean, variance = tf.nn.moments(x, [0, 1, 2])
        y = tf.nn.batch_normalization(x, mean, variance, beta, gamma, 1e-3)
      else:
        y = tf.nn.batch_normalization(x, moving_mean, moving_variance, beta,
                                      gamma, 1e-3)
    train_op = _minimize(tf.reduce_sum(y ** 2))
  missing = tf_compat_bn.check_update_ops(train_op)
  if not training:
    assert missing == []
    return
  assert list(missing) == ['bn/moving_mean', 'bn/moving_variance']
  assert [(s.variable, s.layer, s.update_ops) for s in missing.variables] == [
      ('bn/moving_mean', 'bn', ()), ('bn/moving_variance', 'bn', ())]
  with pytest.warns(UserWarning, match="nothing in the graph updates "
                    "'bn/moving_mean' \\(layer 'bn'\\)"):
    tf_compat_bn.check_update_ops(train_op, warn=True)


# --- tf_compat_bn.keras (Keras 2 semantics without Keras) ---------------------


def _our_keras():
  try:
    # pylint: disable-next=g-import-not-at-top
    from tf_compat_bn import keras as ours
  except ImportError as e:
    return None, f'needs tf_compat_bn.keras: {e}'
  if not hasattr(ours, 'BatchNormalization'):
    return None, 'needs tf_compat_bn.keras.BatchNormalization'
  return ours, ''


OUR_KERAS, NO_OUR_KERAS = _our_keras()


@pytest.mark.skipif(OUR_KERAS is None, reason=NO_OUR_KERAS)
def test_tf_compat_bn_keras_layer_updates():
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3, 3, 2])
    layer = OUR_KERAS.BatchNormalization()
    loss = tf.reduce_sum(layer(x, training=True) ** 2)
    forgot = _minimize(loss)
    wired = _minimize(loss, layer.updates)
  missing = tf_compat_bn.check_update_ops(forgot)
  assert [s.variable.rsplit('/', 1)[1] for s in missing.variables] == [
      'moving_mean', 'moving_variance']
  assert tf_compat_bn.check_update_ops(wired) == []
