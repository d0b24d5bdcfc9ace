"""Batch norm inside `tf.cond`, updates run from outside (issue 12).

The TF1 program shape under test:

    y = tf.cond(is_training,
                lambda: tf.layers.batch_normalization(h, training=True),
                lambda: tf.layers.batch_normalization(h, training=False,
                                                      reuse=True))
    with tf.control_dependencies(tf.get_collection(UPDATE_OPS)):
      train_op = optimizer.minimize(loss)

Where the expected values come from:
* TF 1.x control flow is the original: the same program built with
  `disable_control_flow_v2()` (TF 1.15's cond, which TF 2.12 and 2.21 still
  run natively) gives every expected value: variables after training steps,
  outputs, moving statistics after evaluation-only runs.  TF 1.15.5 itself,
  run on `tf.layers.batch_normalization` and `tf.contrib.layers.batch_norm`
  in a cond, moved the moving mean of an [4, 3] input `arange(12)` from 0 to
  0.01 * [4.5, 5.5, 6.5] (momentum 0.99) and to 0.001 * that (contrib's 0.999)
  after one train step, and left it there after a loss-only run: checked
  here by hand in `test_moving_mean_by_hand`.
* Where TF 1.15 and ours differ on purpose (a train step with the branch not
  taken: TF 1.15 skipped the whole step, a dead control input), the test
  says so and checks both sides live.
* A `tf.while_loop` body: TF 1.15.5 failed at run time ("has inputs from
  different frames"); TF 2.12 fails at graph construction ("is not an
  element of this graph"); ours raises a ValueError that says why.
"""

import contextlib

import numpy as np
import pytest
import tensorflow as tf

import tf_compat_bn
from tf_compat_bn import branch_updates

v1 = tf.compat.v1
UPDATE_OPS = v1.GraphKeys.UPDATE_OPS

# A [4, 3] batch whose column means are [4.5, 5.5, 6.5]: one update with
# momentum m moves a zero moving mean to (1 - m) * BATCH_MEAN (by hand).
BATCH = np.arange(12, dtype=np.float32).reshape(4, 3)
BATCH_MEAN = np.array([4.5, 5.5, 6.5])


def _moving_mean():
  """The default graph's `bn/moving_mean` variable."""
  return [v for v in v1.global_variables()
          if v.op.name == 'bn/moving_mean'][0]


@contextlib.contextmanager
def _control_flow(version):
  if version == 1:
    v1.disable_control_flow_v2()
  try:
    yield
  finally:
    if version == 1:
      v1.enable_control_flow_v2()


def _layers_bn(h, training, reuse):
  return tf_compat_bn.layers.batch_normalization(
      h, training=training, reuse=reuse, name='bn')


def _contrib_bn(h, training, reuse):
  return tf_compat_bn.batch_norm(h, is_training=training, reuse=reuse,
                                 scale=True, scope='bn')


def _contrib_moments_bn(h, training, reuse):
  return tf_compat_bn.batch_norm(h, is_training=training, reuse=reuse,
                                 fused=False, center=True, scope='bn')


_LAYER = {}


def _renorm_bn(h, training, reuse):
  return tf_compat_bn.layers.batch_normalization(
      h, training=training, reuse=reuse, renorm=True, name='bn')


def _layer_object_bn(h, training, reuse):
  del reuse  # the layer object is shared by both branches
  return _LAYER['bn'](h, training=training)


FRONT_ENDS = {'layers': _layers_bn, 'contrib_fused': _contrib_bn,
              'contrib_moments': _contrib_moments_bn,
              'layer_object': _layer_object_bn}


def _model(front_end, x, is_training):
  """conv2d -> BN (in a cond on is_training) -> relu -> dense."""
  if front_end == 'layer_object':
    _LAYER['bn'] = tf_compat_bn.layers.BatchNormalization(name='bn')
  bn = FRONT_ENDS[front_end]
  h = tf_compat_bn.layers.conv2d(
      x, 4, 3, padding='same', name='conv',
      kernel_initializer=v1.glorot_uniform_initializer(seed=1))
  h = v1.cond(is_training, lambda: bn(h, True, None),
              lambda: bn(h, False, True))
  h = tf.nn.relu(h)
  h = tf_compat_bn.layers.flatten(h)
  return tf_compat_bn.layers.dense(
      h, 2, name='logits',
      kernel_initializer=v1.glorot_uniform_initializer(seed=2))


