"""The legacy `Layer` / `InputSpec` surface, on ours and (TF 2.12) the reference.

Every test takes the `layers` fixture: `tf_compat_bn.layers` everywhere, and
in the oracle environment (TF 2.12.1) also the reference
`tf.compat.v1.layers`, so each behaviour is shown on both.  Expected values
come from the reference's own tests (tf-keras'
`tf_keras/legacy_tf_layers/base_test.py`, re-stated here, not copied), from
what TF 2.12.1 was seen to do (noted where so), or from arithmetic by hand.

| reference test (base_test.py) | our test |
|---|---|
| testLayerProperties | test_layer_properties |
| testInt64Layer | test_int64_layer_weight |
| testKerasStyleAddWeight | test_add_weight_ignores_name_scope, test_keras_style_scope |
| testAddWeight | test_add_weight |
| testInvalidTrainableSynchronizationCombination | test_on_read_trainable_is_refused |
| testReusePartitionedVariablesAndRegularizers | test_reused_partitioned_regularizer_once |
| testCall | test_call_in_layer_name_scope |
| testDeepCopy | test_deepcopy_of_called_layer |
| testScopeNaming | test_scope_naming |
| testInputSpecNdimCheck / MinNdim / MaxNdim / Dtype / Axes / Shape | test_input_spec_checks[*] |
| testNoInputSpec | test_no_input_spec_accepts_anything |
| test_count_params | test_count_params |
| testDictInputOutput | test_dict_inputs_and_outputs |
| testActivityRegularizer | test_activity_regularizer |
| testNameScopeIsConsistentWithVariableScope | test_name_scope_follows_variable_scope |
| testVariablesAreLiftedFromFunctionBuildingGraphs | test_variables_lifted_out_of_function_graphs |
| testGetUpdateFor | test_get_updates_for |
| testGetLossesFor | test_get_losses_for |
| DTypeTest.test_dtype_inferred_from_input | test_dtype_inferred_from_first_input |
| DTypeTest.test_passing_dtype_to_constructor | test_dtype_from_constructor |
| DTypeTest.test_inputs_not_casted | test_inputs_not_cast |

Beyond that suite (the TF1 surface legacy code touches; reference behaviour
seen live on TF 2.12.1): explicit `build` then call, a parent building a
child layer in its `build`, `call(scope=)`, `trainable` set later,
`add_variable`, `add_update` forms, `get_weights` / `set_weights`,
`get_config` / `from_config`, the connectivity accessors' errors, the
`graph` property, unknown keyword arguments, and `apply`.
"""

import copy
import warnings

import numpy as np
import pytest
import tensorflow as tf

import conftest
import tf_compat_bn.layers

v1 = tf.compat.v1


def _namespaces():
  params = [pytest.param(tf_compat_bn.layers, id='ours')]
  if conftest.reference_available()[0]:
    params.append(pytest.param(v1.layers, id='reference',
                               marks=pytest.mark.reference))
  return params


@pytest.fixture(params=_namespaces())
def layers(request):
  with tf.Graph().as_default():
    with warnings.catch_warnings():
      warnings.simplefilter('ignore')
      yield request.param


def _identity_layer(layers):
  class IdentityLayer(layers.Layer):

    def call(self, inputs):
      return inputs
  return IdentityLayer


def _spec_layer(layers, **spec):
  class CustomLayer(layers.Layer):

    def __init__(self):
      super().__init__()
      self.input_spec = layers.InputSpec(**spec)

    def call(self, inputs):
      return inputs
  return CustomLayer


def test_layer_properties(layers):
  layer = layers.Layer(name='my_layer')
  assert layer.variables == [] and layer.trainable_variables == []
  assert layer.non_trainable_variables == []
  assert layer.updates == [] and layer.losses == []
  assert layer.built is False and layer.name == 'my_layer'
  assert layers.Layer(name='my_layer', trainable=False).trainable is False


def test_int64_layer_weight(layers):
  layer = layers.Layer(name='my_layer', dtype='int64')
  variable = layer.add_weight('my_var', [2, 2])
  assert layer.name == 'my_layer'
  # An integer weight with no initializer starts at zero (reference rule).
  assert variable.dtype.base_dtype == tf.int64
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    np.testing.assert_array_equal(sess.run(variable), np.zeros([2, 2]))


def test_add_weight_ignores_name_scope(layers):
  with tf.name_scope('baz'):
    layer = layers.Layer(name='my_layer')
    variable = layer.add_weight('my_var', [2, 2],
                                initializer=v1.zeros_initializer())
  assert variable.name == 'my_layer/my_var:0'


