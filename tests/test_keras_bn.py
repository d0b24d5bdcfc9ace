"""tf_compat_bn.keras.BatchNormalization keeps Keras 2's
`tf.compat.v1.keras.layers.BatchNormalization` contract in TF1 graphs on any
TF, and `install(keras=True)` puts it where unchanged code finds it.

Expected values come from the reference: tests/golden/keras_bn.json and
tests/checkpoints/keras_bn*.json were recorded from keras 2.12 on TF 2.12.1
by scripts/make_golden_keras.py (the live comparison is
test_keras_bn_reference.py).  A TF1 program (keras_tf1_script.py) runs
unchanged under install(keras=True), and its checkpoint crosses between it
and the native reference on TF 2.12.1.
"""

import importlib
import json
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

import graph_summary
import keras_bn_cases
import legacy_scripts
import tf_compat_bn
from tf_compat_bn import keras as keras_bn
from tf_compat_bn.layers import base

v1 = tf.compat.v1
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, 'golden', 'keras_bn.json')) as _f:
  GOLDEN = json.load(_f)
install_module = importlib.import_module('tf_compat_bn.install')
BN = keras_bn.BatchNormalization


@pytest.fixture(autouse=True)
def _forget_keras2_learning_phase():
  """Where Keras 2 is loaded (TF 2.12), our set_learning_phase is Keras'
  own, which also fixes Keras' eager phase: reset it after each test."""
  yield
  backend = base._loaded_keras2_backend()  # pylint: disable=protected-access
  if backend is not None:
    backend.clear_session()


def test_golden_covers_every_case():
  assert sorted(GOLDEN['cases']) == sorted(keras_bn_cases.CASES)
  assert sorted(GOLDEN['errors']) == sorted(keras_bn_cases.ERRORS)


@pytest.mark.parametrize('case_id', sorted(keras_bn_cases.CASES))
def test_case_matches_golden(case_id):
  """Graph (variables, collections: nothing in UPDATE_OPS or
  REGULARIZATION_LOSSES, op names), the layer's own report (name, weights,
  updates, get_updates_for, losses, config) and the values after training
  with `layer.updates` run, as recorded from keras 2.12."""
  golden = GOLDEN['cases'][case_id]
  case = keras_bn_cases.CASES[case_id]
  assert golden['case'] == keras_bn_cases.case_key(case), (
      'golden file is stale: run scripts/make_golden_keras.py')
  structure, report, values = keras_bn_cases.summarize(
      case, BN, keras_bn.set_learning_phase)
  graph_summary.assert_structure_equal(golden['structure'],
                                       json.loads(json.dumps(structure)),
                                       across_versions=True)
  assert report == golden['report']
  graph_summary.assert_values_close(golden['values'],
                                    graph_summary.to_json(values),
                                    case.get('dtype', 'float32'))


@pytest.mark.parametrize('error_id', sorted(keras_bn_cases.ERRORS))
def test_error_matches_golden(error_id):
  expected = GOLDEN['errors'][error_id]
  assert expected is not None and expected[0] == keras_bn_cases.ERRORS[
      error_id][2]
  assert keras_bn_cases.error_of(error_id, BN) == expected


def test_names_shared_with_tf_layers_match_golden():
  """Keras layers count from 0 and tf.layers from 1 on one per-graph
  counter: the reference's (odd) names, recorded."""
  assert keras_bn_cases.naming_with_tf_layers(
      BN, tf_compat_bn.layers.BatchNormalization) == GOLDEN[
          'naming_with_tf_layers']


def test_signature_matches_golden():
  assert keras_bn_cases.signature(BN.__init__) == GOLDEN['signature']


@pytest.mark.parametrize('layout_id',
                         sorted(keras_bn_cases.CHECKPOINT_LAYOUTS))
def test_checkpoint_layout(layout_id):
  with open(os.path.join(HERE, 'checkpoints', layout_id + '.json')) as f:
    expected = json.load(f)
  shape, kwargs = keras_bn_cases.CHECKPOINT_LAYOUTS[layout_id]
  assert keras_bn_cases.checkpoint_layout(BN, shape, kwargs) == expected