def _build(front_end, version):
  graph = tf.Graph()
  with graph.as_default(), _control_flow(version):
    x = v1.placeholder(tf.float32, [4, 5, 5, 3], name='x')
    is_training = v1.placeholder(tf.bool, [], name='is_training')
    logits = _model(front_end, x, is_training)
    loss = tf.reduce_mean(tf.square(logits))
    update_ops = v1.get_collection(UPDATE_OPS)
    with tf.control_dependencies(update_ops):
      train_op = v1.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
    init = v1.global_variables_initializer()
  return dict(graph=graph, x=x, is_training=is_training, logits=logits,
              loss=loss, train_op=train_op, init=init,
              update_ops=update_ops)


def _batches(n):
  rng = np.random.RandomState(0)
  return [rng.randn(4, 5, 5, 3).astype(np.float32) * 2 + 1 for _ in range(n)]


def _run(model, schedule):
  """Runs (what, flag) steps; returns every variable and each output."""
  graph = model['graph']
  outputs = []
  with v1.Session(graph=graph) as sess:
    sess.run(model['init'])
    for batch, (what, flag) in zip(_batches(len(schedule)), schedule):
      feed = {model['x']: batch, model['is_training']: flag}
      if what == 'train':
        sess.run(model['train_op'], feed)
      else:
        outputs.append(sess.run(model['logits'], feed))
    with graph.as_default():
      variables = {v.op.name: sess.run(v) for v in v1.global_variables()}
  return variables, outputs


# Train steps take the branch; evaluation runs use both flags, and an
# evaluation with the flag True (batch statistics) must not move anything.
SCHEDULE = [('train', True), ('eval', False), ('train', True),
            ('eval', True), ('train', True), ('eval', False)]


@pytest.mark.parametrize('front_end', sorted(FRONT_ENDS))
def test_updates_run_from_outside_as_with_tf1_control_flow(front_end):
  expected_vars, expected_out = _run(_build(front_end, 1), SCHEDULE)
  actual_vars, actual_out = _run(_build(front_end, 2), SCHEDULE)
  assert sorted(actual_vars) == sorted(expected_vars)
  for name, value in expected_vars.items():
    np.testing.assert_allclose(actual_vars[name], value, rtol=1e-5,
                               atol=1e-6, err_msg=name)
  for e, a in zip(expected_out, actual_out):
    np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5)
  moving = [n for n in actual_vars if n.endswith('moving_mean')]
  assert moving and not np.allclose(actual_vars[moving[0]], 0)


def test_renorm_assign_update_as_with_tf1_control_flow():
  """Renorm's moving variance is an assign (of a value computed from the
  moving stddev's update): it runs from outside too.  Train steps only:
  the moving stddev's own update runs whenever the branch runs (documented
  in tf_compat_bn/branch_updates.py)."""
  FRONT_ENDS['renorm'] = _renorm_bn
  try:
    schedule = [('train', True), ('eval', False), ('train', True),
                ('train', True), ('eval', False)]
    expected_vars, expected_out = _run(_build('renorm', 1), schedule)
    model = _build('renorm', 2)
    assert [u.type for u in model['update_ops']] == [
        'AssignSubVariableOp', 'AssignVariableOp']
    actual_vars, actual_out = _run(model, schedule)
  finally:
    del FRONT_ENDS['renorm']
  for name, value in expected_vars.items():
    np.testing.assert_allclose(actual_vars[name], value, rtol=1e-5,
                               atol=1e-6, err_msg=name)
  for e, a in zip(expected_out, actual_out):
    np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5)
  assert not np.allclose(actual_vars['bn/moving_variance'], 1)