def test_add_weight(layers):
  layer = layers.Layer(name='my_layer')
  variable = layer.add_weight('my_var', [2, 2],
                              initializer=v1.zeros_initializer())
  assert variable.name == 'my_layer/my_var:0'
  assert layer.variables == [variable]
  assert layer.trainable_variables == [variable]
  assert layer.non_trainable_variables == []
  assert v1.trainable_variables() == [variable]
  variable_2 = layer.add_weight('non_trainable_var', [2, 2],
                                initializer=v1.zeros_initializer(),
                                trainable=False)
  assert layer.variables == [variable, variable_2]
  assert layer.trainable_variables == [variable]
  assert layer.non_trainable_variables == [variable_2]
  assert len(v1.trainable_variables()) == 1
  layer.add_weight('reg_var', [2, 2], initializer=v1.zeros_initializer(),
                   regularizer=lambda x: tf.reduce_sum(x) * 1e-3)
  assert len(layer.losses) == 1
  assert [t.op.name for t in v1.get_collection(
      v1.GraphKeys.REGULARIZATION_LOSSES)] == ['my_layer/reg_var/Regularizer/mul']
  variable_3 = layer.add_weight(
      'sync_on_read_var', [2, 2], initializer=v1.zeros_initializer(),
      synchronization=tf.VariableSynchronization.ON_READ,
      aggregation=v1.VariableAggregation.SUM)
  assert layer.non_trainable_variables == [variable_2, variable_3]
  with pytest.raises(TypeError, match='Unknown keyword argument'):
    layer.add_weight('w', [1], foo=1)


def test_add_variable_is_add_weight(layers):
  layer = layers.Layer(name='my_layer')
  variable = layer.add_variable('v', [3], initializer=v1.ones_initializer(),
                                trainable=False)
  assert variable.name == 'my_layer/v:0'
  assert layer.non_trainable_weights == [variable]


def test_on_read_trainable_is_refused(layers):
  layer = layers.Layer(name='my_layer')
  with pytest.raises(ValueError, match=(
      'Synchronization value can be set to VariableSynchronization.ON_READ '
      'only for non-trainable variables. You have specified trainable=True '
      'and synchronization=VariableSynchronization.ON_READ.')):
    layer.add_weight('v', [2, 2], initializer=v1.zeros_initializer(),
                     synchronization=tf.VariableSynchronization.ON_READ,
                     trainable=True)


def test_reused_partitioned_regularizer_once(layers):
  regularizer = lambda x: tf.reduce_sum(x) * 1e-3
  partitioner = v1.fixed_size_partitioner(3)
  for reuse in [False, True]:
    with v1.variable_scope(v1.get_variable_scope(), partitioner=partitioner,
                           reuse=reuse):
      layer = layers.Layer(name='my_layer')
      layer.add_weight('reg_part_var', [4, 4],
                       initializer=v1.zeros_initializer(),
                       regularizer=regularizer)
  # Three parts, one loss each, only for the layer that created them.
  assert len(v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)) == 3
  # The weight lists hold the parts (as the reference's do).
  assert [v.name for v in layer.weights] == [
      'my_layer/reg_part_var/part_0:0', 'my_layer/reg_part_var/part_1:0',
      'my_layer/reg_part_var/part_2:0']


def test_call_in_layer_name_scope(layers):
  class MyLayer(layers.Layer):

    def call(self, inputs):
      return tf.square(inputs)

  layer = MyLayer(name='my_layer')
  outputs = layer(tf.random.uniform((5,), seed=1))
  assert layer.built is True
  assert outputs.op.name == 'my_layer/Square'
  assert layer.apply(tf.ones([2])).op.name == 'my_layer/Square_1'


def test_deepcopy_of_called_layer(layers):
  class MyLayer(layers.Layer):

    def call(self, inputs):
      return tf.square(inputs)

  layer = MyLayer(name='my_layer')
  layer._private_tensor = tf.random.uniform(())  # pylint: disable=protected-access
  layer(tf.random.uniform((5,), seed=1))
  layer_copy = copy.deepcopy(layer)
  assert layer_copy.name == layer.name
  assert layer_copy._scope.name == layer._scope.name  # pylint: disable=protected-access
  assert layer_copy._private_tensor is layer._private_tensor  # pylint: disable=protected-access


