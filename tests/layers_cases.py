"""The argument space of `batch_normalization` covered by differential and
golden tests (the tf.layers front end).  JSON-able, like contrib_cases."""

import case_objects


def _case(cid, shape, **kw):
  return dict(id=cid, shape=shape, **kw)


NHWC4 = [4, 3, 3, 2]
CASES = [
    _case('rank4_default_training', NHWC4, flag='python_true'),
    _case('rank4_default_inference', NHWC4, flag='python_false'),
    _case('rank4_placeholder', NHWC4, flag='placeholder'),
    _case('rank4_const_true', NHWC4, flag='const_true'),
    # A statically known tensor flag behaves as its Python value, on every
    # path (the non-fused ones used to take the training branch).
    _case('rank4_const_false', NHWC4, flag='const_false'),
    _case('rank2_const_false', [8, 3], flag='const_false'),
    _case('rank4_fused_false_const_false', NHWC4, flag='const_false',
          kwargs=dict(fused=False)),
    _case('float16_plain_const_false', [8, 3], dtype='float16',
          flag='const_false'),
    _case('bfloat16_plain_const_false', [8, 3], dtype='bfloat16',
          flag='const_false'),
    _case('float64_renorm_const_false', [8, 3], dtype='float64',
          flag='const_false', kwargs=dict(renorm=True)),
    _case('virtual_batch_const_false', [8, 3], flag='const_false',
          kwargs=dict(virtual_batch_size=2)),
    _case('rank4_flag_none_learning_phase', NHWC4, flag='none'),
    _case('rank2_flag_none_learning_phase', [8, 3], flag='none'),
    _case('rank4_axis1', [4, 2, 3, 3], kwargs=dict(axis=1)),
    _case('rank4_axis1_placeholder', [4, 2, 3, 3], flag='placeholder',
          kwargs=dict(axis=1)),
    _case('rank4_axis2', [4, 3, 2, 3], kwargs=dict(axis=2)),
    _case('rank4_axis_neg3', [4, 2, 3, 3], kwargs=dict(axis=-3)),
    _case('rank4_fused_false', NHWC4, kwargs=dict(fused=False)),
    _case('rank4_fused_false_placeholder', NHWC4, flag='placeholder',
          kwargs=dict(fused=False)),
    _case('rank4_fused_true_rank2_fallback', [8, 3], kwargs=dict(fused=True)),
    _case('rank2_default', [8, 3]),
    _case('rank2_placeholder', [8, 3], flag='placeholder'),
    _case('rank3_axis1', [4, 3, 5], kwargs=dict(axis=1)),
    _case('rank5_default', [2, 3, 2, 2, 3]),
    _case('rank5_axis1', [2, 3, 2, 2, 3], kwargs=dict(axis=1)),
    _case('rank5_axis2', [2, 3, 2, 2, 3], kwargs=dict(axis=2)),
    _case('multi_axis_1_3', [4, 5, 3, 2], kwargs=dict(axis=[1, 3])),
    _case('multi_axis_3_1', [4, 5, 3, 2], kwargs=dict(axis=[3, 1])),
    _case('multi_axis_placeholder', [4, 5, 3, 2], flag='placeholder',
          kwargs=dict(axis=[1, 2])),
    _case('momentum_epsilon', NHWC4, kwargs=dict(momentum=0.5,
                                                 epsilon=1e-5)),
    _case('center_false', NHWC4, kwargs=dict(center=False)),
    _case('scale_false_fused_false', NHWC4, kwargs=dict(scale=False,
                                                         fused=False)),
    _case('trainable_false', NHWC4, kwargs=dict(trainable=False)),
    _case('trainable_false_plain', [8, 3], kwargs=dict(trainable=False)),
    _case('regularizers', NHWC4, special=['regularizers']),
    _case('initializers', [8, 3], special=['initializers']),
    _case('named', NHWC4, kwargs=dict(name='bn')),
    _case('keras_identifiers', NHWC4, kwargs=dict(
        gamma_initializer='Ones', beta_initializer='zeros',
        moving_variance_initializer='ones', gamma_regularizer='l2',
        beta_regularizer='l1', gamma_constraint='non_neg', fused=False)),
    _case('renorm', NHWC4, kwargs=dict(renorm=True)),
    _case('renorm_clipping_momentum', [8, 3], special=['renorm_clipping'],
          kwargs=dict(renorm=True, renorm_momentum=0.9)),
    _case('renorm_placeholder', NHWC4, flag='placeholder',
          kwargs=dict(renorm=True)),
    _case('renorm_axis1', [4, 2, 3, 3], kwargs=dict(renorm=True, axis=1)),
    _case('virtual_batch', [8, 3], kwargs=dict(virtual_batch_size=2)),
    _case('virtual_batch_rank4', [8, 3, 3, 2],
          kwargs=dict(virtual_batch_size=4)),
    _case('virtual_batch_unknown_batch', [8, 3], placeholder_shape=[None, 3],
          kwargs=dict(virtual_batch_size=4)),
    _case('virtual_batch_placeholder', [8, 3], flag='placeholder',
          kwargs=dict(virtual_batch_size=2)),
    _case('virtual_batch_multi_axis', [8, 3, 2],
          kwargs=dict(virtual_batch_size=2, axis=[1, 2])),
    _case('virtual_batch_renorm', [8, 3], kwargs=dict(virtual_batch_size=2,
                                                      renorm=True)),
    _case('adjustment', NHWC4, special=['adjustment']),
    _case('adjustment_placeholder', [8, 3], flag='placeholder',
          special=['adjustment']),
    _case('adjustment_renorm', [8, 3], special=['adjustment'],
          kwargs=dict(renorm=True)),
    _case('float16', NHWC4, dtype='float16'),
    _case('float16_plain', [8, 3], dtype='float16'),
    _case('float16_placeholder', [8, 3], dtype='float16', flag='placeholder'),
    _case('float64', NHWC4, dtype='float64'),
    _case('float64_placeholder', [8, 3], dtype='float64', flag='placeholder'),
    _case('bfloat16_plain', [8, 3], dtype='bfloat16'),
    _case('unknown_batch', NHWC4, placeholder_shape=[None, 3, 3, 2]),
    _case('reuse_second_call', NHWC4, calls=2, kwargs=dict(name='bn')),
    _case('towers', NHWC4, towers=2),
    _case('partitioned', [4, 3, 3, 4], outer='outer', partitioned=True),
    _case('v1_rank4_placeholder', NHWC4, mode='v1', flag='placeholder'),
    _case('v1_rank2_placeholder', [8, 3], mode='v1', flag='placeholder'),
    _case('v1_renorm_placeholder', [8, 3], mode='v1', flag='placeholder',
          kwargs=dict(renorm=True)),
    _case('v1_virtual_batch_placeholder', [8, 3], mode='v1',
          flag='placeholder', kwargs=dict(virtual_batch_size=2)),
]


def make_kwargs(case, x, flag):
  """The call's keyword arguments for `case` (input `x`, training `flag`)."""
  del x
  kwargs = dict(case.get('kwargs', {}))
  kwargs['training'] = flag
  axis = kwargs.get('axis', -1)
  channels = case['shape'][axis if isinstance(axis, int) else axis[0]]
  for name in case.get('special', []):
    if name == 'regularizers':
      for param, regularizer in case_objects.regularizers().items():
        kwargs[param + '_regularizer'] = regularizer
    elif name == 'initializers':
      for param, initializer in case_objects.initializers().items():
        kwargs[param + '_initializer'] = initializer
    elif name == 'renorm_clipping':
      kwargs['renorm_clipping'] = dict(case_objects.CLIPPING)
    elif name == 'adjustment':
      kwargs['adjustment'] = case_objects.adjustment(channels)
  return kwargs
