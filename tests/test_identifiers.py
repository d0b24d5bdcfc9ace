"""Keras string/dict identifiers for initializers, regularizers, constraints
and activations, resolved without Keras (tf_compat_bn.layers.identifiers).

Reference-free tests run under any TF: every accepted name resolves, values
follow the math, unknown names raise the reference's messages.  Tests marked
`reference` (TF 2.12.1) build each name with Keras' `get` and with ours in
identical graphs and compare every node and value, under TF2 behaviour here
and under `disable_v2_behavior()` in a child process (this file run as a
script: `python tests/test_identifiers.py {ours|reference} OUT.json`).
"""

import json
import math
import os
import random
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tf_compat_bn.layers import identifiers  # noqa: E402

v1 = tf.compat.v1

HINT = ('Please ensure you are using a `keras.utils.custom_object_scope` and '
        'that this object is included in the scope. See '
        'https://www.tensorflow.org/guide/keras/save_and_serialize'
        '#registering_the_custom_object for details.')

# The reference's tables (keras 2.12, printed from the live modules).
V2_ONLY_INITIALIZERS = {'Initializer', 'initializer'}
INITIALIZER_NAMES = [
    'Constant', 'ConstantV2', 'GlorotNormal', 'GlorotNormalV2',
    'GlorotUniform', 'GlorotUniformV2', 'HeNormal', 'HeNormalV2', 'HeUniform',
    'HeUniformV2', 'Identity', 'IdentityV2', 'Initializer', 'LecunNormal',
    'LecunNormalV2', 'LecunUniform', 'LecunUniformV2', 'Ones', 'OnesV2',
    'Orthogonal', 'OrthogonalV2', 'RandomNormal', 'RandomNormalV2',
    'RandomUniform', 'RandomUniformV2', 'TruncatedNormal', 'TruncatedNormalV2',
    'VarianceScaling', 'VarianceScalingV2', 'Zeros', 'ZerosV2', 'constant',
    'glorot_normal', 'glorot_normalV2', 'glorot_uniform', 'glorot_uniformV2',
    'he_normal', 'he_normalV2', 'he_uniform', 'he_uniformV2', 'identity',
    'initializer', 'lecun_normal', 'lecun_normalV2', 'lecun_uniform',
    'lecun_uniformV2', 'normal', 'one', 'ones', 'orthogonal', 'random_normal',
    'random_uniform', 'truncated_normal', 'uniform', 'variance_scaling',
    'zero', 'zeros']
REGULARIZER_NAMES = ['L1', 'L1L2', 'L2', 'OrthogonalRegularizer',
                     'Regularizer', 'l1', 'l1_l2', 'l2',
                     'orthogonal_regularizer']
CONSTRAINT_NAMES = ['Constraint', 'MaxNorm', 'MinMaxNorm', 'NonNeg',
                    'RadialConstraint', 'UnitNorm', 'max_norm', 'maxnorm',
                    'min_max_norm', 'non_neg', 'nonneg', 'radial_constraint',
                    'unit_norm', 'unitnorm']
ACTIVATION_NAMES = ['ELU', 'LeakyReLU', 'PReLU', 'ReLU', 'Softmax',
                    'ThresholdedReLU', 'elu', 'exponential', 'gelu',
                    'hard_sigmoid', 'leaky_relu', 'linear', 'log_softmax',
                    'relu', 'relu6', 'selu', 'sigmoid', 'silu', 'softmax',
                    'softplus', 'softsign', 'swish', 'tanh']
SUPPORTED_ACTIVATIONS = [n for n in ACTIVATION_NAMES if n != 'PReLU']

# Initializer cases: (identifier, shape); names that need 2-D get [4, 3].
CONV_SHAPE = [3, 3, 2, 4]
W = np.array([[0.5, -2.0, 1.5], [3.0, -0.25, 0.0], [-1.0, 2.0, 4.0],
              [0.1, 0.2, -0.3]], np.float32)
W4 = np.arange(2 * 5 * 5 * 2, dtype=np.float32).reshape(5, 5, 2, 2) - 20.0
X = np.array([[1.0, -2.0, 0.5], [3.0, 4.0, -6.5], [-0.1, 7.0, 0.0]],
             np.float32)


def _needs_2d(name):
  return name.lower().startswith(('identity', 'orthogonal'))


def _init_shape(name):
  return [4, 3] if _needs_2d(name) else CONV_SHAPE


# ---------------------------------------------------------------------------
# Builders shared by the live comparisons and the TF1-mode child process.
# ---------------------------------------------------------------------------
def keras_getters():
  from keras import activations  # pylint: disable=g-import-not-at-top
  from keras import constraints  # pylint: disable=g-import-not-at-top
  from keras import initializers  # pylint: disable=g-import-not-at-top
  from keras import regularizers  # pylint: disable=g-import-not-at-top
  return {'initializer': initializers.get, 'regularizer': regularizers.get,
          'constraint': constraints.get, 'activation': activations.get}


OUR_GETTERS = {'initializer': identifiers.initializer,
               'regularizer': identifiers.regularizer,
               'constraint': identifiers.constraint,
               'activation': identifiers.activation}