def test_scope_naming(layers):
  class PrivateLayer(layers.Layer):

    def call(self, inputs):
      return inputs

  inputs = tf.random.uniform((5,))

  def scope_of(layer):
    layer(inputs)
    return layer._scope.name  # pylint: disable=protected-access

  assert scope_of(PrivateLayer()) == 'private_layer'
  assert scope_of(PrivateLayer()) == 'private_layer_1'
  assert scope_of(PrivateLayer(name='my_layer')) == 'my_layer'
  assert scope_of(PrivateLayer(name='my_layer')) == 'my_layer_1'
  assert scope_of(PrivateLayer(name='my_layer')) == 'my_layer_2'
  with tf.name_scope('some_name_scope'):
    assert scope_of(PrivateLayer()) == 'private_layer_2'
    assert scope_of(PrivateLayer(name='my_layer')) == 'my_layer_3'
    assert scope_of(PrivateLayer(name='other_layer')) == 'other_layer'
  with v1.variable_scope('var_scope'):
    assert scope_of(PrivateLayer()) == 'var_scope/private_layer'
    assert scope_of(PrivateLayer(name='my_layer')) == 'var_scope/my_layer'
    assert scope_of(PrivateLayer(name='my_layer')) == 'var_scope/my_layer_1'
  # Default layer *names* count from 1 per graph (seen on TF 2.12.1), while
  # the first scope is unsuffixed.
  assert PrivateLayer().name == 'private_layer_5'


@pytest.mark.parametrize('spec, bad, good, message', [
    (dict(ndim=2), [1], [[1], [2]],
     'Input 0 of layer "{name}" is incompatible with the layer: expected '
     'ndim=2, found ndim=1. Full shape received: (1,)'),
    (dict(min_ndim=2), [1], [[[1], [2]]],
     'Input 0 of layer "{name}" is incompatible with the layer: expected '
     'min_ndim=2, found ndim=1. Full shape received: (1,)'),
    (dict(max_ndim=2), [[[1], [2]]], [1],
     'Input 0 of layer "{name}" is incompatible with the layer: expected '
     'max_ndim=2, found ndim=3'),
    (dict(dtype='float32'), 1, 1.0,
     'Input 0 of layer "{name}" is incompatible with the layer: expected '
     "dtype=float32, found dtype=<dtype: 'int32'>"),
    (dict(axes={-1: 2}), [1, 2, 3], [[1, 2], [3, 4], [5, 6]],
     'Input 0 of layer "{name}" is incompatible with the layer: expected '
     'axis -1 of input shape to have value 2, but received input with '
     'shape (3,)'),
    (dict(shape=(None, 3)), [[1, 2]], [[1, 2, 3], [4, 5, 6]],
     'Input 0 of layer "{name}" is incompatible with the layer: expected '
     'shape=(None, 3), found shape=(1, 2)'),
], ids=['ndim', 'min_ndim', 'max_ndim', 'dtype', 'axes', 'shape'])
def test_input_spec_checks(layers, spec, bad, good, message):
  layer = _spec_layer(layers, **spec)()
  with pytest.raises(ValueError) as error:
    layer(tf.constant(bad))
  assert str(error.value) == message.format(name=layer.name)
  _spec_layer(layers, **spec)()(tf.constant(good))


def test_input_spec_object(layers):
  spec = layers.InputSpec(dtype='float32', shape=(None, 3))
  assert (spec.dtype, spec.shape, spec.ndim) == ('float32', (None, 3), 2)
  assert repr(layers.InputSpec(min_ndim=2, axes={-1: 3})) == (
      'InputSpec(min_ndim=2, axes={-1: 3})')
  assert layers.InputSpec(ndim=2).get_config() == {
      'dtype': None, 'shape': None, 'ndim': 2, 'max_ndim': None,
      'min_ndim': None, 'axes': {}}
  with pytest.raises(ValueError,
                     match='Axis 3 is greater than the maximum allowed value: 1'):
    layers.InputSpec(ndim=2, axes={3: 1})
  with pytest.raises(TypeError, match='Layer input_spec must be an instance'):
    layers.Layer().input_spec = 3


def test_no_input_spec_accepts_anything(layers):
  layer = _identity_layer(layers)()
  layer(tf.constant(1))
  layer(v1.placeholder('int32'))
  layer(v1.placeholder('int32', shape=(2, 3)))


def test_count_params(layers):
  dense = layers.Dense(16)
  dense.build((None, 4))
  assert dense.count_params() == 16 * 4 + 16
  unbuilt = layers.Dense(16)
  with pytest.raises(ValueError) as error:
    unbuilt.count_params()
  assert str(error.value) == (
      f'You tried to call `count_params` on {unbuilt.name}, but the layer '
      "isn't built. You can build it manually via: "
      f'`{unbuilt.name}.build(batch_input_shape)`.')


def test_dict_inputs_and_outputs(layers):
  class DictLayer(layers.Layer):

    def call(self, inputs):
      return {'l' + key: inputs[key] for key in inputs}

  result = DictLayer()({'abel': v1.placeholder('int32'),
                        'ogits': v1.placeholder('float32')})
  assert set(result) == {'label', 'logits'}


