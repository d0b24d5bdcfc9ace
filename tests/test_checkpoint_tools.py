"""Checkpoint tools: inspect's findings, convert, keras_weights.

Checkpoints come from the TF1 programs of scripts/make_checkpoint_fixtures.py
run three ways: natively on TF 2.12.1 (tf_slim's batch_norm and TF's own
tf.compat.v1.layers; committed in tests/checkpoint_tools_data/tf212),
natively on TF 1.15.5 (tf.contrib; committed in .../tf115), and by ours under
install() on the TF these tests run on (written at test time).  What each
program wrote is known by construction (the docstrings of the programs say
it); the inference outputs recorded by the writer are the expected values of
the restore tests.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import tf_compat_bn
from tf_compat_bn import checkpoints
from tf_compat_bn.__main__ import main as cli

v1 = tf.compat.v1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, 'tests', 'checkpoint_tools_data')
_spec = importlib.util.spec_from_file_location(
    'make_checkpoint_fixtures',
    os.path.join(ROOT, 'scripts', 'make_checkpoint_fixtures.py'))
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

SOURCES = ('tf212', 'tf115', 'ours')


@pytest.fixture(scope='module')
def ours_dir(tmp_path_factory):
  """The same TF1 programs run by ours, under install(), on this TF."""
  out = str(tmp_path_factory.mktemp('ours') / 'ckpts')
  result = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'scripts',
                                    'make_checkpoint_fixtures.py'),
       '--ours', out], capture_output=True, text=True, timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  return out


@pytest.fixture(params=SOURCES)
def source(request, ours_dir, tmp_path):
  """(directory, recorded outputs) of one writer, copied to a scratch dir."""
  origin = ours_dir if request.param == 'ours' else os.path.join(
      DATA, request.param)
  scratch = tmp_path / request.param
  shutil.copytree(origin, scratch)
  with open(scratch / 'outputs.json') as f:
    outputs = json.load(f)['outputs']
  return str(scratch), outputs


def _files(directory):
  return sorted(os.listdir(directory))


def _tensors(prefix):
  reader = tf.train.load_checkpoint(prefix)
  dtypes = reader.get_variable_to_dtype_map()
  return {name: (dtypes[name], np.asarray(reader.get_tensor(name)).tobytes())
          for name in dtypes}


def _convert(src, dst, to, **kwargs):
  dry_run = kwargs.pop('dry_run', False)
  return checkpoints.convert(src, dst, checkpoints.Options(to=to, **kwargs),
                             dry_run=dry_run)


# ------------------------------------------------------------------ inspect ---

def test_inspect_complete_checkpoint(source):
  directory, _ = source
  report = checkpoints.findings(os.path.join(directory, 'contrib_trained'))
  assert report['ok']
  layers = {layer['scope']: layer for layer in report['layers']}
  assert sorted(layers) == ['BatchNorm', 'block/BatchNorm']
  # block/BatchNorm has scale=True; BatchNorm keeps contrib's scale=False.
  assert sorted(layers['block/BatchNorm']['variables']) == [
      'beta', 'gamma', 'moving_mean', 'moving_variance']
  assert sorted(layers['BatchNorm']['variables']) == [
      'beta', 'moving_mean', 'moving_variance']
  for layer in layers.values():
    assert not layer['missing'] and not layer['never_updated']
    assert not layer['zero_debias'] and not layer['partitioned']
  # Momentum slots of the trainable parameters.
  assert layers['block/BatchNorm']['slots'] == [
      'block/BatchNorm/beta/Momentum', 'block/BatchNorm/gamma/Momentum']


def test_inspect_trainable_only_checkpoint(source):
  """Saver(var_list=tf.trainable_variables()) left the statistics out."""
  directory, _ = source
  report = checkpoints.findings(
      os.path.join(directory, 'contrib_trainable_only'))
  assert not report['ok']
  layers = {layer['scope']: layer for layer in report['layers']}
  assert sorted(layers) == ['BatchNorm', 'block/BatchNorm']
  for layer in layers.values():
    assert layer['missing'] == ['moving_mean', 'moving_variance']
    assert not layer['ok']


def test_inspect_never_updated_checkpoint(source):
  """A train op without the UPDATE_OPS dependency: statistics still 0 / 1."""
  directory, _ = source
  report = checkpoints.findings(
      os.path.join(directory, 'contrib_never_updated'))
  assert not report['ok']
  assert [layer['never_updated'] for layer in report['layers']] == [True, True]
  assert [layer['missing'] for layer in report['layers']] == [[], []]


def test_inspect_zero_debias_partitioned_and_16_bit(source):
  directory, _ = source
  report = checkpoints.findings(os.path.join(directory, 'contrib_zero_debias'))
  (layer,) = report['layers']
  assert layer['zero_debias'] and layer['ok']
  assert layer['variables']['local_step'] == {'shape': [], 'dtype': 'float32',
                                              'parts': 1}
  report = checkpoints.findings(os.path.join(directory, 'contrib_mixed'))
  layers = {layer['scope']: layer for layer in report['layers']}
  # fixed_size_partitioner(2) splits beta and gamma; the layer keeps the
  # moving statistics whole.
  assert layers['parts/BatchNorm']['partitioned'] == ['beta', 'gamma']
  assert layers['parts/BatchNorm']['variables']['beta']['parts'] == 2
  assert {v['dtype'] for v in layers['half/BatchNorm']['variables'].values()
          } == {'float16'}
  assert report['ok']


def test_inspect_text_names_the_problems(source):
  directory, _ = source
  lines = checkpoints.describe(os.path.join(directory, 'contrib_never_updated'))
  assert sum('NEVER UPDATED' in line for line in lines) == 2
  lines = checkpoints.describe(os.path.join(directory,
                                            'contrib_trainable_only'))
  assert sum('MISSING moving statistics' in line for line in lines) == 2
  assert lines[-1] == ('2 layer(s) incomplete or never updated: BatchNorm, '
                       'block/BatchNorm')


def test_inspect_strict_and_json_exit_status(source, capsys):
  directory, _ = source
  assert cli(['inspect', '--strict', os.path.join(directory,
                                                  'contrib_trained')]) == 0
  assert cli(['inspect', '--strict', os.path.join(
      directory, 'contrib_never_updated')]) == 1
  assert cli(['inspect', os.path.join(directory, 'contrib_never_updated')]) == 0
  capsys.readouterr()
  assert cli(['inspect', '--strict', '--json', os.path.join(
      directory, 'contrib_trainable_only')]) == 1
  report = json.loads(capsys.readouterr().out)
  assert report['ok'] is False
  assert [layer['missing'] for layer in report['layers']] == [
      ['moving_mean', 'moving_variance']] * 2


# ------------------------------------------------------------------ convert ---

def test_round_trip_contrib_layers_contrib_is_bit_identical(source):
  directory, _ = source
  for name in ('contrib_trained', 'contrib_mixed'):
    src = os.path.join(directory, name)
    there, back = src + '_layers', src + '_back'
    plan = _convert(src, there, 'layers')
    assert ('block/BatchNorm/gamma', 'block/batch_normalization/gamma'
            ) in plan.renames or name == 'contrib_mixed'
    _convert(there, back, 'contrib')
    assert _tensors(back) == _tensors(src)
    # Written in Saver's name order: the files are the same bytes.
    for suffix in ('.index', '.data-00000-of-00001'):
      with open(src + suffix, 'rb') as a, open(back + suffix, 'rb') as b:
        assert a.read() == b.read(), name + suffix


def test_convert_from_a_graph_mode_program(source, tmp_path):
  """`convert` called by a TF1 program (eager execution disabled) writes
  the same checkpoint as from the command line (run in a child process,
  which can disable eager execution before anything else)."""
  directory, _ = source
  src = os.path.join(directory, 'contrib_trained')
  eager, graph = str(tmp_path / 'eager'), str(tmp_path / 'graph')
  _convert(src, eager, 'layers')
  code = ('import sys, tensorflow as tf\n'
          'tf.compat.v1.disable_eager_execution()\n'
          'from tf_compat_bn import checkpoints\n'
          'checkpoints.convert(sys.argv[1], sys.argv[2], '
          'checkpoints.Options(to="layers"))\n')
  result = subprocess.run([sys.executable, '-c', code, src, graph],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=ROOT,
                                   TF_CPP_MIN_LOG_LEVEL='3'))
  assert result.returncode == 0, result.stderr[-3000:]
  assert _tensors(graph) == _tensors(eager)


def test_convert_keeps_dtypes_partitions_and_other_variables(source):
  directory, _ = source
  src = os.path.join(directory, 'contrib_mixed')
  dst = os.path.join(directory, 'converted')
  _convert(src, dst, 'layers')
  before, after = checkpoints.entries(src), checkpoints.entries(dst)
  for name in ('global_step', 'extra/bf16', 'extra/label'):
    assert after[name] == before[name]
  assert after['global_step'].dtype == tf.int64
  assert after['extra/bf16'].dtype == tf.bfloat16
  assert after['extra/label'].dtype == tf.string
  assert after['half/batch_normalization/gamma'].dtype == tf.float16
  assert (after['parts/batch_normalization/beta'].slices
          == before['parts/BatchNorm/beta'].slices)
  assert len(after['parts/batch_normalization/beta'].slices) == 2
  src_t, dst_t = _tensors(src), _tensors(dst)
  assert src_t['extra/label'] == dst_t['extra/label']
  assert (src_t['parts/BatchNorm/gamma/Momentum']
          == dst_t['parts/batch_normalization/gamma/Momentum'])


def _restore_and_run(prefix, layout, x, batch_norm=None,
                     batch_normalization=None, second_scale=False):
  """The TF1 inference graph of `layout`, restored from `prefix`."""
  with tf.Graph().as_default():
    placeholder = v1.placeholder(tf.float32, fixtures.SHAPE)
    ends = fixtures.model(
        v1, layout, placeholder, False,
        batch_norm=batch_norm or tf_compat_bn.batch_norm,
        batch_normalization=(batch_normalization
                             or tf_compat_bn.batch_normalization),
        second_scale=second_scale)
    v1.train.get_or_create_global_step()
    with v1.Session() as sess:
      v1.train.Saver().restore(sess, prefix)
      return sess.run(ends, {placeholder: x})


def test_converted_checkpoint_restores_into_the_other_layout(source):
  directory, outputs = source
  x = fixtures.inputs()
  src = os.path.join(directory, 'contrib_trained')
  expected = _restore_and_run(src, 'contrib', x)
  # The writer's own inference output (TF 1.15 / 2.12 / ours on this TF).
  np.testing.assert_allclose(
      expected['out'], fixtures.decode(outputs['contrib_trained']['out']),
      rtol=1e-5, atol=1e-5)
  _convert(src, src + '_layers', 'layers')
  got = _restore_and_run(src + '_layers', 'layers', x)
  for end in ('bn1', 'out'):
    np.testing.assert_array_equal(got[end], expected[end])
  # A tf.layers graph with gamma in the second layer (its default):
  # --add-missing writes gamma = 1, what contrib's scale=False computed.
  plan = _convert(src, src + '_gamma', 'layers', add_missing=True)
  assert plan.added == (('batch_normalization/gamma', 'ones',
                         'BatchNorm/moving_mean'),)
  got = _restore_and_run(src + '_gamma', 'layers', x, second_scale=True)
  np.testing.assert_array_equal(got['out'], expected['out'])

  src = os.path.join(directory, 'layers_trained')
  expected = _restore_and_run(src, 'layers', x)
  np.testing.assert_allclose(
      expected['out'], fixtures.decode(outputs['layers_trained']['out']),
      rtol=1e-5, atol=1e-5)
  _convert(src, src + '_contrib', 'contrib')
  got = _restore_and_run(src + '_contrib', 'contrib', x)
  np.testing.assert_array_equal(got['out'], expected['out'])


@pytest.mark.reference
def test_converted_checkpoint_restores_into_the_reference():
  """tf_slim's batch_norm and TF 2.12.1's own tf.layers restore our output."""
  import tf_slim  # pylint: disable=g-import-not-at-top
  x = fixtures.inputs()
  src = os.path.join(DATA, 'tf212', 'contrib_trained')
  expected = _restore_and_run(src, 'contrib', x,
                              batch_norm=tf_slim.batch_norm)
  out = os.path.join(pytest.importorskip('tempfile').mkdtemp(), 'layers')
  _convert(src, out, 'layers')
  got = _restore_and_run(
      out, 'layers', x,
      batch_normalization=v1.layers.batch_normalization)
  np.testing.assert_array_equal(got['out'], expected['out'])


def test_gamma_missing_is_said_not_silently_filled(source):
  directory, _ = source
  src = os.path.join(directory, 'contrib_trained')
  plan = _convert(src, src + '_x', 'layers', dry_run=True)
  assert not plan.added
  (note,) = plan.notes
  assert note.startswith('BatchNorm has no gamma: build the tf.layers '
                         'BatchNormalization with scale=False, or rerun with '
                         '--add-missing')
  assert not os.path.exists(src + '_x.index')


def test_zero_debias_variables_are_dropped_and_said(source):
  directory, _ = source
  src = os.path.join(directory, 'contrib_zero_debias')
  plan = _convert(src, src + '_layers', 'layers')
  assert sorted(name for name, _ in plan.dropped) == [
      'BatchNorm/BatchNorm/moving_mean/biased',
      'BatchNorm/BatchNorm/moving_mean/local_step']
  assert any('zero-debias variables dropped' in n for n in plan.notes)
  # Kept: the debiased moving mean itself, bit-exact.
  assert (_tensors(src)['BatchNorm/moving_mean']
          == _tensors(src + '_layers')['batch_normalization/moving_mean'])
  # contrib -> contrib under a new scope renames both halves of <S>/<S>/...
  plan = _convert(src, src + '_moved', 'contrib',
                  mapping=(('BatchNorm', 'net/BatchNorm'),))
  assert ('BatchNorm/BatchNorm/moving_mean/biased',
          'net/BatchNorm/net/BatchNorm/moving_mean/biased') in plan.renames
  assert checkpoints.findings(src + '_moved')['layers'][0]['zero_debias']


def test_user_map_then_default_scope_rule(source):
  directory, _ = source
  src = os.path.join(directory, 'contrib_trained')
  plan = _convert(src, src + '_x', 'layers', dry_run=True,
                  mapping=(('block', 'encoder/block'),
                           ('proj', 'encoder/proj'),
                           ('BatchNorm', 'head_bn')))
  renames = dict(plan.renames)
  # A map of an outer scope: the default rule still renames BatchNorm.
  assert renames['block/BatchNorm/gamma'] == (
      'encoder/block/batch_normalization/gamma')
  assert renames['block/BatchNorm/gamma/Momentum'] == (
      'encoder/block/batch_normalization/gamma/Momentum')
  # A map naming the layer's scope itself is final.
  assert renames['BatchNorm/moving_mean'] == 'head_bn/moving_mean'
  # Non-batch-norm variables follow the map too.
  assert renames['proj/kernel'] == 'encoder/proj/kernel'
  plan = _convert(src, src + '_x', 'layers', dry_run=True, keep_scopes=True)
  assert not plan.renames


def test_keras_layout_names_and_renorm(tmp_path):
  """Keras 3 names `<layer>/gamma` ...; it has no renorm variables."""
  with tf.Graph().as_default():
    x = v1.placeholder(tf.float32, [4, 3])
    tf_compat_bn.batch_normalization(x, renorm=True)
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      src = v1.train.Saver().save(sess, str(tmp_path / 'renorm'))
  plan = _convert(src, str(tmp_path / 'keras'), 'keras')
  assert sorted(name for name, _ in plan.dropped) == [
      'batch_normalization/moving_stddev', 'batch_normalization/renorm_mean',
      'batch_normalization/renorm_stddev']
  assert sorted(checkpoints.entries(str(tmp_path / 'keras'))) == [
      'batch_normalization/beta', 'batch_normalization/gamma',
      'batch_normalization/moving_mean', 'batch_normalization/moving_variance']


# ---------------------------------------------------------- bad input -------

def _refused(directory, match, src, dst, to='layers', **kwargs):
  before = _files(directory)
  with pytest.raises(checkpoints.CheckpointError, match=match):
    _convert(src, dst, to, **kwargs)
  assert _files(directory) == before


def test_bad_input_is_an_error_that_writes_nothing(source):
  directory, _ = source
  src = os.path.join(directory, 'contrib_trained')
  _refused(directory, 'no checkpoint at .*nothing_here',
           os.path.join(directory, 'nothing_here'), src + '_x')
  _refused(directory, "unknown layout 'caffe'", src, src + '_x', to='caffe')
  _refused(directory, 'is the input checkpoint .*refusing to overwrite it',
           src, src)
  _refused(directory, 'is the input checkpoint', src,
           os.path.join(directory, '.', '..', os.path.basename(directory),
                        'contrib_trained'))
  _refused(directory, 'both .* and .* would be written as x/beta: clashing',
           src, src + '_x', mapping=(('block/BatchNorm', 'x'),
                                     ('BatchNorm', 'x')))
  _refused(directory, 'map entries match no variable: nowhere', src,
           src + '_x', mapping=(('nowhere', 'x'),))
  _refused(directory, 'batch-norm layer BatchNorm has no moving_mean or '
           'moving_variance .*missing a required variable',
           os.path.join(directory, 'contrib_trainable_only'), src + '_x')
  with pytest.raises(checkpoints.CheckpointError,
                     match='map: a maps to two targets, b and c'):
    checkpoints.check_mapping([('a', 'b'), ('a', 'c')])


def test_cli_errors_and_map_file(source, tmp_path, capsys):
  directory, _ = source
  src = os.path.join(directory, 'contrib_trained')
  before = _files(directory)
  assert cli(['convert', src, src, '--to', 'layers']) == 2
  assert 'refusing to overwrite it' in capsys.readouterr().err
  with pytest.raises(SystemExit) as exit_:
    cli(['convert', src, src + '_x', '--to', 'caffe'])
  assert exit_.value.code == 2
  assert "invalid choice: 'caffe'" in capsys.readouterr().err
  clash = tmp_path / 'clash.json'
  clash.write_text('{"block/BatchNorm": "x", "block/BatchNorm": "y"}')
  assert cli(['convert', src, src + '_x', '--to', 'layers',
              '--map', str(clash)]) == 2
  assert 'block/BatchNorm maps to two targets, x and y' in (
      capsys.readouterr().err)
  assert cli(['convert', os.path.join(directory, 'missing'), src + '_x',
              '--to', 'layers']) == 2
  assert 'no checkpoint at' in capsys.readouterr().err
  assert cli(['convert', src, src + '_x', '--to', 'layers', '--dry-run']) == 0
  out = capsys.readouterr().out
  assert 'rename  block/BatchNorm/gamma -> block/batch_normalization/gamma' in (
      out)
  assert 'dry run: nothing written' in out
  assert _files(directory) == before
  text_map = tmp_path / 'scopes.txt'
  text_map.write_text('# old new\nblock  encoder\n')
  assert cli(['convert', src, src + '_x', '--to', 'contrib',
              '--map', str(text_map)]) == 0
  assert 'encoder/BatchNorm/moving_mean' in checkpoints.entries(src + '_x')


# ------------------------------------------------------------ keras_weights ---

def test_keras_weights_order_and_fills(source):
  directory, _ = source
  src = os.path.join(directory, 'contrib_trained')
  reader = tf.train.load_checkpoint(src)
  gamma, beta, mean, variance = checkpoints.keras_weights(src,
                                                          'block/BatchNorm')
  np.testing.assert_array_equal(gamma,
                                reader.get_tensor('block/BatchNorm/gamma'))
  np.testing.assert_array_equal(beta,
                                reader.get_tensor('block/BatchNorm/beta'))
  np.testing.assert_array_equal(
      variance, reader.get_tensor('block/BatchNorm/moving_variance'))
  gamma, beta, _, _ = checkpoints.keras_weights(src, 'BatchNorm')
  np.testing.assert_array_equal(gamma, np.ones([2], np.float32))  # scale=False
  with pytest.raises(checkpoints.CheckpointError,
                     match="no batch-norm layer 'nope'.*BatchNorm, "
                     'block/BatchNorm'):
    checkpoints.keras_weights(src, 'nope')
  with pytest.raises(checkpoints.CheckpointError,
                     match='BatchNorm has no moving_mean or moving_variance'):
    checkpoints.keras_weights(
        os.path.join(directory, 'contrib_trainable_only'), 'BatchNorm')


def test_keras_batch_normalization_gives_the_tf1_output(source):
  """keras_weights into Keras' BatchNormalization (Keras 3 on TF 2.21)."""
  keras = pytest.importorskip('keras', reason='needs keras')
  directory, outputs = source
  record = outputs['contrib_trained']
  x = fixtures.inputs()
  src = os.path.join(directory, 'contrib_trained')
  layer = keras.layers.BatchNormalization(epsilon=1e-3)
  layer.build(x.shape)
  layer.set_weights(checkpoints.keras_weights(src, 'block/BatchNorm',
                                              layer=layer))
  keras_out = np.asarray(layer(x, training=False))
  # The writer's TF1 graph, and the same TF1 graph restored here (ours).
  np.testing.assert_allclose(keras_out, fixtures.decode(record['bn1']),
                             atol=1e-6)
  np.testing.assert_allclose(
      keras_out, _restore_and_run(src, 'contrib', x)['bn1'], atol=1e-6)
  proj = fixtures.decode(record['proj'])
  layer = keras.layers.BatchNormalization(epsilon=1e-3)
  layer.build(proj.shape)
  layer.set_weights(checkpoints.keras_weights(src, 'BatchNorm', layer=layer))
  np.testing.assert_allclose(np.asarray(layer(proj, training=False)),
                             fixtures.decode(record['out']), atol=1e-6)
  wrong_axis = keras.layers.BatchNormalization(axis=1)
  wrong_axis.build(x.shape)
  with pytest.raises(checkpoints.CheckpointError,
                     match='axis 1 does not select 4 channels'):
    checkpoints.keras_weights(src, 'block/BatchNorm', layer=wrong_axis)


