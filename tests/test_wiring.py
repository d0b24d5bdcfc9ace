"""check_update_ops and the run-time checks, on right and wrong wiring."""

import warnings

import numpy as np
import pytest
import tensorflow as tf

import tf_compat_bn

v1 = tf.compat.v1


def _model(x, flag):
  """Two batch norms of each front end; the update op names, in order."""
  h = tf_compat_bn.batch_norm(x, is_training=flag, scale=True)
  h = tf_compat_bn.batch_normalization(h, training=flag)
  h = tf_compat_bn.batch_norm(tf.reshape(h, [4, -1]), is_training=flag)
  return tf.reduce_sum(h ** 2)


def _update_op_names():
  return [u.name if isinstance(u, tf.Operation) else u.op.name
          for u in v1.get_collection(v1.GraphKeys.UPDATE_OPS)]


def _build(wired, flag_kind, cond_v1=False):
  graph = tf.Graph()
  with graph.as_default():
    if cond_v1:
      v1.disable_control_flow_v2()
    try:
      x = v1.placeholder(tf.float32, [4, 3, 3, 2])
      flag = (v1.placeholder(tf.bool, []) if flag_kind == 'placeholder'
              else True)
      loss = _model(x, flag)
      deps = v1.get_collection(v1.GraphKeys.UPDATE_OPS) if wired else []
      with tf.control_dependencies(deps):
        train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
      updates = _update_op_names()
    finally:
      if cond_v1:
        v1.enable_control_flow_v2()
  return graph, train_op, loss, updates


CONFIGS = [('python', False), ('placeholder', False), ('placeholder', True)]


@pytest.mark.parametrize('flag_kind,cond_v1', CONFIGS)
def test_right_wiring_reports_nothing(flag_kind, cond_v1):
  graph, train_op, _, updates = _build(True, flag_kind, cond_v1)
  assert len(updates) == 6
  assert tf_compat_bn.check_update_ops(train_op) == []
  assert tf_compat_bn.check_update_ops(graph=graph) == []


@pytest.mark.parametrize('flag_kind,cond_v1', CONFIGS)
def test_wrong_wiring_reports_every_update(flag_kind, cond_v1):
  graph, train_op, _, updates = _build(False, flag_kind, cond_v1)
  assert tf_compat_bn.check_update_ops(train_op) == updates
  assert tf_compat_bn.check_update_ops(graph=graph) == updates
  with pytest.warns(UserWarning, match='(?s)does not run 6 batch-norm update '
                    r'op\(s\).*control_dependencies\(update_ops\)'):
    tf_compat_bn.check_update_ops(train_op, warn=True)


def test_partial_wiring_reports_the_rest():
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    first = tf_compat_bn.batch_norm(x, scope='first')
    wired = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
    second = tf_compat_bn.batch_norm(first, scope='second')
    with tf.control_dependencies(wired):
      train_op = v1.train.GradientDescentOptimizer(0.1).minimize(
          tf.reduce_sum(second))
    missing = tf_compat_bn.check_update_ops(train_op)
  assert missing == [n for n in _names(v1.GraphKeys.UPDATE_OPS, second)
                     if n.startswith('second/')]
  assert len(missing) == 2


def _names(key, tensor):
  return [u.op.name if hasattr(u, 'op') else u.name
          for u in tensor.graph.get_collection(key)]


@pytest.mark.parametrize('cond_v1', [True, False], ids=['cond-v1', 'cond-v2'])
def test_train_op_inside_a_cond(cond_v1):
  """Right and wrong wiring of a train op built inside a tf.cond branch.

  A v2 cond hides its branch ops from the outer graph; the update ops it
  depends on are its control captures, which the check follows.
  """
  with tf.Graph().as_default():
    if cond_v1:
      v1.disable_control_flow_v2()
    try:
      x = v1.placeholder(tf.float32, [4, 3])
      do_train = v1.placeholder(tf.bool, [])
      loss = tf.reduce_sum(tf_compat_bn.batch_norm(x) ** 2)
      opt = v1.train.GradientDescentOptimizer(0.1)
      updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)

      def train(with_updates):
        def fn():
          with tf.control_dependencies(updates if with_updates else []):
            step = opt.minimize(loss)
          with tf.control_dependencies([step]):
            return tf.constant(True)
        return fn
      right = tf.cond(do_train, train(True), lambda: tf.constant(False))
      wrong = tf.cond(do_train, train(False), lambda: tf.constant(False))
    finally:
      if cond_v1:
        v1.enable_control_flow_v2()
    assert tf_compat_bn.check_update_ops(right) == []
    assert len(tf_compat_bn.check_update_ops(wrong)) == 2


def _train(graph, train_op, loss, run):
  with graph.as_default(), v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    feed = {graph.get_tensor_by_name('Placeholder:0'):
            np.ones([4, 3, 3, 2], np.float32)}
    run(sess, loss, feed)        # evaluation only: never flagged
    run(sess, train_op, feed)
    run(sess, train_op, feed)    # the same fetch is checked once