def build(getters, kind, identifier, shape=None, seed=3, py_seed=7):
  """Node defs (as text) and values of one identifier in a fresh graph.

  An initializer initializes `dense/kernel`; a regularizer is applied to it
  under `dense/kernel/Regularizer`; constraints and activations take
  constants under `dense/`.
  """
  g = tf.Graph()
  with g.as_default():
    v1.set_random_seed(seed)
    random.seed(py_seed)
    with warnings.catch_warnings():
      warnings.simplefilter('ignore')
      obj = getters[kind](identifier)
    with v1.variable_scope('dense'):
      if kind == 'initializer':
        out = v1.get_variable('kernel', shape or [4, 3], initializer=obj)
      elif kind == 'regularizer':
        kernel = v1.get_variable('kernel', initializer=W)
        with tf.name_scope('dense/kernel/Regularizer/'):
          out = obj(kernel)
        out = tf.convert_to_tensor(out)
      elif kind == 'constraint':
        w = W4 if 'adial' in identifier else W
        out = obj(tf.constant(w))
      else:
        out = obj(tf.constant(X))
    # Custom-gradient ops (silu) carry a per-process unique id.
    nodes = [re.sub(r'CustomGradient-\d+', 'CustomGradient-N', str(n))
             for n in g.as_graph_def().node]
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      value = sess.run(out)
  return nodes, np.asarray(value).tolist()


def all_cases(tf2):
  names = [n for n in INITIALIZER_NAMES
           if tf2 or n not in V2_ONLY_INITIALIZERS and n != 'Initializer']
  for n in names:
    if n.lower() == 'initializer':
      continue  # Its __call__ raises; tested on its own.
    yield 'initializer', n, _init_shape(n)
  yield 'initializer', {'class_name': 'VarianceScaling', 'config': {
      'scale': 2.0, 'mode': 'fan_out', 'distribution': 'uniform',
      'seed': 11}}, CONV_SHAPE
  yield 'initializer', {'class_name': 'RandomNormal',
                        'config': {'stddev': 0.3}}, CONV_SHAPE
  for n in REGULARIZER_NAMES:
    if tf2 or 'rthogonal' not in n:  # TF1 Dimension objects break tf.eye
      yield 'regularizer', n, None
  yield 'regularizer', {'class_name': 'L1L2',
                        'config': {'l1': 0.5, 'l2': 0.25}}, None
  for n in CONSTRAINT_NAMES:
    yield 'constraint', n, None
  yield 'constraint', {'class_name': 'MaxNorm',
                       'config': {'max_value': 1.5, 'axis': 1}}, None
  for n in SUPPORTED_ACTIVATIONS:
    yield 'activation', n, None
  yield 'activation', {'class_name': 'ReLU', 'config': {'max_value': 3.0}}, None


def summarize(getters, tf2):
  return {json.dumps([kind, ident]): build(getters, kind, ident, shape)
          for kind, ident, shape in all_cases(tf2)}


# ---------------------------------------------------------------------------
# (a) Reference-free tests.
# ---------------------------------------------------------------------------
def _value(tensor_fn):
  g = tf.Graph()
  with g.as_default():
    out = tensor_fn()
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      return sess.run(out)


def _init_value(ident, shape, dtype=tf.float32):
  def fn():
    with warnings.catch_warnings():
      warnings.simplefilter('ignore')
      return identifiers.initializer(ident)(shape, dtype=dtype)
  return _value(fn)


def test_none_and_callables_pass_through():
  fn = lambda *a, **k: None  # noqa: E731
  for get in OUR_GETTERS.values():
    assert get(None) is None
    assert get(fn) is fn
  inst = identifiers.initializer(v1.glorot_uniform_initializer)
  assert isinstance(inst, v1.glorot_uniform_initializer)


@pytest.mark.parametrize('name', INITIALIZER_NAMES)
def test_every_initializer_name_resolves(name):
  obj = identifiers.initializer(name)
  assert callable(obj)
  cls = identifiers.serialize_initializer(obj)['class_name']
  base = name[:-2] if name.endswith('V2') else name
  expected = {'normal': 'RandomNormal', 'uniform': 'RandomUniform',
              'one': 'Ones', 'zero': 'Zeros'}.get(base)
  if expected is None:
    expected = ''.join(p[:1].upper() + p[1:] for p in base.split('_'))
  assert cls == expected


@pytest.mark.parametrize('name', sorted(set(INITIALIZER_NAMES) -
                                        V2_ONLY_INITIALIZERS))
def test_every_initializer_name_resolves_in_tf1_mode(name, monkeypatch):
  monkeypatch.setattr(identifiers, '_tf2_enabled', lambda: False)
  obj = identifiers.initializer(name)
  config = identifiers.serialize_initializer(obj)['config']
  v2_class = name.endswith('V2')
  assert isinstance(obj, identifiers.Initializer) == v2_class
  keras_v1_class = name.lower().replace('_', '').startswith(
      ('he', 'lecun'))
  # TF's own v1 initializers report their dtype, Keras' v1 presets do not.
  assert ('dtype' in config) == (not v2_class and not keras_v1_class)


