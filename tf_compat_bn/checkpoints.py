"""Batch-norm variables in checkpoints: inspect, convert, keras_weights.

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
  group is reported as matching both (and restores into either);
* Keras 3 (`keras.layers.BatchNormalization`): `<layer path>/gamma`, `beta`,
  `moving_mean`, `moving_variance` (the names Keras 3 gives the variables,
  also in a `tf.compat.v1` graph); no renorm, no zero-debias.

The leaf names are the same in every layout; what differs is the default
scope name, and the variables only one layout has.  `convert` therefore
renames scopes (the default-scope rule `BatchNorm[_k]` <->
`batch_normalization[_k]` plus any user mapping) and drops or adds the
layout-specific variables only where it says so.
"""

import collections
import dataclasses
import json
import os
import re
import struct
import uuid

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import tensor_bundle_pb2

BN_NAMES = ('beta', 'gamma', 'moving_mean', 'moving_variance',
            'moving_stddev', 'renorm_mean', 'renorm_stddev')
RENORM_NAMES = ('moving_stddev', 'renorm_mean', 'renorm_stddev')
DEBIAS_NAMES = ('biased', 'local_step')
LAYOUTS = ('contrib', 'layers', 'keras')
_LAYOUT_NAMES = {'contrib': 'contrib/slim batch_norm',
                 'layers': 'tf.layers BatchNormalization',
                 'keras': 'Keras 3 BatchNormalization'}
_DEBIAS = re.compile(r'^(?P<scope>.+)/moving_mean/(biased|local_step)$')
_SLOT_SUFFIXES = ('/Momentum', '/Adam', '/Adam_1', '/RMSProp', '/RMSProp_1',
                  '/Adagrad', '/Adadelta', '/Adadelta_1', '/Ftrl', '/Ftrl_1',
                  '/ExponentialMovingAverage')
# A scope whose last part reads like a batch-norm layer: used to recognize a
# layer whose moving statistics were not saved (only beta / gamma left).
_BN_SCOPE = re.compile(
    r'batch_?norm|batch_normalization|(^|_)bn(_?\d+)?($|_)', re.IGNORECASE)
_DEFAULT_SCOPE = {
    'contrib': re.compile(r'^BatchNorm(?P<k>_\d+)?$'),
    'layers': re.compile(r'^batch_normalization(?P<k>_\d+)?$'),
}


class CheckpointError(ValueError):
  """A checkpoint that cannot be read, converted or handed over as asked."""


# ---------------------------------------------------------------- reading ---

def resolve(checkpoint):
  """The prefix of `checkpoint` (a prefix, or a directory's latest)."""
  path = os.fspath(checkpoint)
  if os.path.isdir(path):
    latest = tf.train.latest_checkpoint(path)
    if latest is None:
      raise CheckpointError(f'no checkpoint in directory {path}')
    path = latest
  if not os.path.exists(path + '.index'):
    raise CheckpointError(f'no checkpoint at {path} ({path}.index not found)')
  return path


@dataclasses.dataclass(frozen=True)
class Entry:
  """One saved tensor: full shape, dtype, and its slices if partitioned."""
  name: str
  shape: tuple
  dtype: tf.dtypes.DType
  slices: tuple = ()     # shape_and_slices specs, one per saved part


def entries(checkpoint):
  """{name: Entry} for every tensor of a checkpoint."""
  prefix = resolve(checkpoint)
  reader = tf.train.load_checkpoint(prefix)
  shapes = reader.get_variable_to_shape_map()
  dtypes = reader.get_variable_to_dtype_map()
  slices = _slice_specs(prefix)
  return {name: Entry(name, tuple(shapes[name]), dtypes[name],
                      tuple(slices.get(name, ())))
          for name in shapes}


def _slice_specs(prefix):
  """{name: [spec, ...]} for the partitioned tensors, read from the index."""
  specs = {}
  for key, value in _table_items(prefix + '.index'):
    if not key or key[0] == 0:     # the header, or one slice's own entry
      continue
    entry = tensor_bundle_pb2.BundleEntryProto.FromString(value)
    if not entry.slices:
      continue
    dims = [d.size for d in entry.shape.dim]
    specs[key.decode()] = [_slice_spec(dims, s) for s in entry.slices]
  return specs