def test_activity_regularizer(layers):
  layer = layers.Layer(activity_regularizer=tf.reduce_sum, name='act')
  x = v1.placeholder('float32', [None, 2])
  layer(x)
  assert len(layer.get_losses_for(x)) == 1
  assert layer.get_losses_for(None) == []
  loss = v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)
  # Loss / batch size, named as the reference names it (TF 2.12.1).
  assert [t.name for t in loss] == ['act/ActivityRegularizer/truediv:0']
  with v1.Session() as sess:
    value = sess.run(loss[0], {x: [[1., 2.], [3., 4.]]})
  assert value == pytest.approx((1 + 2 + 3 + 4) / 2)
  assert layer.activity_regularizer is tf.reduce_sum


def test_name_scope_follows_variable_scope(layers):
  class MyLayer(layers.Layer):

    def build(self, input_shape):
      self.my_var = self.add_weight('my_var', (), tf.float32)
      super().build(input_shape)

    def call(self, inputs):
      return tf.multiply(inputs, self.my_var, name='my_op')

  for names, expected in [((None, None, None),
                           ('my_layer', 'my_layer_1', 'my_layer_2')),
                          (('name', 'name_1', 'name_2'),
                           ('name', 'name_1', 'name_2')),
                          (('name_1', 'name_2', 'name_3'),
                           ('name_1', 'name_2', 'name_3'))]:
    with tf.Graph().as_default():
      out = v1.placeholder(tf.float32, (), 'x')
      for name, scope in zip(names, expected):
        layer = MyLayer(name=name)
        out = layer(out)
        assert layer.my_var.name == f'{scope}/my_var:0'
        assert out.name == f'{scope}/my_op:0'


def test_variables_lifted_out_of_function_graphs(layers):
  class MyLayer(layers.Layer):

    def build(self, input_shape):
      self.my_var = self.add_weight('my_var', (), tf.float32)
      super().build(input_shape)

    def call(self, inputs):
      return inputs

  outer_graph = v1.get_default_graph()
  function_graph = tf.Graph()
  function_graph._building_function = True  # pylint: disable=protected-access
  with function_graph.as_default():
    layer = MyLayer()
    layer(v1.placeholder(tf.float32, (), 'inputs'))
    assert len(layer.variables) == 1 and len(layer.trainable_variables) == 1
    assert layer.variables[0].graph is outer_graph


def test_get_updates_for(layers):
  class MyLayer(layers.Layer):

    def build(self, input_shape):
      self.a = self.add_weight('a', (), tf.float32, trainable=False)
      self.b = self.add_weight('b', (), tf.float32, trainable=False)
      self.add_update(v1.assign_add(self.a, 1.0, name='b_update'))
      super().build(input_shape)

    def call(self, inputs):
      self.add_update(v1.assign_add(self.a, inputs, name='a_update'))
      return inputs + 1

  layer = MyLayer()
  for count in (2, 3):
    inputs = v1.placeholder(tf.float32, (), 'inputs')
    intermediate = inputs + 1
    outputs = layer(intermediate)
    assert len(layer.updates) == count
    assert len(layer.get_updates_for(None)) == 1
    assert len(layer.get_updates_for([inputs])) == 1
    assert len(layer.get_updates_for([intermediate])) == 1
    assert layer.get_updates_for([outputs]) == []
  assert len(v1.get_collection(v1.GraphKeys.UPDATE_OPS)) == 3


def test_add_update_forms(layers):
  class MyLayer(layers.Layer):

    def build(self, input_shape):
      self.c = self.add_weight('c', [2], initializer=v1.zeros_initializer(),
                               trainable=False)
      super().build(input_shape)

    def call(self, inputs):
      self.add_update(v1.assign_add(self.c, [1., 1.]))          # a tensor
      self.add_update([v1.assign_add(self.c, [2., 2.]).op])     # a list of ops
      self.add_update(lambda: v1.assign_add(self.c, [3., 3.]))  # a callable
      return inputs

  layer = MyLayer(name='my')
  layer(v1.placeholder(tf.float32, [None, 2]))
  assert [u.name for u in layer.updates] == [
      'my/AssignAddVariableOp', 'my/AssignAddVariableOp_1',
      'my/AssignAddVariableOp_2']
  assert v1.get_collection(v1.GraphKeys.UPDATE_OPS) == layer.updates
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    sess.run(layer.updates)
    np.testing.assert_allclose(sess.run(layer.c), [6., 6.])
  layer.trainable = False
  assert layer.updates == []


def test_get_losses_for(layers):
  class MyLayer(layers.Layer):

    def build(self, input_shape):
      self.a = self.add_weight('a', (), tf.float32, trainable=False)
      self.b = self.add_weight('b', (), tf.float32, trainable=False)
      self.add_loss(self.a)
      super().build(input_shape)

    def call(self, inputs):
      self.add_loss(inputs, inputs=True)
      return inputs + 1

  layer = MyLayer()
  for count in (2, 3):
    inputs = v1.placeholder(tf.float32, (), 'inputs')
    intermediate = inputs + 1
    outputs = layer(intermediate)
    assert len(layer.losses) == count
    assert len(layer.get_losses_for(None)) == 1
    assert len(layer.get_losses_for([inputs])) == 1
    assert len(layer.get_losses_for([intermediate])) == 1
    assert layer.get_losses_for([outputs]) == []