@pytest.mark.parametrize('front_end', ['layers', 'contrib_fused'])
def test_moving_mean_by_hand(front_end):
  """One train step moves the moving mean by (1 - momentum) * batch mean;
  a loss-only run with the branch taken does not (TF 1.15.5's values)."""
  graph = tf.Graph()
  with graph.as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    flag = v1.placeholder(tf.bool, [])
    bn = FRONT_ENDS[front_end]
    y = v1.cond(flag, lambda: bn(x, True, None), lambda: x)
    loss = tf.reduce_sum(y ** 2)
    with tf.control_dependencies(v1.get_collection(UPDATE_OPS)):
      train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    moving_mean = _moving_mean()
    momentum = 0.99 if front_end == 'layers' else 0.999
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      sess.run(train_op, {x: BATCH, flag: True})
      after_train = sess.run(moving_mean)
      sess.run(loss, {x: BATCH, flag: True})
      after_loss = sess.run(moving_mean)
  want = (1 - momentum) * BATCH_MEAN
  np.testing.assert_allclose(after_train, want, rtol=1e-5)
  np.testing.assert_array_equal(after_loss, after_train)


def _weights_and_stats(model, flag):
  with v1.Session(graph=model['graph']) as sess:
    sess.run(model['init'])
    with model['graph'].as_default():
      before = {v.op.name: sess.run(v) for v in v1.global_variables()}
      sess.run(model['train_op'], {model['x']: _batches(1)[0],
                                   model['is_training']: flag})
      after = {v.op.name: sess.run(v) for v in v1.global_variables()}
  changed = {n for n in before if not np.array_equal(before[n], after[n])}
  return changed


def test_branch_not_taken_trains_weights_not_statistics():
  """A train step with the predicate false: the statistics stay, the
  weights train.  TF 1.x control flow (TF 1.15's behaviour, live here)
  skipped the whole step instead: the update's control input was dead, so
  nothing changed.  We keep the step, as a user expects; documented in the
  README's "Which TensorFlow's behaviour"."""
  ours = _weights_and_stats(_build('layers', 2), False)
  assert 'conv/kernel' in ours and 'logits/kernel' in ours
  assert not {'bn/moving_mean', 'bn/moving_variance'} & ours
  tf1 = _weights_and_stats(_build('layers', 1), False)
  assert tf1 == set()


def test_collection_holds_the_update_names():
  model = _build('layers', 2)
  updates = model['update_ops']
  assert all(isinstance(u, branch_updates.BranchUpdate) for u in updates)
  assert [u.name for u in updates] == [
      'bn/AssignMovingAvg/AssignSubVariableOp',
      'bn/AssignMovingAvg_1/AssignSubVariableOp']
  # The train op depends on the lifted ops, named under the cond.
  lifted = [c.name for c in model['train_op'].control_inputs][:2]
  assert lifted == ['cond/bn/AssignMovingAvg/AssignSubVariableOp',
                    'cond/bn/AssignMovingAvg_1/AssignSubVariableOp']
  # Asking again gives the same ops: the cond is rewritten once.
  with model['graph'].as_default():
    again = [model['graph'].as_graph_element(u) for u in updates]
  assert [op.name for op in again] == lifted


def test_tf1_control_flow_collection_unchanged():
  """Code that works today is untouched: with TF 1.x control flow the
  collection holds the update ops themselves."""
  model = _build('layers', 1)
  assert model['update_ops']
  assert all(isinstance(u, tf.Operation) for u in model['update_ops'])


def _stats_after(run_updates):
  graph = tf.Graph()
  with graph.as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    flag = v1.placeholder(tf.bool, [])
    y = v1.cond(flag, lambda: _layers_bn(x, True, None), lambda: x)
    moving = _moving_mean()
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      results = [run_updates(sess, v1.get_collection(UPDATE_OPS), y,
                             {x: BATCH, flag: f}) or sess.run(moving)
                 for f in (False, True)]
  return results


def test_group_and_session_run_of_the_collection():
  """tf.group(*update_ops) and Session.run(update_ops) (outside any graph
  context) run the updates when the branch is taken, and only then; both
  are made after the session has already run the graph (the initializer),
  which must keep working."""
  def group(sess, updates, y, feed):
    sess.run([y, tf.group(*updates)], feed)

  def fetch(sess, updates, y, feed):
    sess.run([y] + updates, feed)

  want = 0.01 * BATCH_MEAN
  for how in (group, fetch):
    not_taken, taken = _stats_after(how)
    np.testing.assert_array_equal(not_taken, 0)
    np.testing.assert_allclose(taken, want, rtol=1e-5)