def _slice_spec(dims, tensor_slice):
  extents = []
  for i in range(len(dims)):
    extent = tensor_slice.extent[i] if i < len(tensor_slice.extent) else None
    if extent is None or not extent.HasField('length'):
      extents.append('-')
    else:
      extents.append(f'{extent.start},{extent.length}')
  return ' '.join(str(d) for d in dims) + ' ' + ':'.join(extents)


def _varint(data, pos):
  result, shift = 0, 0
  while True:
    byte = data[pos]
    pos += 1
    result |= (byte & 0x7f) << shift
    if not byte & 0x80:
      return result, pos
    shift += 7


def _block_items(data, offset, size):
  """Key/value pairs of one uncompressed table block (LevelDB format)."""
  if data[offset + size] != 0:
    raise CheckpointError('compressed checkpoint index blocks are not read')
  block = data[offset:offset + size]
  restarts = struct.unpack('<I', block[-4:])[0]
  end = len(block) - 4 * (restarts + 1)
  pos, key = 0, b''
  while pos < end:
    shared, pos = _varint(block, pos)
    unshared, pos = _varint(block, pos)
    length, pos = _varint(block, pos)
    key = key[:shared] + block[pos:pos + unshared]
    pos += unshared
    yield key, block[pos:pos + length]
    pos += length


def _table_items(path):
  with open(path, 'rb') as f:
    data = f.read()
  footer = data[-48:]
  _, pos = _varint(footer, 0)           # the metaindex handle, unused
  _, pos = _varint(footer, pos)
  index_offset, pos = _varint(footer, pos)
  index_size, pos = _varint(footer, pos)
  for _, handle in _block_items(data, index_offset, index_size):
    offset, pos = _varint(handle, 0)
    size, _ = _varint(handle, pos)
    yield from _block_items(data, offset, size)


# -------------------------------------------------------- batch-norm layers ---

def _is_slot(name):
  return name.endswith(_SLOT_SUFFIXES)


def _debias_owner(name):
  """The layer scope of a zero-debias variable `<S>/<S>/moving_mean/...`."""
  match = _DEBIAS.match(name)
  if not match:
    return None
  inner = match.group('scope')
  half = len(inner) // 2
  return inner[:half] if inner[half + 1:] == inner[:half] else inner


def _group_names(names):
  """{scope: {short: full name}} for every variable that looks batch-norm."""
  groups = collections.defaultdict(dict)
  for name in sorted(names):
    if _is_slot(name):
      continue
    owner = _debias_owner(name)
    if owner is not None:
      groups[owner][name.rsplit('/', 1)[1]] = name
      continue
    scope, _, short = name.rpartition('/')
    if short in BN_NAMES and scope:
      groups[scope][short] = name
  layers = {}
  for scope, group in groups.items():
    has_stats = 'moving_mean' in group or 'moving_variance' in group
    has_params = 'beta' in group or 'gamma' in group
    if has_stats or (has_params and _BN_SCOPE.search(scope.rsplit('/', 1)[-1])):
      layers[scope] = group
  return layers


def batch_norm_groups(checkpoint):
  """{scope: {short name: (shape, dtype name)}} for every BN variable.

  A layer shows up with its moving statistics, or, without them, when its
  scope reads like a batch-norm layer (`BatchNorm`, `batch_normalization`,
  `bn`, ...), so that a checkpoint saved without them is noticed.
  """
  found = entries(checkpoint)
  return {scope: {short: (list(found[name].shape), found[name].dtype.name)
                  for short, name in group.items()}
          for scope, group in _group_names(found).items()}


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


# ------------------------------------------------------------------ inspect ---

def _at_initial_values(reader, group):
  """True when the moving statistics are exactly their initial 0 / 1."""
  initial = {'moving_mean': 0., 'moving_variance': 1., 'moving_stddev': 1.,
             'renorm_mean': 0., 'renorm_stddev': 1.}
  for short, value in initial.items():
    if short in group:
      if not np.all(np.asarray(reader.get_tensor(group[short])) == value):
        return False
  if 'local_step' in group and reader.get_tensor(group['local_step']) != 0:
    return False
  return True


