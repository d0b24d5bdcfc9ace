"""Fidelity to genuine TF 1.15, where users' checkpoints come from.

tests/golden/tf115.json and tests/golden/tf115_checkpoints/ are written by
scripts/make_golden_tf1.py under Python 3.7 + TF 1.15.5 (TF1 graph mode, ref
variables, control flow v1).  On any TF, for every case of
tests/contrib_cases.py and tests/layers_cases.py that runs on TF 1.15:

* TF 1.15's checkpoint restores into the inference graph we build and gives
  TF 1.15's inference output;
* ours, built as TF 1.15 builds (the case in 'v1' mode), has TF 1.15's
  variables, collections and output, and its numbers.

Where TF 1.15 and TF 2.12.1 differ, the project follows TF 2.12.1: each such
difference is listed in DIFFERENCES (the cases it touches) and has its own
test below, showing what TF 1.15 did (from the golden file) and that we do
what TF 2.12.1 does (tests/golden/{contrib,layers}.json), with the reason.
"""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import contrib_cases
import graph_summary
import layers_api_cases
import layers_cases
import tf_compat_bn

v1 = tf.compat.v1
GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'golden')
CKPTS = os.path.join(GOLDEN, 'tf115_checkpoints')


def _load(name):
  with open(os.path.join(GOLDEN, name)) as f:
    return json.load(f)


TF115 = _load('tf115.json')
TF212 = {'contrib': _load('contrib.json'), 'layers': _load('layers.json')}
BY_ID = {api: {e['case']['id']: e for e in TF115[api]}
         for api in ('contrib', 'layers')}
REF_BY_ID = {api: {c['case']['id']: c for c in TF212[api]['cases']}
             for api in ('contrib', 'layers')}
FUNCTIONS = {'contrib': (tf_compat_bn.batch_norm, contrib_cases.make_kwargs),
             'layers': (tf_compat_bn.batch_normalization,
                        layers_cases.make_kwargs)}
MODULES = {'contrib': contrib_cases, 'layers': layers_cases}

# difference -> {api: [case ids]}: where TF 1.15 and TF 2.12.1 differ.
DIFFERENCES = {
    'rank5_fused': {
        'contrib': ['rank5_default', 'rank5_nchw', 'rank5_const_false'],
        'layers': ['rank5_default', 'rank5_axis1']},
    'float16_in_float32': {
        'contrib': ['rank3_float16', 'rank3_float16_const_false',
                    'rank4_float16_fused_false'],
        'layers': ['float16_plain', 'float16_plain_const_false',
                   'float16_placeholder', 'bfloat16_plain',
                   'bfloat16_plain_const_false']},
    'float64_fused': {'contrib': ['rank4_float64'], 'layers': ['float64']},
    'nchw_on_cpu': {'contrib': ['rank4_nchw', 'rank2_nchw'],
                    'layers': ['rank4_axis1', 'rank4_axis1_placeholder',
                               'rank4_axis_neg3']},
    'keras_regularizer_name': {'layers': ['keras_identifiers']},
    'ghost_batch_tensor_flag': {
        'layers': ['virtual_batch_placeholder',
                   'v1_virtual_batch_placeholder']},
}
# What each difference changes in the summary: structure keys, or 'error'.
DIFFERENT_PARTS = {
    'rank5_fused': {'output'},
    'float16_in_float32': {'output'},
    'float64_fused': {'error'},
    'nchw_on_cpu': {'error'},
    'keras_regularizer_name': {'collections'},
    'ghost_batch_tensor_flag': set(),
}
# Cases whose numbers differ beyond the dtype's tolerance (the others of a
# difference agree in value: no training step, or float16 rounding within
# tolerance).
VALUES_DIFFER = {
    ('contrib', 'rank5_default'), ('contrib', 'rank5_nchw'),
    ('layers', 'rank5_default'), ('layers', 'rank5_axis1'),
    ('layers', 'float16_placeholder'),
    ('layers', 'virtual_batch_placeholder'),
    ('layers', 'v1_virtual_batch_placeholder'),
}


def _differences(api, cid):
  return {name for name, cases in DIFFERENCES.items()
          if cid in cases.get(api, [])}


def _parts(api, cid):
  parts = set()
  for name in _differences(api, cid):
    parts |= DIFFERENT_PARTS[name]
  return parts


ALL_CASES = [(api, c) for api in ('contrib', 'layers')
             for c in MODULES[api].CASES]
