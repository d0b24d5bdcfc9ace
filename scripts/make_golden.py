"""Writes the reference's results to tests/golden/, for the newest-TF tests.

Run under the oracle (TF 2.12.1 + keras 2.12 + tf-slim 1.1.0), where the
reference APIs still run natively:

    .venv-oracle/bin/python scripts/make_golden.py

For every case in tests/contrib_cases.py it records what `tf_slim.batch_norm`
builds (structure) and computes (values), and for every bad-input case the
exception type and message; tests/test_golden.py then checks
`tf_compat_bn` against these files on whatever TensorFlow it runs on.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests'))

import tensorflow as tf  # noqa: E402

import checkpoint_layouts  # noqa: E402
import contrib_cases  # noqa: E402
import graph_summary  # noqa: E402
import layers_api_cases  # noqa: E402
import layer_families  # noqa: E402
import layers_cases  # noqa: E402
import rnn_cases  # noqa: E402
import slim_cases  # noqa: E402
import test_contrib_reference_errors as contrib_errors  # noqa: E402


def _write(name, payload):
  path = os.path.normpath(os.path.join(ROOT, 'tests', 'golden', name))
  with open(path, 'w') as f:
    json.dump(payload, f, indent=1, sort_keys=True)
    f.write('\n')
  print(f'wrote {path}')


def _summaries(cases, fn, make_kwargs):
  out = []
  for case in cases:
    structure, values = graph_summary.summarize(case, fn, make_kwargs)
    out.append({'case': case, 'structure': structure,
                'values': graph_summary.to_json(values)})
  return out


def write_layer_families():
  """tests/golden/layer_families.json: every layer family's cases and errors
  (`make_golden.py families` writes only this file)."""
  layer_ns = tf.compat.v1.layers
  layer_families.prime_reference()
  families = {}
  for family, module in layer_families.families().items():
    cases = []
    for case in module.CASES:
      structure, values = layer_families.summarize(family, case, layer_ns)
      cases.append({'case': case, 'structure': structure,
                    'values': None if values is None
                              else graph_summary.to_json(values)})
    families[family] = {
        'cases': cases,
        'errors': {name: layer_families.error_of(family, name, layer_ns)
                   for name in sorted(module.ERROR_CASES)}}
  _write('layer_families.json', {'tensorflow': tf.__version__,
                                 'families': families})
  for layout_id in sorted(checkpoint_layouts.LAYER_LAYOUTS):
    _write(os.path.join('..', 'checkpoints', layout_id + '.json'),
           checkpoint_layouts.layer_checkpoint_layout(layout_id, layer_ns))


def main():
  import tf_slim  # pylint: disable=g-import-not-at-top
  if tf.__version__ != '2.12.1':
    sys.exit(f'make_golden.py must run under the oracle TF 2.12.1, not '
             f'{tf.__version__}')
  cases = _summaries(contrib_cases.CASES, tf_slim.batch_norm,
                     contrib_cases.make_kwargs)
  errors = {}
  for name, fn in sorted(contrib_errors.ERROR_CASES.items()):
    kind, message = contrib_errors._error(fn, tf_slim.batch_norm)  # pylint: disable=protected-access
    errors[name] = {'type': kind.__name__, 'message': message}
  _write('contrib.json', {'tensorflow': tf.__version__, 'cases': cases,
                          'errors': errors})

  layer_cls = tf.compat.v1.layers.BatchNormalization
  layer_fn = tf.compat.v1.layers.batch_normalization
  layer_ns = tf.compat.v1.layers
  _write('layers.json', {
      'tensorflow': tf.__version__,
      'cases': _summaries(layers_cases.CASES,
                          lambda x, **kw: layer_fn(x, **kw),
                          layers_cases.make_kwargs),
      'api': {c['id']: layers_api_cases.describe(layer_cls, c)
              for c in layers_api_cases.API_CASES},
      'errors': {name: layers_api_cases.error_of(name, layer_cls, layer_fn)
                 for name in sorted(layers_api_cases.ERROR_CASES)},
  })

  write_layer_families()

  for layout_id in sorted(checkpoint_layouts.LAYOUTS):
    layout = checkpoint_layouts.checkpoint_layout(layout_id, tf_slim.batch_norm,
                                                  layer_fn)
    _write(os.path.join('..', 'checkpoints', layout_id + '.json'), layout)

  rnn_cases.write_golden(os.path.join(ROOT, 'tests', 'golden',
                                      'rnn_cell.json'))

  slim_fn = slim_cases.function_for(tf_slim.batch_norm)
  _write('slim.json', {s['case']['id']: s for s in _summaries(
      slim_cases.CASES, slim_fn, slim_cases.make_kwargs)})

  # tf_slim's nets tests, run natively: the baseline test_slim_nets.py
  # holds ours to under install().
  nets = {}
  for module in ('resnet_v1_test', 'resnet_v2_test', 'inception_v2_test',
                 'inception_v3_test'):
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tests', 'slim_nets_runner.py'),
         'native', module], check=True, capture_output=True, text=True)
    nets[module] = json.loads(out.stdout.strip().splitlines()[-1])
  _write('slim_nets.json', nets)

  # TF1 behaviour is process-wide: the runner does it in a child process.
  path = os.path.join(ROOT, 'tests', 'golden', 'tf1.json')
  subprocess.run([sys.executable, os.path.join(ROOT, 'tests',
                                               'tf1_mode_runner.py'),
                  'reference', path], check=True)
  print(f'wrote {path}')

  # Genuine TF 1.15 (tests/golden/tf115.json and its checkpoints), where
  # .venv-tf1 exists (`scripts/setup_envs.sh tf1`).
  tf1_python = os.path.join(ROOT, '.venv-tf1', 'bin', 'python')
  if os.path.exists(tf1_python):
    subprocess.run([tf1_python, os.path.join(ROOT, 'scripts',
                                             'make_golden_tf1.py')],
                   check=True)
  else:
    print(f'skipped tests/golden/tf115.json: no {tf1_python} '
          '(scripts/setup_envs.sh tf1 builds it)')


if __name__ == '__main__':
  if sys.argv[1:] == ['families']:
    write_layer_families()
  else:
    main()
