"""Writes genuine TF 1.15's batch-norm results: tests/golden/tf115.json and
tests/golden/tf115_checkpoints/.

Run under Python 3.7 + TensorFlow 1.15.5 (`scripts/setup_envs.sh tf1` builds
.venv-tf1; `scripts/make_golden.py` calls this at its end when it exists):

    .venv-tf1/bin/python scripts/make_golden_tf1.py

For every case of tests/contrib_cases.py (`tf.contrib.layers.batch_norm`) and
tests/layers_cases.py (`tf.layers.batch_normalization`) it builds the case as
TF 1.15 does (TF1 graph mode: ref variables, control flow v1; the cases'
`mode` makes no difference there) with tests/graph_summary.py, and records

* `structure`: variables, collections, output name/dtype/shape (op names are
  left out: they are TF-version internals);
* `values`: first-step output and gradients, output and variables after 3 SGD
  steps under UPDATE_OPS, inference output where the flag is a placeholder;
* `checkpoint`: the variables after those steps, saved (.index + .data) under
  tests/golden/tf115_checkpoints/<api>/<id>;
* `inference`: the output on the case's input of the same case built with
  the Python flag False (inference) in a fresh graph, restored from that
  checkpoint;
* or `error`: where TF 1.15 fails, at which stage, with what type and message;

and, beside the cases, `probes` (epsilon 1e-9 on a tiny-variance input, where
the fused kernel's 1.001e-5 minimum shows) and `errors` (the bad-input cases
of tests/layers_api_cases.py and tests/test_contrib_reference_errors.py).

tests/test_tf115.py checks tf_compat_bn against this file on any TF.
Python 3.7 compatible (no walrus, no f-string `=`).
"""

import json
import os
import shutil
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, 'tests')
sys.path.insert(0, TESTS)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import contrib_cases  # noqa: E402
import graph_summary  # noqa: E402
import layers_cases  # noqa: E402

v1 = tf.compat.v1
GOLDEN = os.path.join(TESTS, 'golden')
CKPT_DIR = os.path.join(GOLDEN, 'tf115_checkpoints')


def _message(exc):
  """The first line of an exception's message (TF appends node traces)."""
  lines = [l.strip() for l in str(exc).strip().splitlines() if l.strip()]
  if not lines:
    return ''
  if lines[0].startswith('in converted code'):
    # Autograph's wrapper: the original error is the last line.
    last = lines[-1]
    prefix = type(exc).__name__ + ': '
    return (last[len(prefix):] if last.startswith(prefix) else last)[:400]
  return lines[0][:400]


def _build(case, fn, make_kwargs):
  """graph_summary.build under TF 1.15's own default, control flow v1:
  graph_summary._mode turns v2 on when a 'v1' case ends (TF2's default)."""
  v1.disable_control_flow_v2()
  try:
    return graph_summary.build(case, fn, make_kwargs)
  finally:
    v1.disable_control_flow_v2()


def inference_case(case):
  """The case as an inference graph: the Python flag False."""
  return dict(case, flag='python_false')


def _restore_and_infer(case, fn, make_kwargs, prefix):
  handles = _build(inference_case(case), fn, make_kwargs)
  with handles['graph'].as_default():
    saver = v1.train.Saver()
    with v1.Session(graph=handles['graph']) as sess:
      saver.restore(sess, prefix)
      return sess.run(handles['y'],
                      {handles['x']: graph_summary.input_data(case)})


def run_case(api, case, fn, make_kwargs):
  entry = {'case': case}
  stage = 'build'
  prefix = os.path.join(CKPT_DIR, api, case['id'])
  try:
    handles = _build(case, fn, make_kwargs)
    structure = graph_summary.structure(handles)
    structure.pop('ops')
    entry['structure'] = structure
    stage = 'run'
    entry['values'] = graph_summary.to_json(
        graph_summary.values(case, handles, save_to=prefix))
    entry['checkpoint'] = '/'.join([api, case['id']])
    stage = 'inference'
    entry['inference'] = graph_summary.to_json(
        _restore_and_infer(case, fn, make_kwargs, prefix))
  except Exception as e:  # pylint: disable=broad-except
    entry['error'] = {'stage': stage, 'type': type(e).__name__,
                      'message': _message(e)}
    entry.pop('checkpoint', None)
    for path in os.listdir(os.path.dirname(prefix)):
      if path.startswith(case['id'] + '.'):
        os.remove(os.path.join(os.path.dirname(prefix), path))
  return entry


