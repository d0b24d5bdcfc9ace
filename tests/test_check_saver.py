"""check_saver and the Saver warning of the wiring check (issue 15, part 2).

`Saver(var_list=tf.trainable_variables())` leaves the moving statistics out
of every checkpoint (they are not trainable); a model restored from it
infers with the initial statistics.  Expected names come from the variables
each front end creates (spec section 2: `<scope>/moving_mean`,
`<scope>/moving_variance`).
"""

import os
import warnings

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.training.saving import saveable_object_util

import conftest
import tf_compat_bn

v1 = tf.compat.v1

STATS = ['BatchNorm/moving_mean', 'BatchNorm/moving_variance',
         'bn2/moving_mean', 'bn2/moving_variance']


def _model(training=True, partitioned=False):
  """A contrib batch norm, a partitioned dense kernel, a tf.layers one."""
  x = v1.placeholder(tf.float32, [4, 6], name='x')
  h = tf_compat_bn.batch_norm(x, is_training=training)
  partitioner = (v1.fixed_size_partitioner(2) if partitioned else None)
  with v1.variable_scope('dense', partitioner=partitioner):
    kernel = v1.get_variable('kernel', [6, 6])
  h = tf.matmul(h, kernel)
  h = tf_compat_bn.batch_normalization(h, training=training, name='bn2')
  return x, tf.reduce_sum(h ** 2)


def test_trainable_var_list_misses_the_moving_statistics():
  with tf.Graph().as_default():
    _model()
    trainable = v1.trainable_variables()
    assert tf_compat_bn.check_saver(trainable) == STATS
    saver = v1.train.Saver(var_list=trainable)
    assert tf_compat_bn.check_saver(saver) == STATS
    with pytest.warns(UserWarning, match=(
        r'(?s)does not save 4 batch-norm moving statistic\(s\): '
        r'BatchNorm/moving_mean, .*bn2/moving_variance.*'
        r'tf\.compat\.v1\.train\.Saver\(\) saves every global variable')):
      tf_compat_bn.check_saver(saver, warn=True)


def test_savers_keeping_everything_report_nothing():
  with tf.Graph().as_default():
    _model()
    assert tf_compat_bn.check_saver(v1.train.Saver()) == []
    assert tf_compat_bn.check_saver(v1.train.Saver(sharded=True)) == []
    assert tf_compat_bn.check_saver(None) == []
    assert tf_compat_bn.check_saver(v1.global_variables()) == []
    assert tf_compat_bn.check_saver(
        {v.op.name: v for v in v1.global_variables()}) == []
    assert tf_compat_bn.check_saver(tuple(v1.global_variables())) == []


def test_what_saver_accepts():
  """Partitioned variables, dicts of slices, saveable objects."""
  with tf.Graph().as_default() as graph:
    _model(partitioned=True)
    kernel = [v for v in v1.global_variables() if 'kernel' in v.name]
    assert len(kernel) == 2     # two slices
    others = [v for v in v1.global_variables() if 'kernel' not in v.name]
    stats = [v for v in others if 'moving_' in v.name]
    by_name = {v.op.name: v for v in others}
    by_name['dense/kernel'] = kernel         # a list of slices
    assert tf_compat_bn.check_saver(by_name) == []
    assert tf_compat_bn.check_saver(v1.train.Saver(by_name)) == []
    partitioned = graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
    assert tf_compat_bn.check_saver(partitioned) == []
    saveables = [s for v in stats for s in
                 saveable_object_util.saveable_objects_for_op(v, v.op.name)]
    # Saveables of the four moving statistics: all saved.
    assert [v.op.name for v in stats] == STATS
    assert tf_compat_bn.check_saver(saveables) == []
    assert tf_compat_bn.check_saver(saveables[:1]) == STATS[1:]


@pytest.mark.parametrize('bad,where', [
    (3, 'int'), ('moving_mean', 'str'), ([None], r'var_list\[0\] is a '
                                         'NoneType'),
    ({1: None}, 'dict key must be a str')])
def test_unsupported_input_is_a_type_error(bad, where):
  with tf.Graph().as_default():
    _model()
    with pytest.raises(TypeError, match=f'(?s)check_saver takes a '
                       f'tf.compat.v1.train.Saver.*{where}'):
      tf_compat_bn.check_saver(bad)


def test_reference_variables():
  with tf.Graph().as_default():
    v1.disable_resource_variables()
    try:
      _model()
    finally:
      v1.enable_resource_variables()
    assert tf_compat_bn.check_saver(
        v1.train.Saver(v1.trainable_variables())) == STATS
    assert tf_compat_bn.check_saver(v1.train.Saver()) == []


def test_inference_graph_too():
  """Restoring an inference graph with such a Saver loses the statistics
  just the same."""
  with tf.Graph().as_default():
    _model(training=False)
    assert tf_compat_bn.check_saver(v1.trainable_variables()) == STATS


def _saver_warnings(caught):
  return [str(w.message) for w in caught if 'does not save' in str(w.message)]


@pytest.mark.parametrize('how', ['session_run', 'hook', 'check_update_ops'])
@pytest.mark.parametrize('save_all', [False, True])
def test_wiring_check_warns_about_savers(how, save_all, tmp_path):
  """A Saver built in the graph (kept in no collection) is found from its
  save ops and checked once."""
  with tf.Graph().as_default() as graph:
    x, loss = _model()
    with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
      train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    saver = v1.train.Saver(None if save_all else v1.trainable_variables())
    feed = {x: np.ones([4, 6], np.float32)}
    with warnings.catch_warnings(record=True) as caught:
      warnings.simplefilter('always')
      if how == 'check_update_ops':
        assert tf_compat_bn.check_update_ops(train_op, warn=True) == []
      elif how == 'session_run':
        with tf_compat_bn.warn_on_session_run(), v1.Session() as sess:
          sess.run(v1.global_variables_initializer())
          sess.run(train_op, feed)
          sess.run(train_op, feed)
          saver.save(sess, os.path.join(tmp_path, 'model'))
      else:
        hook = tf_compat_bn.UpdateOpsCheckHook()
        with v1.train.MonitoredSession(hooks=[hook]) as sess:
          sess.run(train_op, feed)
          sess.run(train_op, feed)
    del graph
  ours = _saver_warnings(caught)
  if save_all:
    # MonitoredSession's own Saver saves everything too.
    assert ours == []
  else:
    assert len(ours) == 1
    assert "Saver built in scope 'save'" in ours[0]
    assert all(name in ours[0] for name in STATS)


KERAS3, NO_KERAS3 = conftest.keras3()


@pytest.mark.skipif(KERAS3 is None, reason=NO_KERAS3)
def test_keras3_batch_norm():
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    layer = KERAS3.layers.BatchNormalization()
    layer(x, training=False)
    names = sorted([layer.moving_mean.value.handle.op.name,
                    layer.moving_variance.value.handle.op.name])
    assert sorted(tf_compat_bn.check_saver(v1.trainable_variables())) == names
    assert tf_compat_bn.check_saver(v1.train.Saver()) == []


@pytest.mark.reference
def test_keras2_batch_norm():
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3, 3, 2])
    v1.keras.layers.BatchNormalization()(x, training=True)
    assert tf_compat_bn.check_saver(
        v1.train.Saver(v1.trainable_variables())) == [
            'batch_normalization/moving_mean',
            'batch_normalization/moving_variance']
