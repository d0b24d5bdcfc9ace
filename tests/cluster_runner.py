"""Starting the distributed TF1 programs of tests/distributed/ as processes.

A program runs either unchanged under `python -m tf_compat_bn run` (ours, on
any TF) or natively on TF 2.12.1 with the reference APIs after
`NATIVE_PRELUDE` (tf_slim standing for the gone `tf.contrib.layers`).  A
`Cluster` starts processes on loopback ports picked free at run time, gives
the whole cluster a hard deadline, and in every case (success, failure,
timeout) kills and reaps what it started; a failure message carries the
stderr tail of each process.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCRIPTS = os.path.join(HERE, 'distributed')
ORACLE_PYTHON = os.path.join(ROOT, '.venv-oracle', 'bin', 'python')

# TF 2.12.1 with the native references: tf.layers is tf.compat.v1's own and
# tf.contrib.layers (gone from TF 2.x) stands for tf_slim.
NATIVE_PRELUDE = ('import sys, tensorflow.compat.v1 as tf, tf_slim\n'
                  'tf.contrib = type(sys)("contrib")\n'
                  'tf.contrib.layers = tf_slim\n')


class ClusterError(AssertionError):
  """A process failed, or the cluster ran past its deadline."""


def free_ports(n):
  """`n` distinct loopback ports nobody listens on now (bound to port 0,
  then released; a process started right after takes them)."""
  sockets = []
  try:
    for _ in range(n):
      s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
      s.bind(('127.0.0.1', 0))
      sockets.append(s)
    return [s.getsockname()[1] for s in sockets]
  finally:
    for s in sockets:
      s.close()


def hosts(ports):
  return ','.join('127.0.0.1:%d' % p for p in ports)


def command(script, args, python=None, native=False):
  """The command line running tests/distributed/`script` with `args`."""
  path = os.path.join(SCRIPTS, script)
  args = [str(a) for a in args]
  if native:
    code = (NATIVE_PRELUDE + 'import runpy, sys\n'
            f'sys.argv = [{path!r}] + {args!r}\n'
            f'runpy.run_path({path!r}, run_name="__main__")\n')
    return [python or ORACLE_PYTHON, '-c', code]
  return [python or sys.executable, '-m', 'tf_compat_bn', 'run', path] + args


class Cluster:
  """Processes of one test, all stopped and reaped on exit.

      with Cluster(timeout=120) as cluster:
        ps = cluster.start('ps', cmd)
        ...
        cluster.wait('worker0')
  """

  def __init__(self, timeout, log_level='3'):
    self.deadline = time.monotonic() + timeout
    self.timeout = timeout
    self.log_level = log_level
    self.procs = {}
    self.logs = {}
    self._dir = tempfile.TemporaryDirectory(prefix='cluster_')

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    self.stop_all()
    self._dir.cleanup()

  def start(self, name, cmd, env=None):
    """Starts `cmd` as process `name`; stdout+stderr go to a log file."""
    log = open(os.path.join(self._dir.name, name + '.log'), 'w+')
    self.logs[name] = log
    self.procs[name] = subprocess.Popen(
        cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
        env=dict(os.environ, PYTHONPATH=ROOT,
                 TF_CPP_MIN_LOG_LEVEL=self.log_level, **(env or {})))
    return self.procs[name]

  def log(self, name, tail=4000):
    """The last `tail` characters (None: all) of the output of `name`."""
    with open(os.path.join(self._dir.name, name + '.log'),
              errors='replace') as f:
      text = f.read()
    return text if tail is None else text[-tail:]

  def remaining(self):
    return self.deadline - time.monotonic()

  def fail(self, why):
    """Raises ClusterError with `why` and the output of every process."""
    parts = [why]
    for name in self.procs:
      parts.append(f'--- {name} (returncode {self.procs[name].poll()}):\n'
                   + self.log(name))
    raise ClusterError('\n'.join(parts))

  def wait(self, name):
    """Waits for process `name` to exit 0 within the cluster's deadline."""
    try:
      code = self.procs[name].wait(timeout=max(self.remaining(), 0.1))
    except subprocess.TimeoutExpired:
      self.fail(f'{name} still running after the cluster deadline of '
                 f'{self.timeout} s')
    if code != 0:
      self.fail(f'{name} exited with {code}')

  def wait_until(self, condition, what, poll=0.2):
    """Polls `condition()` until true; fails at the deadline, or when a
    started process has died meanwhile."""
    while not condition():
      for name, proc in self.procs.items():
        if proc.poll() not in (None, 0, -signal.SIGKILL):
          self.fail(f'{name} exited with {proc.returncode} while waiting '
                     f'for {what}')
      if self.remaining() <= 0:
        self.fail(f'no {what} after {self.timeout} s')
      time.sleep(poll)

  def kill(self, name):
    """SIGKILLs process `name` (its whole process group) and reaps it."""
    proc = self.procs[name]
    if proc.poll() is None:
      try:
        os.killpg(proc.pid, signal.SIGKILL)
      except ProcessLookupError:  # it ended meanwhile
        pass
    proc.wait()

  def stop_all(self):
    for name in list(self.procs):
      self.kill(name)
    for log in self.logs.values():
      log.close()


