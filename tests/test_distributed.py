"""Batch norm on TensorFlow's distributed runtimes, in graph mode.

Real clusters on this machine (loopback ports picked free at run time, each
run under a hard deadline after which every process is killed and reaped,
see tests/cluster_runner.py) run the TF1 programs of tests/distributed/:

* between_graph.py: one ps, two workers, replica_device_setter,
  MonitoredTrainingSession, SyncReplicasOptimizer;
* mirrored.py: MirroredStrategy on two logical CPUs;
* multi_worker.py: MultiWorkerMirroredStrategy, two worker processes with
  TF_CONFIG;
* towers.py: a multi-tower graph as the classic multi-GPU examples built.

Each program runs unchanged under `python -m tf_compat_bn run` (ours) and
natively on TF 2.12.1 (the reference).  Expected values: live from the
reference on TF 2.12.1 (tests marked `reference`), recorded from it in
tests/golden/distributed.json (scripts/make_golden_distributed.py) on other
TF versions; update counts also from the arithmetic of the programs.

Faults: the only worker, SIGKILLed in the middle of training and started
again, resumes from the last checkpoint with its moving statistics and ends
where an uninterrupted run ends; a worker whose ps is down gets a clear
error after a bounded wait.
"""

import json
import os
import signal
import sys

import numpy as np
import pytest

import cluster_runner

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, 'golden', 'distributed.json')
STEPS = 3
SCENARIOS = ['between_graph', 'mirrored', 'multi_worker', 'towers']
# Keys of a summary compared with a tolerance; all others exactly.
NUMERIC = ('values', 'checkpoint', 'losses', 'updates_seen', 'start',
           'checkpoint_at_start')
# Between-graph workers update the shared moving statistics on the ps
# concurrently: a worker may read a moving statistic before the other
# worker's update of the same step lands, in the reference as in ours (the
# EMA is a read, a subtraction and an AssignSub, not one atomic op).  Such a
# pair of updates gives (1 - 2(1-d)) instead of d**2 of the distance to the
# batch statistic: a difference of (1-d)**2 = 1e-4 of it per racing pair,
# and bn0's count of updates seen grows by 0.01 (a lost or extra update
# would move it by 1).
_RACY_STATISTIC = dict(rtol=1e-3, atol=2e-4)
RACY = {'between_graph': {'moving_mean': _RACY_STATISTIC,
                          'moving_variance': _RACY_STATISTIC,
                          'updates_seen': dict(rtol=0, atol=0.1)}}
# EMA updates of one training step, per worker (between-graph: all on the
# ps) or per replica device: 2 batch-norm layers x (mean, variance).
UPDATES_PER_STEP = 4


def run(scenario, tmp_path, native=False):
  return getattr(cluster_runner, 'run_' + scenario)(
      str(tmp_path), native=native, steps=STEPS)


@pytest.fixture(scope='module')
def ours(tmp_path_factory):
  """Summaries of our runs, one run per scenario for the module."""
  cache = {}

  def get(scenario):
    if scenario not in cache:
      cache[scenario] = run(scenario, tmp_path_factory.mktemp(scenario))
    return cache[scenario]
  return get


def _numbers(tree, prefix=''):
  """{path: float array} of the numbers in a summary part."""
  if isinstance(tree, dict):
    out = {}
    for key, value in tree.items():
      out.update(_numbers(value, f'{prefix}/{key}'))
    return out
  return {prefix: np.asarray(tree, np.float64)}


def _split(summary):
  structure = {k: v for k, v in summary.items() if k not in NUMERIC}
  numbers = {k: v for k, v in summary.items() if k in NUMERIC}
  return structure, _numbers(numbers)


def assert_same_run(expected, actual, scenario, rtol=1e-5, atol=1e-6):
  """Structure (variables with devices, types, aggregation; update ops with
  devices and colocation; EMA updates executed per device) exactly, numbers
  within tolerance (racy moving statistics as RACY says)."""
  want, want_numbers = _split(expected)
  got, got_numbers = _split(actual)
  assert sorted(got) == sorted(want)
  for key in want:
    assert got[key] == want[key], f'{scenario}: {key}'
  assert sorted(got_numbers) == sorted(want_numbers), scenario
  for path, value in want_numbers.items():
    racy = [t for s, t in RACY.get(scenario, {}).items() if s in path]
    tol = racy[0] if racy else dict(rtol=rtol, atol=atol)
    np.testing.assert_allclose(got_numbers[path], value,
                               err_msg=f'{scenario}: {path}', **tol)


def _golden():
  with open(GOLDEN) as f:
    return json.load(f)


def _each(summaries):
  return summaries if isinstance(summaries, list) else [summaries]


# ------------------------------------------------------ against the reference

@pytest.mark.reference
@pytest.mark.parametrize('scenario', SCENARIOS)
def test_same_as_reference(scenario, ours, tmp_path):
  """Ours and the native reference, each run as its own cluster."""
  reference = run(scenario, tmp_path, native=True)
  for want, got in zip(_each(reference), _each(ours(scenario))):
    assert_same_run(want, got, scenario)