RUN_CASES = [(api, c) for api, c in ALL_CASES
             if 'error' not in BY_ID[api][c['id']]]


def _ids(v):
  return v['id'] if isinstance(v, dict) else v


def _tf1_mode(case):
  """The case as TF 1.15 builds it: ref variables, control flow v1."""
  return dict(case, mode='v1')


def _ours(api, case):
  fn, make_kwargs = FUNCTIONS[api]
  handles = graph_summary.build(case, fn, make_kwargs)
  structure = graph_summary.structure(handles)
  structure.pop('ops')
  return (json.loads(json.dumps(structure)),
          graph_summary.to_json(graph_summary.values(case, handles)))


def _restored_inference(api, case, checkpoint):
  fn, make_kwargs = FUNCTIONS[api]
  handles = graph_summary.build(dict(_tf1_mode(case), flag='python_false'),
                                fn, make_kwargs)
  with handles['graph'].as_default():
    saver = v1.train.Saver()
    with v1.Session(graph=handles['graph']) as sess:
      saver.restore(sess, os.path.join(CKPTS, checkpoint))
      return sess.run(handles['y'],
                      {handles['x']: graph_summary.input_data(case)})


def _close(expected, actual, dtype):
  tol = graph_summary.TOLERANCE[dtype]
  return np.allclose(np.asarray(actual, np.float64),
                     np.asarray(expected, np.float64), rtol=tol, atol=tol)


def test_golden_covers_every_case():
  assert TF115['tensorflow'].startswith('1.15')
  for api in ('contrib', 'layers'):
    assert [e['case'] for e in TF115[api]] == json.loads(json.dumps(
        MODULES[api].CASES)), 'stale: run scripts/make_golden_tf1.py'


def test_differences_are_listed_exactly():
  """Every case TF 1.15 failed is a listed difference, and every listed
  case exists."""
  failed = {(api, e['case']['id']) for api in BY_ID
            for e in TF115[api] if 'error' in e}
  listed_errors = {(api, cid) for name, cases in DIFFERENCES.items()
                   if 'error' in DIFFERENT_PARTS[name]
                   for api, ids in cases.items() for cid in ids}
  assert failed == listed_errors
  for cases in DIFFERENCES.values():
    for api, ids in cases.items():
      assert set(ids) <= set(BY_ID[api])


@pytest.mark.parametrize('api, case', RUN_CASES, ids=_ids)
def test_tf115_checkpoint_restores(api, case):
  """TF 1.15's trained checkpoint, restored into our inference graph, gives
  TF 1.15's inference output."""
  golden = BY_ID[api][case['id']]
  actual = _restored_inference(api, case, golden['checkpoint'])
  dtype = case.get('dtype', 'float32')
  assert _close(golden['inference'], actual, dtype)


@pytest.mark.parametrize('api, case', RUN_CASES, ids=_ids)
def test_same_as_tf115(api, case):
  """Variables, collections, output and numbers as TF 1.15's, except what a
  listed difference changes (there we follow TF 2.12.1, tested below)."""
  golden = BY_ID[api][case['id']]
  parts = _parts(api, case['id'])
  structure, values = _ours(api, _tf1_mode(case))
  for key, expected in golden['structure'].items():
    if key in parts:
      assert structure[key] != expected, f'{key}: no longer differs'
    else:
      assert structure[key] == expected, key
  if (api, case['id']) in VALUES_DIFFER:
    with pytest.raises(AssertionError):
      graph_summary.assert_values_close(golden['values'], values,
                                        case.get('dtype', 'float32'))
  else:
    graph_summary.assert_values_close(golden['values'], values,
                                      case.get('dtype', 'float32'))


def _case(api, cid):
  return [c for c in MODULES[api].CASES if c['id'] == cid][0]


def _check_follows_tf212(api, cid):
  """Ours, built as the case says, is what TF 2.12.1 recorded."""
  case = _case(api, cid)
  structure, values = _ours(api, case)
  ref = REF_BY_ID[api][cid]
  for key in structure:
    assert structure[key] == ref['structure'][key], key
  graph_summary.assert_values_close(ref['values'], values,
                                    case.get('dtype', 'float32'))
  return structure, values


def _each(name):
  return [(api, cid) for api, ids in DIFFERENCES[name].items()
          for cid in ids]