def test_config_round_trip():
  """from_config(get_config()) makes a layer with the same config (the
  configs themselves are checked against the reference above)."""
  with tf.Graph().as_default():
    layer = BN(axis=1, momentum=0.9, renorm=True,
               renorm_clipping={'rmax': 2.0}, virtual_batch_size=2,
               gamma_regularizer='l2', moving_variance_initializer='zeros')
    layer(v1.placeholder(tf.float32, [4, 3, 2]), training=True)
    config = layer.get_config()
    again = BN.from_config(config)
    assert again.get_config() == config


def test_learning_phase_fixed_by_set_learning_phase():
  """set_learning_phase(0) makes `training=None` mean inference: the output
  is x / sqrt(1 + epsilon) with fresh moving statistics (by hand), and
  no update is made."""
  with pytest.raises(ValueError, match='Expected learning phase to be 0 or 1'):
    keras_bn.set_learning_phase(2)
  with tf.Graph().as_default():
    placeholder = keras_bn.learning_phase()
    assert placeholder.name == 'keras_learning_phase:0'
    assert keras_bn.learning_phase() is placeholder
  with tf.Graph().as_default():
    keras_bn.set_learning_phase(0)
    assert keras_bn.learning_phase() == 0
    layer = BN()
    y = layer(tf.constant([[1.0, 2.0], [3.0, 5.0]]))
    assert layer.updates == []
    # A tf.layers layer called with training=None follows the same phase,
    # as it followed Keras 2's on TF 2.12.
    tf_layer = tf_compat_bn.layers.BatchNormalization()
    z = tf_layer(tf.constant([[1.0, 2.0], [3.0, 5.0]]), training=None)
    assert tf_layer.updates == []
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      for out in sess.run([y, z]):
        np.testing.assert_allclose(
            out, np.array([[1.0, 2.0], [3.0, 5.0]]) / np.sqrt(1.001),
            rtol=1e-6)


def test_install_default_leaves_keras_alone():
  """install() without the opt-in changes nothing Keras, as before."""
  with tf_compat_bn.installed() as lines:
    assert not any(keras_bn.INSTALL_MARK in line for line in lines)
    assert tf.compat.v1.keras.layers.BatchNormalization is not BN


def test_install_keras_true_and_uninstall():
  """`install(keras=True)`: every import form of tf.compat.v1.keras finds
  our BatchNormalization, the other Keras names stay Keras', `tf.keras` is
  untouched, the backend has a learning phase; leaving `installed()` undoes
  exactly that."""
  before = install_module.report()
  original_v1 = tf.compat.v1.keras.layers.BatchNormalization
  original_v2 = tf.keras.layers.BatchNormalization
  dense = tf.compat.v1.keras.layers.Dense
  modules_before = {k: sys.modules.get(k) for k in (
      'tensorflow.compat.v1.keras', 'tensorflow.compat.v1.keras.layers')}
  assert original_v1 is not BN
  with tf_compat_bn.installed(keras=True) as lines:
    assert any(keras_bn.INSTALL_MARK in line for line in lines)
    assert tf.compat.v1.keras.layers.BatchNormalization is BN
    import tensorflow.compat.v1 as tf1  # pylint: disable=g-import-not-at-top
    assert tf1.keras.layers.BatchNormalization is BN
    from tensorflow.compat.v1.keras.layers import BatchNormalization  # pylint: disable=g-import-not-at-top
    assert BatchNormalization is BN
    from tensorflow.compat.v1.keras import backend  # pylint: disable=g-import-not-at-top
    with tf.Graph().as_default():
      assert backend.learning_phase().name == 'keras_learning_phase:0'
    assert callable(backend.set_learning_phase)
    assert tf.compat.v1.keras.layers.Dense is dense
    assert tf.keras.layers.BatchNormalization is original_v2
    # A second call changes nothing.
    assert tf_compat_bn.install(keras=True) == lines
  assert install_module.report() == before
  assert tf.compat.v1.keras.layers.BatchNormalization is original_v1
  assert {k: sys.modules.get(k) for k in modules_before} == modules_before


def test_install_keras_after_plain_install_adds_only_keras():
  with tf_compat_bn.installed() as plain:
    with tf_compat_bn.installed(keras=True) as lines:
      assert lines[:len(plain)] == plain and len(lines) > len(plain)
      assert tf.compat.v1.keras.layers.BatchNormalization is BN
    assert install_module.report() == plain
    assert tf.compat.v1.keras.layers.BatchNormalization is not BN