def test_keras_weights_full_rank_parameters(tmp_path):
  """Virtual-batch parameters [1, 1, C] flatten to C; several axes cannot."""
  with tf.Graph().as_default():
    tf_compat_bn.batch_normalization(v1.placeholder(tf.float32, [8, 3]),
                                     virtual_batch_size=2, name='ghost')
    tf_compat_bn.batch_normalization(v1.placeholder(tf.float32, [4, 5, 3, 2]),
                                     axis=[1, 3], name='multi')
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      src = v1.train.Saver().save(sess, str(tmp_path / 'full_rank'))
  assert [w.shape for w in checkpoints.keras_weights(src, 'ghost')] == [
      (3,)] * 4
  with pytest.raises(checkpoints.CheckpointError,
                     match=r'multi has parameters of shape \[1, 5, 1, 2\]'):
    checkpoints.keras_weights(src, 'multi')
  before = _files(tmp_path)
  with pytest.raises(checkpoints.CheckpointError, match='normalizes over one'):
    _convert(src, str(tmp_path / 'keras'), 'keras')
  assert _files(tmp_path) == before
  plan = _convert(src, str(tmp_path / 'contrib'), 'contrib', dry_run=True)
  assert any(note.startswith('multi has full-rank parameters')
             for note in plan.notes)


