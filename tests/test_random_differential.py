"""Randomized differential test: random calls of both batch-norm front ends,
built by the reference (TF 2.12.1) and by ours, must agree.

Hypothesis draws a call from the whole argument space -- rank 1 to 5, every
dtype, every kind of training flag, axes (valid, negative, out of range,
duplicated), momentum / epsilon, center / scale, fused, renorm, ghost batches
(dividing the batch or not), trainable, the contrib `data_format`,
zero-debias, `updates_collections=None` -- valid and invalid.  For each, the
reference and ours either both raise the same exception type with the same
message, or build the same graph (variables, collections, every op name) and
compute the same numbers (`graph_summary`, dtype tolerance).  A failure
shrinks to a minimal call; fixed ones are kept in the case lists as ordinary
regression cases.

CI runs a small, derandomized budget (`RANDOM_DIFFERENTIAL_EXAMPLES`, default
15 per front end); `bash scripts/random_differential.sh N` runs N each.
"""

import os

import pytest

import graph_summary
import tf_compat_bn

hypothesis = pytest.importorskip(
    'hypothesis', reason='the randomized differential test needs hypothesis '
    '(in scripts/requirements-oracle.txt)')
st = hypothesis.strategies

pytestmark = pytest.mark.reference

EXAMPLES = int(os.environ.get('RANDOM_DIFFERENTIAL_EXAMPLES', '15'))
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(hypothesis.HealthCheck))

DTYPES = ['float32', 'float16', 'float64', 'bfloat16']
FLAGS = ['python_true', 'python_false', 'placeholder', 'const_true',
         'const_false', 'none']


@st.composite
def _shape(draw):
  rank = draw(st.integers(1, 5))
  batch = draw(st.sampled_from([2, 4, 6]))
  return [batch] + [draw(st.integers(1, 3)) for _ in range(rank - 1)]


@st.composite
def layers_case(draw):
  shape = draw(_shape())
  rank = len(shape)
  kwargs = {}
  axis = draw(st.one_of(
      st.integers(-rank - 1, rank),
      st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=min(
          rank, 3))))
  kwargs['axis'] = axis
  for name, strategy in (
      ('momentum', st.sampled_from([0.99, 0.5])),
      ('epsilon', st.sampled_from([1e-3, 1e-5])),
      ('center', st.booleans()), ('scale', st.booleans()),
      ('fused', st.sampled_from([None, True, False])),
      ('renorm', st.booleans()), ('trainable', st.booleans()),
      ('virtual_batch_size', st.sampled_from([None, None, 2, 3]))):
    if draw(st.booleans()):
      kwargs[name] = draw(strategy)
  return dict(id='random', shape=shape, dtype=draw(st.sampled_from(DTYPES)),
              flag=draw(st.sampled_from(FLAGS[:-1] + ['none'])),
              kwargs=kwargs)


@st.composite
def contrib_case(draw):
  shape = draw(_shape())
  kwargs = {}
  for name, strategy in (
      ('decay', st.sampled_from([0.999, 0.5])),
      ('epsilon', st.sampled_from([1e-3, 1e-5])),
      ('center', st.booleans()), ('scale', st.booleans()),
      ('fused', st.sampled_from([None, True, False])),
      ('data_format', st.sampled_from(['NHWC', 'NCHW'])),
      ('zero_debias_moving_mean', st.booleans()),
      ('renorm', st.booleans()), ('trainable', st.booleans())):
    if draw(st.booleans()):
      kwargs[name] = draw(strategy)
  if draw(st.booleans()):
    kwargs['updates_collections'] = None
  return dict(id='random', shape=shape, dtype=draw(st.sampled_from(DTYPES)),
              flag=draw(st.sampled_from(FLAGS[:-1])), kwargs=kwargs)


def _layers_kwargs(case, x, flag):
  del x
  return dict(case['kwargs'], training=flag)


def _contrib_kwargs(case, x, flag):
  del x
  return dict(case['kwargs'], is_training=flag)


def _outcome(case, fn, make_kwargs):
  """('ok', structure, values) or ('error', type name, message)."""
  try:
    structure, values = graph_summary.summarize(case, fn, make_kwargs)
  except Exception as e:  # pylint: disable=broad-except
    return ('error', type(e).__name__, str(e).split('\n')[0])
  return ('ok', structure, values)


def _assert_same(case, reference_fn, make_kwargs, ours_fn):
  expected = _outcome(case, reference_fn, make_kwargs)
  actual = _outcome(case, ours_fn, make_kwargs)
  assert expected[0] == actual[0], (case, expected[1:], actual[1:])
  if expected[0] == 'error':
    assert actual[1:] == expected[1:], case
    return
  graph_summary.assert_structure_equal(expected[1], actual[1])
  graph_summary.assert_values_close(expected[2], actual[2], case['dtype'])


@SETTINGS
@hypothesis.given(layers_case())
def test_random_batch_normalization_calls(case):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  _assert_same(case, tf.compat.v1.layers.batch_normalization, _layers_kwargs,
               tf_compat_bn.batch_normalization)


@SETTINGS
@hypothesis.given(contrib_case())
def test_random_batch_norm_calls(case):
  import tf_slim  # pylint: disable=g-import-not-at-top
  _assert_same(case, tf_slim.batch_norm, _contrib_kwargs,
               tf_compat_bn.batch_norm)
