"""Live differential tests of every layer family against TF 2.12.1.

For each case of `tests/{core_layers,pooling,conv_layers}_cases.py` the
graph is built once with the reference `tf.compat.v1.layers` and once with
`tf_compat_bn.layers`: structure (variables, collections, every op name,
output) must be equal and values (outputs, gradients, values after SGD
steps, inference) within the dtype's tolerance; each bad-input case must
raise the same exception type with the same message.
"""

import pytest
import tensorflow as tf

import graph_summary
import layer_families
import tf_compat_bn.layers

pytestmark = pytest.mark.reference


@pytest.fixture(autouse=True, scope='module')
def _primed():
  layer_families.prime_reference()


@pytest.mark.parametrize('family, case', layer_families.all_cases(),
                         ids=lambda v: v['id'] if isinstance(v, dict) else v)
def test_same_as_reference(family, case):
  ref_structure, ref_values = layer_families.summarize(
      family, case, tf.compat.v1.layers)
  our_structure, our_values = layer_families.summarize(
      family, case, tf_compat_bn.layers)
  graph_summary.assert_structure_equal(ref_structure, our_structure)
  if ref_values is not None:
    graph_summary.assert_values_close(ref_values, our_values,
                                      case.get('dtype', 'float32'))


@pytest.mark.parametrize('family, name', layer_families.all_errors())
def test_same_error_as_reference(family, name):
  expected = layer_families.error_of(family, name, tf.compat.v1.layers)
  assert expected is not None, 'the reference raised nothing'
  assert layer_families.error_of(family, name, tf_compat_bn.layers) == expected