@pytest.mark.parametrize('api, cid', _each('rank5_fused'))
def test_rank5_fused_as_tf212(api, cid):
  """Reason: TF 2.12 routes rank-5 inputs to the fused kernel (3-D fused
  batch norm, which 1.15 lacked), so its moving variance gets Bessel's
  correction like rank 4; we match 2.12 and TF 2.x checkpoints."""
  tf115 = BY_ID[api][cid]
  assert 'batchnorm' in tf115['structure']['output']        # not fused
  structure, values = _check_follows_tf212(api, cid)
  assert 'FusedBatchNormV3' in structure['output']
  name = [n for n in values['variables'] if 'moving_variance' in n][0]
  ratio = (np.asarray(values['variables'][name]) /
           np.asarray(tf115['values']['variables'][name]))
  assert np.all(ratio < 1.0 - 1e-4) or np.all(ratio > 1.0 + 1e-4) or (
      cid == 'rank5_const_false')


@pytest.mark.parametrize('api, cid', _each('float16_in_float32'))
def test_float16_computed_in_float32_as_tf212(api, cid):
  """Reason: TF 2.12's non-fused path computes float16/bfloat16 in float32
  and casts back (more accurate); TF 1.15 computed in float16."""
  tf115 = BY_ID[api][cid]
  assert tf115['structure']['output'].endswith('batchnorm/add_1:0') or (
      tf115['structure']['output'].endswith('batchnorm_1/add_1:0'))
  structure, _ = _check_follows_tf212(api, cid)
  assert '/Cast' in structure['output']
  assert structure['output_dtype'] == tf115['structure']['output_dtype']


def test_float16_values_differ_beyond_tolerance():
  """TF 1.15's float16 arithmetic is off by more than float16 tolerance
  from TF 2.12's (and ours) after training, for the placeholder flag."""
  tf115 = BY_ID['layers']['float16_placeholder']['values']['y_inference']
  ref = REF_BY_ID['layers']['float16_placeholder']['values']['y_inference']
  assert not _close(tf115, ref, 'float16')


@pytest.mark.parametrize('api, cid', _each('float64_fused'))
def test_float64_fused_runs_as_tf212(api, cid):
  """Reason: TF 1.15's fused kernel rejected float64 (TypeError); TF 2.12
  falls back to the non-fused path, so float64 models build and train."""
  error = BY_ID[api][cid]['error']
  assert (error['stage'], error['type']) == ('build', 'TypeError')
  assert 'float64 not in list of allowed values' in error['message']
  _check_follows_tf212(api, cid)


@pytest.mark.parametrize('api, cid', _each('nchw_on_cpu'))
def test_nchw_on_cpu_runs_as_tf212(api, cid):
  """Reason: TF 1.15's CPU FusedBatchNorm supported only NHWC (InternalError
  at Session.run); TF 2.12's runs NCHW on CPU too."""
  error = BY_ID[api][cid]['error']
  assert (error['stage'], error['type']) == ('run', 'InternalError')
  assert 'only supports NHWC' in error['message']
  _check_follows_tf212(api, cid)


def test_keras_regularizer_name_as_tf212():
  """Reason: TF 2.12's 'l1'/'l2' regularizers return a `mul` tensor where
  1.15's summed into an `add`; only the loss tensor's name differs."""
  tf115 = BY_ID['layers']['keras_identifiers']['structure']['collections']
  assert all(n.endswith('Regularizer/add:0')
             for n in tf115['regularization_losses'])
  structure, _ = _check_follows_tf212('layers', 'keras_identifiers')
  assert all(n.endswith('Regularizer/mul:0')
             for n in structure['collections']['regularization_losses'])


@pytest.mark.parametrize('cid', ['virtual_batch_placeholder',
                                 'v1_virtual_batch_placeholder'])
def test_ghost_batch_tensor_flag_as_tf212(cid):
  """Reason: the project follows TF 2.12.1, whose tensor-flag path
  normalizes with the whole batch's statistics (ghost batches only for a
  Python True); TF 1.15 used ghost batches for both."""
  tf115 = BY_ID['layers'][cid]['values']['y_first']
  tf115_python_true = BY_ID['layers']['virtual_batch']['values']['y_first']
  assert _close(tf115_python_true, tf115, 'float32')
  _, values = _check_follows_tf212('layers', cid)
  assert not _close(tf115_python_true, values['y_first'], 'float32')
  case = _case('layers', cid)
  x = graph_summary.input_data(case).astype(np.float64)
  whole_batch = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
  assert _close(whole_batch, values['y_first'], 'float32')


