"""Live differential tests of the Layer surface and errors (TF 2.12.1).

The reference is tf.compat.v1.layers.BatchNormalization / batch_normalization.
"""

import numpy as np
import pytest

import layers_api_cases
import tf_compat_bn

pytestmark = pytest.mark.reference


def _reference():
  import tensorflow as tf
  return (tf.compat.v1.layers.BatchNormalization,
          tf.compat.v1.layers.batch_normalization)


@pytest.mark.parametrize('case', layers_api_cases.API_CASES,
                         ids=lambda c: c['id'])
def test_layer_surface_same_as_reference(case):
  ref_cls, _ = _reference()
  expected = layers_api_cases.describe(ref_cls, case)
  actual = layers_api_cases.describe(tf_compat_bn.BatchNormalization, case)
  ref_values, our_values = expected.pop('values'), actual.pop('values')
  for key in expected:
    assert actual[key] == expected[key], key
  for e, a in zip(ref_values, our_values):
    np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('name', sorted(layers_api_cases.ERROR_CASES))
def test_same_error_as_reference(name):
  expected = layers_api_cases.error_of(name, *_reference())
  assert expected is not None, 'the reference raised nothing'
  actual = layers_api_cases.error_of(name, tf_compat_bn.BatchNormalization,
                                     tf_compat_bn.batch_normalization)
  assert actual == expected
