"""The behaviours of tf.layers' pooling tests, checked on our pooling layers.

The upstream suite of `tf.compat.v1.layers`' pooling classes and functions
is `tf_keras/legacy_tf_layers/pooling_test.py` in keras-team/tf-keras
(`tensorflow/python/layers/pooling_test.py` in TF 1.x).  It ships in no
wheel, so this module re-states every behaviour it checks as our own pytest
tests of `tf_compat_bn.layers.pooling`, in tf.compat.v1 graph mode.

Upstream checks argument errors and static output shapes; the shapes here
are worked out by hand from the pooling arithmetic ('valid':
`ceil((n - k + 1) / s)`, 'same': `ceil(n / s)`).  We also check values
against NumPy window maxima / means, except for 2D channels-first max
pooling, whose values TF 2.12's CPU kernel (oneDNN, NCHW) does not compute
reliably once other max pools ran in the process: for it the test checks the
op (layout, window, strides) and the shape, as upstream does.

| pooling_test test | our test |
|---|---|
| testInvalidDataFormat | test_invalid_data_format |
| testInvalidStrides | test_invalid_strides[three], [none] |
| testInvalidPoolSize | test_invalid_pool_size[three], [none] |
| testCreateMaxPooling2D | test_output_shape[max2d] |
| testCreateAveragePooling2D | test_output_shape[avg2d] |
| testCreateMaxPooling2DChannelsFirst | test_output_shape[max2d-channels-first], test_max2d_channels_first_op |
| testCreateAveragePooling2DChannelsFirst | test_output_shape[avg2d-channels-first] |
| testCreateAveragePooling2DChannelsFirstWithNoneBatch | test_output_shape[avg2d-channels-first-none-batch] |
| testCreateMaxPooling1D | test_output_shape[max1d] |
| testCreateAveragePooling1D | test_output_shape[avg1d] |
| testCreateMaxPooling1DChannelsFirst | test_output_shape[max1d-channels-first] |
| testCreateAveragePooling1DChannelsFirst | test_output_shape[avg1d-channels-first] |
| testCreateMaxPooling3D | test_output_shape[max3d] |
| testCreateAveragePooling3D | test_output_shape[avg3d] |
| testMaxPooling3DChannelsFirst | test_output_shape[max3d-channels-first] |
| testAveragePooling3DChannelsFirst | test_output_shape[avg3d-channels-first] |
| testCreateMaxPooling2DIntegerPoolSize | test_output_shape[max2d-int-pool-size] |
| testMaxPooling2DPaddingSame | test_pool_size_from_a_tensor_shape |
| testCreatePooling2DWithStrides | test_output_shape[strides-tuple], [strides-int], [strides-unequal] |

Beyond the table: values against NumPy for every rank and layout, the
function forms and aliases, `compute_output_shape` and `get_config`.
"""

import numpy as np
import pytest
import tensorflow as tf

from tf_compat_bn.layers import pooling as pooling_layers

v1 = tf.compat.v1

pytestmark = pytest.mark.filterwarnings('ignore::UserWarning')


@pytest.fixture(autouse=True)
def graph():
  g = tf.Graph()
  with g.as_default():
    yield g


def _images(shape=(5, 7, 9, 3)):
  return tf.random.uniform(shape, seed=1)


# ---- argument errors ----------------------------------------------------------
def test_invalid_data_format():
  with pytest.raises(ValueError, match='data_format'):
    pooling_layers.max_pooling2d(_images(), 3, strides=2,
                                 data_format='invalid')


@pytest.mark.parametrize('strides', [(1, 2, 3), None], ids=['three', 'none'])
def test_invalid_strides(strides):
  with pytest.raises(ValueError, match='strides'):
    pooling_layers.max_pooling2d(_images(), 3, strides=strides)


@pytest.mark.parametrize('pool_size', [(1, 2, 3), None], ids=['three', 'none'])
def test_invalid_pool_size(pool_size):
  with pytest.raises(ValueError, match='pool_size'):
    pooling_layers.max_pooling2d(_images(), pool_size, strides=2)


def test_invalid_padding_and_non_positive_window():
  with pytest.raises(ValueError, match='padding'):
    pooling_layers.MaxPooling2D(2, 2, padding='full')
  with pytest.raises(ValueError, match='> 0'):
    pooling_layers.AveragePooling1D(0, 1)
  with pytest.raises(ValueError, match='>= 0'):
    pooling_layers.MaxPooling3D(2, -1)


def test_wrong_input_rank():
  with pytest.raises(ValueError, match='expected ndim=4, found ndim=3'):
    pooling_layers.max_pooling2d(_images((5, 7, 3)), 2, 2)


