"""Writes what Keras 2's `tf.compat.v1.keras.layers.BatchNormalization` does
in TF1 graphs to tests/golden/keras_bn.json and
tests/checkpoints/keras_bn*.json, for the tests of tf_compat_bn.keras on TF
versions without Keras 2.

Run under the oracle (TF 2.12.1 + keras 2.12), where the reference runs:

    .venv-oracle/bin/python scripts/make_golden_keras.py

For every case in tests/keras_bn_cases.py it records the graph (structure),
what the layer objects report, and the values after training with
`layer.updates` run; for every bad-input case the exception type and
message; the layer names when Keras and tf.layers batch norms share a graph;
the checkpoint layouts; and some cases again under TF1 behaviour
(`disable_v2_behavior()`, in a child process).
"""

import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests'))

import tensorflow as tf  # noqa: E402

import graph_summary  # noqa: E402
import keras_bn_cases  # noqa: E402


def _write(path, payload):
  path = os.path.normpath(os.path.join(ROOT, 'tests', path))
  with open(path, 'w') as f:
    json.dump(payload, f, indent=1, sort_keys=True)
    f.write('\n')
  print(f'wrote {path}')


def main():
  if not tf.__version__.startswith('2.12.'):
    sys.exit(f'run under TF 2.12 (the oracle); this is {tf.__version__}')
  reference = tf.compat.v1.keras.layers.BatchNormalization
  backend = tf.compat.v1.keras.backend
  cases = {}
  for case_id, case in sorted(keras_bn_cases.CASES.items()):
    structure, report, values = keras_bn_cases.summarize(
        case, reference, backend.set_learning_phase)
    backend.clear_session()
    cases[case_id] = {
        'case': keras_bn_cases.case_key(case),
        'structure': json.loads(json.dumps(structure)),
        'report': report,
        'values': graph_summary.to_json(values)}
  errors = {error_id: keras_bn_cases.error_of(error_id, reference)
            for error_id in sorted(keras_bn_cases.ERRORS)}
  naming = keras_bn_cases.naming_with_tf_layers(
      reference, tf.compat.v1.layers.BatchNormalization)
  with tempfile.TemporaryDirectory() as tmp:
    tf1_mode = keras_bn_cases.tf1_mode_summaries(
        sys.executable, 'reference', os.path.join(tmp, 'tf1.json'))
  _write(os.path.join('golden', 'keras_bn.json'), {
      'tf1_mode': tf1_mode,
      'tensorflow': tf.__version__, 'cases': cases, 'errors': errors,
      'naming_with_tf_layers': naming,
      'signature': keras_bn_cases.signature(reference.__mro__[1].__init__)})
  for layout_id, (shape, kwargs) in sorted(
      keras_bn_cases.CHECKPOINT_LAYOUTS.items()):
    _write(os.path.join('checkpoints', layout_id + '.json'),
           keras_bn_cases.checkpoint_layout(reference, shape, kwargs))


if __name__ == '__main__':
  main()
