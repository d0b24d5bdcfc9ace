"""The layer families beyond batch norm, for the generic live and golden runs.

Each family module (`core_layers_cases`, `pooling_cases`,
`conv_layers_cases`) has the same interface:

* `CASES`: JSON-able case dicts understood by `graph_summary` (id, shape,
  dtype, flag, ...) plus the family's own keys;
* `make_kwargs(case, x, flag)`: the keyword arguments of the call;
* `function(namespace, case)`: `fn(x, **kwargs)` built from `namespace`
  (the reference `tf.compat.v1.layers` or `tf_compat_bn.layers`);
* `ERROR_CASES`: {name: callable(namespace)} that must raise.

A case with `structure_only` or `cpu_values_unreliable` (a reason: TF
2.12's CPU kernel can compute it wrongly, so the oracle's numbers are not
evidence) is compared by structure only.
"""

import importlib

import tensorflow as tf

import graph_summary

FAMILY_MODULES = ('core_layers_cases', 'pooling_cases', 'conv_layers_cases')


def families():
  """{family name: module}."""
  return {name: importlib.import_module(name) for name in FAMILY_MODULES}


def all_cases():
  """[(family, case)] over every family."""
  return [(name, case) for name, module in families().items()
          for case in module.CASES]


def all_errors():
  return [(name, error) for name, module in families().items()
          for error in sorted(module.ERROR_CASES)]


def summarize(family, case, namespace):
  """(structure, values or None) of `case` built with `namespace`."""
  module = families()[family]
  handles = graph_summary.build(case, module.function(namespace, case),
                                module.make_kwargs)
  structure = graph_summary.structure(handles)
  if case.get('structure_only') or case.get('cpu_values_unreliable'):
    return structure, None
  return structure, graph_summary.values(case, handles)


def error_of(family, name, namespace):
  """[type name, message] of the error case, or None if nothing raised."""
  fn = families()[family].ERROR_CASES[name]
  with tf.Graph().as_default():
    try:
      fn(namespace)
    except Exception as e:  # pylint: disable=broad-except
      return [type(e).__name__, str(e)]
  return None


def prime_reference():
  """The reference's channels-first transposed conv asks Keras for the local
  devices once per process, which opens a Keras session and leaves a stray
  `<scope>/init` NoOp in the first graph that does it: let that happen up
  front, in a graph of its own."""
  try:
    from keras import backend  # pylint: disable=g-import-not-at-top
  except ImportError:
    return
  with tf.Graph().as_default():
    backend._get_available_gpus()  # pylint: disable=protected-access