def test_dtype_inferred_from_first_input(layers):
  identity = _identity_layer(layers)
  for value, dtype in [(tf.constant(1, tf.float64), 'float64'),
                       (np.array(1.0, dtype='float64'), 'float64'),
                       (tf.constant(1, tf.int32), 'int32'),
                       ([tf.constant(1, tf.float32),
                         tf.constant(1, tf.float64)], 'float32')]:
    layer = identity()
    assert layer.dtype is None
    layer(value)
    assert layer.dtype == dtype
  layer = identity()
  layer(tf.constant(1, tf.float64))
  layer(tf.constant(1, tf.float16))
  assert layer.dtype == 'float64'


def test_dtype_from_constructor(layers):
  identity = _identity_layer(layers)
  for dtype, expected in [('float64', 'float64'), ('int32', 'int32'),
                          (tf.float64, 'float64')]:
    layer = identity(dtype=dtype)
    layer(tf.constant(1, tf.float32))
    assert layer.dtype == expected


def test_inputs_not_cast(layers):
  layer = _identity_layer(layers)(dtype='float32')
  assert layer(tf.constant(1, tf.float64)).dtype == tf.float64


# ---- beyond base_test.py: the TF1 surface legacy code uses -----------------

def test_explicit_build_then_call(layers):
  class MyLayer(layers.Layer):

    def build(self, input_shape):
      self.w = self.add_weight('w', [int(input_shape[-1]), 2],
                               initializer=v1.ones_initializer())
      super().build(input_shape)

    def call(self, inputs):
      return tf.matmul(inputs, self.w)

  layer = MyLayer(name='my')
  x = v1.placeholder(tf.float32, [None, 3])
  layer.build(x.shape)
  assert layer.built and [v.name for v in layer.variables] == ['my/w:0']
  y = layer(x)
  assert y.op.name == 'my/MatMul'
  assert len(v1.global_variables()) == 1
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    np.testing.assert_allclose(sess.run(y, {x: [[1., 2., 3.]]}), [[6., 6.]])


def test_parent_builds_child_in_build(layers):
  class Block(layers.Layer):

    def build(self, input_shape):
      self.inner = layers.Dense(4, name='inner')
      self.inner.build(input_shape)
      self.scale = self.add_weight('scale', [], initializer=v1.ones_initializer())
      super().build(input_shape)

    def call(self, inputs):
      return self.inner(inputs) * self.scale

  block = Block(name='block')
  y = block(v1.placeholder(tf.float32, [None, 3]))
  # Child variables live under the parent's scope; the tf.layers base does
  # not track layers held in attributes, so they stay the child's (seen on
  # TF 2.12.1).
  assert [v.name for v in v1.global_variables()] == [
      'block/inner/kernel:0', 'block/inner/bias:0', 'block/scale:0']
  assert [v.name for v in block.trainable_weights] == ['block/scale:0']
  assert [v.name for v in block.inner.trainable_weights] == [
      'block/inner/kernel:0', 'block/inner/bias:0']
  assert y.shape.as_list() == [None, 4]
  block.trainable = False
  assert block.inner.trainable is True and block.trainable_weights == []


def test_call_receives_scope(layers):
  seen = []

  class ScopedLayer(layers.Layer):

    def call(self, inputs, scope=None):
      seen.append(scope.name)
      return inputs

  layer = ScopedLayer()
  layer(tf.ones([1]), scope='given')
  layer(tf.ones([1]))
  assert seen == ['given', 'given']
  assert layer.scope_name == 'given'


def test_scope_name_before_call(layers):
  layer = layers.Layer(name='late')
  with pytest.raises(ValueError, match='has not been used yet'):
    layer.scope_name  # pylint: disable=pointless-statement


def test_trainable_is_settable(layers):
  layer = layers.Layer(name='my')
  w = layer.add_weight('w', [1])
  b = layer.add_weight('b', [1], trainable=False)
  layer.trainable = False
  assert layer.trainable_weights == [] and layer.non_trainable_weights == [w, b]
  layer.trainable = True
  assert layer.trainable_weights == [w]


def test_get_and_set_weights(layers):
  layer = layers.Dense(2, name='d')
  layer(v1.placeholder(tf.float32, [None, 3]))
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    kernel = np.arange(6, dtype=np.float32).reshape(3, 2)
    layer.set_weights([kernel, np.array([1., 2.], np.float32)])
    got = layer.get_weights()
    np.testing.assert_array_equal(got[0], kernel)
    np.testing.assert_array_equal(got[1], [1., 2.])
    with pytest.raises(ValueError) as error:
      layer.set_weights([kernel])
    assert str(error.value).startswith(
        'You called `set_weights(weights)` on layer "d" with a weight list '
        'of length 1, but the layer was expecting 2 weights.')
    with pytest.raises(ValueError, match='Layer weight shape'):
      layer.set_weights([kernel, np.zeros([3], np.float32)])