def findings(checkpoint):
  """Per batch-norm layer: variables, layout and problems, as plain data.

  Returns {'checkpoint', 'layers': [...], 'ok'}; each layer has `scope`,
  `layout`, `reason`, `variables` ({short: {shape, dtype, parts}}), `slots`,
  `missing` (moving statistics not saved), `never_updated` (saved exactly at
  their initial values 0 / 1: the update ops never ran), `zero_debias`,
  `partitioned` (short names saved in parts) and `ok`.
  """
  prefix = resolve(checkpoint)
  found = entries(prefix)
  reader = tf.train.load_checkpoint(prefix)
  layers = []
  for scope, group in sorted(_group_names(found).items()):
    variables = {short: {'shape': list(found[name].shape),
                         'dtype': found[name].dtype.name,
                         'parts': len(found[name].slices) or 1}
                 for short, name in sorted(group.items())}
    layout, reason = classify(
        scope, {s: (v['shape'], v['dtype']) for s, v in variables.items()})
    missing = [s for s in ('moving_mean', 'moving_variance') if s not in group]
    never = not missing and _at_initial_values(reader, group)
    slots = sorted(n for n in found if _is_slot(n) and any(
        n.startswith(name + '/') for name in group.values()))
    layers.append({
        'scope': scope, 'layout': layout, 'reason': reason,
        'renorm': 'renorm_mean' in group, 'variables': variables,
        'slots': slots, 'missing': missing, 'never_updated': never,
        'zero_debias': 'biased' in group or 'local_step' in group,
        'partitioned': sorted(s for s, v in variables.items()
                              if v['parts'] > 1),
        'ok': not missing and not never})
  return {'checkpoint': prefix, 'layers': layers,
          'ok': all(layer['ok'] for layer in layers)}


def describe(checkpoint, report=None):
  """Human-readable report lines for `inspect`."""
  report = report or findings(checkpoint)
  layers = report['layers']
  if not layers:
    return [f'{checkpoint}: no batch-norm variables found']
  lines = [f'{checkpoint}: {len(layers)} batch-norm layer(s)']
  for layer in layers:
    renorm = ' + renorm' if layer['renorm'] else ''
    lines.append(f'{layer["scope"]}: {layer["layout"]}{renorm} layout '
                 f'({layer["reason"]})')
    for short, var in layer['variables'].items():
      parts = f'  ({var["parts"]} parts)' if var['parts'] > 1 else ''
      lines.append(f'    {short:16s} {str(var["shape"]):14s} {var["dtype"]}'
                   f'{parts}')
    if layer['missing']:
      lines.append(f'    MISSING moving statistics: '
                   f'{", ".join(layer["missing"])} not in the checkpoint '
                   '(saved with a var_list without them, e.g. '
                   'Saver(var_list=tf.trainable_variables()))')
    if layer['never_updated']:
      lines.append('    NEVER UPDATED: the moving statistics are exactly '
                   'their initial values (mean 0, variance 1): the update '
                   'ops (UPDATE_OPS) never ran')
    if layer['zero_debias']:
      lines.append('    zero-debias variables present (biased, local_step)')
    if layer['partitioned']:
      lines.append(f'    partitioned: {", ".join(layer["partitioned"])}')
    if layer['slots']:
      lines.append(f'    optimizer slots: {len(layer["slots"])}')
  bad = [layer['scope'] for layer in layers if not layer['ok']]
  lines.append(f'{len(bad)} layer(s) incomplete or never updated'
               + (f': {", ".join(bad)}' if bad else ''))
  return lines


# ------------------------------------------------------------------ convert ---

@dataclasses.dataclass(frozen=True)
class Options:
  """What `convert` is asked to do, besides the two paths."""
  to: str
  mapping: tuple = ()          # (old prefix, new prefix) pairs
  keep_scopes: bool = False    # no default-scope rule
  add_missing: bool = False    # write gamma = 1 / beta = 0 where absent


@dataclasses.dataclass(frozen=True)
class Plan:
  """A conversion: renamed, unchanged, dropped and added variables."""
  renames: tuple     # (old, new), old != new
  unchanged: tuple   # names copied under their own name
  dropped: tuple     # (name, why)
  added: tuple       # (new name, 'ones' | 'zeros', source name for shape)
  notes: tuple

  def lines(self):
    out = [f'rename  {old} -> {new}' for old, new in self.renames]
    out += [f'drop    {name}  ({why})' for name, why in self.dropped]
    out += [f'add     {name} = {fill} (shape and dtype of {like})'
            for name, fill, like in self.added]
    out.append(f'{len(self.unchanged)} other variable(s) copied unchanged')
    out += [f'note: {note}' for note in self.notes]
    return out


