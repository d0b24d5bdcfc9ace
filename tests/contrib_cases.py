"""The argument space of `batch_norm` covered by differential and golden tests.

Each case is JSON-able (it is stored in the golden file next to the
reference's results); `make_kwargs` turns its symbolic entries (regularizers,
initializers, batch weights, activation, adjustment) into objects.
"""

import tensorflow as tf

import case_objects



def _case(cid, shape, **kw):
  return dict(id=cid, shape=shape, **kw)


NHWC4 = [4, 3, 3, 2]
NCHW4 = [4, 2, 3, 3]
CASES = [
    # Routing by rank / fused / data format, each training flag kind.
    _case('rank4_default', NHWC4),
    _case('rank4_scale', NHWC4, kwargs=dict(scale=True)),
    _case('rank4_nchw', NCHW4, kwargs=dict(data_format='NCHW', scale=True)),
    _case('rank4_fused_false', NHWC4, kwargs=dict(fused=False, scale=True)),
    _case('rank4_fused_true', NHWC4, kwargs=dict(fused=True)),
    _case('rank4_nchw_fused_false', NCHW4,
          kwargs=dict(data_format='NCHW', fused=False, scale=True)),
    _case('rank2_default', [8, 3], kwargs=dict(scale=True)),
    _case('rank2_nchw', [8, 3], kwargs=dict(data_format='NCHW')),
    _case('rank2_fused_false', [8, 3], kwargs=dict(fused=False)),
    _case('rank3_default', [4, 5, 3], kwargs=dict(scale=True)),
    _case('rank3_nchw', [4, 3, 5], kwargs=dict(data_format='NCHW')),
    _case('rank5_default', [2, 3, 2, 2, 3], kwargs=dict(scale=True)),
    _case('rank5_nchw', [2, 3, 2, 2, 3], kwargs=dict(data_format='NCHW')),
    _case('rank5_fused_false', [2, 3, 2, 2, 3], kwargs=dict(fused=False)),
    _case('rank4_python_false', NHWC4, flag='python_false'),
    _case('rank4_const_true', NHWC4, flag='const_true'),
    _case('rank4_const_false', NHWC4, flag='const_false'),
    # A statically known tensor flag behaves as its Python value on the
    # paths routed to the layer (rank 3/5, fused=False) too.
    _case('rank3_const_false', [4, 5, 3], flag='const_false',
          kwargs=dict(scale=True)),
    _case('rank5_const_false', [2, 3, 2, 2, 3], flag='const_false'),
    _case('rank4_fused_false_const_false', NHWC4, flag='const_false',
          kwargs=dict(fused=False)),
    _case('rank3_float16_const_false', [4, 5, 3], dtype='float16',
          flag='const_false'),
    _case('rank4_flag_none_learning_phase', NHWC4, flag='none',
          kwargs=dict(scale=True)),
    _case('rank3_flag_none_learning_phase', [4, 5, 3], flag='none'),
    _case('rank4_placeholder', NHWC4, flag='placeholder',
          kwargs=dict(scale=True)),
    _case('rank4_fused_false_placeholder', NHWC4, flag='placeholder',
          kwargs=dict(fused=False)),
    _case('rank2_placeholder', [8, 3], flag='placeholder'),
    _case('rank3_placeholder', [4, 5, 3], flag='placeholder'),
    _case('rank4_unknown_batch', NHWC4, placeholder_shape=[None, 3, 3, 2]),
    _case('rank2_unknown_batch', [8, 3], placeholder_shape=[None, 3]),
    _case('rank2_two_unknown', [8, 3], placeholder_shape=[None, 3],
          flag='placeholder', kwargs=dict(scale=True)),
    # Update collections.
    _case('rank4_updates_none', NHWC4, kwargs=dict(updates_collections=None)),
    _case('rank4_updates_none_placeholder', NHWC4, flag='placeholder',
          kwargs=dict(updates_collections=None)),
    _case('rank4_updates_custom', NHWC4,
          kwargs=dict(updates_collections='custom_updates')),
    _case('rank4_updates_list', NHWC4,
          kwargs=dict(updates_collections=['custom_a', 'update_ops'])),
    _case('rank4_fused_false_updates_none', NHWC4,
          kwargs=dict(fused=False, updates_collections=None)),
    _case('rank4_fused_false_updates_none_placeholder', NHWC4,
          flag='placeholder', kwargs=dict(fused=False,
                                          updates_collections=None)),
    _case('rank3_updates_custom_placeholder', [4, 5, 3], flag='placeholder',
          kwargs=dict(updates_collections='custom_updates')),
    # Zero-debias.
    _case('rank4_zero_debias', NHWC4,
          kwargs=dict(zero_debias_moving_mean=True, scale=True)),
    _case('rank4_zero_debias_placeholder', NHWC4, flag='placeholder',
          kwargs=dict(zero_debias_moving_mean=True)),
    _case('rank3_zero_debias', [4, 5, 3],
          kwargs=dict(zero_debias_moving_mean=True)),
    _case('rank4_zero_debias_fused_false', NHWC4,
          kwargs=dict(zero_debias_moving_mean=True, fused=False)),
    # Batch weights.
    _case('rank4_batch_weights', NHWC4, special=['batch_weights'],
          kwargs=dict(scale=True)),
    _case('rank4_batch_weights_nchw', NCHW4, special=['batch_weights'],
          kwargs=dict(data_format='NCHW')),
    _case('rank2_batch_weights_placeholder', [8, 3], flag='placeholder',
          special=['batch_weights']),
    # Renorm and adjustment (layer contract).
    _case('rank4_renorm', NHWC4, kwargs=dict(renorm=True, scale=True)),
    _case('rank2_renorm_clipping', [8, 3], special=['renorm_clipping'],
          kwargs=dict(renorm=True, renorm_decay=0.9)),
    _case('rank4_renorm_placeholder', NHWC4, flag='placeholder',
          kwargs=dict(renorm=True)),
    _case('rank4_adjustment', NHWC4, special=['adjustment'],
          kwargs=dict(scale=True)),
    _case('rank2_adjustment_placeholder', [8, 3], flag='placeholder',
          special=['adjustment']),
    # Parameters, collections, activation.
    _case('rank4_center_false', NHWC4, kwargs=dict(center=False,
                                                   scale=True)),
    _case('rank2_center_false', [8, 3], kwargs=dict(center=False)),
    _case('rank4_fused_false_center_false', NHWC4,
          kwargs=dict(center=False, fused=False)),
    _case('rank4_trainable_false', NHWC4, kwargs=dict(trainable=False,
                                                      scale=True)),
    _case('rank2_trainable_false', [8, 3], kwargs=dict(trainable=False)),
    _case('rank4_regularizers', NHWC4, special=['regularizers'],
          kwargs=dict(scale=True)),
    _case('rank2_regularizers', [8, 3], special=['regularizers'],
          kwargs=dict(scale=True)),
    _case('rank4_initializers', NHWC4, special=['initializers'],
          kwargs=dict(scale=True)),
    _case('rank2_initializers_fused_false', [8, 3],
          special=['initializers'], kwargs=dict(scale=True, fused=False)),
    _case('rank4_activation', NHWC4, special=['activation']),
    _case('rank2_activation_updates_none', [8, 3], special=['activation'],
          kwargs=dict(updates_collections=None)),
    _case('rank4_variables_collections_list', NHWC4,
          kwargs=dict(variables_collections=['custom_vars'], scale=True)),
    _case('rank2_variables_collections_dict', [8, 3],
          kwargs=dict(scale=True, variables_collections={
              'beta': ['custom_beta'], 'moving_mean': ['custom_mm']})),
    _case('rank3_variables_collections_dict', [4, 5, 3],
          kwargs=dict(scale=True, variables_collections={
              'gamma': ['custom_gamma'], 'moving_variance': ['custom_mv']})),
    _case('rank4_outputs_collections', NHWC4,
          kwargs=dict(outputs_collections='custom_outputs')),
    _case('rank2_outputs_collections_list', [8, 3],
          kwargs=dict(outputs_collections=['custom_o1', 'custom_o2'])),
    _case('rank4_decay_epsilon', NHWC4,
          kwargs=dict(decay=0.5, epsilon=1e-5, scale=True)),
    # Scopes and reuse.
    _case('rank4_named_scope', NHWC4, kwargs=dict(scope='bn')),
    _case('rank4_reuse_second_call', NHWC4, calls=2,
          kwargs=dict(scope='bn', scale=True)),
    _case('rank2_reuse_second_call', [8, 3], calls=2,
          kwargs=dict(scope='bn')),
    _case('rank4_towers', NHWC4, towers=2),
    _case('rank2_towers', [8, 3], towers=2),
    _case('rank4_outer_scope', NHWC4, outer='outer'),
    _case('rank4_partitioned', [4, 3, 3, 4], outer='outer', partitioned=True,
          kwargs=dict(scale=True)),
    _case('rank2_partitioned', [8, 4], outer='outer', partitioned=True),
    _case('rank3_partitioned', [4, 5, 4], outer='outer', partitioned=True,
          kwargs=dict(updates_collections=None)),
    # Dtypes.
    _case('rank4_float16', NHWC4, dtype='float16', kwargs=dict(scale=True)),
    _case('rank2_float16', [8, 3], dtype='float16'),
    _case('rank3_float16', [4, 5, 3], dtype='float16'),
    _case('rank4_float16_fused_false', NHWC4, dtype='float16',
          kwargs=dict(fused=False)),
    _case('rank4_float64', NHWC4, dtype='float64', kwargs=dict(scale=True)),
    _case('rank4_float64_updates_custom_fused_false', NHWC4, dtype='float64',
          kwargs=dict(updates_collections='custom_updates', fused=False)),
    # TF1 mode: ref variables and control flow v1.
    _case('v1_rank4_default', NHWC4, mode='v1', kwargs=dict(scale=True)),
    _case('v1_rank4_placeholder', NHWC4, mode='v1', flag='placeholder'),
    _case('v1_rank2_placeholder', [8, 3], mode='v1', flag='placeholder'),
    _case('v1_rank3_placeholder', [4, 5, 3], mode='v1', flag='placeholder'),
    _case('v1_rank4_zero_debias', NHWC4, mode='v1',
          kwargs=dict(zero_debias_moving_mean=True)),
    _case('v1_rank4_batch_weights_updates_none', NHWC4, mode='v1',
          special=['batch_weights'], kwargs=dict(updates_collections=None)),
]


def make_kwargs(case, x, flag):
  """The call's keyword arguments for `case` (input `x`, training `flag`)."""
  kwargs = dict(case.get('kwargs', {}))
  kwargs['is_training'] = flag
  channels_last = kwargs.get('data_format', 'NHWC') == 'NHWC'
  channels = case['shape'][-1 if channels_last else 1]
  for name in case.get('special', []):
    if name == 'batch_weights':
      n = case['shape'][0]
      kwargs['batch_weights'] = tf.constant(
          [1.0 + (i % 3) for i in range(n)], dtype=x.dtype)
    elif name == 'regularizers':
      kwargs['param_regularizers'] = case_objects.regularizers()
    elif name == 'initializers':
      kwargs['param_initializers'] = case_objects.initializers()
    elif name == 'activation':
      kwargs['activation_fn'] = tf.nn.relu
    elif name == 'renorm_clipping':
      kwargs['renorm_clipping'] = dict(case_objects.CLIPPING)
    elif name == 'adjustment':
      kwargs['adjustment'] = case_objects.adjustment(channels)
  return kwargs