def test_initializer_base_only_under_tf2(monkeypatch):
  with pytest.raises(NotImplementedError, match='must implement'):
    identifiers.initializer('Initializer')([2], dtype=tf.float32)
  monkeypatch.setattr(identifiers, '_tf2_enabled', lambda: False)
  with pytest.raises(ValueError, match="Unknown initializer: 'initializer'"):
    identifiers.initializer('initializer')


def test_name_tables_are_the_reference_tables():
  assert identifiers.initializer_names(True) == sorted(INITIALIZER_NAMES)
  assert identifiers.initializer_names(False) == sorted(
      set(INITIALIZER_NAMES) - V2_ONLY_INITIALIZERS)
  assert identifiers.regularizer_names() == sorted(REGULARIZER_NAMES)
  assert identifiers.constraint_names() == sorted(CONSTRAINT_NAMES)
  assert identifiers.activation_names() == sorted(ACTIVATION_NAMES)


@pytest.mark.parametrize('name,value', [
    ('zeros', 0.0), ('zero', 0.0), ('Zeros', 0.0), ('ZerosV2', 0.0),
    ('ones', 1.0), ('one', 1.0), ('Ones', 1.0), ('constant', 0.0),
    ({'class_name': 'Constant', 'config': {'value': 2.5}}, 2.5)])
@pytest.mark.parametrize('tf2', [True, False])
def test_constant_initializers(name, value, tf2, monkeypatch):
  monkeypatch.setattr(identifiers, '_tf2_enabled', lambda: tf2)
  np.testing.assert_array_equal(_init_value(name, [2, 3]),
                                np.full([2, 3], value, np.float32))


@pytest.mark.parametrize('tf2', [True, False])
def test_identity_and_orthogonal(tf2, monkeypatch):
  monkeypatch.setattr(identifiers, '_tf2_enabled', lambda: tf2)
  np.testing.assert_array_equal(_init_value('identity', [3, 4]),
                                np.eye(3, 4, dtype=np.float32))
  q = _init_value('orthogonal', [6, 4])
  np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)


# (identifier, (bound or None, expected stddev)) for shape [64, 32, 8, 16]:
# fan_in = 64*32*8, fan_out = 64*32*16.
_FAN_IN, _FAN_OUT = 64 * 32 * 8, 64 * 32 * 16
_STATS = {
    'glorot_uniform': ('uniform', math.sqrt(6 / (_FAN_IN + _FAN_OUT))),
    'glorot_normal': ('truncated', math.sqrt(2 / (_FAN_IN + _FAN_OUT))),
    'he_uniform': ('uniform', math.sqrt(6 / _FAN_IN)),
    'he_normal': ('truncated', math.sqrt(2 / _FAN_IN)),
    'lecun_uniform': ('uniform', math.sqrt(3 / _FAN_IN)),
    'lecun_normal': ('truncated', math.sqrt(1 / _FAN_IN)),
    'variance_scaling': ('truncated', math.sqrt(1 / _FAN_IN)),
    'random_uniform': ('uniform', 0.05),
    'random_normal': ('normal', 0.05),
    'truncated_normal': ('truncated_raw', 0.05),
}


@pytest.mark.parametrize('name', sorted(_STATS))
@pytest.mark.parametrize('tf2', [True, False])
def test_random_initializer_statistics(name, tf2, monkeypatch):
  monkeypatch.setattr(identifiers, '_tf2_enabled', lambda: tf2)
  kind, param = _STATS[name]
  random.seed(1)
  x = _init_value(name, [64, 32, 8, 16]).ravel()
  assert abs(x.mean()) < 0.02 * (param or 1)
  if kind == 'uniform':  # param: the limit
    # The limit is rounded to float32.
    assert x.min() >= -param * 1.000001 and x.max() <= param * 1.000001
    np.testing.assert_allclose(x.std(), param / math.sqrt(3), rtol=0.02)
  elif kind == 'truncated':  # param: the target stddev after truncation
    np.testing.assert_allclose(x.std(), param, rtol=0.02)
    assert np.abs(x).max() <= 2 * param / 0.87962566103423978 * 1.0001
  elif kind == 'truncated_raw':  # param: stddev before truncation
    assert np.abs(x).max() <= 2 * param * 1.0001
    np.testing.assert_allclose(x.std(), param * 0.8796, rtol=0.02)
  else:
    np.testing.assert_allclose(x.std(), param, rtol=0.02)


def _op_types(ident, shape, seed=None):
  g = tf.Graph()
  with g.as_default():
    if seed is not None:
      v1.set_random_seed(seed)
    with v1.variable_scope('dense'):
      v1.get_variable('kernel', shape,
                      initializer=identifiers.initializer(ident))
  return [(op.type, op.name) for op in g.get_operations()
          if op.name.startswith('dense/kernel/Initializer/')]