# ---- shapes -------------------------------------------------------------------
SHAPES = [
    # id, class, constructor args, input shape, expected output shape
    ('max2d', 'MaxPooling2D', dict(pool_size=[2, 2], strides=2),
     (5, 7, 9, 4), [5, 3, 4, 4]),
    ('avg2d', 'AveragePooling2D', dict(pool_size=[2, 2], strides=2),
     (5, 7, 9, 4), [5, 3, 4, 4]),
    ('max2d-channels-first', 'MaxPooling2D',
     dict(pool_size=[2, 2], strides=1, data_format='channels_first'),
     (5, 2, 7, 9), [5, 2, 6, 8]),
    ('avg2d-channels-first', 'AveragePooling2D',
     dict(pool_size=(2, 2), strides=(1, 1), padding='valid',
          data_format='channels_first'), (3, 4, 5, 6), [3, 4, 4, 5]),
    ('avg2d-channels-first-none-batch', 'AveragePooling2D',
     dict(pool_size=(2, 2), strides=(1, 1), padding='valid',
          data_format='channels_first'), (None, 4, 5, 6), [None, 4, 4, 5]),
    ('max1d', 'MaxPooling1D', dict(pool_size=2, strides=2), (5, 7, 3),
     [5, 3, 3]),
    ('avg1d', 'AveragePooling1D', dict(pool_size=2, strides=2), (5, 7, 3),
     [5, 3, 3]),
    ('max1d-channels-first', 'MaxPooling1D',
     dict(pool_size=2, strides=2, data_format='channels_first'), (5, 3, 7),
     [5, 3, 3]),
    ('avg1d-channels-first', 'AveragePooling1D',
     dict(pool_size=2, strides=2, data_format='channels_first'), (5, 3, 7),
     [5, 3, 3]),
    ('max3d', 'MaxPooling3D', dict(pool_size=[2, 2, 2], strides=2),
     (5, 6, 7, 9, 4), [5, 3, 3, 4, 4]),
    ('avg3d', 'AveragePooling3D', dict(pool_size=[2, 2, 2], strides=2),
     (5, 6, 7, 9, 4), [5, 3, 3, 4, 4]),
    ('max3d-channels-first', 'MaxPooling3D',
     dict(pool_size=[2, 2, 2], strides=2, data_format='channels_first'),
     (5, 2, 6, 7, 9), [5, 2, 3, 3, 4]),
    ('avg3d-channels-first', 'AveragePooling3D',
     dict(pool_size=[2, 2, 2], strides=2, data_format='channels_first'),
     (5, 2, 6, 7, 9), [5, 2, 3, 3, 4]),
    ('max2d-int-pool-size', 'MaxPooling2D', dict(pool_size=2, strides=2),
     (5, 7, 9, 4), [5, 3, 4, 4]),
    ('strides-tuple', 'MaxPooling2D',
     dict(pool_size=[2, 2], strides=(2, 2), padding='same'), (5, 6, 8, 3),
     [5, 3, 4, 3]),
    ('strides-int', 'MaxPooling2D',
     dict(pool_size=[2, 2], strides=2, padding='same'), (5, 6, 8, 3),
     [5, 3, 4, 3]),
    ('strides-unequal', 'MaxPooling2D',
     dict(pool_size=[2, 2], strides=(2, 1), padding='same'), (5, 6, 8, 3),
     [5, 3, 8, 3]),
]


@pytest.mark.parametrize('cls,kwargs,shape,expected',
                         [pytest.param(*s[1:], id=s[0]) for s in SHAPES])
def test_output_shape(cls, kwargs, shape, expected):
  layer = getattr(pooling_layers, cls)(**kwargs)
  images = v1.placeholder(tf.float32, shape)
  assert layer(images).shape.as_list() == expected
  assert layer.compute_output_shape(shape).as_list() == expected


def test_pool_size_from_a_tensor_shape():
  # A window as large as the image with 'same' padding, stride 2:
  # ceil(7 / 2) x ceil(9 / 2).
  images = _images((5, 7, 9, 4))
  layer = pooling_layers.MaxPooling2D(images.shape[1:3], strides=2,
                                      padding='same')
  assert layer(images).shape.as_list() == [5, 4, 5, 4]


def test_max2d_channels_first_op():
  images = _images((5, 2, 7, 9))
  out = pooling_layers.max_pooling2d(images, [2, 3], strides=(1, 2),
                                     data_format='channels_first')
  assert out.op.type == 'MaxPool' and out.op.name == 'max_pooling2d/MaxPool'
  assert out.op.get_attr('data_format') == b'NCHW'
  assert out.op.get_attr('ksize') == [1, 1, 2, 3]
  assert out.op.get_attr('strides') == [1, 1, 1, 2]
  assert out.shape.as_list() == [5, 2, 6, 4]


