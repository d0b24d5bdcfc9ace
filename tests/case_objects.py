"""Objects the symbolic case entries stand for, shared by both front ends'
case lists: regularizers, initializers, renorm clipping, an adjustment."""

import tensorflow as tf

v1 = tf.compat.v1


def regularizers():
  """{'beta': fn, 'gamma': fn}: scaled L2 losses named `l2`."""
  return {'beta': lambda v: tf.multiply(0.01, tf.nn.l2_loss(v), name='l2'),
          'gamma': lambda v: tf.multiply(0.02, tf.nn.l2_loss(v), name='l2')}


def initializers():
  """Non-default constant initializers for the four parameters."""
  return {'beta': v1.constant_initializer(0.5),
          'gamma': v1.constant_initializer(1.5),
          'moving_mean': v1.constant_initializer(0.25),
          'moving_variance': v1.constant_initializer(2.0)}


CLIPPING = {'rmax': 1.5, 'rmin': 0.5, 'dmax': 0.3}


def adjustment(channels):
  """A fixed (scale, bias) adjustment for `channels` channels."""
  def adjust(shape):
    del shape
    return (tf.constant([1.1] * channels), tf.constant([0.2] * channels))
  return adjust