_NATIVE_RESTORE = '''
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location('fixtures', sys.argv[1])
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)
tf = fixtures.tf_v1()
results = []
for prefix, layout, second_scale in json.loads(sys.argv[2]):
  with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, fixtures.SHAPE)
    ends = fixtures.model(tf, layout, x, False,
                          batch_norm=fixtures.contrib_batch_norm(True),
                          second_scale=second_scale)
    tf.train.get_or_create_global_step()
    with tf.Session() as sess:
      tf.train.Saver().restore(sess, prefix)
      out = sess.run(ends, {x: fixtures.inputs()})
  results.append({k: fixtures.encode(v) for k, v in out.items()})
print(json.dumps(results))
'''


@pytest.mark.parametrize('env,origin', [('.venv-tf1', 'tf115'),
                                        ('.venv-oracle', 'tf212')])
def test_converted_checkpoint_restores_into_native_tf1(env, origin, tmp_path):
  """Converted here, restored by TF 1.15.5 / TF 2.12.1 themselves.

  Their own tf.contrib / tf_slim batch_norm and tf.layers graphs; expected:
  the outputs that TF version recorded for the source checkpoint.
  """
  python = os.path.join(ROOT, env, 'bin', 'python')
  if not os.path.exists(python):
    pytest.skip(f'needs the {origin} environment {env}')
  with open(os.path.join(DATA, origin, 'outputs.json')) as f:
    recorded = json.load(f)['outputs']
  cases = [('contrib_trained', 'layers', {}, False),
           ('contrib_trained', 'layers', {'add_missing': True}, True),
           ('layers_trained', 'contrib', {}, False)]
  runs = []
  for name, to, kwargs, second_scale in cases:
    out = str(tmp_path / f'{name}_{to}_{second_scale}')
    _convert(os.path.join(DATA, origin, name), out, to, **kwargs)
    runs.append((out, to, second_scale))
  result = subprocess.run(
      [python, '-c', _NATIVE_RESTORE,
       os.path.join(ROOT, 'scripts', 'make_checkpoint_fixtures.py'),
       json.dumps(runs)],
      capture_output=True, text=True, timeout=600,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))
  assert result.returncode == 0, result.stderr[-3000:]
  outputs = json.loads(result.stdout.strip().splitlines()[-1])
  for (name, _, _, _), got in zip(cases, outputs):
    for end in ('bn1', 'out'):
      np.testing.assert_allclose(fixtures.decode(got[end]),
                                 fixtures.decode(recorded[name][end]),
                                 rtol=0, atol=1e-6)