def test_tf2_family_is_stateless_with_python_random_seed():
  ops = _op_types('glorot_uniform', [4, 3])
  p = 'dense/kernel/Initializer/stateless_random_uniform'
  assert ops == [
      ('Const', p + '/shape'), ('Const', p + '/min'), ('Const', p + '/max'),
      ('Const', p + '/StatelessRandomGetKeyCounter/seed'),
      ('StatelessRandomGetKeyCounter', p + '/StatelessRandomGetKeyCounter'),
      ('Const', p + '/StatelessRandomUniformV2/alg'),
      ('StatelessRandomUniformV2', p + '/StatelessRandomUniformV2'),
      ('Sub', p + '/sub'), ('Mul', p + '/mul'), ('AddV2', p)]
  # Unseeded: one seed from Python's `random` at the first call.
  random.seed(5)
  a = _init_value('he_normal', [5, 5])
  random.seed(5)
  b = _init_value('he_normal', [5, 5])
  c = _init_value('he_normal', [5, 5])
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)
  # Seeded: the same values at every call of one object.
  init = identifiers.initializer({'class_name': 'HeNormal',
                                  'config': {'seed': 4}})
  first = _value(lambda: init([5, 5], dtype=tf.float32))
  with warnings.catch_warnings():
    warnings.simplefilter('error')
    second = _value(lambda: init([5, 5], dtype=tf.float32))
  np.testing.assert_array_equal(first, second)


def test_unseeded_reuse_warns():
  init = identifiers.initializer('glorot_uniform')
  _value(lambda: init([2, 2], dtype=tf.float32))
  with pytest.warns(UserWarning, match='unseeded and being called'):
    _value(lambda: init([2, 2], dtype=tf.float32))


def test_tf1_family_follows_graph_seed(monkeypatch):
  monkeypatch.setattr(identifiers, '_tf2_enabled', lambda: False)
  ops = _op_types('glorot_uniform', [4, 3], seed=3)
  assert ('RandomUniform',
          'dense/kernel/Initializer/random_uniform/RandomUniform') in ops
  assert _op_types('he_normal', [4, 3])[3][0] == 'TruncatedNormal'
  assert _op_types('random_normal', [4, 3])[3][0] == 'RandomStandardNormal'
  # V2 aliases keep the stateless family.
  assert ('StatelessRandomUniformV2',
          'dense/kernel/Initializer/stateless_random_uniform/'
          'StatelessRandomUniformV2') in _op_types('GlorotUniformV2', [4, 3])


@pytest.mark.parametrize('name,expected', [
    ('glorot_uniform', {'class_name': 'GlorotUniform',
                        'config': {'seed': None}}),
    ('zeros', {'class_name': 'Zeros', 'config': {}}),
    ('random_normal', {'class_name': 'RandomNormal', 'config': {
        'mean': 0.0, 'stddev': 0.05, 'seed': None}}),
    ('variance_scaling', {'class_name': 'VarianceScaling', 'config': {
        'scale': 1.0, 'mode': 'fan_in', 'distribution': 'truncated_normal',
        'seed': None}}),
    ('orthogonal', {'class_name': 'Orthogonal',
                    'config': {'gain': 1.0, 'seed': None}}),
])
def test_serialize_initializer(name, expected):
  assert identifiers.serialize_initializer(
      identifiers.initializer(name)) == expected
  # Round trip through a config.
  again = identifiers.initializer(expected)
  assert identifiers.serialize_initializer(again) == expected


def test_serialize_initializer_tf1_mode(monkeypatch):
  monkeypatch.setattr(identifiers, '_tf2_enabled', lambda: False)
  ser = identifiers.serialize_initializer
  assert ser(identifiers.initializer('glorot_uniform')) == {
      'class_name': 'GlorotUniform',
      'config': {'seed': None, 'dtype': 'float32'}}
  assert ser(identifiers.initializer('he_normal')) == {
      'class_name': 'HeNormal', 'config': {'seed': None}}
  assert ser(identifiers.initializer('uniform')) == {
      'class_name': 'RandomUniform', 'config': {
          'minval': -0.05, 'maxval': 0.05, 'seed': None, 'dtype': 'float32'}}


def _reg_value(ident, w=W):
  def fn():
    return tf.convert_to_tensor(identifiers.regularizer(ident)(
        tf.constant(w)))
  return _value(fn)


@pytest.mark.parametrize('ident,expected', [
    ('l2', 0.01 * np.sum(W.astype(np.float64) ** 2)),
    ('L2', 0.01 * np.sum(W.astype(np.float64) ** 2)),
    ('l1', 0.01 * np.sum(np.abs(W.astype(np.float64)))),
    ('L1', 0.01 * np.sum(np.abs(W.astype(np.float64)))),
    ('l1_l2', 0.01 * np.sum(np.abs(W.astype(np.float64))) +
     0.01 * np.sum(W.astype(np.float64) ** 2)),
    ('L1L2', 0.0),
    ('Regularizer', 0.0),
    ({'class_name': 'L1L2', 'config': {'l1': 0.5, 'l2': 0.25}},
     0.5 * np.sum(np.abs(W.astype(np.float64))) +
     0.25 * np.sum(W.astype(np.float64) ** 2)),
    ({'class_name': 'l1_l2', 'config': {'l1': 0.0, 'l2': 1.0}},
     np.sum(W.astype(np.float64) ** 2)),
    ({'class_name': 'L2', 'config': {'l': 3.0}},
     3.0 * np.sum(W.astype(np.float64) ** 2)),
])
def test_regularizer_values(ident, expected):
  np.testing.assert_allclose(_reg_value(ident), expected, rtol=1e-6)


