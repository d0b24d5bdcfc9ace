"""Running the legacy TF1 example programs in tests/ as users would.

Each program (`legacy_tf1_script.py`, `contrib_tf1_script.py`,
`crnn_tf1_script.py`) takes `train|infer PREFIX OUT`: `train` trains and
saves, both write the inference output to OUT.  It runs either unchanged
under `python -m tf_compat_bn run` (ours, on this TF), or natively on TF
2.12.1 with the reference APIs, after a small `native_prelude` standing in
for what TF 2.x no longer has (e.g. `tf.contrib`).
"""

import os
import subprocess

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ORACLE_PYTHON = os.path.join(ROOT, '.venv-oracle', 'bin', 'python')

needs_oracle = pytest.mark.skipif(
    not os.path.exists(ORACLE_PYTHON),
    reason='needs the TF 2.12.1 environment .venv-oracle '
           '(scripts/setup_envs.sh oracle)')
DIRECTIONS = ['ours_here_to_native_2_12', 'native_2_12_to_ours_here']


def run(script, mode, prefix, out, python, native, native_prelude=''):
  """Runs `script` (a path) once; returns what it wrote to `out`."""
  if native:
    code = (native_prelude + 'import runpy, sys\n'
            f'sys.argv = [{script!r}, {mode!r}, {prefix!r}, {out!r}]\n'
            f'runpy.run_path({script!r}, run_name="__main__")\n')
    cmd = [python, '-c', code]
  else:
    cmd = [python, '-m', 'tf_compat_bn', 'run', script, mode, prefix, out]
  result = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT,
                                             TF_CPP_MIN_LOG_LEVEL='3'))
  assert result.returncode == 0, result.stderr[-4000:]
  return np.load(out)


def train_then_infer(direction, tmp_path, python, suffix, **run_kwargs):
  """Trains with one side and restores with the other (`direction`, one of
  DIRECTIONS; `python` is this TF's interpreter): (trained, restored)."""
  ours, native = (python, False), (ORACLE_PYTHON, True)
  writer, reader = ((ours, native) if direction.startswith('ours')
                    else (native, ours))
  prefix = str(tmp_path / 'ckpt')
  trained = run(mode='train', prefix=prefix, out=str(tmp_path / f'a{suffix}'),
                python=writer[0], native=writer[1], **run_kwargs)
  restored = run(mode='infer', prefix=prefix, out=str(tmp_path / f'b{suffix}'),
                 python=reader[0], native=reader[1], **run_kwargs)
  return trained, restored


def train_then_infer_here(tmp_path, python, suffix, **run_kwargs):
  """Trains and then restores with ours on this TF (`python -m tf_compat_bn
  run`, unchanged script): (trained, restored)."""
  prefix = str(tmp_path / 'ckpt')
  trained = run(mode='train', prefix=prefix, out=str(tmp_path / f'a{suffix}'),
                python=python, native=False, **run_kwargs)
  restored = run(mode='infer', prefix=prefix,
                 out=str(tmp_path / f'b{suffix}'), python=python,
                 native=False, **run_kwargs)
  return trained, restored