def read_mapping(path):
  """(old, new) scope pairs from a --map file.

  A JSON object {"old/scope": "new/scope", ...}, or text with one `OLD NEW`
  pair per line (blank lines and `#` comments ignored).
  """
  try:
    with open(path) as f:
      text = f.read()
  except OSError as e:
    raise CheckpointError(f'cannot read map file {path}: {e}') from e
  if text.lstrip().startswith('{'):
    try:
      pairs = json.loads(text, object_pairs_hook=list)
    except json.JSONDecodeError as e:
      raise CheckpointError(f'map file {path} is not valid JSON: {e}') from e
  else:
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
      line = line.split('#', 1)[0].strip()
      if not line:
        continue
      fields = line.split()
      if len(fields) != 2:
        raise CheckpointError(
            f'map file {path} line {number}: expected "OLD NEW", got {line!r}')
      pairs.append(tuple(fields))
  return check_mapping(pairs)


def check_mapping(pairs):
  pairs = [(str(old).strip('/'), str(new).strip('/')) for old, new in pairs]
  targets = {}
  for old, new in pairs:
    if not old or not new:
      raise CheckpointError(f'map entry {old!r} -> {new!r} has an empty name')
    if old in targets and targets[old] != new:
      raise CheckpointError(
          f'map: {old} maps to two targets, {targets[old]} and {new}')
    targets[old] = new
  return tuple(targets.items())


def _apply_mapping(name, mapping):
  """`name` with its longest mapped prefix replaced, and the prefix used."""
  best = None
  for old, new in mapping:
    if name == old or name.startswith(old + '/'):
      if best is None or len(old) > len(best[0]):
        best = (old, new)
  if best is None:
    return name, None
  return best[1] + name[len(best[0]):], best[0]


def _default_scope(scope, to):
  """The default-scope rule: BatchNorm[_k] <-> batch_normalization[_k]."""
  head, _, last = scope.rpartition('/')
  source = 'layers' if to == 'contrib' else 'contrib'
  match = _DEFAULT_SCOPE[source].match(last)
  if not match:
    return scope
  new = ('BatchNorm' if to == 'contrib' else 'batch_normalization') + (
      match.group('k') or '')
  return f'{head}/{new}' if head else new


