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
from tf_compat_bn.layers.core import Dense
from tf_compat_bn.layers.core import Dropout
from tf_compat_bn.layers.core import Flatten
from tf_compat_bn.layers.core import FullyConnected
from tf_compat_bn.layers.core import dense
from tf_compat_bn.layers.core import dropout
from tf_compat_bn.layers.core import flatten
from tf_compat_bn.layers.core import fully_connected
from tf_compat_bn.layers.pooling import AveragePooling1D
from tf_compat_bn.layers.pooling import AveragePooling2D
from tf_compat_bn.layers.pooling import AveragePooling3D
from tf_compat_bn.layers.pooling import AvgPool2D
from tf_compat_bn.layers.pooling import MaxPool2D
from tf_compat_bn.layers.pooling import MaxPooling1D
from tf_compat_bn.layers.pooling import MaxPooling2D
from tf_compat_bn.layers.pooling import MaxPooling3D
from tf_compat_bn.layers.pooling import average_pooling1d
from tf_compat_bn.layers.pooling import average_pooling2d
from tf_compat_bn.layers.pooling import average_pooling3d
from tf_compat_bn.layers.pooling import avg_pool2d
from tf_compat_bn.layers.pooling import max_pool2d
from tf_compat_bn.layers.pooling import max_pooling1d
from tf_compat_bn.layers.pooling import max_pooling2d
from tf_compat_bn.layers.pooling import max_pooling3d
