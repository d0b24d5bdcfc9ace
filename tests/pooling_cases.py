"""The argument space of tf.compat.v1.layers' pooling family (`max_pooling1d`
... `average_pooling3d` and the six classes) for differential and golden
tests; same interface as `core_layers_cases`.

`fn` names a function form or a class (`MaxPooling2D`, ...), which
`function` turns into "one layer object per graph, called on x"; `kwargs`
are the plain arguments.  `cpu_values_unreliable` (a reason) marks a case
whose values only a GPU computes reliably in TF 2.12: runners compare its
structure everywhere and its values where a GPU runs it.  Unknown-batch cases keep the output shape equal to
the input's ('same' padding, stride 1), as `graph_summary` weights the output
with a constant of the data's shape.
"""

import tensorflow as tf

v1 = tf.compat.v1


# TF 2.12's CPU (oneDNN) NCHW MaxPool kernel sometimes returns wrong values
# after other max pools ran in the process; the reference and ours alike.
_NCHW_MAXPOOL_CPU = ('TF 2.12 CPU NCHW MaxPool (oneDNN) is unreliable after '
                     'other max pools ran in the process')


def _case(cid, fn, shape, case_keys=None, **kwargs):
  """A case calling `fn` with `kwargs`; `case_keys` adds runner keys
  (dtype, placeholder_shape, calls)."""
  return dict(id=cid, fn=fn, shape=shape, kwargs=kwargs, **(case_keys or {}))


CASES = [
    # ---- 1D ---------------------------------------------------------------
    _case('max1d_valid', 'max_pooling1d', [2, 7, 3], pool_size=2, strides=2),
    _case('avg1d_valid', 'average_pooling1d', [2, 7, 3], pool_size=3,
          strides=2),
    _case('max1d_same', 'max_pooling1d', [2, 7, 3], pool_size=3, strides=2,
          padding='same'),
    _case('avg1d_same_upper', 'average_pooling1d', [2, 7, 3], pool_size=(2,),
          strides=[3], padding='SAME'),
    _case('max1d_channels_first', 'max_pooling1d', [2, 3, 7], pool_size=2,
          strides=2, data_format='channels_first'),
    _case('avg1d_channels_first_same', 'average_pooling1d', [2, 3, 7],
          pool_size=2, strides=1, padding='same',
          data_format='channels_first'),
    _case('max1d_class_called_twice', 'MaxPooling1D', [2, 6, 2],
          dict(calls=2), pool_size=2, strides=1),
    # ---- 2D ---------------------------------------------------------------
    _case('max2d_valid', 'max_pooling2d', [2, 6, 6, 3], pool_size=2,
          strides=2),
    _case('avg2d_valid', 'average_pooling2d', [2, 6, 6, 3], pool_size=2,
          strides=2),
    _case('max2d_rect_same', 'max_pooling2d', [2, 7, 9, 2],
          pool_size=(3, 2), strides=(2, 1), padding='same'),
    _case('avg2d_same_upper', 'average_pooling2d', [2, 5, 5, 2],
          pool_size=[2, 3], strides=2, padding='SAME'),
    _case('max2d_channels_first', 'max_pooling2d', [2, 3, 6, 6],
          dict(cpu_values_unreliable=_NCHW_MAXPOOL_CPU), pool_size=2,
          strides=2, data_format='channels_first'),
    _case('avg2d_channels_first', 'average_pooling2d', [2, 3, 5, 6],
          pool_size=2, strides=1, data_format='channels_first'),
    _case('max2d_unknown_batch', 'max_pooling2d', [2, 4, 4, 2],
          dict(placeholder_shape=[None, 4, 4, 2]), pool_size=2, strides=1,
          padding='same'),
    _case('max2d_named', 'max_pooling2d', [2, 4, 4, 2], pool_size=2,
          strides=2, name='pool'),
    _case('avg2d_class', 'AveragePooling2D', [2, 4, 4, 2], pool_size=2,
          strides=2),
    _case('max2d_float16', 'max_pooling2d', [2, 4, 4, 2],
          dict(dtype='float16'), pool_size=2,
          strides=2),
    _case('avg2d_float64', 'average_pooling2d', [2, 4, 4, 2],
          dict(dtype='float64'), pool_size=2,
          strides=1),
    # ---- 3D ---------------------------------------------------------------
    _case('max3d_valid', 'max_pooling3d', [2, 4, 4, 4, 2], pool_size=2,
          strides=2),
    _case('avg3d_valid', 'average_pooling3d', [2, 4, 5, 4, 2],
          pool_size=(2, 3, 2), strides=(2, 1, 2)),
    _case('max3d_same_upper', 'max_pooling3d', [2, 3, 3, 3, 2], pool_size=2,
          strides=2, padding='SAME'),
    _case('avg3d_channels_first', 'average_pooling3d', [2, 2, 4, 4, 4],
          pool_size=2, strides=2, data_format='channels_first'),
    _case('max3d_channels_first_same', 'max_pooling3d', [2, 2, 3, 4, 3],
          pool_size=2, strides=1, padding='same',
          data_format='channels_first'),
    _case('max3d_class', 'MaxPooling3D', [1, 4, 4, 4, 1], pool_size=(2, 2, 2),
          strides=2),
]


