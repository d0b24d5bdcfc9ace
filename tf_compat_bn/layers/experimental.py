"""`tf.compat.v1.layers.experimental`: the Keras-style switches."""

from tf_compat_bn.layers.base import keras_style_scope
from tf_compat_bn.layers.base import set_keras_style

__all__ = ['keras_style_scope', 'set_keras_style']
