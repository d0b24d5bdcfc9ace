"""Reading batch-norm variables out of a checkpoint (`inspect`).

Groups a checkpoint's batch-norm variables by scope and says which API
layout each group matches.  The layouts differ in visible ways:

* contrib / slim (`tf.contrib.layers.batch_norm`, `slim.batch_norm`): scope
  `.../BatchNorm[_k]` by default; gamma only with `scale=True`; zero-debias
  adds `<S>/<S>/moving_mean/biased` and `.../local_step`; the moments path
  keeps 16-bit parameters for 16-bit inputs;
* tf.layers (`BatchNormalization`, `batch_normalization`): scope
  `.../batch_normalization[_k]` by default; gamma and beta by default;
  multi-axis or virtual-batch parameters have full rank;
* both layer-backed layouts: renorm adds `moving_stddev`, `renorm_mean`,
  `renorm_stddev`.  contrib/slim with the default update collection and
  `scale=True` on a 4-D input writes exactly what tf.layers writes, so such a
  group is reported as matching both (and restores into either).
"""

import collections
import re

import tensorflow as tf

BN_NAMES = ('beta', 'gamma', 'moving_mean', 'moving_variance',
            'moving_stddev', 'renorm_mean', 'renorm_stddev')
_DEBIAS = re.compile(r'^(?P<scope>.+)/moving_mean/(biased|local_step)$')


def batch_norm_groups(checkpoint):
  """{scope: {short name: (shape, dtype name)}} for every BN variable."""
  reader = tf.train.load_checkpoint(checkpoint)
  shapes = reader.get_variable_to_shape_map()
  dtypes = reader.get_variable_to_dtype_map()
  groups = collections.defaultdict(dict)
  for name in sorted(shapes):
    if name.endswith(('/Momentum', '/Adam', '/Adam_1', '/RMSProp',
                      '/ExponentialMovingAverage')):
      continue
    scope, _, short = name.rpartition('/')
    if short in BN_NAMES and scope:
      groups[scope][short] = (list(shapes[name]), dtypes[name].name)
      continue
    debias = _DEBIAS.match(name)
    if debias:
      # `<S>/<S>/moving_mean/biased`: the owner is the first half.
      inner = debias.group('scope')
      half = len(inner) // 2
      owner = inner[:half] if inner[half + 1:] == inner[:half] else inner
      groups[owner][name.rsplit('/', 1)[1]] = (list(shapes[name]),
                                               dtypes[name].name)
  return {s: g for s, g in groups.items()
          if 'moving_mean' in g and 'moving_variance' in g}


def classify(scope, variables):
  """(layout, reason) for one group of batch-norm variables."""
  last = scope.rsplit('/', 1)[-1].lower()
  ranks = {len(shape) for shape, _ in variables.values() if shape}
  dtypes = {dtype for _, dtype in variables.values()}
  if 'biased' in variables or 'local_step' in variables:
    return 'contrib/slim', 'zero-debiased moving mean (biased, local_step)'
  if ranks - {1}:
    return 'tf.layers', 'full-rank parameters (multi-axis or virtual batch)'
  if dtypes & {'float16', 'bfloat16'}:
    return 'contrib/slim', '16-bit parameters (the moments path)'
  if re.fullmatch(r'batchnorm(_\d+)?', last):
    return 'contrib/slim', f'scope named {scope.rsplit("/", 1)[-1]}'
  if re.fullmatch(r'batch_normalization(_\d+)?', last):
    return 'tf.layers', f'scope named {scope.rsplit("/", 1)[-1]}'
  if 'gamma' not in variables:
    return 'contrib/slim', 'no gamma (the contrib default scale=False)'
  return ('contrib/slim or tf.layers',
          'layer-backed layout, the same in both APIs')


def describe(checkpoint):
  """Human-readable report lines for `inspect`."""
  groups = batch_norm_groups(checkpoint)
  if not groups:
    return [f'{checkpoint}: no batch-norm variables found']
  lines = [f'{checkpoint}: {len(groups)} batch-norm layer(s)']
  for scope in sorted(groups):
    layout, reason = classify(scope, groups[scope])
    renorm = ' + renorm' if 'renorm_mean' in groups[scope] else ''
    lines.append(f'{scope}: {layout}{renorm} layout ({reason})')
    for short, (shape, dtype) in sorted(groups[scope].items()):
      lines.append(f'    {short:16s} {str(shape):14s} {dtype}')
  return lines
