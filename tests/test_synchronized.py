"""`synchronized=True` (issue 14): batch statistics over all replicas.

Expected values come from the math: batch norm over the global batch equals
single-replica batch norm on the concatenated batch.  So each case trains one
step on 1 replica without synchronization and on R replicas (MirroredStrategy
in a v1 graph, R logical CPUs) with it, and compares outputs and every
variable (gamma/beta after the gradient step, which flows through the
all-reduce; moving statistics after the update).  The cases run in one child
process (tests/synchronized_runner.py), because logical devices must be made
before TensorFlow starts.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import tf_compat_bn

HERE = os.path.dirname(os.path.abspath(__file__))
v1 = tf.compat.v1


@pytest.fixture(scope='module')
def results(tmp_path_factory):
  out = tmp_path_factory.mktemp('sync') / 'results.json'
  proc = subprocess.run(
      [sys.executable, os.path.join(HERE, 'synchronized_runner.py'), str(out)],
      capture_output=True, text=True, timeout=600,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3',
               PYTHONPATH=os.path.dirname(HERE)))
  assert proc.returncode == 0, proc.stderr[-4000:]
  with open(out) as f:
    return {tuple(r['case']): r for r in json.load(f)}


def _cases():
  sys.path.insert(0, HERE)
  import synchronized_runner  # pylint: disable=g-import-not-at-top
  return synchronized_runner.CASES


@pytest.mark.parametrize('case', _cases(), ids=lambda c: '-'.join(map(str, c)))
def test_synchronized_equals_single_replica_on_the_global_batch(results, case):
  r = results[tuple(case)]
  # float32 tolerance for values of magnitude ~10 (E[x^2] - E[x]^2 rounding);
  # the float16 outputs are compared after rounding to float16.
  assert r['output'] <= 1e-5 * max(1.0, r['output_scale']), r
  for name, diff in r['variables'].items():
    assert diff <= 1e-4, (name, r)
  # Without synchronization the same replicas normalize per replica: the
  # comparison above can fail.
  assert r['unsynchronized_output'] > 1e-2, r
  assert r['replicas_agree'], 'moving statistics differ between replicas'
  assert r['synced_names'] == r['single_names']


def _graph_summary(sync, front):
  graph = tf.Graph()
  with graph.as_default():
    v1.set_random_seed(0)
    x = tf.constant(np.random.RandomState(0).randn(4, 3, 3, 2), tf.float32)
    if front == 'contrib':
      y = tf_compat_bn.batch_norm(x, is_training=True, synchronized=sync)
    else:
      y = tf_compat_bn.layers.batch_normalization(x, training=True,
                                                  synchronized=sync)
    ops = [(op.name, op.type) for op in graph.get_operations()]
    names = [v.name for v in v1.global_variables()]
    updates = [u.name for u in v1.get_collection(v1.GraphKeys.UPDATE_OPS)]
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      value = sess.run(y)
  return ops, names, updates, value


@pytest.mark.parametrize('front', ['contrib', 'layers'])
def test_outside_a_strategy_nothing_changes(front):
  assert _graph_summary(True, front)[:3] == _graph_summary(False, front)[:3]
  np.testing.assert_array_equal(_graph_summary(True, front)[3],
                                _graph_summary(False, front)[3])


def test_trailing_keyword_and_config():
  import inspect  # pylint: disable=g-import-not-at-top
  for fn in (tf_compat_bn.batch_norm, tf_compat_bn.layers.batch_normalization):
    params = list(inspect.signature(fn).parameters.values())
    assert params[-1].name == 'synchronized' and params[-1].default is False
  layer = tf_compat_bn.layers.BatchNormalization(synchronized=True)
  assert layer.get_config()['synchronized'] is True
  assert 'synchronized' not in tf_compat_bn.layers.BatchNormalization(
      ).get_config()
  assert tf_compat_bn.layers.BatchNormalization.from_config(
      layer.get_config()).synchronized


def test_virtual_batches_are_refused():
  with pytest.raises(ValueError, match='does not support `virtual_batch_size`'):
    tf_compat_bn.layers.BatchNormalization(synchronized=True,
                                           virtual_batch_size=2)
