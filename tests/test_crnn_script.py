"""A legacy TF1 CRNN program (conv + batch norm + stacked bidirectional LSTM
+ CTC, tests/crnn_tf1_script.py) runs unchanged under install(), and its
checkpoint crosses between the native references on TF 2.12.1 and ours on
this TF, in both directions, with the same inference outputs."""

import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCRIPT = os.path.join(HERE, 'crnn_tf1_script.py')
ORACLE_PYTHON = os.path.join(ROOT, '.venv-oracle', 'bin', 'python')


def _run_crnn_script(python, mode, prefix, out, native):
  if native:
    # TF 2.12.1 with its own tf.compat.v1.layers and tf.nn.rnn_cell.
    cmd = [python, SCRIPT, mode, prefix, out]
  else:
    cmd = [python, '-m', 'tf_compat_bn', 'run', SCRIPT, mode, prefix, out]
  result = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          cwd=ROOT, check=False)
  assert result.returncode == 0, result.stderr[-4000:]
  return np.load(out)


def test_crnn_script_runs_unchanged_under_install(tmp_path):
  prefix, out = str(tmp_path / 'ckpt'), str(tmp_path / 'train.npy')
  trained = _run_crnn_script(sys.executable, 'train', prefix, out, False)
  assert trained.shape == (8, 8, 6) and np.isfinite(trained).all()
  restored = _run_crnn_script(sys.executable, 'infer', prefix,
                              str(tmp_path / 'infer.npy'), False)
  np.testing.assert_allclose(restored, trained, rtol=1e-6, atol=1e-6)


@pytest.mark.skipif(not os.path.exists(ORACLE_PYTHON),
                    reason='needs the TF 2.12.1 environment .venv-oracle '
                           '(scripts/setup_envs.sh oracle)')
@pytest.mark.parametrize('direction', ['ours_here_to_native_2_12',
                                       'native_2_12_to_ours_here'])
def test_crnn_checkpoint_crosses_versions(direction, tmp_path):
  """Trained with ours on this TF, restored by the native reference on TF
  2.12.1 (or the other way round): the same inference logits."""
  prefix = str(tmp_path / 'ckpt')
  ours = (sys.executable, False)
  native = (ORACLE_PYTHON, True)
  writer, reader = ((ours, native) if direction.startswith('ours')
                    else (native, ours))
  trained = _run_crnn_script(writer[0], 'train', prefix,
                             str(tmp_path / 'a.npy'), writer[1])
  restored = _run_crnn_script(reader[0], 'infer', prefix,
                              str(tmp_path / 'b.npy'), reader[1])
  np.testing.assert_allclose(restored, trained, rtol=1e-5, atol=1e-5)
