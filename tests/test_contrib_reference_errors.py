"""Live differential tests of bad input and checkpoints: tf_slim vs ours.

Errors: the same exception type and message, raised while building the
graph.  Checkpoints: a checkpoint written after training with one
implementation restores by name into a graph built by the other and gives
the same inference output.
"""

import pytest
import tensorflow as tf

import checkpoint_roundtrip
import tf_compat_bn

pytestmark = pytest.mark.reference
v1 = tf.compat.v1


def _reference():
  import tf_slim
  return tf_slim.batch_norm


def _x(shape, dtype=tf.float32):
  return v1.placeholder(dtype, shape, name='x')


ERROR_CASES = {
    'bad_data_format_rank4': lambda bn: bn(_x([2, 3, 3, 2]),
                                           data_format='NDHWC'),
    'bad_data_format_rank2': lambda bn: bn(_x([2, 3]), data_format='CHWN'),
    'unknown_rank': lambda bn: bn(_x(None)),
    'unknown_rank_batch_weights': lambda bn: bn(
        _x(None), batch_weights=tf.ones([2])),
    'rank2_unknown_channels': lambda bn: bn(_x([None, None])),
    'rank4_unknown_channels_zero_debias': lambda bn: bn(
        _x([2, 3, 3, None]), zero_debias_moving_mean=True),
    'rank4_unknown_channels_layer': lambda bn: bn(_x([2, 3, 3, None])),
    'rank3_unknown_channels_weights': lambda bn: bn(
        _x([2, 3, None]), batch_weights=tf.ones([2])),
    'renorm_with_batch_weights': lambda bn: bn(
        _x([2, 3, 3, 2]), renorm=True, batch_weights=tf.ones([2])),
    'renorm_with_zero_debias': lambda bn: bn(
        _x([2, 3, 3]), renorm=True, zero_debias_moving_mean=True),
    'batch_weights_wrong_shape': lambda bn: bn(
        _x([4, 3, 3, 2]), batch_weights=tf.ones([3])),
    'is_training_none_kernel': lambda bn: bn(_x([4, 3]), is_training=None),
    'is_training_none_moments': lambda bn: bn(
        _x([4, 3, 3, 2]), is_training=None, batch_weights=tf.ones([4])),
    'float64_kernel': lambda bn: bn(_x([4, 3], tf.float64)),
    'reuse_without_scope': lambda bn: bn(_x([4, 3, 3, 2]), reuse=True),
    'duplicate_scope_layer': lambda bn: [bn(_x([4, 3, 3, 2]), scope='bn',
                                            scale=True) for _ in range(2)],
    'duplicate_scope_kernel': lambda bn: [bn(_x([4, 3]), scope='bn')
                                          for _ in range(2)],
    'missing_vars_on_reuse': lambda bn: bn(_x([4, 3, 3, 2]), scope='zz',
                                           reuse=True),
    'int_input_moments': lambda bn: bn(_x([4, 3], tf.int32), fused=False,
                                       updates_collections=None),
}


def _error(fn, bn):
  with tf.Graph().as_default():
    try:
      fn(bn)
    except Exception as e:  # pylint: disable=broad-except
      return type(e), str(e)
  return None


@pytest.mark.parametrize('name', sorted(ERROR_CASES))
def test_same_error_as_reference(name):
  expected = _error(ERROR_CASES[name], _reference())
  assert expected is not None, 'the reference raised nothing'
  assert _error(ERROR_CASES[name], tf_compat_bn.batch_norm) == expected


CHECKPOINT_CASES = {
    'rank4_layer': ([4, 3, 3, 2], {'scale': True}),
    'rank4_fused_false': ([4, 3, 3, 2], {'scale': True, 'fused': False}),
    'rank2_kernel': ([8, 3], {'scale': True}),
    'rank4_zero_debias': ([4, 3, 3, 2], {'zero_debias_moving_mean': True}),
    'rank4_renorm': ([4, 3, 3, 2], {'renorm': True, 'scale': True}),
    'rank3_updates_none': ([4, 5, 3], {'updates_collections': None}),
    'rank2_float16': ([8, 3], {'scale': True, 'dtype': 'float16'}),
}


def _contrib_call(batch_norm):
  return lambda x, training, **kw: batch_norm(x, is_training=training, **kw)


@pytest.mark.parametrize('name', sorted(CHECKPOINT_CASES))
@pytest.mark.parametrize('direction', ['reference_to_ours',
                                       'ours_to_reference'])
def test_checkpoint_cross_restore(name, direction, tmp_path):
  shape, kwargs = CHECKPOINT_CASES[name]
  writer = _contrib_call(_reference())
  reader = _contrib_call(tf_compat_bn.batch_norm)
  if direction == 'ours_to_reference':
    writer, reader = reader, writer
  checkpoint_roundtrip.cross_restore(writer, reader, shape, kwargs, tmp_path)
