"""The legacy Layer surface of BatchNormalization, summarized for comparison.

`describe(cls, case)` builds a layer of class `cls` (the reference's or ours)
with the case's constructor arguments, reads its attributes before the first
call, calls it twice (training True, then a bool placeholder), reads them
again, and runs one training step; everything is returned as plain data.
Also holds the bad-input cases of the layers front end.
"""

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1


def _names(items):
  return [getattr(i, 'name', repr(i)) for i in items]


def _error(fn):
  try:
    fn()
  except Exception as e:  # pylint: disable=broad-except
    return [type(e).__name__, str(e)]
  return None


def _snapshot(layer, x1, x2):
  out = {
      'name': layer.name, 'built': layer.built, 'dtype': layer.dtype,
      'axis': list(layer.axis) if isinstance(layer.axis, (list, tuple))
              else layer.axis,
      'fused': layer.fused, 'trainable': layer.trainable,
      'variables': _names(layer.variables),
      'trainable_variables': _names(layer.trainable_variables),
      'non_trainable_variables': _names(layer.non_trainable_variables),
      'weights': _names(layer.weights),
      'trainable_weights': _names(layer.trainable_weights),
      'non_trainable_weights': _names(layer.non_trainable_weights),
      'updates': _names(layer.updates),
      'losses': _names(layer.losses),
      'losses_for_none': _names(layer.get_losses_for(None)),
      'updates_for_none': _names(layer.get_updates_for(None)),
      'scope_name': _error(lambda: layer.scope_name) or layer.scope_name,
  }
  if layer.built:
    out['updates_for_x1'] = _names(layer.get_updates_for(x1))
    out['updates_for_x2'] = _names(layer.get_updates_for(x2))
    out['losses_for_x1'] = _names(layer.get_losses_for(x1))
    for attr in ('gamma', 'beta', 'moving_mean', 'moving_variance',
                 'moving_stddev', 'renorm_mean', 'renorm_stddev'):
      value = getattr(layer, attr, 'absent')
      out[attr] = value if value in (None, 'absent') else value.name
    for attr in ('gamma_constraint', 'beta_constraint'):
      value = getattr(layer, attr)
      out[attr] = getattr(value, '__name__', repr(value))
    spec = layer.input_spec
    out['input_spec'] = [spec.ndim, {int(k): v for k, v in spec.axes.items()}]
  return out


def describe(cls, case):
  shape = case['shape']
  data = np.random.RandomState(0).normal(1.0, 2.0, shape).astype(np.float32)
  graph = tf.Graph()
  with graph.as_default():
    kwargs = dict(case.get('kwargs', {}))
    if case.get('regularizers'):
      kwargs['gamma_regularizer'] = lambda v: 0.1 * tf.reduce_sum(v * v)
      kwargs['beta_regularizer'] = lambda v: 0.2 * tf.reduce_sum(v * v)
    if case.get('constraints'):
      kwargs['gamma_constraint'] = tf.identity
    layer = cls(**kwargs)
    if case.get('bessel') is False:
      layer._bessels_correction_test_only = False  # pylint: disable=protected-access
    x1 = v1.placeholder(tf.float32, shape, name='x1')
    x2 = v1.placeholder(tf.float32, shape, name='x2')
    before = _snapshot(layer, x1, x2)
    training = v1.placeholder(tf.bool, [], name='training')
    y1 = layer.apply(x1, training=True)
    y2 = layer(x2, training=training)
    after = _snapshot(layer, x1, x2)
    update_ops = _names(v1.get_collection(v1.GraphKeys.UPDATE_OPS))
    losses = _names(v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES))
    # Only the first call's updates: the two calls' updates of the same
    # variables would run in no fixed order.
    with tf.control_dependencies(layer.get_updates_for(x1)):
      step = tf.group(y1)
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      outs = sess.run([y1, y2], {x1: data, x2: data * 0.5, training: True})
      sess.run(step, {x1: data, x2: data * 0.5, training: True})
      stats = sess.run([layer.moving_mean, layer.moving_variance])
  return {'before': before, 'after': after, 'outputs': [y1.name, y2.name],
          'UPDATE_OPS': update_ops, 'REGULARIZATION_LOSSES': losses,
          'values': [o.tolist() for o in outs] + [s.tolist() for s in stats]}


