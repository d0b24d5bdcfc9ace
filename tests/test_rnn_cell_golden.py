"""Ours (on any TF) against the reference's recorded summaries.

`tests/golden/rnn_cell.json` is written on TF 2.12.1 by
`rnn_cases.write_golden` from the reference `tf.compat.v1.nn.rnn_cell`.
"""

import json
import os

import pytest

import graph_summary
import rnn_cases
from tf_compat_bn import rnn_cell

_GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'golden',
                       'rnn_cell.json')


def _golden():
  with open(_GOLDEN) as f:
    return json.load(f)['cases']


_CASES = _golden()


@pytest.mark.parametrize('name', sorted(_CASES))
def test_matches_golden(name):
  recorded = _CASES[name]
  case = recorded['case']
  assert case == json.loads(json.dumps(rnn_cases.case(name))), (
      'the case changed: rerun rnn_cases.write_golden on TF 2.12')
  structure, values = rnn_cases.summarize(case, rnn_cell)
  graph_summary.assert_structure_equal(recorded['structure'], structure,
                                       across_versions=True)
  if case.get('compare_values', True):
    rnn_cases.assert_values_close(recorded['values'],
                                  graph_summary.to_json(values),
                                  case.get('dtype', 'float32'))