def test_warn_on_session_run():
  for wired, expected in ((False, 1), (True, 0)):
    graph, train_op, loss, _ = _build(wired, 'python')
    with warnings.catch_warnings(record=True) as caught:
      warnings.simplefilter('always')
      with tf_compat_bn.warn_on_session_run():
        _train(graph, train_op, loss,
               lambda sess, fetch, feed: sess.run(fetch, feed))
    ours = [w for w in caught if 'batch-norm update' in str(w.message)]
    assert len(ours) == expected
  # Outside the block, Session.run is the original again: no warning.
  graph, train_op, loss, _ = _build(False, 'python')
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    _train(graph, train_op, loss,
           lambda sess, fetch, feed: sess.run(fetch, feed))
  assert not [w for w in caught if 'batch-norm update' in str(w.message)]


def test_update_ops_check_hook():
  graph, train_op, loss, _ = _build(False, 'python')
  with graph.as_default():
    feed = {graph.get_tensor_by_name('Placeholder:0'):
            np.ones([4, 3, 3, 2], np.float32)}
    hook = tf_compat_bn.UpdateOpsCheckHook()
    with warnings.catch_warnings(record=True) as caught:
      warnings.simplefilter('always')
      with v1.train.MonitoredSession(hooks=[hook]) as sess:
        sess.run(loss, feed)
        sess.run(train_op, feed)
        sess.run(train_op, feed)
  ours = [w for w in caught if 'batch-norm update' in str(w.message)]
  assert len(ours) == 1



@pytest.mark.parametrize('flag_kind,cond_v1', CONFIGS)
def test_wrong_wiring_names_the_variables_and_layers(flag_kind, cond_v1):
  """Besides the op names, the result names each moving statistic left
  alone and its layer (the scopes of spec section 2), and so does the
  warning."""
  _, train_op, _, _ = _build(False, flag_kind, cond_v1)
  missing = tf_compat_bn.check_update_ops(train_op)
  layers = ['BatchNorm', 'batch_normalization', 'BatchNorm_1']
  assert sorted((s.layer, s.variable) for s in missing.variables) == sorted(
      (layer, f'{layer}/{stat}') for layer in layers
      for stat in ('moving_mean', 'moving_variance'))
  # Each names the ops that write it (in a v1 cond: the assign in the
  # branch, behind the Merge that UPDATE_OPS holds).
  graph = train_op.graph
  for statistic in missing.variables:
    assert statistic.update_ops
    for name in statistic.update_ops:
      op = graph.get_operation_by_name(name)
      assert op.type in ('AssignSubVariableOp', 'If')
      if op.type != 'If':
        handle = op.inputs[0].op           # in a v1 cond, a Switch of it
        if handle.type == 'Switch':
          handle = handle.inputs[0].op
        assert handle.name == statistic.variable
  with pytest.warns(UserWarning, match="'BatchNorm_1/moving_variance' "
                    r"\(layer 'BatchNorm_1'\)"):
    tf_compat_bn.check_update_ops(train_op, warn=True)


def test_training_only_part_of_the_model():
  """A train op that trains only the head (var_list) leaves the batch norms
  it does not train frozen: their updates are not asked for."""
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    h = tf_compat_bn.batch_norm(x, scope='backbone')
    with v1.variable_scope('head'):
      w = v1.get_variable('w', [3, 1])
    h = tf_compat_bn.batch_norm(tf.matmul(h, w), scope='head_bn')
    loss = tf.reduce_sum(h ** 2)
    head = v1.trainable_variables('head')
    train_op = v1.train.GradientDescentOptimizer(0.1).minimize(
        loss, var_list=head)
    missing = tf_compat_bn.check_update_ops(train_op)
  assert [s.variable for s in missing.variables] == [
      'head_bn/moving_mean', 'head_bn/moving_variance']
  assert all(n.startswith('head_bn/') for n in missing) and len(missing) == 2


def test_towers_sharing_variables():
  """Multi-tower training (slim's model_deploy, cifar10_multi_gpu): the
  towers share the batch-norm variables and the train op runs the first
  tower's updates only.  Every moving statistic moves: nothing to report.
  Without any of them, the shared variables are reported once."""
  with tf.Graph().as_default():
    losses = []
    for tower in range(2):
      with tf.name_scope(f'tower_{tower}'):
        x = v1.placeholder(tf.float32, [4, 3])
        with v1.variable_scope('model', reuse=tower > 0):
          losses.append(tf.reduce_sum(tf_compat_bn.batch_norm(x) ** 2))
    first = v1.get_collection(v1.GraphKeys.UPDATE_OPS, 'tower_0')
    assert len(first) == 2
    assert len(v1.get_collection(v1.GraphKeys.UPDATE_OPS)) == 4
    opt = v1.train.GradientDescentOptimizer(0.1)
    with tf.control_dependencies(first):
      wired = opt.minimize(tf.add_n(losses))
    forgot = opt.minimize(tf.add_n(losses))
  assert tf_compat_bn.check_update_ops(wired) == []
  missing = tf_compat_bn.check_update_ops(forgot)
  assert len(missing) == 4
  assert sorted(s.variable for s in missing.variables) == [
      'model/BatchNorm/moving_mean', 'model/BatchNorm/moving_variance']