API_CASES = [
    dict(id='default_rank4', shape=[4, 3, 3, 2]),
    dict(id='rank2', shape=[8, 3]),
    dict(id='named', shape=[4, 3, 3, 2], kwargs=dict(name='bn')),
    dict(id='fused_false', shape=[4, 3, 3, 2], kwargs=dict(fused=False)),
    dict(id='renorm', shape=[8, 3], kwargs=dict(renorm=True)),
    dict(id='virtual_batch', shape=[8, 3],
         kwargs=dict(virtual_batch_size=2)),
    dict(id='multi_axis', shape=[4, 5, 3, 2], kwargs=dict(axis=[1, 3])),
    dict(id='trainable_false', shape=[4, 3, 3, 2],
         kwargs=dict(trainable=False)),
    dict(id='regularizers', shape=[8, 3], regularizers=True),
    dict(id='constraints', shape=[8, 3], constraints=True),
    dict(id='no_bessel_fused', shape=[4, 3, 3, 2], bessel=False),
    dict(id='center_scale_false', shape=[4, 3, 3, 2],
         kwargs=dict(center=False, scale=False)),
]


def _x(shape, dtype=tf.float32):
  return v1.placeholder(dtype, shape)


def _twice(cls, first, second, **kwargs):
  layer = cls(**kwargs)
  layer(_x(first))
  layer(_x(second))


# Each entry: fn(cls, function) building something that must fail.
ERROR_CASES = {
    'axis_type': lambda cls, fn: cls(axis='a'),
    'axis_float': lambda cls, fn: cls(axis=1.5),
    'renorm_clipping_keys': lambda cls, fn: cls(
        renorm=True, renorm_clipping={'rmax': 3.0, 'foo': 1}),
    'unknown_kwarg': lambda cls, fn: cls(foo=1),
    # Unknown Keras identifiers fail at construction, even for a weight the
    # layer would not create (center=False).
    'unknown_initializer_string': lambda cls, fn: cls(
        center=False, beta_initializer='foo_init'),
    'unknown_regularizer_string': lambda cls, fn: cls(
        gamma_regularizer='foo_reg'),
    'unknown_constraint_string': lambda cls, fn: cls(
        gamma_constraint='foo_constraint'),
    'undefined_rank': lambda cls, fn: fn(_x(None)),
    'rank0': lambda cls, fn: fn(_x([])),
    'axis_out_of_range': lambda cls, fn: fn(_x([2, 3, 3, 2]), axis=4),
    'axis_negative_out_of_range': lambda cls, fn: fn(_x([2, 3, 3, 2]),
                                                     axis=-5),
    'duplicate_axis': lambda cls, fn: fn(_x([2, 3, 3, 2]), axis=[1, 1]),
    'duplicate_axis_negative': lambda cls, fn: fn(_x([2, 3, 3, 2]),
                                                  axis=[1, -3]),
    'vbs_zero': lambda cls, fn: fn(_x([4, 3]), virtual_batch_size=0),
    'vbs_axis0': lambda cls, fn: fn(_x([4, 3]), virtual_batch_size=2,
                                    axis=0),
    'vbs_adjustment': lambda cls, fn: fn(
        _x([4, 3]), virtual_batch_size=2,
        adjustment=lambda s: (tf.ones([3]), tf.zeros([3]))),
    'vbs_not_dividing_static': lambda cls, fn: fn(
        _x([24, 3]), virtual_batch_size=9, training=True),
    'undefined_axis_dim': lambda cls, fn: fn(_x([None, 5, 5, None])),
    'int_input': lambda cls, fn: fn(_x([4, 3], tf.int32)),
    'wrong_rank_second_call': lambda cls, fn: _twice(cls, [None, 5, 5, 3],
                                                     [None, 4]),
    'wrong_channels_second_call': lambda cls, fn: _twice(
        cls, [None, 5, 5, 3], [None, 5, 5, 4]),
    'duplicate_name': lambda cls, fn: [fn(_x([4, 3]), name='bn')
                                       for _ in range(2)],
    'missing_on_reuse': lambda cls, fn: fn(_x([4, 3]), name='zz',
                                           reuse=True),
    'scope_name_before_call': lambda cls, fn: cls(name='early').scope_name,
}


def error_of(name, cls, fn):
  with tf.Graph().as_default():
    return _error(lambda: ERROR_CASES[name](cls, fn))


def assert_same_surface(expected, actual):
  """Everything equal, but the numbers, which must agree within 1e-5."""
  expected, actual = dict(expected), dict(actual)
  expected_values, actual_values = expected.pop('values'), actual.pop('values')
  for key in expected:
    assert actual[key] == expected[key], key
  for e, a in zip(expected_values, actual_values):
    np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5)