def plan(checkpoint, options):
  """The conversion of `checkpoint` to `options.to`, checked; writes nothing."""
  if options.to not in LAYOUTS:
    raise CheckpointError(f'unknown layout {options.to!r}: expected one of '
                          f'{", ".join(LAYOUTS)}')
  found = entries(checkpoint)
  layers = _group_names(found)
  used_maps = set()
  new_scope = {}
  for scope, group in layers.items():
    missing = [s for s in ('moving_mean', 'moving_variance') if s not in group]
    if missing:
      raise CheckpointError(
          f'batch-norm layer {scope} has no {" or ".join(missing)} in the '
          'checkpoint (saved without its moving statistics?): cannot convert '
          'a layer missing a required variable')
    # The user's map first; the default-scope rule then renames the last
    # part, unless the map named this very scope (its word is final).
    mapped, used = _apply_mapping(scope, options.mapping)
    if used is not None:
      used_maps.add(used)
    final = used == scope or options.keep_scopes
    new_scope[scope] = mapped if final else _default_scope(mapped, options.to)

  owner = {}
  for scope, group in layers.items():
    for name in group.values():
      owner[name] = scope
  for name in found:
    if _is_slot(name):
      base = name.rsplit('/', 1)[0]
      if base in owner:
        owner[name] = owner[base]

  renames, unchanged, dropped, added, notes = [], [], [], [], []
  targets = {}

  def claim(old, new):
    if new in targets:
      raise CheckpointError(f'both {targets[new]} and {old} would be written '
                            f'as {new}: clashing names, nothing written')
    targets[new] = old

  def target(old, new):
    claim(old, new)
    if old != new:
      renames.append((old, new))
    else:
      unchanged.append(old)

  for name in sorted(found):
    scope = owner.get(name)
    if scope is None:
      new, used = _apply_mapping(name, options.mapping)
      if used is not None:
        used_maps.add(used)
      target(name, new)
      continue
    base = name.rsplit('/', 1)[0] if _is_slot(name) else name
    if options.to != 'contrib' and _debias_owner(base) == scope:
      dropped.append((name, 'zero-debias state of contrib batch_norm; '
                            f'{_LAYOUT_NAMES[options.to]} has no such '
                            'variable, and inference uses moving_mean, '
                            'which is kept'))
      continue
    if options.to == 'keras' and base.rsplit('/', 1)[-1] in RENORM_NAMES:
      dropped.append((name, 'renorm state; Keras 3 BatchNormalization has no '
                            'renorm and inference uses moving_mean / '
                            'moving_variance, which are kept'))
      continue
    rest = name[len(scope):]
    if rest.startswith('/' + scope + '/'):       # <S>/<S>/moving_mean/...
      rest = '/' + new_scope[scope] + rest[len(scope) + 1:]
    target(name, new_scope[scope] + rest)

  for scope, group in sorted(layers.items()):
    fills = (('gamma', 'ones', 'scale'), ('beta', 'zeros', 'center'))
    for short, fill, arg in fills:
      if short in group or (options.to == 'contrib' and short == 'gamma'
                            and not options.add_missing):
        continue
      name = f'{new_scope[scope]}/{short}'
      if options.add_missing:
        claim(f'the added {short} of {scope}', name)
        added.append((name, fill, group['moving_mean']))
      else:
        notes.append(
            f'{scope} has no {short}: build the '
            f'{_LAYOUT_NAMES[options.to]} with '
            f'{arg}=False, or rerun with --add-missing to write {name} = '
            f'{fill} (what the layer computed without it)')
    shape = found[group['moving_mean']].shape
    if options.to == 'contrib' and len(shape) > 1:
      notes.append(f'{scope} has full-rank parameters {list(shape)} '
                   '(multi-axis or virtual batch): contrib batch_norm makes '
                   '1-D ones, so only a tf.layers graph restores this layer')
    if options.to == 'keras':
      if sum(d != 1 for d in shape) > 1:
        raise CheckpointError(
            f'batch-norm layer {scope} has parameters of shape {list(shape)} '
            '(normalized over several axes); Keras 3 BatchNormalization '
            'normalizes over one axis')
  unused = [old for old, _ in options.mapping if old not in used_maps]
  if unused:
    raise CheckpointError(f'map entries match no variable: {", ".join(unused)}')
  if any(why.startswith('zero-debias') for _, why in dropped):
    notes.append('zero-debias variables dropped: a graph built with '
                 'zero_debias_moving_mean=True will not restore from OUT')
  return Plan(tuple(renames), tuple(unchanged), tuple(dropped), tuple(added),
              tuple(notes))


def _same_prefix(a, b):
  return os.path.realpath(a) == os.path.realpath(b)


def convert(checkpoint, out, options, dry_run=False):
  """Writes `checkpoint` with its batch-norm variables renamed to `out`.

  Every value is copied as saved (same bytes, dtype, shape and partitions).
  Nothing is written when anything is wrong, and never over `checkpoint`.
  Returns the Plan.
  """
  prefix = resolve(checkpoint)
  out = os.fspath(out)
  if os.path.isdir(out):
    raise CheckpointError(f'OUT {out} is a directory; give a checkpoint '
                          f'prefix such as {out}/model')
  if _same_prefix(prefix, out):
    raise CheckpointError(f'OUT {out} is the input checkpoint {prefix}; '
                          'refusing to overwrite it')
  the_plan = plan(prefix, options)
  if dry_run:
    return the_plan
  directory = os.path.dirname(os.path.abspath(out))
  if not os.path.isdir(directory):
    raise CheckpointError(f'directory {directory} for OUT does not exist')
  found = entries(prefix)

  def save(temp):
    """Reads every tensor as saved and writes them under `temp`."""
    names, specs, tensors = [], [], []
    # Written in name order, as Saver does.
    sources = sorted(list(the_plan.renames)
                     + [(n, n) for n in the_plan.unchanged],
                     key=lambda pair: pair[1])
    for old, new in sources:
      entry = found[old]
      for spec in entry.slices or ('',):
        value = tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=[old],
                                     shape_and_slices=[spec],
                                     dtypes=[entry.dtype])[0]
        names.append(new)
        specs.append(spec)
        tensors.append(value)
    for new, fill, like in the_plan.added:
      entry = found[like]
      make = tf.ones if fill == 'ones' else tf.zeros
      names.append(new)
      specs.append('')
      tensors.append(make(entry.shape, entry.dtype))
    return tf.raw_ops.SaveV2(prefix=temp, tensor_names=names,
                             shape_and_slices=specs, tensors=tensors)

  with tf.device('/cpu:0'):
    temp = os.path.join(directory, f'.{os.path.basename(out)}.tmp-'
                                   f'{uuid.uuid4().hex[:8]}')
    try:
      if tf.executing_eagerly():
        save(temp)
      else:  # called from a graph-mode program: run it in a graph of its own
        with tf.Graph().as_default() as graph:
          op = save(temp)
        with tf.compat.v1.Session(graph=graph) as sess:
          sess.run(op)
      # The data files first, the index (what makes a checkpoint) last.
      written = sorted((f for f in os.listdir(directory)
                        if f.startswith(os.path.basename(temp) + '.')),
                       key=lambda f: f.endswith('.index'))
      for f in written:
        os.replace(os.path.join(directory, f),
                   os.path.join(directory, os.path.basename(out)
                                + f[len(os.path.basename(temp)):]))
    finally:
      for f in os.listdir(directory):
        if f.startswith(os.path.basename(temp)):
          os.remove(os.path.join(directory, f))
  return the_plan