def make_kwargs(case, x, flag):
  """The call's keyword arguments for `case` (pooling takes no flag)."""
  del x, flag
  return dict(case.get('kwargs', {}))


def function(namespace, case):
  """`fn(x, **kwargs)` building `case` with `namespace`'s layers."""
  target = getattr(namespace, case['fn'])
  if not case['fn'][0].isupper():
    return target
  built = {}

  def call(x, **kwargs):
    kwargs.pop('reuse', None)
    graph = v1.get_default_graph()
    if graph not in built:
      built.clear()
      built[graph] = target(**kwargs)
    return built[graph](x)

  return call


# ---- errors: each builds in a fresh graph and must raise --------------------
def _in_graph(build):
  def run(namespace):
    with tf.Graph().as_default():
      return build(namespace)
  return run


def _images(shape=(2, 7, 9, 3)):
  return v1.placeholder(tf.float32, shape, name='x')


ERROR_CASES = {
    'max2d_bad_data_format': _in_graph(lambda L: L.max_pooling2d(
        _images(), 3, strides=2, data_format='invalid')),
    'max2d_strides_three': _in_graph(
        lambda L: L.max_pooling2d(_images(), 3, strides=(1, 2, 3))),
    'max2d_strides_none': _in_graph(
        lambda L: L.max_pooling2d(_images(), 3, strides=None)),
    'max2d_pool_size_three': _in_graph(
        lambda L: L.max_pooling2d(_images(), (1, 2, 3), strides=2)),
    'max2d_pool_size_none': _in_graph(
        lambda L: L.max_pooling2d(_images(), None, strides=2)),
    'max2d_pool_size_zero': _in_graph(
        lambda L: L.max_pooling2d(_images(), 0, strides=2)),
    'max2d_pool_size_not_int': _in_graph(
        lambda L: L.max_pooling2d(_images(), (2, 'a'), strides=2)),
    'avg3d_negative_strides': _in_graph(lambda L: L.average_pooling3d(
        _images((2, 4, 4, 4, 1)), 2, strides=-1)),
    'avg2d_bad_padding': _in_graph(
        lambda L: L.average_pooling2d(_images(), 2, 2, padding='full')),
    'max2d_causal_padding': _in_graph(
        lambda L: L.max_pooling2d(_images(), 2, 2, padding='causal')),
    'avg1d_causal_padding': _in_graph(lambda L: L.average_pooling1d(
        _images((2, 7, 3)), 2, 2, padding='causal')),
    'max1d_rank4_input': _in_graph(
        lambda L: L.max_pooling1d(_images(), 2, 2)),
    'max2d_rank3_input': _in_graph(
        lambda L: L.max_pooling2d(_images((2, 7, 3)), 2, 2)),
    'avg3d_rank4_input': _in_graph(
        lambda L: L.average_pooling3d(_images(), 2, 2)),
    'max3d_class_strides_none': _in_graph(lambda L: L.MaxPooling3D(2, None)),
    'max2d_window_larger_than_input': _in_graph(
        lambda L: L.max_pooling2d(_images((2, 2, 2, 1)), 3, 1)),
}
