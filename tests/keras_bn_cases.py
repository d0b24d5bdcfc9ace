"""Cases for the Keras 2 V1 BatchNormalization contract (tf_compat_bn.keras),
shared by the live differential test (TF 2.12.1's
`tf.compat.v1.keras.layers.BatchNormalization`), the golden generator
scripts/make_golden_keras.py and the golden test on newer TF.

A case builds Keras batch-norm layers in a fresh v1 graph the way TF1 code
did: call the layer, run `layer.updates` with the train op (Keras layers do
not use UPDATE_OPS), feed `keras_learning_phase` for `training=None`.  It is
summarized as graph_summary does (structure compared exactly, values with a
dtype tolerance), plus what the layer object reports.
"""

import inspect
import json
import os
import random
import re

import numpy as np
import tensorflow as tf

import checkpoint_layouts
import graph_summary

v1 = tf.compat.v1
STEPS = 3

# id -> case.  shape: input shape; kwargs: constructor arguments; flag: the
# call's `training` ('true', 'false', 'none' = the learning phase, fed True
# then False, 'placeholder', 'const_false', 'set1' = set_learning_phase(1)
# then training=None); dtype: the input's; calls: the same layer called
# this many times; layers: this many layers, each called once; freeze: set
# `trainable = False` on the layers after calling them.
CASES = {
    'default_rank4_fused': dict(shape=[4, 3, 3, 2], flag='true'),
    'rank2_learning_phase': dict(shape=[6, 3], flag='none'),
    'rank4_learning_phase_fused': dict(shape=[4, 2, 2, 3], flag='none'),
    'rank2_placeholder': dict(shape=[6, 3], flag='placeholder',
                              kwargs=dict(momentum=0.9, epsilon=0.01)),
    'rank3_axis1': dict(shape=[4, 3, 5], flag='true', kwargs=dict(axis=1)),
    'multi_axis': dict(shape=[4, 3, 2, 2], flag='none',
                       kwargs=dict(axis=[1, 3])),
    'no_center_no_scale': dict(shape=[4, 2, 2, 3], flag='true',
                               kwargs=dict(center=False, scale=False)),
    'renorm_clipping': dict(shape=[8, 3], flag='none', kwargs=dict(
        renorm=True, renorm_clipping={'rmax': 1.5, 'rmin': 0.5, 'dmax': 0.3},
        renorm_momentum=0.9)),
    'renorm_fused_true_falls_back': dict(shape=[4, 2, 2, 3], flag='true',
                                         kwargs=dict(renorm=True, fused=True)),
    'virtual_batch': dict(shape=[8, 3], flag='true',
                          kwargs=dict(virtual_batch_size=2)),
    'fused_false_rank4': dict(shape=[4, 2, 2, 3], flag='true',
                              kwargs=dict(fused=False)),
    # Initializers as strings, a config dict and (`objects`) TF initializer
    # objects made at build time.
    'initializers_and_regularizers': dict(
        shape=[6, 3], flag='true', objects=True, kwargs=dict(
            gamma_initializer='ones', beta_initializer='zeros',
            moving_variance_initializer={'class_name': 'Constant',
                                         'config': {'value': 2.0}},
            gamma_regularizer='l2', beta_regularizer='l1')),
    'not_trainable': dict(shape=[6, 3], flag='true',
                          kwargs=dict(trainable=False)),
    # layer.trainable = False after the call (freeze: no updates reported,
    # every weight non-trainable; the variables stay in the collections).
    'frozen_after_call': dict(shape=[6, 3], flag='none', freeze=True),
    'float16_input': dict(shape=[4, 2, 2, 3], flag='true', dtype='float16'),
    'float64_input': dict(shape=[6, 3], flag='true', dtype='float64'),
    'float64_layer': dict(shape=[6, 3], flag='true', dtype='float64',
                          kwargs=dict(dtype='float64')),
    'two_calls_then_second_layer': dict(shape=[6, 3], flag='true', calls=2,
                                        layers=2),
    'named': dict(shape=[6, 3], flag='true', kwargs=dict(name='bn_named')),
    'const_false': dict(shape=[6, 3], flag='const_false'),
    'set_learning_phase_1': dict(shape=[6, 3], flag='set1'),
}

# id -> (constructor kwargs, input shape, error type name, message
# substring at the first call or None when the constructor raises).
ERRORS = {
    'axis_type': (dict(axis='x'), [4, 3], 'TypeError', None),
    'axis_out_of_range': (dict(axis=3), [4, 3], 'ValueError', 'call'),
    'axis_negative_out_of_range': (dict(axis=-4), [4, 3], 'ValueError',
                                   'call'),
    'axis_duplicate': (dict(axis=[1, -1]), [4, 3], 'ValueError', 'call'),
    'renorm_clipping_keys': (dict(renorm=True, renorm_clipping={'x': 1}),
                             [4, 3], 'ValueError', None),
    'virtual_batch_nonpositive': (dict(virtual_batch_size=0), [4, 3],
                                  'ValueError', 'call'),
    'virtual_batch_axis0': (dict(virtual_batch_size=2, axis=0), [4, 3],
                            'ValueError', 'call'),
    'unknown_kwarg': (dict(foo=1), [4, 3], 'TypeError', None),
    'undefined_axis_dim': (dict(), [4, None], 'ValueError', 'call'),
    'input_rank_changes': (dict(), [4, 3], 'ValueError', 'second_call'),
}