# ------------------------------------------------------------ keras_weights ---

def keras_weights(checkpoint, scope, layer=None):
  """[gamma, beta, moving_mean, moving_variance] of one batch-norm layer.

  In the order `keras.layers.BatchNormalization.set_weights` takes for a
  layer with `center=True, scale=True` (the Keras default); a gamma or beta
  the checkpoint does not have (contrib's `scale=False`, `center=False`) is
  given as ones / zeros, which is what the TF1 layer computed without it.
  Parameters saved with full rank (virtual batch) are flattened to one axis;
  parameters over several axes are an error.  With `layer` (a built Keras
  BatchNormalization; Keras is never imported here) its axis and weight
  shapes are checked against the checkpoint's.
  """
  prefix = resolve(checkpoint)
  scope = os.fspath(scope).strip('/')
  layers = _group_names(entries(prefix))
  if scope not in layers:
    known = ', '.join(sorted(layers)) or 'none'
    raise CheckpointError(f'no batch-norm layer {scope!r} in {prefix} '
                          f'(batch-norm layers: {known})')
  group = layers[scope]
  missing = [s for s in ('moving_mean', 'moving_variance') if s not in group]
  if missing:
    raise CheckpointError(f'batch-norm layer {scope} has no '
                          f'{" or ".join(missing)} in {prefix}')
  reader = tf.train.load_checkpoint(prefix)
  mean = np.asarray(reader.get_tensor(group['moving_mean']))
  if sum(d != 1 for d in mean.shape) > 1:
    raise CheckpointError(
        f'batch-norm layer {scope} has parameters of shape {list(mean.shape)}'
        ' (normalized over several axes); Keras BatchNormalization normalizes'
        ' over one axis')
  channels = int(mean.size)

  def value(short, fill):
    if short not in group:
      return np.full([channels], fill, dtype=mean.dtype)
    return np.asarray(reader.get_tensor(group[short])).reshape([channels])

  weights = [value('gamma', 1), value('beta', 0),
             value('moving_mean', None), value('moving_variance', None)]
  if layer is not None:
    _check_keras_layer(scope, layer, weights)
  return weights


def _check_keras_layer(scope, layer, weights):
  axis = getattr(layer, 'axis', None)
  if axis is not None and not isinstance(axis, int):   # Keras 2: a list
    axis = [int(a) for a in axis]
    if len(axis) != 1:
      raise CheckpointError(f'the Keras layer normalizes over axes {axis}; '
                            f'{scope} has one axis')
    axis = axis[0]
  if not (getattr(layer, 'scale', True) and getattr(layer, 'center', True)):
    raise CheckpointError(
        f'the Keras layer has center={layer.center}, scale={layer.scale}: '
        'build it with center=True, scale=True to take gamma and beta')
  theirs = [tuple(w.shape) for w in layer.get_weights()]
  ours = [tuple(w.shape) for w in weights]
  if theirs != ours:
    raise CheckpointError(
        f'the Keras layer has weights of shapes {theirs} (built?); {scope} '
        f'gives {ours}: axis {axis} does not select {ours[0][0]} channels')
