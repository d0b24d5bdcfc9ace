"""Live differential tests of the convolutions beyond the generic runner
(`test_layer_families_reference.py` compares every case of
conv_layers_cases: structure, values and errors).

Every case runs on CPU: TF 2.12's CPU kernels (oneDNN) take channels-first
convolutions too, so no case is structure-only.  Also compared: signatures,
the layer surface (config, output shapes, weights, input specs, losses), and
a selection of cases under `disable_v2_behavior()` (in child processes).
"""

import inspect
import json
import os
import subprocess
import sys
import types

import pytest

import conv_layers_cases
import graph_summary

pytestmark = pytest.mark.reference


def _reference():
  import tensorflow as tf
  return tf.compat.v1.layers


def _ours():
  from tf_compat_bn.layers import convolutional
  return types.SimpleNamespace(**vars(convolutional))


@pytest.mark.parametrize(
    'case', [c for c in conv_layers_cases.CASES if 'output_shape' in c],
    ids=lambda c: c['id'])
def test_same_static_shape_as_reference(case):
  """Cases that state their output shape for the runner: the shape each
  side infers by itself (from the partly unknown placeholder) agrees."""
  import tensorflow as tf
  shapes = []
  for namespace in (_reference(), _ours()):
    case_without = {k: v for k, v in case.items() if k != 'output_shape'}
    with tf.Graph().as_default():
      x = tf.compat.v1.placeholder(case.get('dtype', 'float32'),
                                   case['placeholder_shape'])
      fn = conv_layers_cases.function(namespace, case_without)
      y = fn(x, **conv_layers_cases.make_kwargs(case, x, None))
      shapes.append(y.shape.as_list())
  assert shapes[1] == shapes[0]


def test_aliases_are_the_reference_aliases():
  from keras.legacy_tf_layers import convolutional as reference
  ours = _ours()
  for alias, canonical in conv_layers_cases.ALIASES.items():
    assert getattr(reference, alias) is getattr(reference, canonical)
    assert getattr(ours, alias) is getattr(ours, canonical), alias
  public = {n for n in dir(reference) if n[0].isupper() or n[:4] in (
      'conv', 'sepa', 'deco')}
  assert public <= set(vars(ours))


# ---- signatures -------------------------------------------------------------
PUBLIC = ['Conv1D', 'Conv2D', 'Conv3D', 'SeparableConv1D', 'SeparableConv2D',
          'Conv2DTranspose', 'Conv3DTranspose', 'conv1d', 'conv2d', 'conv3d',
          'separable_conv1d', 'separable_conv2d', 'conv2d_transpose',
          'conv3d_transpose']


def _describe_default(value):
  if value is inspect.Parameter.empty:
    return 'required'
  if hasattr(value, 'get_config'):
    return [type(value).__name__, value.get_config()]
  return value