# Probes beyond the shared cases, for differences the cases cannot show:
# epsilon 1e-9 on an input of variance ~1e-6 (the fused kernel's minimum
# epsilon, 1.001e-5, then changes the output by far more than tolerance).
PROBE_SHAPE = [4, 3, 3, 2]


def probe_input():
  return (np.random.RandomState(0).normal(size=PROBE_SHAPE) * 1e-3).astype(
      np.float32)


def run_probes():
  probes = {}
  calls = {
      'contrib_epsilon_1e-9_fused': lambda x: tf.contrib.layers.batch_norm(
          x, is_training=True, epsilon=1e-9),
      'contrib_epsilon_1e-9_fused_false': lambda x: (
          tf.contrib.layers.batch_norm(x, is_training=True, epsilon=1e-9,
                                       fused=False)),
      'layers_epsilon_1e-9_fused': lambda x: tf.layers.batch_normalization(
          x, training=True, epsilon=1e-9),
  }
  for name, call in sorted(calls.items()):
    with tf.Graph().as_default():
      x = v1.placeholder(tf.float32, PROBE_SHAPE)
      y = call(x)
      with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        probes[name] = graph_summary.to_json(
            sess.run(y, {x: probe_input()}))
  return probes


def run_errors():
  """Bad-input cases: {'layers': {name: [type, message]}, 'contrib': ...};
  contrib's list lives in a pytest module (skipped without pytest)."""
  import layers_api_cases  # pylint: disable=g-import-not-at-top
  out = {'layers': {}}
  for name in sorted(layers_api_cases.ERROR_CASES):
    out['layers'][name] = layers_api_cases.error_of(
        name, tf.layers.BatchNormalization, tf.layers.batch_normalization)
  # The contrib list lives in a pytest module that imports tf_compat_bn
  # (TF >= 2.12) only for its tests: a stand-in lets it import here.
  stub = 'tf_compat_bn' not in sys.modules
  if stub:
    sys.modules['tf_compat_bn'] = types.ModuleType('tf_compat_bn')
  try:
    import test_contrib_reference_errors as contrib_errors  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    print('contrib error cases skipped: %s' % e)
    return out
  finally:
    if stub:
      del sys.modules['tf_compat_bn']
  out['contrib'] = {}
  for name, fn in sorted(contrib_errors.ERROR_CASES.items()):
    kind, message = contrib_errors._error(  # pylint: disable=protected-access
        fn, tf.contrib.layers.batch_norm) or (None, None)
    out['contrib'][name] = ({'type': kind.__name__, 'message': message}
                            if kind else None)
  return out


def main():
  if not tf.__version__.startswith('1.15'):
    sys.exit('make_golden_tf1.py must run under TF 1.15, not %s'
             % tf.__version__)
  v1.logging.set_verbosity(v1.logging.ERROR)
  if os.path.isdir(CKPT_DIR):
    shutil.rmtree(CKPT_DIR)
  apis = [('contrib', tf.contrib.layers.batch_norm, contrib_cases),
          ('layers', tf.layers.batch_normalization, layers_cases)]
  payload = {'tensorflow': tf.__version__, 'python': sys.version.split()[0]}
  for api, fn, module in apis:
    os.makedirs(os.path.join(CKPT_DIR, api))
    entries = []
    for case in module.CASES:
      entry = run_case(api, case, fn, module.make_kwargs)
      if 'error' in entry:
        print('%s/%s: %s' % (api, case['id'], entry['error']))
      entries.append(entry)
    payload[api] = entries
  payload['probes'] = run_probes()
  payload['errors'] = run_errors()
  path = os.path.join(GOLDEN, 'tf115.json')
  with open(path, 'w') as f:
    json.dump(payload, f, indent=None, sort_keys=True, separators=(',', ':'))
    f.write('\n')
  print('wrote %s and %s' % (path, CKPT_DIR))


if __name__ == '__main__':
  main()