def read_json(path):
  with open(path) as f:
    return json.load(f)


# ------------------------------------------------------- the test scenarios

def run_mirrored(tmp, python=None, native=False, steps=3, timeout=120,
                 api='v1'):
  """tests/distributed/mirrored.py in one process: its summary.  `api`:
  'v1' (tf.compat.v1's strategy class) or 'v2' (TF2's)."""
  out = os.path.join(tmp, 'mirrored.json')
  with Cluster(timeout) as cluster:
    cluster.start('mirrored', command(
        'mirrored.py', [out, os.path.join(tmp, 'mirrored_ckpt', 'model'),
                        steps, api], python, native))
    cluster.wait('mirrored')
  return read_json(out)


def run_towers(tmp, python=None, native=False, steps=3, timeout=120):
  """tests/distributed/towers.py in one process: its summary."""
  out = os.path.join(tmp, 'towers.json')
  with Cluster(timeout) as cluster:
    cluster.start('towers', command(
        'towers.py', [out, os.path.join(tmp, 'towers_ckpt', 'model'), steps],
        python, native))
    cluster.wait('towers')
  return read_json(out)


def tf_config(ports, index):
  return json.dumps({'cluster': {'worker': ['127.0.0.1:%d' % p
                                            for p in ports]},
                     'task': {'type': 'worker', 'index': index}})


def run_multi_worker(tmp, python=None, native=False, steps=3, timeout=120,
                     api='v1'):
  """tests/distributed/multi_worker.py as two worker processes (TF_CONFIG on
  loopback): [summary of worker 0, summary of worker 1].  `api`: as for
  run_mirrored."""
  ports = free_ports(2)
  outs = [os.path.join(tmp, 'multi_worker%d.json' % i) for i in range(2)]
  with Cluster(timeout) as cluster:
    for i in range(2):
      cluster.start('worker%d' % i,
                    command('multi_worker.py', [outs[i], steps, api],
                            python, native),
                    env={'TF_CONFIG': tf_config(ports, i)})
    for i in range(2):
      cluster.wait('worker%d' % i)
  return [read_json(o) for o in outs]


def latest_step(checkpoint_dir):
  """Global step of the newest checkpoint in `checkpoint_dir`, or -1."""
  try:
    with open(os.path.join(checkpoint_dir, 'checkpoint')) as f:
      first = f.readline()
    return int(first.rsplit('-', 1)[1].strip().rstrip('"'))
  except (OSError, IndexError, ValueError):  # none yet, or being written
    return -1


def _between_graph_args(ps, workers, job, task, out, ckpt, steps, extra=()):
  return (['--ps_hosts', hosts(ps), '--worker_hosts', hosts(workers),
           '--job_name', job, '--task_index', task, '--output', out,
           '--checkpoint_dir', ckpt, '--steps', steps] + list(extra))