def test_config_round_trip(layers):
  layer = layers.Layer(name='q', dtype='float64', trainable=False)
  assert layer.get_config() == {'name': 'q', 'trainable': False,
                                'dtype': 'float64'}
  again = layers.Layer.from_config(layer.get_config())
  assert (again.name, again.dtype, again.trainable) == ('q', 'float64', False)

  class WithArgs(layers.Layer):

    def __init__(self, units, **kwargs):
      super().__init__(**kwargs)
      self.units = units

  with pytest.raises(NotImplementedError,
                     match='Layers with arguments in `__init__` must '
                           'override `get_config`.'):
    WithArgs(3).get_config()


def test_connectivity_accessors(layers):
  # tf.layers layers called on graph tensors keep no Keras history (TF 2.12.1
  # and TF 1.15 alike): these raise the reference's errors.
  layer = layers.Dense(2, name='d')
  layer(v1.placeholder(tf.float32, [None, 3]))
  with pytest.raises(AttributeError,
                     match='Layer d is not connected, no input to return.'):
    layer.input  # pylint: disable=pointless-statement
  with pytest.raises(AttributeError, match='Layer d has no inbound nodes.'):
    layer.output  # pylint: disable=pointless-statement
  with pytest.raises(AttributeError, match='has never been called'):
    layer.input_shape  # pylint: disable=pointless-statement
  with pytest.raises(AttributeError, match='has never been called'):
    layer.output_shape  # pylint: disable=pointless-statement
  for method, what in [('get_input_at', 'input'), ('get_output_at', 'output'),
                       ('get_input_shape_at', 'input shape'),
                       ('get_output_shape_at', 'output shape')]:
    with pytest.raises(RuntimeError) as error:
      getattr(layer, method)(0)
    assert str(error.value) == (
        f'The layer has never been called and thus has no defined {what}.')
  with pytest.warns(UserWarning, match='`Layer.graph` is deprecated'):
    assert layer.graph is None


def test_unknown_keyword_is_refused(layers):
  with pytest.raises(TypeError) as error:
    layers.Layer(foo=1)
  assert error.value.args == ('Keyword argument not understood:', 'foo')


def test_default_call_returns_input(layers):
  layer = layers.Layer(name='plain')
  x = v1.placeholder(tf.float32, [2])
  assert layer(x) is x and layer.built and layer.dtype == 'float32'
  with pytest.raises(NotImplementedError):
    layer.compute_output_shape((2, 3))


def test_call_autograph_for_user_subclass(layers):
  class Clip(layers.Layer):

    def call(self, inputs, training=None):
      if training:   # a tensor flag: AutoGraph turns this into a cond
        return inputs * 2.
      return inputs

  flag = v1.placeholder(tf.bool, [])
  x = v1.placeholder(tf.float32, [2])
  y = Clip()(x, training=flag)
  with v1.Session() as sess:
    assert sess.run(y, {x: [1., 2.], flag: True}).tolist() == [2., 4.]
    assert sess.run(y, {x: [1., 2.], flag: False}).tolist() == [1., 2.]


def test_batch_normalization_config(layers):
  # Expected: what TF 2.12.1's tf.compat.v1.layers.BatchNormalization
  # reported (seen live): renorm / ghost-batch keys only when used, no
  # `fused`, Keras configs for initializers, regularizers and constraints.
  zeros = {'class_name': 'Zeros', 'config': {'dtype': 'float32'}}
  ones = {'class_name': 'Ones', 'config': {'dtype': 'float32'}}
  base_config = {
      'name': 'bn', 'trainable': True, 'dtype': None, 'axis': -1,
      'momentum': 0.99, 'epsilon': 0.001, 'center': True, 'scale': True,
      'beta_initializer': zeros, 'gamma_initializer': ones,
      'moving_mean_initializer': zeros, 'moving_variance_initializer': ones,
      'beta_regularizer': None, 'gamma_regularizer': None,
      'beta_constraint': None, 'gamma_constraint': None}
  assert layers.BatchNormalization(name='bn').get_config() == base_config
  layer = layers.BatchNormalization(
      name='bn', renorm=True, renorm_clipping={'rmax': 2.},
      virtual_batch_size=2, axis=[1, 2], gamma_regularizer='l2',
      beta_constraint='non_neg', fused=False, trainable=False)
  assert layer.get_config() == dict(
      base_config, trainable=False, axis=[1, 2],
      gamma_regularizer={'class_name': 'L2',
                         'config': {'l2': 0.009999999776482582}},
      beta_constraint={'class_name': 'NonNeg', 'config': {}}, renorm=True,
      renorm_clipping={'rmax': 2.0}, renorm_momentum=0.99,
      virtual_batch_size=2)
  built = layers.BatchNormalization(name='bn3')
  built(v1.placeholder(tf.float32, [2, 3]))
  assert built.get_config() == dict(base_config, name='bn3', dtype='float32',
                                    axis=[1])
  again = layers.BatchNormalization.from_config(built.get_config())
  assert (again.name, again.axis) == ('bn3', [1])


