"""Runs one of tf_slim's own `nets` test modules, in this (child) process.

    python tests/slim_nets_runner.py {native|install} MODULE

`install` calls tf_compat_bn.install() first, so the nets build with our
batch norm.  Prints one JSON line: the tests run, and any failures/errors.
The modules are run from the installed tf_slim package, not copied.
"""

import importlib
import json
import sys
import unittest


def main(mode, module_name):
  if mode == 'install':
    import tf_compat_bn  # pylint: disable=g-import-not-at-top
    tf_compat_bn.install()
  module = importlib.import_module('tf_slim.nets.' + module_name)
  if hasattr(module, 'setUpModule'):
    module.setUpModule()
  loader = unittest.TestLoader()
  # TF's TestCase has a `test_session` helper that is not a test.
  loader.testMethodPrefix = 'test'
  suite = unittest.TestSuite(
      t for t in loader.loadTestsFromModule(module)._tests  # pylint: disable=protected-access
      for t in t if not t.id().endswith('.test_session'))
  result = unittest.TestResult()
  suite.run(result)
  print(json.dumps({
      'run': result.testsRun,
      'problems': [[test.id(), trace[-2000:]]
                   for test, trace in result.failures + result.errors],
      'skipped': [test.id() for test, _ in result.skipped],
  }))


if __name__ == '__main__':
  main(*sys.argv[1:])
