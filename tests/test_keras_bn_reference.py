"""Live differential tests (TF 2.12.1): tf_compat_bn.keras.BatchNormalization
against keras 2.12's `tf.compat.v1.keras.layers.BatchNormalization` (the V1
layer) in v1 graphs: graphs, layer reports, values after training with
`layer.updates` run, errors, names shared with tf.layers, the learning
phase, configs, checkpoints restored across, and install(keras=True) here.
"""

import os
import sys
import tempfile

import numpy as np
import pytest
import tensorflow as tf

import graph_summary
import keras_bn_cases
import tf_compat_bn
from tf_compat_bn import keras as keras_bn

pytestmark = pytest.mark.reference
v1 = tf.compat.v1
BN = keras_bn.BatchNormalization


@pytest.fixture(autouse=True)
def _forget_keras_learning_phase():
  """set_learning_phase also fixes Keras' eager phase: reset after each
  test."""
  yield
  tf.compat.v1.keras.backend.clear_session()


def _reference():
  return tf.compat.v1.keras.layers.BatchNormalization


def _backend():
  return tf.compat.v1.keras.backend


@pytest.mark.parametrize('case_id', sorted(keras_bn_cases.CASES))
def test_case_matches_reference(case_id):
  case = keras_bn_cases.CASES[case_id]
  expected = keras_bn_cases.summarize(case, _reference(),
                                      _backend().set_learning_phase)
  _backend().clear_session()
  actual = keras_bn_cases.summarize(case, BN, keras_bn.set_learning_phase)
  graph_summary.assert_structure_equal(expected[0], actual[0])
  assert actual[1] == expected[1]
  graph_summary.assert_values_close(graph_summary.to_json(expected[2]),
                                    graph_summary.to_json(actual[2]),
                                    case.get('dtype', 'float32'))


@pytest.mark.parametrize('error_id', sorted(keras_bn_cases.ERRORS))
def test_error_matches_reference(error_id):
  expected = keras_bn_cases.error_of(error_id, _reference())
  assert expected is not None
  assert keras_bn_cases.error_of(error_id, BN) == expected


def test_names_shared_with_tf_layers_match_reference():
  assert keras_bn_cases.naming_with_tf_layers(
      BN, tf_compat_bn.layers.BatchNormalization) == (
          keras_bn_cases.naming_with_tf_layers(
              _reference(), tf.compat.v1.layers.BatchNormalization))


def test_signature_matches_reference():
  assert keras_bn_cases.signature(BN.__init__) == keras_bn_cases.signature(
      _reference().__mro__[1].__init__)


def test_learning_phase_is_keras_own():
  """With Keras 2 loaded, ours reads and sets Keras' learning phase: one
  placeholder, whoever asks first, and set_learning_phase reaches both."""
  with tf.Graph().as_default():
    ours = keras_bn.learning_phase()
    assert _backend().learning_phase() is ours
  with tf.Graph().as_default():
    theirs = _backend().learning_phase()
    assert keras_bn.learning_phase() is theirs
  with tf.Graph().as_default():
    keras_bn.set_learning_phase(1)
    assert _backend().learning_phase() == 1
    _backend().set_learning_phase(0)
    assert keras_bn.learning_phase() == 0
  _backend().clear_session()
  with pytest.raises(ValueError) as theirs:
    _backend().set_learning_phase(2)
  with pytest.raises(ValueError) as ours:
    keras_bn.set_learning_phase(2)
  assert str(ours.value) == str(theirs.value)


def test_configs_cross_from_config():
  """A config from either builds a layer of the other with the same
  config."""
  kwargs = dict(axis=1, momentum=0.9, renorm=True,
                renorm_clipping={'rmax': 2.0}, virtual_batch_size=2,
                gamma_regularizer='l2', moving_variance_initializer='zeros')
  configs = []
  for cls in (_reference(), BN):
    with tf.Graph().as_default():
      layer = cls(**kwargs)
      layer(v1.placeholder(tf.float32, [4, 3, 2]), training=True)
      configs.append(keras_bn_cases._plain(layer.get_config()))  # pylint: disable=protected-access
  theirs, ours = configs
  theirs['axis'], theirs['renorm_clipping'] = (
      list(theirs['axis']), dict(theirs['renorm_clipping']))
  assert ours == theirs
  with tf.Graph().as_default():
    assert BN.from_config(theirs).get_config() == ours
    again = keras_bn_cases._plain(_reference().from_config(ours).get_config())  # pylint: disable=protected-access
    again['renorm_clipping'] = dict(again['renorm_clipping'])
    assert again == theirs