def input_data(case):
  rng = np.random.RandomState(case.get('seed', 0))
  data = rng.normal(2.0, 3.0, size=case['shape'])
  return data.astype(tf.as_dtype(case.get('dtype', 'float32')).as_numpy_dtype)


def build(case, bn_class, set_learning_phase):
  """Builds `case` with `bn_class`; returns graph_summary-style handles plus
  the layers.  `set_learning_phase` is the Keras backend's (or ours)."""
  graph = tf.Graph()
  random.seed(case.get('seed', 0))
  with graph.as_default():
    v1.set_random_seed(1)
    dtype = tf.as_dtype(case.get('dtype', 'float32'))
    x = v1.placeholder(dtype, case['shape'], name='x')
    flag_kind = case.get('flag', 'true')
    if flag_kind == 'set1':
      set_learning_phase(1)
    flag = {'true': True, 'false': False, 'none': None, 'set1': None,
            'const_false': tf.constant(False),
            'placeholder': v1.placeholder(tf.bool, [], name='is_training'),
            }[flag_kind]
    layers = []
    ys = []
    kwargs = dict(case.get('kwargs', {}))
    if case.get('objects'):
      kwargs['moving_mean_initializer'] = v1.constant_initializer(0.5)
      kwargs['beta_constraint'] = lambda b: tf.clip_by_value(b, -0.05, 0.05)
    for _ in range(case.get('layers', 1)):
      layer = bn_class(**kwargs)
      layers.append(layer)
      for _ in range(case.get('calls', 1)):
        ys.append(layer(x) if flag is None else layer(x, training=flag))
    y = ys[0] if len(ys) == 1 else tf.add_n(ys)
    if case.get('freeze'):
      for layer in layers:
        layer.trainable = False
    rng = np.random.RandomState(7)
    w = tf.constant(rng.normal(size=case['shape']).astype(np.float32))
    loss = tf.reduce_sum(tf.cast(y, tf.float32) * w)
    for layer in layers:
      loss += tf.add_n([tf.cast(l, tf.float32) for l in layer.losses] or [0.])
    trainable = v1.trainable_variables()
    grads = tf.gradients(loss, [x] + trainable)
    updates = [u for layer in layers for u in layer.updates]
    with tf.control_dependencies(updates):
      if trainable:
        train = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
      else:
        train = tf.group(updates, name='train')
    init = v1.global_variables_initializer()
  return dict(graph=graph, x=x, flag=flag, flag_kind=flag_kind, y=y,
              loss=loss, grads=grads, train=train, init=init,
              trainable=trainable, layers=layers)


def _plain(obj):
  # Keras 2 wraps lists and dicts it tracks (ListWrapper, DictWrapper).
  return dict(obj) if hasattr(obj, 'keys') else list(obj)


def layer_report(handles):
  """What the layer objects say: names, weights, updates, losses, config."""
  out = []
  with handles['graph'].as_default():
    for layer in handles['layers']:
      x = handles['x']
      config = layer.get_config()
      config = json.loads(json.dumps(config, default=_plain))
      out.append({
          'name': layer.name,
          'fused': bool(layer.fused),
          'dtype': layer.dtype,
          'trainable_weights': [w.name for w in layer.trainable_weights],
          'non_trainable_weights': [w.name for w in
                                    layer.non_trainable_weights],
          'updates': [u.name for u in layer.updates],
          'updates_for_none': [u.name for u in layer.get_updates_for(None)],
          'updates_for_x': [u.name for u in layer.get_updates_for(x)],
          'losses': [l.name for l in layer.losses],
          'config': config,
          'output_shape': tf.TensorShape(layer.compute_output_shape(
              tf.TensorShape([None, 3]))).as_list(),
      })
  return out


def values(case, handles):
  """Outputs and gradients of a first training step, then the moving
  statistics and outputs after STEPS steps with the updates run, and the
  inference outputs where the phase is fed."""
  graph = handles['graph']
  data = input_data(case)
  out = {}
  with graph.as_default(), v1.Session(graph=graph) as sess:
    sess.run(handles['init'])
    feed = {handles['x']: data}
    if handles['flag_kind'] == 'placeholder':
      feed[handles['flag']] = True
    if handles['flag_kind'] == 'none':
      feed['keras_learning_phase:0'] = True
    y0, grads = sess.run([handles['y'], handles['grads']], feed)
    out['y_first'] = y0
    out['grads'] = [g for g in grads if g is not None]
    steps = 0 if case.get('calls') else STEPS
    for _ in range(steps):
      sess.run(handles['train'], feed)
    out['y_trained'] = sess.run(handles['y'], feed)
    if handles['flag_kind'] in ('placeholder', 'none'):
      feed = {handles['x']: data}   # the learning phase defaults to False
      if handles['flag_kind'] == 'placeholder':
        feed[handles['flag']] = False
      out['y_inference'] = sess.run(handles['y'], feed)
    out['variables'] = {v.name: sess.run(v) for v in v1.global_variables()}
  return out


