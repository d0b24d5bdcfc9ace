"""A legacy TF1 CRNN program (conv + batch norm + stacked bidirectional LSTM
+ CTC, tests/crnn_tf1_script.py) runs unchanged under install(), and its
checkpoint crosses between the native references on TF 2.12.1 and ours on
this TF, in both directions, with the same inference outputs."""

import os
import sys

import numpy as np
import pytest

import legacy_scripts

CRNN_SCRIPT = dict(
    script=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'crnn_tf1_script.py'))
# (Natively on TF 2.12.1 it needs no prelude: tf.compat.v1.layers and
# tf.nn.rnn_cell are TF's own there.)


def test_crnn_script_runs_unchanged_under_install(tmp_path):
  trained, restored = legacy_scripts.train_then_infer_here(
      tmp_path, sys.executable, '.npy', **CRNN_SCRIPT)
  assert trained.shape == (8, 8, 6) and np.isfinite(trained).all()
  np.testing.assert_allclose(restored, trained, rtol=1e-6, atol=1e-6)


@legacy_scripts.needs_oracle
@pytest.mark.parametrize('direction', legacy_scripts.DIRECTIONS)
def test_crnn_checkpoint_crosses_versions(direction, tmp_path):
  """Trained with ours on this TF, restored by the native reference on TF
  2.12.1 (or the other way round): the same inference logits."""
  trained, restored = legacy_scripts.train_then_infer(
      direction, tmp_path, sys.executable, '.npy', **CRNN_SCRIPT)
  np.testing.assert_allclose(restored, trained, rtol=1e-5, atol=1e-5)