def _probe_input():
  shape = [4, 3, 3, 2]
  return (np.random.RandomState(0).normal(size=shape) * 1e-3).astype(
      np.float32)


def _numpy_bn(x, epsilon):
  x = x.astype(np.float64)
  mean, var = x.mean((0, 1, 2)), x.var((0, 1, 2))
  return (x - mean) / np.sqrt(var + epsilon)


@pytest.mark.parametrize('probe, call', [
    ('contrib_epsilon_1e-9_fused',
     lambda x: tf_compat_bn.batch_norm(x, is_training=True, epsilon=1e-9)),
    ('contrib_epsilon_1e-9_fused_false',
     lambda x: tf_compat_bn.batch_norm(x, is_training=True, epsilon=1e-9,
                                       fused=False)),
    ('layers_epsilon_1e-9_fused',
     lambda x: tf_compat_bn.batch_normalization(x, training=True,
                                                epsilon=1e-9)),
])
def test_epsilon_below_cudnn_minimum_as_tf212(probe, call):
  """Reason: TF 1.15's fused path raised epsilon below 1.001e-5 (cuDNN's
  old minimum) to 1.001e-5, its non-fused path did not; TF 2.12 uses the
  epsilon asked for on every path."""
  x = _probe_input()
  tf115 = np.asarray(TF115['probes'][probe])
  tf115_eps = 1e-9 if probe.endswith('fused_false') else 1.001e-5
  np.testing.assert_allclose(tf115, _numpy_bn(x, tf115_eps), atol=1e-4)
  with tf.Graph().as_default():
    ph = v1.placeholder(tf.float32, x.shape)
    y = call(ph)
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      ours = sess.run(y, {ph: x})
  np.testing.assert_allclose(ours, _numpy_bn(x, 1e-9), atol=1e-4)
  if probe.endswith('_fused'):
    assert np.abs(ours - tf115).max() > 0.5


# Bad input.  TF 1.15's layer messages come from its Keras; TF 2.12 reworded
# most of them (and autograph no longer wraps them in "in converted code").
# The exception types agree where TF 1.15 has the case; messages: below.


def _message(message):
  """TF 1.15's message without autograph's wrapper and creation traceback."""
  lines = [l.strip() for l in message.strip().splitlines() if l.strip()]
  if lines and lines[0].startswith('in converted code'):
    head, sep, rest = lines[-1].partition(': ')
    return rest if sep and head.endswith('Error') else lines[-1]
  return message.split(' Originally defined at:')[0]


def _errors():
  out = []
  for api, errors in sorted(TF115.get('errors', {}).items()):
    for name, got in sorted(errors.items()):
      out.append((api, name))
  return out


def _pair(api, name):
  """(TF 1.15, TF 2.12.1) as (type, message), None for no error."""
  tf115 = TF115['errors'][api][name]
  ref = TF212[api]['errors'][name]
  if api == 'layers':
    return (tuple(tf115) if tf115 else None, tuple(ref) if ref else None)
  return ((tf115['type'], tf115['message']) if tf115 else None,
          (ref['type'], ref['message']) if ref else None)


def _ours_error(api, name):
  if api == 'layers':
    got = layers_api_cases.error_of(name, tf_compat_bn.BatchNormalization,
                                    tf_compat_bn.batch_normalization)
    return tuple(got) if got else None
  import test_contrib_reference_errors as contrib_errors  # pylint: disable=g-import-not-at-top
  got = contrib_errors._error(  # pylint: disable=protected-access
      contrib_errors.ERROR_CASES[name], tf_compat_bn.batch_norm)
  return (got[0].__name__, got[1]) if got else None


@pytest.mark.parametrize('api, name', _errors())
def test_bad_input_as_tf115_or_tf212(api, name):
  """Same exception type as TF 1.15 where TF 1.15 and 2.12 agree on it;
  TF 1.15's message where 2.12 kept it, else TF 2.12.1's (reason: the
  project follows 2.12.1's reworded Keras messages, which name the value)."""
  tf115, ref = _pair(api, name)
  ours = _ours_error(api, name)
  if tf115 is not None and ref is not None and tf115[0] == ref[0]:
    assert ours[0] == tf115[0]
  if tf115 is not None and ref is not None and (
      _message(tf115[1]) == ref[1]):
    assert ours[1] == _message(tf115[1])
  else:
    assert ours == ref
