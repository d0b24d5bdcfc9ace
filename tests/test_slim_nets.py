"""tf_slim's own `nets` tests that exercise batch norm, under install().

resnet_v1_test, resnet_v2_test, inception_v2_test and inception_v3_test from
the installed tf-slim 1.1.0 package (not copied) run in child processes with
`tf_compat_bn.install()` in effect; every test must pass, and the tests run
must be those that pass natively on TF 2.12.1 (recorded from the reference
in tests/golden/slim_nets.json by scripts/make_golden.py).
"""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip('tf_slim', reason='tf_slim is not installed')

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = ['resnet_v1_test', 'resnet_v2_test', 'inception_v2_test',
           'inception_v3_test']


def run_nets_tests(mode, module):
  result = subprocess.run(
      [sys.executable, os.path.join(HERE, 'slim_nets_runner.py'), mode,
       module], capture_output=True, text=True, timeout=1200)
  assert result.returncode == 0, result.stderr[-4000:]
  return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize('module', MODULES)
def test_nets_pass_under_install(module):
  with open(os.path.join(HERE, 'golden', 'slim_nets.json')) as f:
    native = json.load(f)[module]
  assert native['problems'] == [], 'natively failing tests are recorded'
  ours = run_nets_tests('install', module)
  assert ours['problems'] == []
  assert (ours['run'], ours['skipped']) == (native['run'], native['skipped'])