# ---- the TF1 program --------------------------------------------------------
SCRIPT = os.path.join(HERE, 'keras_tf1_script.py')
OURS_PRELUDE = 'import tf_compat_bn\ntf_compat_bn.install(keras=True)\n'


def _run(mode, prefix, out, ours, python=sys.executable):
  # Ours: unchanged, after install(keras=True); native: TF 2.12.1 as is.
  return legacy_scripts.run(
      SCRIPT, mode, prefix, out, python=python if ours else
      legacy_scripts.ORACLE_PYTHON, native=True,
      native_prelude=OURS_PRELUDE if ours else '')


def _moving_statistics(prefix):
  reader = tf.train.load_checkpoint(prefix)
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()
          if 'moving_' in name}


def test_tf1_script_runs_unchanged_under_install_keras(tmp_path):
  prefix = str(tmp_path / 'ckpt')
  trained = _run('train', prefix, str(tmp_path / 'a.npy'), ours=True)
  assert trained.shape == (8, 4) and np.isfinite(trained).all()
  stats = _moving_statistics(prefix)
  # The Keras layers' statistics moved: `layer.updates` ran (they start at
  # zeros; the second Keras layer sees normalized inputs, mean ~0).  The
  # tf.layers layer's (`..._1`, UPDATE_OPS) too.
  for name in ('batch_normalization/moving_mean', 'fc1_bn/moving_mean',
               'batch_normalization/moving_mean_1'):
    assert np.abs(stats[name]).max() > 1e-3, name
  restored = _run('infer', prefix, str(tmp_path / 'b.npy'), ours=True)
  np.testing.assert_allclose(restored, trained, rtol=1e-6, atol=1e-6)


@legacy_scripts.needs_oracle
@pytest.mark.parametrize('direction', legacy_scripts.DIRECTIONS)
def test_tf1_script_checkpoint_crosses_versions(direction, tmp_path):
  """Trained by ours here and restored by the native reference on TF
  2.12.1, or the other way round: the same inference outputs."""
  writer_is_ours = direction.startswith('ours')
  prefix = str(tmp_path / 'ckpt')
  trained = _run('train', prefix, str(tmp_path / 'a.npy'),
                 ours=writer_is_ours)
  restored = _run('infer', prefix, str(tmp_path / 'b.npy'),
                  ours=not writer_is_ours)
  np.testing.assert_allclose(restored, trained, rtol=1e-5, atol=1e-5)


def test_mask_fused_is_ignored_with_warning_plain_weighs_the_moments():
  """The fused computation ignores `mask=` with the reference's warning
  (checked live in test_keras_bn_reference.py); the non-fused one weighs
  each position's contribution to the batch statistics by the mask, as
  Keras 2 did (by hand here: the masked-out rows do not count)."""
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 2, 2, 3])
    with pytest.warns(UserWarning, match='Masking is not supported with '
                      '`fused=True`'):
      BN()(x, mask=tf.ones([4, 2, 2]), training=True)
  data = np.random.RandomState(0).randn(4, 5, 3).astype(np.float32)
  mask = np.ones([4, 5], np.float32)
  mask[:, 3:] = 0
  with tf.Graph().as_default():
    y = BN(epsilon=1e-3)(tf.constant(data), mask=tf.constant(mask),
                         training=True)
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      got = sess.run(y)
  kept = data[:, :3].reshape(-1, 3).astype(np.float64)
  want = (data - kept.mean(0)) / np.sqrt(kept.var(0) + 1e-3)
  np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_tf1_mode_cases_match_golden(tmp_path):
  """Under `disable_v2_behavior()` (v1 conds; a layer without dtype takes
  its input's dtype, as Keras 2 did there), in a child process."""
  golden = GOLDEN['tf1_mode']
  actual = keras_bn_cases.tf1_mode_summaries(sys.executable, 'ours',
                                             str(tmp_path / 'tf1.json'))
  assert sorted(actual) == sorted(golden) == sorted(keras_bn_cases.TF1_CASES)
  for case_id, (structure, report, values) in actual.items():
    expected = golden[case_id]
    graph_summary.assert_structure_equal(expected[0], structure,
                                         across_versions=True)
    assert report == expected[1], case_id
    graph_summary.assert_values_close(
        expected[2], values,
        keras_bn_cases.CASES[case_id].get('dtype', 'float32'))