def test_control_dependencies_inside_the_branch_still_work():
  """TF2-style code that wires the updates inside the branch keeps
  working: there the collection's entries are the branch's own ops."""
  graph = tf.Graph()
  with graph.as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    flag = v1.placeholder(tf.bool, [])

    def train_branch():
      y = _layers_bn(x, True, None)
      with tf.control_dependencies(v1.get_collection(UPDATE_OPS)):
        return tf.identity(y)

    y = v1.cond(flag, train_branch, lambda: x)
    moving = _moving_mean()
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      sess.run(y, {x: BATCH,
                   flag: True})
      np.testing.assert_allclose(sess.run(moving),
                                 0.01 * BATCH_MEAN, rtol=1e-5)


def test_nested_cond_gives_a_clear_error_outside_and_runs_inside():
  """A cond nested in a cond: from outside, a ValueError rather than
  updates that never run; wired inside its own branch, it runs."""
  graph = tf.Graph()
  with graph.as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    outer_flag = v1.placeholder(tf.bool, [])
    inner_flag = v1.placeholder(tf.bool, [])

    def inner_branch():
      y = _layers_bn(x, True, None)
      with tf.control_dependencies(v1.get_collection(UPDATE_OPS)):
        return tf.identity(y)

    y = v1.cond(outer_flag,
                lambda: v1.cond(inner_flag, inner_branch, lambda: x),
                lambda: x)
    with pytest.raises(ValueError, match='nested in another tf.cond'):
      with tf.control_dependencies(v1.get_collection(UPDATE_OPS)):
        tf.identity(y)
    moving = _moving_mean()
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      sess.run(y, {x: BATCH, outer_flag: True, inner_flag: False})
      np.testing.assert_array_equal(sess.run(moving), 0)
      sess.run(y, {x: BATCH, outer_flag: True, inner_flag: True})
      np.testing.assert_allclose(sess.run(moving),
                                 0.01 * BATCH_MEAN, rtol=1e-5)


def test_updates_after_the_gradients():
  """`train_op = tf.group(minimize(loss), *update_ops)`: the gradients have
  rewritten the cond first; the updates still run."""
  graph = tf.Graph()
  with graph.as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    flag = v1.placeholder(tf.bool, [])
    y = v1.cond(flag, lambda: _contrib_bn(x, True, None), lambda: x)
    loss = tf.reduce_sum(y ** 2)
    minimize = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    train_op = tf.group(minimize, *v1.get_collection(UPDATE_OPS))
    moving = _moving_mean()
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      sess.run(train_op, {x: BATCH,
                          flag: True})
      np.testing.assert_allclose(sess.run(moving),
                                 0.001 * BATCH_MEAN, rtol=1e-5)


def test_while_loop_body_gives_a_clear_error():
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3])

    def body(i, h):
      return i + 1, tf_compat_bn.layers.batch_normalization(
          h, training=True, name='bn', reuse=v1.AUTO_REUSE)

    _, y = v1.while_loop(lambda i, h: i < 2, body, [0, x])
    update_ops = v1.get_collection(UPDATE_OPS)
    with pytest.raises(ValueError, match='inside a tf.while_loop body and '
                       'cannot run from outside the loop'):
      with tf.control_dependencies(update_ops):
        v1.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y))


@pytest.mark.parametrize('wired', [False, True])
def test_wiring_check_sees_updates_in_a_cond(wired):
  """The wiring check flags a cond whose batch-norm updates the train op
  never runs (they are dead code in the branch function), and is silent
  once they are wired from outside."""
  graph = tf.Graph()
  with graph.as_default():
    x = v1.placeholder(tf.float32, [4, 5, 5, 3])
    is_training = v1.placeholder(tf.bool, [])
    logits = _model('layers', x, is_training)
    loss = tf.reduce_mean(tf.square(logits))
    deps = v1.get_collection(UPDATE_OPS) if wired else []
    with tf.control_dependencies(deps):
      train_op = v1.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
    missing = tf_compat_bn.check_update_ops(train_op)
  if wired:
    assert missing == []
  else:
    assert [s.variable for s in missing.variables] == [
        'bn/moving_mean', 'bn/moving_variance']