@pytest.mark.parametrize('name', ['orthogonal_regularizer',
                                  'OrthogonalRegularizer'])
def test_orthogonal_regularizer(name):
  rows = W / np.linalg.norm(W, axis=1, keepdims=True)
  prod = np.abs(rows @ rows.T) * (1 - np.eye(4))
  expected = 0.01 * 0.5 * prod.sum() / (4 * 3 / 2)
  np.testing.assert_allclose(_reg_value(name), expected, rtol=1e-5)


def test_regularizer_ops_and_factor():
  g = tf.Graph()
  with g.as_default():
    with v1.variable_scope('dense'):
      kernel = v1.get_variable('kernel', initializer=W)
      with tf.name_scope('dense/kernel/Regularizer/'):
        loss = identifiers.regularizer('l2')(kernel)
    assert loss.name == 'dense/kernel/Regularizer/mul:0'
    assert [op.type for op in g.get_operations()
            if op.name.startswith('dense/kernel/Regularizer/')] == [
                'ReadVariableOp', 'L2Loss', 'Const', 'Mul']
    factor = g.get_operation_by_name('dense/kernel/Regularizer/mul/x')
    assert tf.make_ndarray(factor.get_attr('value')) == np.float32(0.02)


def test_serialize_regularizer():
  ser = identifiers.serialize_regularizer
  f = float(np.float32(0.01))
  assert ser(identifiers.regularizer('l2')) == {'class_name': 'L2',
                                                'config': {'l2': f}}
  assert ser(identifiers.regularizer('l1_l2')) == {
      'class_name': 'L1L2', 'config': {'l1': f, 'l2': f}}
  assert ser(identifiers.regularizer('L1L2')) == {
      'class_name': 'L1L2', 'config': {'l1': 0.0, 'l2': 0.0}}
  assert ser(identifiers.regularizer('orthogonal_regularizer')) == {
      'class_name': 'OrthogonalRegularizer',
      'config': {'factor': f, 'mode': 'rows'}}
  with pytest.raises(NotImplementedError, match='does not implement'):
    ser(identifiers.regularizer('Regularizer'))


def test_regularizer_argument_errors():
  with pytest.raises(ValueError, match='not a valid regularization penalty'):
    identifiers.regularizer({'class_name': 'L2', 'config': {'l2': 'x'}})
  with pytest.raises(TypeError, match='Argument\\(s\\) not recognized'):
    identifiers.regularizer({'class_name': 'L1', 'config': {'q': 1}})


def _con_value(ident, w=W):
  return _value(lambda: identifiers.constraint(ident)(tf.constant(w)))


def _norms(w, axis=0):
  return np.sqrt(np.sum(w.astype(np.float64) ** 2, axis=axis, keepdims=True))


@pytest.mark.parametrize('ident,expected', [
    ('non_neg', np.maximum(W, 0)), ('nonneg', np.maximum(W, 0)),
    ('NonNeg', np.maximum(W, 0)), ('Constraint', W),
    ('unit_norm', W / (1e-7 + _norms(W))),
    ('unitnorm', W / (1e-7 + _norms(W))),
    ('UnitNorm', W / (1e-7 + _norms(W))),
    ('max_norm', W * np.clip(_norms(W), 0, 2) / (1e-7 + _norms(W))),
    ('maxnorm', W * np.clip(_norms(W), 0, 2) / (1e-7 + _norms(W))),
    ('MaxNorm', W * np.clip(_norms(W), 0, 2) / (1e-7 + _norms(W))),
    ('min_max_norm', W * np.clip(_norms(W), 0, 1) / (1e-7 + _norms(W))),
    ('MinMaxNorm', W * np.clip(_norms(W), 0, 1) / (1e-7 + _norms(W))),
    ({'class_name': 'MaxNorm', 'config': {'max_value': 1.5, 'axis': 1}},
     W * np.clip(_norms(W, 1), 0, 1.5) / (1e-7 + _norms(W, 1))),
    ({'class_name': 'MinMaxNorm', 'config': {'min_value': 3.0,
                                             'max_value': 4.0, 'rate': 0.5}},
     W * (0.5 * np.clip(_norms(W), 3, 4) + 0.5 * _norms(W)) /
     (1e-7 + _norms(W))),
])
def test_constraint_values(ident, expected):
  np.testing.assert_allclose(_con_value(ident), expected, rtol=1e-5,
                             atol=1e-6)


@pytest.mark.parametrize('name', ['radial_constraint', 'RadialConstraint'])
def test_radial_constraint(name):
  out = _con_value(name, W4)
  for c in range(2):
    for k in range(2):
      src, got = W4[:, :, c, k], out[:, :, c, k]
      # 5x5: constant on each square ring, values taken from the source.
      for ring in range(3):
        lo, hi = 2 - ring, 2 + ring
        mask = np.zeros((5, 5), bool)
        mask[lo:hi + 1, lo:hi + 1] = True
        if ring:
          mask[lo + 1:hi, lo + 1:hi] = False
        assert len(set(got[mask].tolist())) == 1
        assert got[mask][0] in src