def _train_and_save(cls, prefix, data):
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, data.shape)
    layers = [cls(momentum=0.8), cls(renorm=True, name='second')]
    y = layers[1](tf.nn.relu(layers[0](x)))
    loss = tf.reduce_sum(y * tf.range(1.0, 4.0))
    with tf.control_dependencies(layers[0].updates + layers[1].updates):
      train = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      for _ in range(3):
        sess.run(train, {x: data, 'keras_learning_phase:0': True})
      v1.train.Saver().save(sess, prefix)
      return sess.run(y, {x: data})


def _restore_and_infer(cls, prefix, data):
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, data.shape)
    y = cls(renorm=True, name='second')(tf.nn.relu(cls(momentum=0.8)(x)))
    with v1.Session() as sess:
      v1.train.Saver().restore(sess, prefix)
      return sess.run(y, {x: data})


@pytest.mark.parametrize('writer', ['reference', 'ours'])
def test_checkpoint_restores_across(writer):
  """Trained (updates run) and saved by one, restored by the other: the
  same inference outputs."""
  data = np.random.RandomState(3).normal(1.0, 2.0, (8, 3)).astype(np.float32)
  classes = {'reference': _reference(), 'ours': BN}
  reader = 'ours' if writer == 'reference' else 'reference'
  with tempfile.TemporaryDirectory() as tmp:
    prefix = os.path.join(tmp, 'model')
    trained = _train_and_save(classes[writer], prefix, data)
    restored = _restore_and_infer(classes[reader], prefix, data)
  np.testing.assert_allclose(restored, trained, rtol=1e-5, atol=1e-5)


def test_install_keras_here_replaces_only_the_v1_class():
  """On TF 2.12 install(keras=True) makes the V1 class ours; `tf.keras`'s
  (the V2 layer: another contract) and Keras' own learning phase stay."""
  v2_class = tf.keras.layers.BatchNormalization
  learning_phase = tf.compat.v1.keras.backend.learning_phase
  with tf_compat_bn.installed(keras=True):
    assert tf.compat.v1.keras.layers.BatchNormalization is BN
    assert tf.keras.layers.BatchNormalization is v2_class
    assert tf.compat.v1.keras.backend.learning_phase is learning_phase
  assert tf.compat.v1.keras.layers.BatchNormalization is not BN


def test_mask_with_fused_warns_as_reference():
  messages = []
  for cls in (_reference(), BN):
    with tf.Graph().as_default(), pytest.warns(UserWarning) as record:
      x = v1.placeholder(tf.float32, [4, 2, 2, 3])
      cls()(x, mask=tf.ones([4, 2, 2]), training=True)
    messages.append([str(w.message) for w in record
                     if 'Masking' in str(w.message)])
  assert messages[0] and messages[1] == messages[0]


@pytest.mark.parametrize('front', ['keras', 'layers'])
def test_mask_on_the_non_fused_path_as_reference(front):
  """Keras 2 (and the tf.layers layer built on it) weigh the moments by
  `mask=` on the non-fused path: outputs and moving statistics after one
  update, ours against the reference."""
  data = np.random.RandomState(0).randn(4, 5, 3).astype(np.float32)
  mask = (np.random.RandomState(1).uniform(size=[4, 5]) > 0.4).astype(
      np.float32)
  results = []
  for cls in ((_reference(), BN) if front == 'keras' else
              (tf.compat.v1.layers.BatchNormalization,
               tf_compat_bn.layers.BatchNormalization)):
    with tf.Graph().as_default():
      layer = cls()
      y = layer(tf.constant(data), mask=tf.constant(mask), training=True)
      with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        out = sess.run(y)
        sess.run(layer.updates)
        results.append((out, sess.run(layer.moving_mean),
                        sess.run(layer.moving_variance)))
  for want, got in zip(results[0], results[1]):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_tf1_mode_cases_match_reference(tmp_path):
  """The TF1_CASES under `disable_v2_behavior()`, each side in a child
  process."""
  expected = keras_bn_cases.tf1_mode_summaries(
      sys.executable, 'reference', str(tmp_path / 'reference.json'))
  actual = keras_bn_cases.tf1_mode_summaries(sys.executable, 'ours',
                                             str(tmp_path / 'ours.json'))
  assert sorted(actual) == sorted(expected)
  for case_id in expected:
    graph_summary.assert_structure_equal(expected[case_id][0],
                                         actual[case_id][0])
    assert actual[case_id][1] == expected[case_id][1], case_id
    graph_summary.assert_values_close(
        expected[case_id][2], actual[case_id][2],
        keras_bn_cases.CASES[case_id].get('dtype', 'float32'))