def summarize(case, bn_class, set_learning_phase):
  handles = build(case, bn_class, set_learning_phase)
  return (graph_summary.structure(handles), layer_report(handles),
          values(case, handles))


def error_of(error_id, bn_class):
  """(type name, message) of the error case, or None if nothing raised."""
  kwargs, shape, _, _ = ERRORS[error_id]
  with tf.Graph().as_default():
    try:
      layer = bn_class(**kwargs)
      x = v1.placeholder(tf.float32, shape)
      layer(x, training=True)
      if error_id == 'input_rank_changes':
        layer(v1.placeholder(tf.float32, [4, 3, 2]), training=True)
    except Exception as e:  # pylint: disable=broad-except
      # Keras 2 shows the lists it tracks as ListWrapper([...]).
      return [type(e).__name__, re.sub(r'ListWrapper\((.*?)\)', r'\1',
                                       str(e))]
  return None


def naming_with_tf_layers(keras_bn, layers_bn):
  """Layer names when Keras and tf.layers batch norms share a graph (they
  share one per-graph counter: Keras counts from 0, tf.layers from 1)."""
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    names = []
    for make in (keras_bn, keras_bn, layers_bn, keras_bn, layers_bn):
      layer = make()
      layer(x, training=True)
      names.append([layer.name] + [w.name for w in layer.weights])
    return names


def checkpoint_layout(bn_class, shape, kwargs):
  """Trains one step with the updates, saves, and lists the checkpoint."""
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, shape)
    layer = bn_class(**kwargs)
    y = layer(x, training=True)
    loss = tf.reduce_sum(y ** 2)
    with tf.control_dependencies(layer.updates):
      train = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    return checkpoint_layouts.saved_layout(
        train, {x: np.ones(shape, np.float32) * np.arange(shape[-1])})


# id -> (input shape, constructor kwargs): tests/checkpoints/<id>.json.
CHECKPOINT_LAYOUTS = {
    'keras_bn_default': ([4, 3, 3, 2], {}),
    'keras_bn_renorm': ([8, 3], dict(renorm=True)),
    'keras_bn_multi_axis_virtual': ([8, 3, 2], dict(axis=[1, 2],
                                                    virtual_batch_size=4)),
}


def case_key(case):
  """The case as JSON (what a golden entry was recorded for)."""
  return json.loads(json.dumps(case, sort_keys=True))


def signature(init):
  """[name, repr of default] of a constructor's named parameters; Keras 2's
  `synchronized` (which the V1 layer drops) left out.  Initializer defaults
  are compared by their serialized form elsewhere (configs)."""
  out = []
  for p in inspect.signature(init).parameters.values():
    if p.name in ('self', 'synchronized') or p.kind == p.VAR_KEYWORD:
      continue
    out.append([p.name, repr(p.default)])
  return out


# Cases also run under TF1 behaviour (`tf.compat.v1.disable_v2_behavior()`:
# v1 conds, and a layer without `dtype` takes its first input's dtype), in a
# child process (the switch is process-wide): `python keras_bn_cases.py
# tf1 ours|reference OUT.json`.
TF1_CASES = ['rank2_learning_phase', 'rank4_learning_phase_fused',
             'renorm_clipping', 'virtual_batch', 'not_trainable',
             'float16_input', 'float64_input', 'set_learning_phase_1']


def tf1_mode_summaries(python, which, out):
  """Runs the TF1_CASES in a child `python` with `which` ('ours' or
  'reference'); returns {case id: [structure, report, values]} as JSON."""
  import subprocess  # pylint: disable=g-import-not-at-top
  here = os.path.dirname(os.path.abspath(__file__))
  result = subprocess.run(
      [python, os.path.join(here, 'keras_bn_cases.py'), 'tf1', which, out],
      capture_output=True, text=True, timeout=600,
      env=dict(os.environ, PYTHONPATH=os.path.dirname(here),
               TF_CPP_MIN_LOG_LEVEL='3'))
  assert result.returncode == 0, result.stderr[-4000:]
  with open(out) as f:
    return json.load(f)


def _tf1_main(which, out):
  v1.disable_v2_behavior()
  if which == 'reference':
    bn_class = tf.compat.v1.keras.layers.BatchNormalization
    set_phase = tf.compat.v1.keras.backend.set_learning_phase
  else:
    from tf_compat_bn import keras as keras_bn  # pylint: disable=g-import-not-at-top
    bn_class = keras_bn.BatchNormalization
    set_phase = keras_bn.set_learning_phase
  summaries = {}
  for case_id in TF1_CASES:
    structure, report, vals = summarize(CASES[case_id], bn_class, set_phase)
    summaries[case_id] = json.loads(json.dumps(
        [structure, report, graph_summary.to_json(vals)]))
  with open(out, 'w') as f:
    json.dump(summaries, f)


if __name__ == '__main__':
  import sys  # pylint: disable=g-import-not-at-top
  assert sys.argv[1] == 'tf1', sys.argv
  _tf1_main(*sys.argv[2:4])