def test_serialize_constraint():
  ser = identifiers.serialize_constraint
  assert ser(identifiers.constraint('max_norm')) == {
      'class_name': 'MaxNorm', 'config': {'max_value': 2, 'axis': 0}}
  assert ser(identifiers.constraint('nonneg')) == {'class_name': 'NonNeg',
                                                    'config': {}}
  assert ser(identifiers.constraint('min_max_norm')) == {
      'class_name': 'MinMaxNorm', 'config': {
          'min_value': 0.0, 'max_value': 1.0, 'rate': 1.0, 'axis': 0}}


def _act_value(ident, x=X):
  return _value(lambda: identifiers.activation(ident)(tf.constant(x)))


def _softmax(x):
  e = np.exp(x - x.max(axis=-1, keepdims=True))
  return e / e.sum(axis=-1, keepdims=True)


_X64 = X.astype(np.float64)
_SELU = 1.0507009873554805 * np.where(
    _X64 > 0, _X64, 1.6732632423543772 * np.expm1(_X64))
_ACT_EXPECTED = {
    'relu': np.maximum(_X64, 0), 'ReLU': np.maximum(_X64, 0),
    'relu6': np.clip(_X64, 0, 6),
    'elu': np.where(_X64 > 0, _X64, np.expm1(_X64)),
    'ELU': np.where(_X64 > 0, _X64, np.expm1(_X64)),
    'selu': _SELU,
    'leaky_relu': np.where(_X64 > 0, _X64, 0.2 * _X64),
    'LeakyReLU': np.where(_X64 > 0, _X64, 0.3 * _X64),
    'ThresholdedReLU': np.where(_X64 > 1.0, _X64, 0.0),
    'linear': _X64, 'tanh': np.tanh(_X64),
    'sigmoid': 1 / (1 + np.exp(-_X64)),
    'hard_sigmoid': np.clip(0.2 * _X64 + 0.5, 0, 1),
    'exponential': np.exp(_X64),
    'softplus': np.log1p(np.exp(_X64)),
    'softsign': _X64 / (1 + np.abs(_X64)),
    'swish': _X64 / (1 + np.exp(-_X64)), 'silu': _X64 / (1 + np.exp(-_X64)),
    'gelu': 0.5 * _X64 * (1 + np.vectorize(math.erf)(_X64 / math.sqrt(2))),
    'softmax': _softmax(_X64), 'Softmax': _softmax(_X64),
    'log_softmax': np.log(_softmax(_X64)),
}


def test_activation_expectations_cover_every_name():
  assert sorted(_ACT_EXPECTED) == sorted(SUPPORTED_ACTIVATIONS)


@pytest.mark.parametrize('name', sorted(_ACT_EXPECTED))
def test_activation_values(name):
  np.testing.assert_allclose(_act_value(name), _ACT_EXPECTED[name],
                             rtol=1e-5, atol=1e-6)


def test_activation_configs_and_variants():
  np.testing.assert_allclose(
      _act_value({'class_name': 'ReLU', 'config': {'max_value': 3.0}}),
      np.clip(X, 0, 3))
  np.testing.assert_allclose(
      _act_value({'class_name': 'ReLU', 'config': {
          'negative_slope': 0.5, 'threshold': 1.0}}),
      np.where(X > 1.0, X, 0.5 * (X - 1.0)), rtol=1e-6)
  np.testing.assert_allclose(
      _act_value({'class_name': 'Softmax', 'config': {'axis': [0, 1]}}),
      np.exp(X) / np.exp(X).sum(), rtol=1e-5)
  np.testing.assert_allclose(
      _act_value({'class_name': 'ELU', 'config': {'alpha': 0.5}}),
      np.where(X > 0, X, 0.5 * np.expm1(X)), rtol=1e-6)
  with pytest.raises(ValueError, match='Cannot apply softmax to a tensor '
                     'that is 1D'):
    _act_value('softmax', np.ones([3], np.float32))


def test_activation_layer_name_scopes():
  g = tf.Graph()
  with g.as_default():
    x = tf.constant(X)
    with tf.name_scope('dense'):
      first = identifiers.activation('ReLU')
      second = identifiers.activation('ReLU')
      a, b, c = first(x), first(x), second(x)
    assert (a.op.name, b.op.name, c.op.name) == (
        'dense/re_lu/Relu', 'dense/re_lu_1/Relu', 'dense/re_lu_1_1/Relu')


def test_activation_op_names():
  g = tf.Graph()
  with g.as_default():
    x = tf.constant(X)
    with tf.name_scope('dense'):
      assert identifiers.activation('relu')(x).op.name == 'dense/Relu'
      assert identifiers.activation('linear')(x) is x
      assert identifiers.activation('softmax')(x).op.name == 'dense/Softmax'


def test_serialize_activation():
  ser = identifiers.serialize_activation
  assert ser(None) == 'linear'
  for name in ('relu', 'linear', 'tanh', 'softmax', 'swish', 'gelu', 'elu'):
    assert ser(identifiers.activation(name)) == name
  assert ser(identifiers.activation('silu')) == 'swish'
  assert ser(identifiers.activation('log_softmax')) == 'log_softmax_v2'
  assert ser(tf.nn.softmax) == 'softmax'
  assert ser(tf.nn.relu) == 'relu'
  relu_config = ser(identifiers.activation('ReLU'))
  assert relu_config['class_name'] == 'ReLU'