def run_between_graph(tmp, python=None, native=False, steps=3, timeout=120):
  """tests/distributed/between_graph.py: one ps and two workers with
  SyncReplicasOptimizer.  Worker 1 starts once the chief has written its
  first checkpoint (its model is then initialized, so the non-chief's
  session manager finds it ready at the first check instead of polling
  every 30 s).  Returns [summary of worker 0, summary of worker 1]."""
  ps, workers = free_ports(1), free_ports(2)
  ckpt = os.path.join(tmp, 'between_graph_ckpt')
  outs = [os.path.join(tmp, 'between_graph%d.json' % i) for i in range(2)]

  def cmd(job, task, out=''):
    return command('between_graph.py', _between_graph_args(
        ps, workers, job, task, out, ckpt, steps, ['--sync']), python, native)

  with Cluster(timeout) as cluster:
    cluster.start('ps', cmd('ps', 0))
    cluster.start('worker0', cmd('worker', 0, outs[0]))
    cluster.wait_until(lambda: latest_step(ckpt) >= 0,
                       'first checkpoint of the chief')
    cluster.start('worker1', cmd('worker', 1, outs[1]))
    cluster.wait('worker0')
    cluster.wait('worker1')
  return [read_json(o) for o in outs]


def run_restarted_chief(tmp, kill_after_checkpoint, steps, python=None,
                        timeout=150):
  """One ps and one worker (async, MonitoredTrainingSession saving every 2
  steps).  With `kill_after_checkpoint` set, the worker is SIGKILLed once a
  checkpoint of at least that step exists, then started again with the
  same command line; the ps lives on.  Returns the summary of the worker's
  last life and the step of the checkpoint present when it was killed."""
  ps, workers = free_ports(1), free_ports(1)
  ckpt = os.path.join(tmp, 'restart_ckpt')
  out = os.path.join(tmp, 'restart.json')
  extra = ['--save_checkpoint_steps', 2, '--step_seconds', 0.3]

  def cmd(job):
    return command('between_graph.py', _between_graph_args(
        ps, workers, job, 0, out, ckpt, steps, extra), python)

  killed_at = None
  with Cluster(timeout) as cluster:
    cluster.start('ps', cmd('ps'))
    cluster.start('worker0', cmd('worker'))
    if kill_after_checkpoint is not None:
      cluster.wait_until(
          lambda: latest_step(ckpt) >= kill_after_checkpoint,
          f'checkpoint of step {kill_after_checkpoint}')
      cluster.kill('worker0')
      killed_at = latest_step(ckpt)
      cluster.start('worker0_restarted', cmd('worker'))
      cluster.wait('worker0_restarted')
    else:
      cluster.wait('worker0')
  summary = read_json(out)
  summary['killed_with_checkpoint_of_step'] = killed_at
  return summary


# TensorFlow's master logs this (INFO, every 10 s) while a task it needs does
# not answer; it waits for ever, with no error and no timeout to set.
WAITING_FOR_PS = ('CreateSession still waiting for response from worker: '
                  '/job:ps/replica:0/task:0')


def run_without_ps(tmp, bound=60, python=None):
  """Starts a chief worker whose ps was never started.  TensorFlow itself
  waits for ever for the ps; this stops the worker as soon as TensorFlow
  logs that it is waiting for it (or at `bound` seconds) and raises a
  ClusterError quoting TensorFlow's line.  (If the worker exits by itself,
  the ClusterError carries its log instead.)"""
  ps, workers = free_ports(1), free_ports(1)
  args = _between_graph_args(ps, workers, 'worker', 0,
                             os.path.join(tmp, 'no_ps.json'),
                             os.path.join(tmp, 'no_ps_ckpt'), 3)
  with Cluster(bound, log_level='0') as cluster:
    proc = cluster.start('worker0', command('between_graph.py', args, python))
    started = time.monotonic()
    while WAITING_FOR_PS not in cluster.log('worker0', tail=None):
      if proc.poll() is not None:
        cluster.fail(f'worker0 exited with {proc.returncode} with its ps '
                     'down')
      if cluster.remaining() <= 0:
        break
      time.sleep(0.2)
    waited = time.monotonic() - started
    still_running = proc.poll() is None
    cluster.kill('worker0')
    lines = [l for l in cluster.log('worker0', tail=None).splitlines()
             if WAITING_FOR_PS in l]
  raise ClusterError(
      f'ps {hosts(ps)} is down: worker0 had no session after {waited:.0f} s '
      f'(still running: {still_running}), stopped by the test; '
      f'TensorFlow says: {lines[0] if lines else "nothing"}')

