"""Packaging: the wheel depends on TensorFlow only (no Keras, no tf_keras)
and installs the `tf-compat-bn` console script."""

import glob
import os
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_wheel_requires_only_tensorflow(tmp_path):
  subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
                  '--no-build-isolation', '-q', '-w', str(tmp_path), ROOT],
                 check=True, capture_output=True, timeout=600)
  (wheel,) = glob.glob(str(tmp_path / 'tf_compat_bn-*.whl'))
  with zipfile.ZipFile(wheel) as zf:
    names = zf.namelist()
    metadata = zf.read(next(n for n in names
                            if n.endswith('.dist-info/METADATA'))).decode()
    entry_points = zf.read(next(
        n for n in names if n.endswith('.dist-info/entry_points.txt'))).decode()
  requires = [line.split(':', 1)[1].strip() for line in metadata.splitlines()
              if line.startswith('Requires-Dist:')]
  runtime = [r for r in requires if 'extra ==' not in r]
  assert runtime == ['tensorflow>=2.12']
  assert not any('keras' in r for r in requires)
  assert 'tf-compat-bn = tf_compat_bn.__main__:main' in entry_points
  assert 'tf_compat_bn/core.py' in names
  assert not any(n.startswith('tests/') for n in names)
