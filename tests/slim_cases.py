"""`batch_norm` used the way tf_slim models use it: as `normalizer_fn` of
slim.conv2d / fully_connected, and under slim.arg_scope.  Needs tf_slim (its
non-batch-norm layers run on every TF)."""

import tensorflow as tf

v1 = tf.compat.v1

CASES = [
    dict(id='conv2d_normalizer', shape=[4, 5, 5, 3], layer='conv2d'),
    dict(id='conv2d_normalizer_params', shape=[4, 5, 5, 3], layer='conv2d',
         kwargs=dict(scale=True, decay=0.9, updates_collections=None)),
    dict(id='fc_normalizer', shape=[8, 5], layer='fully_connected',
         kwargs=dict(scale=True)),
    dict(id='fc_normalizer_placeholder', shape=[8, 5], flag='placeholder',
         layer='fully_connected'),
    dict(id='arg_scope_conv2d', shape=[4, 5, 5, 3], layer='conv2d',
         arg_scope=dict(scale=True, decay=0.5)),
    dict(id='arg_scope_direct', shape=[4, 5, 5, 3], layer=None,
         arg_scope=dict(scale=True, center=False)),
]


def function_for(batch_norm):
  """fn(x, **case_kwargs) for graph_summary, using `batch_norm`."""
  import tf_slim as slim  # pylint: disable=g-import-not-at-top

  def fn(x, case=None, **kwargs):
    def body():
      if case['layer'] is None:
        return batch_norm(x, **kwargs)
      layer = getattr(slim, case['layer'])
      units = 4
      args = (units, [3, 3]) if case['layer'] == 'conv2d' else (units,)
      return layer(x, *args, normalizer_fn=batch_norm,
                   normalizer_params=kwargs,
                   weights_initializer=v1.constant_initializer(0.1))
    if 'arg_scope' in case:
      with slim.arg_scope([batch_norm], **case['arg_scope']):
        return body()
    return body()
  return fn


def make_kwargs(case, x, flag):
  del x
  kwargs = dict(case.get('kwargs', {}))
  kwargs['is_training'] = flag
  kwargs['case'] = case
  return kwargs
