"""Live differential tests: tf.compat.v1.layers (TF 2.12.1) vs ours.

Same method as test_contrib_reference.py, for `batch_normalization`.
"""

import pytest

import graph_summary
import layers_cases
import tf_compat_bn

pytestmark = pytest.mark.reference


def _reference(x, **kwargs):
  import tensorflow as tf
  return tf.compat.v1.layers.batch_normalization(x, **kwargs)


@pytest.mark.parametrize('case', layers_cases.CASES, ids=lambda c: c['id'])
def test_same_as_reference(case):
  ref_structure, ref_values = graph_summary.summarize(
      case, _reference, layers_cases.make_kwargs)
  our_structure, our_values = graph_summary.summarize(
      case, tf_compat_bn.batch_normalization, layers_cases.make_kwargs)
  graph_summary.assert_structure_equal(ref_structure, our_structure)
  graph_summary.assert_values_close(ref_values, our_values,
                                    case.get('dtype', 'float32'))
