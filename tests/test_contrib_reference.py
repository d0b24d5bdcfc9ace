"""Live differential tests: tf_slim.batch_norm (TF 2.12.1) vs ours, same graph.

Each case is built twice, once with the reference and once with
`tf_compat_bn.batch_norm`, from the same inputs; the structure (variable
names, shapes, dtypes, trainability, collections, update objects, output and
op names) must be identical and the values (outputs, gradients, moving
statistics after training steps, inference outputs) equal within the dtype's
tolerance.
"""

import pytest

import contrib_cases
import graph_summary
import tf_compat_bn

pytestmark = pytest.mark.reference


def _reference():
  import tf_slim
  return tf_slim.batch_norm


@pytest.mark.parametrize('case', contrib_cases.CASES, ids=lambda c: c['id'])
def test_same_as_reference(case):
  ref_structure, ref_values = graph_summary.summarize(
      case, _reference(), contrib_cases.make_kwargs)
  our_structure, our_values = graph_summary.summarize(
      case, tf_compat_bn.batch_norm, contrib_cases.make_kwargs)
  graph_summary.assert_structure_equal(ref_structure, our_structure)
  graph_summary.assert_values_close(ref_values, our_values,
                                    case.get('dtype', 'float32'))
