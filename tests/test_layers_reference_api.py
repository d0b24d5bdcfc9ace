"""Live differential tests of the Layer surface and errors (TF 2.12.1).

The reference is tf.compat.v1.layers.BatchNormalization / batch_normalization.
"""

import pytest

import checkpoint_roundtrip
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
  layers_api_cases.assert_same_surface(
      layers_api_cases.describe(ref_cls, case),
      layers_api_cases.describe(tf_compat_bn.BatchNormalization, case))


@pytest.mark.parametrize('name', sorted(layers_api_cases.ERROR_CASES))
def test_same_error_as_reference(name):
  expected = layers_api_cases.error_of(name, *_reference())
  assert expected is not None, 'the reference raised nothing'
  actual = layers_api_cases.error_of(name, tf_compat_bn.BatchNormalization,
                                     tf_compat_bn.batch_normalization)
  assert actual == expected


CHECKPOINT_CASES = {
    'fused': ([4, 3, 3, 2], {}),
    'non_fused_axis1': ([4, 2, 3, 3], {'axis': 1, 'fused': False}),
    'rank2': ([8, 3], {}),
    'multi_axis': ([4, 5, 3, 2], {'axis': [1, 3]}),
    'renorm': ([8, 3], {'renorm': True}),
    'virtual_batch': ([8, 3], {'virtual_batch_size': 2}),
    'float16': ([4, 3, 3, 2], {'dtype': 'float16'}),
}


def _layers_call(batch_normalization):
  return lambda x, training, **kw: batch_normalization(x, training=training,
                                                       **kw)


@pytest.mark.parametrize('name', sorted(CHECKPOINT_CASES))
@pytest.mark.parametrize('direction', ['reference_to_ours',
                                       'ours_to_reference'])
def test_checkpoint_cross_restore(name, direction, tmp_path):
  shape, kwargs = CHECKPOINT_CASES[name]
  writer = _layers_call(_reference()[1])
  reader = _layers_call(tf_compat_bn.batch_normalization)
  if direction == 'ours_to_reference':
    writer, reader = reader, writer
  checkpoint_roundtrip.cross_restore(writer, reader, shape, kwargs, tmp_path)