@pytest.mark.parametrize('kind,printable', [
    ('initializer', 'initializer'), ('regularizer', 'regularizer'),
    ('constraint', 'constraint'), ('activation', 'activation function')])
def test_unknown_names(kind, printable):
  get = OUR_GETTERS[kind]
  for bad in ('foo_init', 'glorot_Uniform', 'math', 'get', 'serialize'):
    with pytest.raises(ValueError) as err:
      get(bad)
    assert str(err.value) == f"Unknown {printable}: '{bad}'. {HINT}"
  with pytest.raises(ValueError) as err:
    get({'class_name': 'Foo', 'config': {}})
  assert str(err.value) == f"Unknown {printable}: 'Foo'. {HINT}"


def test_bad_identifier_types():
  cases = [('initializer', ValueError,
            'Could not interpret initializer identifier: 5'),
           ('regularizer', ValueError,
            'Could not interpret regularizer identifier: 5'),
           ('constraint', ValueError,
            'Could not interpret constraint function identifier: 5'),
           ('activation', TypeError,
            'Could not interpret activation function identifier: 5')]
  for kind, error, message in cases:
    with pytest.raises(error) as err:
      OUR_GETTERS[kind](5)
    assert str(err.value) == message
  with pytest.raises(ValueError) as err:
    identifiers.initializer({'class_name': 'x'})
  assert str(err.value) == (
      "Improper config format for {'class_name': 'x'}. Expecting python dict "
      'contains `class_name` and `config` as keys')


def test_prelu_unsupported():
  with pytest.raises(NotImplementedError, match='PReLU'):
    identifiers.activation('PReLU')


def test_initializer_argument_errors():
  with pytest.raises(ValueError, match='`scale` must be positive'):
    identifiers.initializer({'class_name': 'VarianceScaling',
                             'config': {'scale': 0.0}})
  with pytest.raises(ValueError, match='at least two-dimensional'):
    identifiers.initializer('orthogonal')([3], dtype=tf.float32)
  with pytest.raises(ValueError, match='Expected floating point type'):
    identifiers.initializer('glorot_uniform')([3, 3], dtype=tf.int32)


# ---------------------------------------------------------------------------
# (b) Live differential tests against the reference (TF 2.12.1 + Keras 2.12).
# ---------------------------------------------------------------------------
def _assert_same(expected, actual, what):
  nodes_e, value_e = expected
  nodes_a, value_a = actual
  assert nodes_a == nodes_e, what
  np.testing.assert_array_equal(np.asarray(value_a), np.asarray(value_e),
                                err_msg=str(what))


@pytest.mark.reference
def test_reference_tables():
  from keras import initializers  # pylint: disable=g-import-not-at-top
  initializers.populate_deserializable_objects()
  assert sorted(initializers.LOCAL.ALL_OBJECTS) == sorted(INITIALIZER_NAMES)
  import keras.activations as act  # pylint: disable=g-import-not-at-top
  from keras.utils import generic_utils  # pylint: disable=g-import-not-at-top
  table = {}
  generic_utils.populate_dict_with_module_objects(
      table, (act.activation_layers, act), obj_filter=callable)
  # The module's own helpers are reachable too; we leave them out.
  assert sorted(set(table) - {'deserialize', 'get', 'keras_export',
                              'serialize'}) == ACTIVATION_NAMES


@pytest.mark.reference
@pytest.mark.parametrize('case', list(all_cases(True)),
                         ids=lambda c: f'{c[0]}-{c[1]}')
def test_same_graph_and_values_as_reference(case):
  kind, ident, shape = case
  expected = build(keras_getters(), kind, ident, shape)
  actual = build(OUR_GETTERS, kind, ident, shape)
  if 'adial' in str(ident):
    # Keras' RadialConstraint builds through keras.backend (a zeros
    # *variable*, map_fn with dtype); ours uses plain TF ops: same values.
    expected = (actual[0], expected[1])
  _assert_same(expected, actual, case)


