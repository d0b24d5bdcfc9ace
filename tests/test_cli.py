"""The command line: `python -m tf_compat_bn demo | run | inspect | convert`."""

import json
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

import tf_compat_bn
from tf_compat_bn import checkpoints

v1 = tf.compat.v1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _cli(*args):
  result = subprocess.run([sys.executable, '-m', 'tf_compat_bn', *args],
                          capture_output=True, text=True, timeout=600,
                          cwd=ROOT)
  assert result.returncode == 0, result.stderr[-3000:]
  return result.stdout


def test_demo_trains_and_restores():
  out = _cli('demo')
  assert 'install(): tf.contrib.layers.batch_norm -> tf_compat_bn' in out
  assert 'restored inference output matches: True' in out
  steps = [line for line in out.splitlines() if line.startswith('step')]
  assert len(steps) == 5
  # The moving statistics move: the first and last reports differ.
  assert steps[0].split('moving_mean')[1] != steps[-1].split('moving_mean')[1]


def test_run_installs_then_runs_the_script(tmp_path):
  script = tmp_path / 'legacy.py'
  script.write_text(
      'import sys\n'
      'import tensorflow.compat.v1 as tf\n'
      'print(tf.contrib.layers.batch_norm.__module__, sys.argv[1:])\n')
  out = _cli('run', str(script), 'a', '--flag')
  assert out.strip() == "tf_compat_bn.contrib ['a', '--flag']"


def test_run_keras_installs_the_keras_batch_norm(tmp_path):
  script = tmp_path / 'legacy_keras.py'
  script.write_text(
      'import tensorflow.compat.v1 as tf\n'
      'print(tf.keras.layers.BatchNormalization.__module__)\n')
  assert _cli('run', '--keras', str(script)).strip() == 'tf_compat_bn.keras'
  # Without --keras, Keras' own class is left alone.
  assert 'tf_compat_bn' not in _cli('run', str(script))


def _save(tmp_path, build):
  with tf.Graph().as_default():
    build(v1.placeholder(tf.float32, [4, 5, 3, 2]))
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      return v1.train.Saver().save(sess, str(tmp_path / 'model'))


def test_inspect_names_each_layout(tmp_path):
  def build(x):
    tf_compat_bn.batch_norm(x)                                   # BatchNorm
    tf_compat_bn.batch_norm(x, zero_debias_moving_mean=True, scope='zd')
    tf_compat_bn.batch_normalization(x, axis=[1, 3], name='multi')
    tf_compat_bn.batch_normalization(x)                 # batch_normalization
    tf_compat_bn.batch_normalization(x, name='plain', renorm=True)
  out = _cli('inspect', _save(tmp_path, build))
  lines = {line.split(':')[0]: line for line in out.splitlines()}
  assert 'contrib/slim layout (scope named BatchNorm)' in lines['BatchNorm']
  assert 'contrib/slim layout (zero-debiased' in lines['zd']
  assert 'tf.layers layout (full-rank' in lines['multi']
  assert 'tf.layers layout (scope named' in lines['batch_normalization']
  assert 'contrib/slim or tf.layers + renorm layout' in lines['plain']


def test_batch_norm_groups_on_zero_debias(tmp_path):
  path = _save(tmp_path, lambda x: tf_compat_bn.batch_norm(
      x, zero_debias_moving_mean=True, scope='outer/bn'))
  groups = checkpoints.batch_norm_groups(path)
  assert sorted(groups) == ['outer/bn']
  assert sorted(groups['outer/bn']) == ['beta', 'biased', 'local_step',
                                        'moving_mean', 'moving_variance']
  assert np.prod(groups['outer/bn']['biased'][0]) == 2


FIXTURES = os.path.join(ROOT, 'tests', 'checkpoint_tools_data', 'tf212')


def _cli_status(*args):
  result = subprocess.run([sys.executable, '-m', 'tf_compat_bn', *args],
                          capture_output=True, text=True, timeout=600,
                          cwd=ROOT)
  return result.returncode, result.stdout, result.stderr


def test_inspect_strict_fails_on_never_updated_statistics():
  """A TF 2.12.1 checkpoint whose train op never ran UPDATE_OPS."""
  status, out, _ = _cli_status(
      'inspect', '--strict', os.path.join(FIXTURES, 'contrib_never_updated'))
  assert status == 1
  assert out.count('NEVER UPDATED') == 2
  status, out, _ = _cli_status(
      'inspect', '--strict', '--json', os.path.join(FIXTURES,
                                                    'contrib_trained'))
  assert status == 0
  assert json.loads(out)['ok'] is True


def test_convert_writes_renamed_checkpoint_and_refuses_in_place(tmp_path):
  src = os.path.join(FIXTURES, 'contrib_trained')
  out = str(tmp_path / 'layers')
  status, stdout, stderr = _cli_status('convert', src, out, '--to', 'layers')
  assert status == 0, stderr[-3000:]
  assert 'rename  BatchNorm/beta -> batch_normalization/beta' in stdout
  assert 'note: BatchNorm has no gamma' in stdout
  assert 'block/batch_normalization/gamma' in checkpoints.entries(out)
  status, _, stderr = _cli_status('convert', out, out, '--to', 'contrib')
  assert status == 2
  assert 'refusing to overwrite it' in stderr
  assert sorted(os.listdir(tmp_path)) == ['layers.data-00000-of-00001',
                                          'layers.index']
