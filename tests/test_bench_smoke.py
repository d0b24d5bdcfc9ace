"""scripts/bench.py --quick runs and reports every figure (a smoke test:
timings belong in the benchmark's report, never in assertions here)."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_bench_quick_reports_every_figure(tmp_path):
  out = tmp_path / 'bench.json'
  result = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'scripts', 'bench.py'), '--quick',
       '--json', str(out)], capture_output=True, text=True, timeout=900)
  assert result.returncode == 0, result.stderr[-4000:]
  assert '| ResNet-50 stack, per BN layer |' in result.stdout
  results = json.loads(out.read_text())
  assert len(results['steps']) == 18       # 9 cases x (train, infer)
  for times in results['steps'].values():
    assert {'raw', 'contrib', 'layers'} & set(times)
    assert all(t > 0 for t in times.values())
  assert {'raw', 'contrib', 'layers'} <= set(results['graph'])
  assert results['memory']
  # The model stacks (conv2d/dense -> BN -> relu): every row of their table,
  # for raw, its copy and ours (the reference where TF <= 2.12 runs it).
  assert '| model stack | figure |' in result.stdout
  assert set(results['stacks']) == {'conv', 'dense'}
  for label, entry in results['stacks'].items():
    for figure in ('build per layer, training=True',
                   'ops per layer, training=True',
                   'build per layer, is_training tensor',
                   'ops per layer, is_training tensor',
                   'train step', 'infer step'):
      rows = [line for line in result.stdout.splitlines()
              if line.startswith(f'| {label} [') and f'| {figure} |' in line]
      assert len(rows) == 1, (label, figure)
    for key in ('build', 'build_flag', 'train', 'infer'):
      assert {'raw', 'raw (copy)', 'ours'} <= set(entry[key]), (label, key)
      assert all(t > 0 for t in entry[key].values()), (label, key)
    assert ('reference' in entry['train']) != bool(
        results['stacks_skipped']), label
  # The rnn table (dynamic_rnn over an LSTMCell): every row, for raw, its
  # copy and ours (the reference where TF <= 2.12 runs it).
  assert '| rnn | figure |' in result.stdout
  for figure in ('graph build', 'ops added', 'train step', 'infer step'):
    rows = [line for line in result.stdout.splitlines()
            if line.startswith('| dynamic_rnn LSTMCell(')
            and f'| {figure} |' in line]
    assert len(rows) == 1, figure
  rnn = results['rnn']
  for key in ('build', 'build_ops', 'train', 'infer'):
    assert {'raw', 'raw (copy)', 'ours'} <= set(rnn[key]), key
    assert all(t > 0 for t in rnn[key].values()), key
  assert ('reference' in rnn['train']) != bool(results['rnn_skipped'])
  # The synchronized batch-norm row (2 replicas, MirroredStrategy).
  assert 'training step, synchronized / unsynchronized:' in result.stdout
  assert results['sync']['synchronized'] > 0
  assert results['sync']['unsynchronized'] > 0
