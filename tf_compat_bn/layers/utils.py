"""Argument checks and shape arithmetic shared by the tf.layers families.

The reference's messages, so bad arguments fail as they did: tuples of ints
(`kernel_size`, `strides`, `pool_size`, ...), `padding`, `data_format`; the
static output length of a convolution or pooling along one axis; and
whether channels-first kernels can be used where the graph places new ops.
"""

import tensorflow as tf

v1 = tf.compat.v1

_CHANNELS = ('channels_first', 'channels_last')
_PADDINGS = ('valid', 'same', 'causal')
_LENGTH_PADDINGS = frozenset(('same', 'valid', 'full', 'causal'))


def normalize_tuple(value, n, name, allow_zero=False):
  """`value` (an int or n ints) as a tuple of n ints; ValueError otherwise."""
  message = (f'The `{name}` argument must be a tuple of {n} integers. '
             f'Received: {value}')
  if isinstance(value, int):
    result = (value,) * n
  else:
    try:
      result = tuple(value)
    except TypeError:
      raise ValueError(message) from None
    if len(result) != n:
      raise ValueError(message)
    for item in result:
      try:
        int(item)
      except (ValueError, TypeError):
        raise ValueError(message + f'including element {item} of type '
                         f'{type(item)}') from None
  if allow_zero:
    bad, requirement = {v for v in result if v < 0}, '>= 0'
  else:
    bad, requirement = {v for v in result if v <= 0}, '> 0'
  if bad:
    raise ValueError(message + f' including {bad} that does not satisfy the '
                     f'requirement `{requirement}`.')
  return result


def normalize_padding(value):
  """'valid' / 'same' / 'causal' (any case), or explicit pairs as given."""
  if isinstance(value, (list, tuple)):
    return value
  lowered = value.lower()
  if lowered not in _PADDINGS:
    raise ValueError('The `padding` argument must be a list/tuple or one of '
                     '"valid", "same" (or "causal", only for `Conv1D). '
                     f'Received: {lowered}')
  return lowered


def normalize_data_format(value):
  """'channels_last' / 'channels_first' (any case; None is the default)."""
  lowered = (value or 'channels_last').lower()
  if lowered not in _CHANNELS:
    raise ValueError('The `data_format` argument must be one of '
                     f'"channels_first", "channels_last". Received: {value}')
  return lowered


def output_length(length, size, padding, stride, dilation=1):
  """Length of a convolution's or pooling's output along one axis (None if
  unknown).

  Explicit (list) paddings have no static length here; they fail as in the
  reference (a list is unhashable, a tuple is not a known padding)."""
  if length is None:
    return None
  if padding not in _LENGTH_PADDINGS:
    raise AssertionError()
  size = size + (size - 1) * (dilation - 1)
  if padding in ('same', 'causal'):
    out = length
  elif padding == 'valid':
    out = length - size + 1
  else:  # 'full'
    out = length + size - 1
  return (out + stride - 1) // stride


class _DeviceProbe:
  """Stands in for an op while the graph's device functions are applied."""

  def __init__(self):
    self.device = ''
    self.type = 'NoOp'
    self.name = ''
    self.node_def = None

  def _set_device_from_string(self, device):
    self.device = device

  def _set_device(self, device):
    self.device = getattr(device, 'to_string', lambda: device)()


def nchw_supported():
  """False where TF has no channels-first kernels: on CPU (no GPU available,
  or a `tf.device('/cpu:*')` scope is active); the layers then transpose, as
  the reference does."""
  if not tf.config.list_logical_devices('GPU'):
    return False
  probe = _DeviceProbe()
  try:
    graph = v1.get_default_graph()
    graph._apply_device_functions(probe)  # pylint: disable=protected-access
    device_type = tf.DeviceSpec.from_string(probe.device or '').device_type
  except Exception:  # pylint: disable=broad-except
    return True
  return device_type != 'CPU'