def test_user_subclasses_of_library_layers(layers):
  # TF1 programs subclassed tf.layers' own classes.  Expected behaviour seen
  # on TF 2.12.1: a subclass `call` runs through AutoGraph (Python `if` on a
  # tensor flag works) and `super().call` keeps the parent's graph; the
  # parent's `build` marks the layer built, so a weight added after
  # `super().build()` is looked up with reuse and does not exist.
  class DoubledInTraining(layers.BatchNormalization):

    def call(self, inputs, training=None):
      out = super().call(inputs, training=training)
      if training:
        out = out * 2.0
      return out

  class ScaledDense(layers.Dense):

    def build(self, input_shape):
      self.extra = self.add_weight('extra', [self.units],
                                   initializer=v1.ones_initializer())
      super().build(input_shape)

    def call(self, inputs):
      return super().call(inputs) * self.extra

  class LateWeight(layers.Dense):

    def build(self, input_shape):
      super().build(input_shape)
      self.add_weight('late', [self.units])

  x = v1.placeholder(tf.float32, [4, 3])
  flag = v1.placeholder(tf.bool, [])
  y = DoubledInTraining(name='bn')(x, training=flag)
  z = ScaledDense(2, name='fc', kernel_initializer=v1.ones_initializer())(y)
  assert [v.name for v in v1.global_variables()] == [
      'bn/gamma:0', 'bn/beta:0', 'bn/moving_mean:0', 'bn/moving_variance:0',
      'fc/extra:0', 'fc/kernel:0', 'fc/bias:0']
  assert len(v1.get_collection(v1.GraphKeys.UPDATE_OPS)) == 2
  data = np.arange(12.).reshape(4, 3)
  with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    # Batch norm of columns 0,3,6,9 (+k): (x - mean) / sqrt(var + 1e-3),
    # var = 11.25; doubled in training; the dense sums 3 equal columns.
    normalized = (data[:, 0] - 4.5) / np.sqrt(11.25 + 1e-3)
    np.testing.assert_allclose(sess.run(z, {x: data, flag: True})[:, 0],
                               2 * 3 * normalized, rtol=1e-5)
  with pytest.raises(ValueError, match='Variable late/late does not exist'):
    LateWeight(2, name='late')(x)


def test_keras_style_scope(layers):
  # Expected names and behaviour seen on TF 2.12.1 (and the keras-style half
  # of base_test.py's testKerasStyleAddWeight): no variable scopes, the
  # layer's name as name scope, plain variables named in the current name
  # scope, scope/reuse refused, no UPDATE_OPS.
  x = v1.placeholder(tf.float32, [4, 3, 3, 2])
  with layers.experimental.keras_style_scope():
    conv = layers.Conv2D(4, 2, kernel_regularizer=tf.reduce_sum)
    bn = layers.BatchNormalization()
    dense = layers.Dense(3)
    plain = layers.Layer(name='plain')
    for kwargs, what in ((dict(_scope='s'), 'scope'),
                         (dict(_reuse=True), 'reuse')):
      with pytest.raises(ValueError, match=f'{what} argument not allowed when '
                                           'keras style layers are enabled'):
        layers.Dense(3, **kwargs)
  with tf.name_scope('bar'):
    variable = plain.add_weight('my_var', [2, 2],
                                initializer=v1.zeros_initializer())
  assert variable.name == 'bar/my_var:0'
  y = dense(layers.flatten(bn(conv(x), training=True)))
  dense(layers.flatten(bn(conv(x), training=True)))  # shares by object
  with pytest.raises(ValueError, match='scope argument not allowed'):
    conv(x, scope='z')
  assert (conv.name, bn.name, dense.name) == ('conv2d_1',
                                              'batch_normalization_1',
                                              'dense_1')
  assert [v.name for v in v1.global_variables()] == [
      'bar/my_var:0', 'conv2d_1/kernel:0', 'conv2d_1/bias:0',
      'batch_normalization_1/gamma:0', 'batch_normalization_1/beta:0',
      'batch_normalization_1/moving_mean:0',
      'batch_normalization_1/moving_variance:0', 'dense_1/kernel:0',
      'dense_1/bias:0']
  assert v1.get_collection(v1.GraphKeys.UPDATE_OPS) == []
  assert len(bn.updates) == 4
  assert [t.name for t in v1.get_collection(
      v1.GraphKeys.REGULARIZATION_LOSSES)] == [
          'conv2d_1/conv2d_1/kernel/Regularizer/Sum:0']
  assert y.op.name == 'dense_1/BiasAdd'
  # Outside the scope, layers are tf.layers-style again.
  assert layers.Dense(2)._keras_style is False  # pylint: disable=protected-access


