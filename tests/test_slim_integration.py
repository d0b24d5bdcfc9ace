"""`batch_norm` inside tf_slim: normalizer_fn of conv2d / fully_connected and
slim.arg_scope.  Live against slim's own batch_norm on TF 2.12.1, and against
tests/golden/slim.json (written from the reference) on any TF with tf_slim."""

import json
import os

import pytest

import graph_summary
import slim_cases
import tf_compat_bn

slim = pytest.importorskip('tf_slim', reason='tf_slim is not installed')
HERE = os.path.dirname(os.path.abspath(__file__))


def _summary(case, batch_norm):
  return graph_summary.summarize(case, slim_cases.function_for(batch_norm),
                                 slim_cases.make_kwargs)


@pytest.mark.reference
@pytest.mark.parametrize('case', slim_cases.CASES, ids=lambda c: c['id'])
def test_same_as_reference_inside_slim(case):
  ref_structure, ref_values = _summary(case, slim.batch_norm)
  structure, values = _summary(case, tf_compat_bn.batch_norm)
  graph_summary.assert_structure_equal(ref_structure, structure)
  graph_summary.assert_values_close(ref_values, values, 'float32')


@pytest.mark.parametrize('case', slim_cases.CASES, ids=lambda c: c['id'])
def test_matches_golden_inside_slim(case):
  with open(os.path.join(HERE, 'golden', 'slim.json')) as f:
    golden = json.load(f)[case['id']]
  assert golden['case'] == case, 'golden file is stale: run make_golden.py'
  structure, values = _summary(case, tf_compat_bn.batch_norm)
  graph_summary.assert_structure_equal(
      golden['structure'], json.loads(json.dumps(structure)),
      across_versions=True)
  graph_summary.assert_values_close(golden['values'],
                                    graph_summary.to_json(values), 'float32')


def test_registered_with_arg_scope():
  from tf_slim.ops import arg_scope  # pylint: disable=g-import-not-at-top
  assert arg_scope.has_arg_scope(tf_compat_bn.batch_norm)