@pytest.mark.reference
def test_reference_dense_with_string_identifiers():
  def ref():
    g = tf.Graph()
    with g.as_default():
      v1.set_random_seed(3)
      random.seed(11)
      x = v1.placeholder(tf.float32, [None, 4])
      with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        y = v1.layers.dense(x, 3, kernel_initializer='glorot_uniform',
                            kernel_regularizer='l2',
                            kernel_constraint='non_neg', activation='relu',
                            bias_initializer='ones', bias_regularizer='l1_l2')
      kernel = [v for v in v1.global_variables() if 'kernel' in v.name][0]
      with tf.name_scope('constrained'):
        c = kernel.constraint(tf.constant(W))
      return g, y, c

  def ours():  # pylint: disable=missing-docstring
    g = tf.Graph()
    with g.as_default():
      v1.set_random_seed(3)
      random.seed(11)
      x = v1.placeholder(tf.float32, [None, 4])
      ki, kr, kc = (identifiers.initializer('glorot_uniform'),
                    identifiers.regularizer('l2'),
                    identifiers.constraint('non_neg'))
      bi, br = identifiers.initializer('ones'), identifiers.regularizer('l1_l2')
      act = identifiers.activation('relu')
      with v1.variable_scope('dense') as scope:
        with tf.name_scope(scope.original_name_scope):
          kernel = v1.get_variable('kernel', [4, 3], initializer=ki,
                                   constraint=kc)
          with tf.name_scope('kernel/Regularizer'):
            v1.add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES,
                                 kr(kernel))
          bias = v1.get_variable('bias', [3], initializer=bi)
          with tf.name_scope('bias/Regularizer'):
            v1.add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES,
                                 br(bias))
          y = act(tf.nn.bias_add(tf.matmul(x, kernel), bias))
      with tf.name_scope('constrained'):
        c = kernel.constraint(tf.constant(W))
      return g, y, c

  results = []
  for fn in (ref, ours):
    g, y, c = fn()
    with g.as_default(), v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      losses = v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)
      nodes = {n.name: str(n) for n in g.as_graph_def().node
               if n.name.startswith(('dense/kernel', 'dense/bias',
                                     'constrained'))}
      results.append((nodes, [t.name for t in losses], y.name,
                      sess.run([losses, c, y],
                               {g.get_tensor_by_name('Placeholder:0'): W.T})))
  (ref_nodes, ref_losses, ref_y, ref_vals), (nodes, loss_names, y_name,
                                              vals) = results
  assert nodes == ref_nodes
  assert loss_names == ref_losses == ['dense/kernel/Regularizer/mul:0',
                                      'dense/bias/Regularizer/add_1:0']
  assert y_name == ref_y == 'dense/Relu:0'
  for a, b in zip(tf.nest.flatten(vals), tf.nest.flatten(ref_vals)):
    np.testing.assert_array_equal(a, b)


@pytest.mark.reference
def test_reference_serialization():
  from keras import activations  # pylint: disable=g-import-not-at-top
  from keras import constraints  # pylint: disable=g-import-not-at-top
  from keras import initializers  # pylint: disable=g-import-not-at-top
  from keras import regularizers  # pylint: disable=g-import-not-at-top
  for n in INITIALIZER_NAMES:
    assert identifiers.serialize_initializer(identifiers.initializer(n)) == (
        initializers.serialize(initializers.get(n))), n
  for n in set(REGULARIZER_NAMES) - {'Regularizer'}:
    assert identifiers.serialize_regularizer(identifiers.regularizer(n)) == (
        regularizers.serialize(regularizers.get(n))), n
  for n in CONSTRAINT_NAMES:
    assert identifiers.serialize_constraint(identifiers.constraint(n)) == (
        constraints.serialize(constraints.get(n))), n
  for n in [a for a in SUPPORTED_ACTIVATIONS if a[0].islower()] + [None]:
    assert identifiers.serialize_activation(identifiers.activation(n)) == (
        activations.serialize(activations.get(n))), n


@pytest.mark.reference
def test_reference_errors():
  getters = keras_getters()
  for kind in OUR_GETTERS:
    for bad in ('foo_init', 5, {'class_name': 'x'},
                {'class_name': 'Foo', 'config': {}}):
      with pytest.raises(Exception) as ref_err:
        getters[kind](bad)
      with pytest.raises(Exception) as our_err:
        OUR_GETTERS[kind](bad)
      assert type(our_err.value) is type(ref_err.value), (kind, bad)
      assert str(our_err.value) == str(ref_err.value), (kind, bad)


def _run_tf1(which, tmp_path):
  path = str(tmp_path / f'{which}.json')
  result = subprocess.run([sys.executable, os.path.abspath(__file__), which,
                           path], capture_output=True, text=True, timeout=900)
  assert result.returncode == 0, result.stderr[-4000:]
  with open(path) as f:
    return json.load(f)


def test_tf1_mode_ours(tmp_path):
  """Under disable_v2_behavior: every case builds; TF1 families are used."""
  ours = _run_tf1('ours', tmp_path)
  assert len(ours) == len(list(all_cases(False)))
  nodes, _ = ours[json.dumps(['initializer', 'glorot_uniform'])]
  assert any("op: \"RandomUniform\"" in n and 'seed: 3' not in n and
             'name: "dense/kernel/Initializer/random_uniform/RandomUniform"'
             in n for n in nodes)
  nodes, _ = ours[json.dumps(['initializer', 'glorot_uniformV2'])]
  assert any('StatelessRandomUniformV2' in n for n in nodes)


@pytest.mark.reference
def test_tf1_mode_same_as_reference(tmp_path):
  ref, ours = _run_tf1('reference', tmp_path), _run_tf1('ours', tmp_path)
  assert sorted(ours) == sorted(ref)
  for key in ref:
    expected = ref[key]
    if 'adial' in key:  # See test_same_graph_and_values_as_reference.
      expected = (ours[key][0], expected[1])
    _assert_same(expected, ours[key], key)


def _main(which, path):
  v1.disable_v2_behavior()
  getters = keras_getters() if which == 'reference' else OUR_GETTERS
  with open(path, 'w') as f:
    json.dump(summarize(getters, tf2=False), f)


if __name__ == '__main__':
  _main(sys.argv[1], sys.argv[2])
