"""The `tf.compat.v1.layers` namespace, with no Keras.

Laid out like TF1's own `tensorflow/python/layers/`: `base` (Layer,
InputSpec), `normalization` (batch normalization), `core` (dense, dropout,
flatten), `convolutional` and `pooling`.
"""

from tf_compat_bn.layers.base import InputSpec
from tf_compat_bn.layers.base import Layer
from tf_compat_bn.layers.normalization import BatchNorm
from tf_compat_bn.layers.normalization import BatchNormalization
from tf_compat_bn.layers.normalization import batch_norm
from tf_compat_bn.layers.normalization import batch_normalization
from tf_compat_bn.layers import experimental