_V1_SHAPE_SCRIPT = '''
import tensorflow as tf
tf.compat.v1.disable_v2_tensorshape()
import tf_compat_bn.layers
v1 = tf.compat.v1
layers = v1.layers if NAMESPACE == 'reference' else tf_compat_bn.layers
with tf.Graph().as_default():
  layer = layers.BatchNormalization()
  layer(v1.placeholder(tf.float32, [2, 3]))
  try:
    layer(v1.placeholder(tf.float32, [2, 2, 2]))
  except ValueError as e:
    print('MESSAGE', e)
'''


@pytest.mark.parametrize('namespace', [
    'ours', pytest.param('reference', marks=pytest.mark.reference)])
def test_input_spec_message_under_v1_tensorshape(namespace):
  # With TF1's TensorShape behaviour the reference prints Dimension objects
  # (seen on TF 2.12.1); the process-wide switch needs a child process.
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  result = subprocess.run(
      [sys.executable, '-c', f'NAMESPACE = {namespace!r}\n' +
       _V1_SHAPE_SCRIPT], capture_output=True, text=True, timeout=300)
  assert ('MESSAGE Input 0 of layer "batch_normalization_1" is incompatible '
          'with the layer: expected ndim=2, found ndim=3. Full shape '
          'received: (Dimension(2), Dimension(2), Dimension(2))'
          ) in result.stdout, result.stderr[-2000:]


@pytest.mark.reference
@pytest.mark.parametrize('namespace', ['ours', 'reference'])
def test_training_none_follows_keras_learning_phase(namespace):
  # TF <= 2.15 (Keras 2 loaded with TensorFlow): `training=None` is Keras'
  # learning phase -- a value fixed by set_learning_phase, else one
  # placeholder shared with Keras whoever made it first (the reference's
  # behaviour, seen on TF 2.12.1).
  from tensorflow.compat.v1.keras import backend  # pylint: disable=g-import-not-at-top
  layers = tf_compat_bn.layers if namespace == 'ours' else v1.layers
  with tf.Graph().as_default() as graph:
    x = v1.placeholder(tf.float32, [4, 3])
    layers.batch_normalization(x, training=None, name='bn')
    phase = backend.learning_phase()   # Keras asks after our layer
    assert phase.name == 'keras_learning_phase:0'
    assert [op.name for op in graph.get_operations()
            if op.type == 'PlaceholderWithDefault'] == ['keras_learning_phase']
  with tf.Graph().as_default() as graph:
    backend.set_learning_phase(1)
    x = v1.placeholder(tf.float32, [4, 3])
    with warnings.catch_warnings():
      warnings.simplefilter('ignore')
      layers.batch_normalization(x, training=None, name='bn')
    # A fixed learning phase of 1 is a Python training flag: no cond, no
    # placeholder, two updates.
    names = [op.name for op in graph.get_operations()]
    assert not any('cond' in n or 'keras_learning_phase' in n for n in names)
    assert len(v1.get_collection(v1.GraphKeys.UPDATE_OPS)) == 2


def test_on_read_weight_cannot_be_trainable(layers):
  """An ON_READ weight is non-trainable; asking for a trainable one is the
  reference's ValueError (same test on ours and the reference)."""
  layer = _identity_layer(layers)(name='my_layer')
  on_read = tf.VariableSynchronization.ON_READ
  variable = layer.add_weight('stat', [2], synchronization=on_read)
  assert not variable.trainable
  assert variable in layer.non_trainable_weights
  with pytest.raises(ValueError, match='ON_READ only for non-trainable '
                     'variables. You have specified trainable=True'):
    layer.add_weight('bad', [2], trainable=True, synchronization=on_read)


def test_keras_front_end_on_read_weight():
  """The same rule in the Keras front end (Keras 2's message)."""
  from tf_compat_bn import keras as keras_bn  # pylint: disable=g-import-not-at-top
  with tf.Graph().as_default():
    layer = keras_bn.BatchNormalization()
    on_read = tf.VariableSynchronization.ON_READ
    assert not layer.add_weight('stat', [2], synchronization=on_read).trainable
    with pytest.raises(ValueError, match='ON_READ only for non-trainable'):
      layer.add_weight('bad', [2], trainable=True, synchronization=on_read)