# ---- values against NumPy -------------------------------------------------------
def _numpy_pool(x, window, strides, mode, padding='valid'):
  """Channels-last pooling over the spatial axes 1..n of x, by brute force.
  'same' pads so the output has ceil(n / s) positions, with the padding
  ignored by both max and mean (TF's semantics)."""
  spatial = x.shape[1:-1]
  if padding == 'valid':
    out_sizes = [(n - k) // s + 1 for n, k, s in zip(spatial, window, strides)]
    starts = [[i * s for i in range(o)] for o, s in zip(out_sizes, strides)]
  else:
    out_sizes = [-(-n // s) for n, s in zip(spatial, strides)]
    starts = []
    for n, k, s, o in zip(spatial, window, strides, out_sizes):
      pad_before = max((o - 1) * s + k - n, 0) // 2
      starts.append([i * s - pad_before for i in range(o)])
  out = np.zeros((x.shape[0],) + tuple(out_sizes) + (x.shape[-1],))
  for index in np.ndindex(*out_sizes):
    box = tuple(slice(max(st[i], 0), st[i] + k)
                for st, i, k in zip(starts, index, window))
    block = x[(slice(None),) + box + (slice(None),)]
    axes = tuple(range(1, len(window) + 1))
    out[(slice(None),) + index + (slice(None),)] = (
        block.max(axis=axes) if mode == 'max' else block.mean(axis=axes))
  return out


VALUES = [
    # id, function, rank, window, strides, padding, channels_first
    ('max1d', 'max_pooling1d', 1, (2,), (2,), 'valid', False),
    ('avg1d-same', 'average_pooling1d', 1, (3,), (2,), 'same', False),
    ('max1d-channels-first', 'max_pooling1d', 1, (3,), (1,), 'valid', True),
    ('avg1d-channels-first', 'average_pooling1d', 1, (2,), (2,), 'same', True),
    ('max2d', 'max_pooling2d', 2, (2, 3), (2, 1), 'valid', False),
    ('avg2d-same', 'average_pooling2d', 2, (3, 3), (2, 2), 'SAME', False),
    ('avg2d-channels-first', 'average_pooling2d', 2, (2, 2), (1, 2), 'valid',
     True),
    ('max3d', 'max_pooling3d', 3, (2, 2, 2), (2, 2, 1), 'valid', False),
    ('avg3d-same', 'average_pooling3d', 3, (2, 3, 2), (2, 2, 2), 'same', False),
    ('max3d-channels-first', 'max_pooling3d', 3, (2, 2, 2), (1, 2, 2), 'same',
     True),
    ('avg3d-channels-first', 'average_pooling3d', 3, (2, 2, 2), (2, 2, 2),
     'valid', True),
]


@pytest.mark.parametrize('fn,rank,window,strides,padding,channels_first',
                         [pytest.param(*v[1:], id=v[0]) for v in VALUES])
def test_values_match_numpy(fn, rank, window, strides, padding,
                            channels_first):
  rng = np.random.RandomState(0)
  data = rng.normal(size=(2,) + (5, 6, 5)[:rank] + (3,)).astype(np.float32)
  to_first = (0, rank + 1) + tuple(range(1, rank + 1))
  fed = np.transpose(data, to_first) if channels_first else data
  x = v1.placeholder(tf.float32, fed.shape)
  y = getattr(pooling_layers, fn)(
      x, window, strides, padding=padding,
      data_format='channels_first' if channels_first else 'channels_last')
  with v1.Session() as sess:
    got = sess.run(y, {x: fed})
  expected = _numpy_pool(data.astype(np.float64), window, strides,
                         'max' if fn.startswith('max') else 'avg',
                         padding.lower())
  if channels_first:
    expected = np.transpose(expected, to_first)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# ---- names, functions, aliases, config -------------------------------------------
def test_function_forms_name_their_scopes():
  x = _images((2, 6, 6, 3))
  a = pooling_layers.max_pooling2d(x, 2, 2)
  b = pooling_layers.max_pooling2d(x, 2, 2)
  c = pooling_layers.average_pooling2d(x, 2, 2, name='pool')
  assert [a.op.name, b.op.name, c.op.name] == [
      'max_pooling2d/MaxPool', 'max_pooling2d_1/MaxPool', 'pool/AvgPool']


def test_aliases():
  assert pooling_layers.MaxPool2D is pooling_layers.MaxPooling2D
  assert pooling_layers.AvgPool2D is pooling_layers.AveragePooling2D
  assert pooling_layers.max_pool2d is pooling_layers.max_pooling2d
  assert pooling_layers.avg_pool2d is pooling_layers.average_pooling2d


def test_get_config():
  config = pooling_layers.MaxPooling2D(2, 1, padding='SAME',
                                       name='p').get_config()
  assert config == {'name': 'p', 'trainable': True, 'dtype': None,
                    'pool_size': (2, 2), 'padding': 'same', 'strides': (1, 1),
                    'data_format': 'channels_last'}
