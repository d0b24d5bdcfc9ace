"""Writes tests/golden/distributed.json: the reference's runs of the
distributed TF1 programs in tests/distributed/ (native TF 2.12.1 with
tf_slim for tf.contrib.layers), which tests/test_distributed.py holds ours
to on other TF versions.

    .venv-oracle/bin/python scripts/make_golden_distributed.py

Each program runs as a real cluster on loopback (tests/cluster_runner.py).
"""

import json
import os
import sys
import tempfile

import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests'))

import cluster_runner  # noqa: E402  pylint: disable=g-import-not-at-top
import test_distributed  # noqa: E402  pylint: disable=g-import-not-at-top


def main():
  if tf.__version__ != '2.12.1':
    sys.exit(f'run under TF 2.12.1 (.venv-oracle), not {tf.__version__}')
  golden = {'_generated_by': 'scripts/make_golden_distributed.py',
            '_tensorflow': tf.__version__}
  for scenario in test_distributed.SCENARIOS:
    with tempfile.TemporaryDirectory() as tmp:
      summaries = getattr(cluster_runner, 'run_' + scenario)(
          tmp, python=sys.executable, native=True,
          steps=test_distributed.STEPS)
    golden[scenario] = (summaries if isinstance(summaries, list)
                        else [summaries])
    print(scenario, 'done')
  path = os.path.join(ROOT, 'tests', 'golden', 'distributed.json')
  with open(path, 'w') as f:
    json.dump(golden, f, indent=1, sort_keys=True)
    f.write('\n')
  print('wrote', path)


if __name__ == '__main__':
  main()
