"""Cases under `tf.compat.v1.disable_v2_behavior()`, in child processes.

Live (TF 2.12.1): the reference and ours, each in its own TF1-mode process,
must give the same structure and values.  Golden (any TF): ours against
tests/golden/tf1.json, which scripts/make_golden.py writes from the reference.
"""

import json
import os
import subprocess
import sys

import pytest

import graph_summary

HERE = os.path.dirname(os.path.abspath(__file__))


def run_tf1(which, tmp_path):
  path = str(tmp_path / f'{which}.json')
  result = subprocess.run(
      [sys.executable, os.path.join(HERE, 'tf1_mode_runner.py'), which, path],
      capture_output=True, text=True, timeout=900)
  assert result.returncode == 0, result.stderr[-4000:]
  with open(path) as f:
    return json.load(f)


def _compare(expected, actual, across_versions):
  assert sorted(actual) == sorted(expected)
  for key in expected:
    assert actual[key]['case'] == expected[key]['case'], key
    graph_summary.assert_structure_equal(
        expected[key]['structure'], actual[key]['structure'],
        across_versions=across_versions)
    graph_summary.assert_values_close(
        expected[key]['values'], actual[key]['values'],
        expected[key]['case'].get('dtype', 'float32'))


@pytest.mark.reference
def test_tf1_mode_same_as_reference(tmp_path):
  _compare(run_tf1('reference', tmp_path), run_tf1('ours', tmp_path),
           across_versions=False)


def test_tf1_mode_matches_golden(tmp_path):
  with open(os.path.join(HERE, 'golden', 'tf1.json')) as f:
    golden = json.load(f)
  _compare(golden, run_tf1('ours', tmp_path), across_versions=True)