@pytest.mark.parametrize('scenario', SCENARIOS)
def test_matches_golden(scenario, ours):
  """Ours on this TF against the reference's run recorded on TF 2.12.1."""
  golden = _golden()[scenario]
  got = _each(ours(scenario))
  assert len(got) == len(golden)
  for want, summary in zip(golden, got):
    assert_same_run(want, summary, scenario, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('scenario', ['mirrored', 'multi_worker'])
def test_tf2_strategy_classes_in_graph_mode(scenario, tmp_path):
  """The same programs with TF2's strategy classes (tf.compat.v2.distribute)
  in the v1 graph: the same variables, updates and numbers as the
  reference's run with the tf.compat.v1 classes (recorded; checked equal to
  its live run by test_same_as_reference)."""
  golden = _golden()[scenario]
  got = _each(getattr(cluster_runner, 'run_' + scenario)(
      str(tmp_path), steps=STEPS, api='v2'))
  assert len(got) == len(golden)
  v2_name = {'mirrored': 'MirroredStrategy',
             'multi_worker': 'CollectiveAllReduceStrategy'}[scenario]
  for want, summary in zip(golden, got):
    assert summary.pop('strategy') == v2_name
    want = dict(want)
    want.pop('strategy')
    assert_same_run(want, summary, scenario, rtol=1e-5, atol=1e-5)


# --------------------------------------- what each runtime does, by the math

def test_between_graph_placement_and_updates(ours):
  """Variables on the ps (replica_device_setter), the update ops on the ps
  next to their variables, each worker's step running its 4 EMA updates on
  the ps, 2 workers x STEPS updates reaching bn0, the chief's checkpoint
  holding every variable at the last step."""
  chief, other = ours('between_graph')
  for summary in (chief, other):
    assert {v['device'] for v in summary['variables']} == {'/job:ps/task:0'}
    assert {v['type'] for v in summary['variables']} == {'RefVariable'}
    for op in summary['update_ops']:
      assert op['device'] == op['variable_device'] == '/job:ps/task:0', op
      layer = op['name'].split('/')[0]
      stat = ('moving_mean' if op['name'].endswith('AssignMovingAvg')
              else 'moving_variance')
      assert op['colocation'] == [f'loc:@{layer}/{stat}'], op
    assert summary['executed_updates'] == {
        '/job:ps/task:0/device:CPU:0': UPDATES_PER_STEP}
  assert chief['global_step'] == STEPS
  assert abs(chief['updates_seen'] - 2 * STEPS) < 0.1
  saved = {name for name in chief['checkpoint']}
  assert saved == {v['name'][:-2] for v in chief['variables']}
  assert 'checkpoint' not in other   # only the chief writes checkpoints


@pytest.mark.parametrize('scenario', ['mirrored', 'multi_worker'])
def test_strategy_variable_types_and_updates(scenario, ours):
  """Mirrored gamma/beta, sync-on-read moving statistics averaged over the
  replicas; each replica runs its own 4 EMA updates per step, so bn0 saw
  STEPS updates on every replica."""
  for summary in _each(ours(scenario)):
    assert summary['replicas'] == 2
    kinds = {v['name']: (v['type'], v['synchronization'], v['aggregation'])
             for v in summary['variables']}
    for layer in ('bn0', 'bn1'):
      for stat in ('moving_mean', 'moving_variance'):
        assert kinds[f'{layer}/{stat}:0'] == ('SyncOnReadVariable',
                                              'ON_READ', 'MEAN')
      assert kinds[f'{layer}/beta:0'] == ('MirroredVariable', 'ON_WRITE',
                                          'NONE')
    assert kinds['bn1/gamma:0'] == ('MirroredVariable', 'ON_WRITE', 'NONE')
    assert summary['global_step'] == STEPS
    assert abs(summary['updates_seen'] - STEPS) < 0.1
    per_device = list(summary['executed_updates'].values())
    assert per_device == [UPDATES_PER_STEP] * (
        2 if scenario == 'mirrored' else 1)


def test_towers_updates_of_one_tower(ours):
  """Variables made by tower 0 on cpu:0 and reused by tower 1; UPDATE_OPS
  holds both towers' updates under their name scopes, each colocated with
  its variable on cpu:0 (not on its tower's device); the training op runs
  only the last tower's 4, once per step."""
  summary = ours('towers')
  assert {v['device'] for v in summary['variables']} == {'/device:CPU:0'}
  for op in summary['update_ops']:
    assert op['device'] == op['variable_device'] == '/device:CPU:0', op
  assert sorted(summary['tower_updates']) == ['tower_0/', 'tower_1/']
  for scope, names in summary['tower_updates'].items():
    assert len(names) == UPDATES_PER_STEP
    assert all(n.startswith(scope) for n in names), names
  assert summary['executed_updates'] == {
      '/job:localhost/task:0/device:CPU:0': UPDATES_PER_STEP}
  assert abs(summary['updates_seen'] - STEPS) < 0.1


# ----------------------------------------------------------------- faults

RESTART_STEPS = 8


def test_killed_worker_resumes_from_checkpoint(tmp_path):
  """The only worker is SIGKILLed after a checkpoint of step >= 2 exists and
  started again: it restores that checkpoint (global step and moving
  statistics), trains to the end, and ends exactly where an uninterrupted
  run ends (every step's batch is a function of the global step)."""
  restarted = cluster_runner.run_restarted_chief(
      str(tmp_path / 'killed'), kill_after_checkpoint=2,
      steps=RESTART_STEPS)
  uninterrupted = cluster_runner.run_restarted_chief(
      str(tmp_path / 'whole'), kill_after_checkpoint=None,
      steps=RESTART_STEPS)

  killed_at = restarted['killed_with_checkpoint_of_step']
  assert 2 <= killed_at < RESTART_STEPS
  start_checkpoint = restarted['checkpoint_at_start']
  assert start_checkpoint['global_step']['value'] == killed_at
  assert restarted['start']['global_step'] == killed_at
  for name, value in restarted['start']['moving'].items():
    np.testing.assert_array_equal(value, start_checkpoint[name]['value'])
  # bn0's moving mean in that checkpoint saw exactly `killed_at` updates.
  bn0 = np.asarray(start_checkpoint['bn0/moving_mean']['value'])
  assert abs(_updates_seen(bn0) - killed_at) < 1e-3

  assert 'checkpoint_at_start' not in uninterrupted
  assert restarted['global_step'] == uninterrupted['global_step'] == (
      RESTART_STEPS)
  assert abs(restarted['updates_seen'] - RESTART_STEPS) < 1e-3
  assert sorted(restarted['checkpoint']) == sorted(
      uninterrupted['checkpoint'])
  for name, saved in uninterrupted['checkpoint'].items():
    assert restarted['checkpoint'][name]['shape'] == saved['shape']
    np.testing.assert_allclose(restarted['checkpoint'][name]['value'],
                               saved['value'], rtol=1e-6, atol=1e-7,
                               err_msg=name)


def _updates_seen(moving_mean):
  """The inverse of bn0's EMA from 0 towards the input's channel means
  (tests/distributed/model.py: every batch has the same channel means)."""
  rng = np.random.RandomState(0)
  mean = rng.normal(3.0, 2.0, size=(4, 4, 4, 3)).astype(np.float32).astype(
      np.float64).mean(axis=(0, 1, 2))
  return float(np.mean(np.log(1 - moving_mean / mean) / np.log(0.99)))


def test_ps_down_gives_a_clear_error_after_a_bounded_wait(tmp_path):
  """TensorFlow's own behaviour with its ps down: session creation waits for
  ever, logging every 10 s that it is waiting for /job:ps (install() does
  not change it; no ConfigProto field bounds it: operation_timeout_in_ms
  applies to runs, not to CreateSession).  The runner stops the worker at
  TensorFlow's first such line, within the bound, and raises an error
  quoting it."""
  with pytest.raises(cluster_runner.ClusterError) as error:
    cluster_runner.run_without_ps(str(tmp_path), bound=60)
  message = str(error.value)
  assert 'is down: worker0 had no session after' in message
  assert '(still running: True)' in message
  assert 'TensorFlow says: ' in message
  assert cluster_runner.WAITING_FOR_PS in message


def test_runner_kills_and_reaps_at_the_deadline():
  """The runner's hard deadline: a process still running then is SIGKILLed
  and reaped, and the error names it."""
  with pytest.raises(cluster_runner.ClusterError,
                     match='sleeper still running after the cluster '
                           'deadline of 2 s'):
    with cluster_runner.Cluster(timeout=2) as cluster:
      proc = cluster.start('sleeper', [sys.executable, '-c',
                                       'import time; time.sleep(600)'])
      cluster.wait('sleeper')
  assert proc.returncode == -signal.SIGKILL


def test_synchronized_batch_norm_across_workers(tmp_path):
  """synchronized=True under MultiWorkerMirroredStrategy (2 processes,
  collective all-reduce): with different data on the two workers (worker k's
  images times 1 + k), every worker ends with the same moving statistics
  in its own copy; without it (`scaled`) they differ.  Values against the
  math are in tests/test_synchronized.py (MirroredStrategy)."""
  (tmp_path / 'sync').mkdir()
  (tmp_path / 'scaled').mkdir()
  synced = cluster_runner.run_multi_worker(str(tmp_path / 'sync'),
                                           steps=STEPS, api='sync')
  plain = cluster_runner.run_multi_worker(str(tmp_path / 'scaled'),
                                          steps=STEPS, api='scaled')
  names = sorted(synced[0]['local_values'])
  assert names == ['bn0/moving_mean:0', 'bn0/moving_variance:0',
                   'bn1/moving_mean:0', 'bn1/moving_variance:0']
  for name in names:
    np.testing.assert_allclose(synced[0]['local_values'][name],
                               synced[1]['local_values'][name],
                               rtol=1e-5, atol=1e-6, err_msg=name)
    assert not np.allclose(plain[0]['local_values'][name],
                           plain[1]['local_values'][name],
                           rtol=1e-3), name