@pytest.mark.parametrize('name', PUBLIC)
def test_signature_same_as_reference(name):
  def describe(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    return [(p.name, p.kind, _describe_default(p.default))
            for p in inspect.signature(target).parameters.values()]
  assert describe(getattr(_ours(), name)) == describe(
      getattr(_reference(), name))


# ---- the layer surface ------------------------------------------------------
SURFACE_CASES = {
    'conv1d_causal': ('Conv1D', [2, 7, 3], dict(
        filters=4, kernel_size=3, padding='causal', dilation_rate=2,
        activation='@relu', kernel_regularizer='@l2_small')),
    'conv1d_groups': ('Conv1D', [2, 7, 4], dict(filters=4, kernel_size=2,
                                                 groups=2)),
    'conv2d_channels_first': ('Conv2D', [2, 3, 5, 5], dict(
        filters=4, kernel_size=(3, 2), strides=(2, 1), padding='SAME',
        data_format='channels_first', use_bias=False,
        kernel_initializer='@truncated_normal')),
    'conv2d_everything': ('Conv2D', [2, 5, 5, 3], dict(
        filters=2, kernel_size=3, bias_initializer='@constant_0.1',
        activity_regularizer='@activity_l1', kernel_constraint='@clip',
        bias_constraint='@max_norm', bias_regularizer='@l2_large',
        trainable=False, name='everything')),
    'conv3d': ('Conv3D', [2, 4, 4, 4, 2], dict(filters=3, kernel_size=2,
                                                 dilation_rate=(1, 2, 1))),
    'separable_conv1d': ('SeparableConv1D', [2, 8, 3], dict(
        filters=4, kernel_size=3, depth_multiplier=2, strides=2,
        depthwise_regularizer='@l2_small', pointwise_constraint='@clip')),
    'separable_conv2d': ('SeparableConv2D', [2, 5, 5, 3], dict(
        filters=4, kernel_size=3, data_format='channels_last',
        depthwise_initializer='@ones', activation='@tanh')),
    'conv2d_transpose': ('Conv2DTranspose', [None, 4, None, 3], dict(
        filters=4, kernel_size=3, strides=2, output_padding=1)),
    'conv2d_transpose_dilated': ('Conv2DTranspose', [2, 3, 4, 4], dict(
        filters=4, kernel_size=3, dilation_rate=2,
        data_format='channels_first')),
    'conv3d_transpose': ('Conv3DTranspose', [2, 3, 3, 3, 2], dict(
        filters=3, kernel_size=2, strides=(1, 2, 2), padding='same',
        output_padding=(0, 1, 0))),
}

PROBE_SHAPES = {1: [[None, 9, 4], [3, 4, 10]],
                2: [[None, 6, 7, 4], [3, 4, 6, 9]],
                3: [[None, 4, 5, 6, 4], [1, 4, 3, 3, 3]]}


def _surface(namespace, case):
  import tensorflow as tf
  v1 = tf.compat.v1
  cls_name, shape, kwargs = case
  names = lambda items: [getattr(i, 'name', repr(i)) for i in items]
  with tf.Graph().as_default():
    layer = getattr(namespace, cls_name)(
        **conv_layers_cases.make_kwargs({'kwargs': kwargs}, None, None))
    out = {'config_before': layer.get_config(), 'name': layer.name}
    rank = len(shape) - 2
    out['output_shapes'] = [
        layer.compute_output_shape(s).as_list() for s in PROBE_SHAPES[rank]]
    x = v1.placeholder(tf.float32, shape)
    y = layer(x)
    spec = layer.input_spec
    out.update({
        'config_after': layer.get_config(),
        'y': [y.name, y.shape.as_list()],
        'weights': names(layer.weights),
        'trainable_weights': names(layer.trainable_weights),
        'non_trainable_weights': names(layer.non_trainable_weights),
        'losses': names(layer.losses),
        'losses_for_x': names(layer.get_losses_for(x)),
        'losses_for_none': names(layer.get_losses_for(None)),
        'input_spec': [spec.ndim, spec.min_ndim, spec.max_ndim,
                       {int(k): v for k, v in (spec.axes or {}).items()}],
        'attributes': {a: getattr(layer, a) for a in (
            'filters', 'kernel_size', 'strides', 'padding', 'data_format',
            'dilation_rate', 'use_bias', 'rank', 'groups', 'built',
            'scope_name', 'depth_multiplier', 'output_padding')
                       if hasattr(layer, a)},
        'bias': getattr(layer.bias, 'name', None),
    })
  return out


@pytest.mark.parametrize('name', sorted(SURFACE_CASES))
def test_layer_surface_same_as_reference(name):
  case = SURFACE_CASES[name]
  expected = _surface(_reference(), case)
  actual = _surface(_ours(), case)
  assert sorted(actual) == sorted(expected)
  for key in expected:
    assert actual[key] == expected[key], key


# ---- TF1 behaviour ----------------------------------------------------------
TF1_IDS = ['conv2d_default', 'conv1d_causal_dilation2',
           'conv2d_channels_first', 'separable_conv1d_causal_depth2',
           'separable_conv2d_default', 'conv2d_transpose_channels_first',
           'conv2d_transpose_dilation', 'conv3d_transpose_default',
           'conv2d_regularizers', 'conv2d_constraints', 'conv2d_float16',
           'conv2d_reuse', 'conv2d_groups', 'conv2d_partitioned']

TF1_SCRIPT = """
import json, sys, types
sys.path.insert(0, sys.argv[3])
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()
import conv_layers_cases, graph_summary
if sys.argv[1] == 'reference':
  namespace = tf.compat.v1.layers
  try:  # the once-per-process Keras session, outside the cases' graphs
    from keras import backend
    with tf.Graph().as_default():
      backend._get_available_gpus()
  except Exception:
    pass
else:
  from tf_compat_bn.layers import convolutional
  namespace = types.SimpleNamespace(**vars(convolutional))
wanted = sys.argv[4].split(',')
out = {}
for case in conv_layers_cases.CASES:
  if case['id'] in wanted:
    structure, values = graph_summary.summarize(
        case, conv_layers_cases.function(namespace, case),
        conv_layers_cases.make_kwargs)
    out[case['id']] = {'structure': structure,
                       'values': graph_summary.to_json(values)}
with open(sys.argv[2], 'w') as f:
  json.dump(out, f)
"""


def _tf1_summaries(which, tmp_path):
  path = str(tmp_path / f'{which}.json')
  result = subprocess.run(
      [sys.executable, '-c', TF1_SCRIPT, which, path,
       os.path.dirname(os.path.abspath(__file__)), ','.join(TF1_IDS)],
      capture_output=True, text=True, timeout=900)
  assert result.returncode == 0, result.stderr[-4000:]
  with open(path) as f:
    return json.load(f)


def test_tf1_mode_same_as_reference(tmp_path):
  expected = _tf1_summaries('reference', tmp_path)
  actual = _tf1_summaries('ours', tmp_path)
  assert sorted(actual) == sorted(expected) == sorted(TF1_IDS)
  dtypes = {c['id']: c.get('dtype', 'float32')
            for c in conv_layers_cases.CASES}
  for cid in TF1_IDS:
    graph_summary.assert_structure_equal(expected[cid]['structure'],
                                         actual[cid]['structure'])
    graph_summary.assert_values_close(expected[cid]['values'],
                                      actual[cid]['values'], dtypes[cid])
