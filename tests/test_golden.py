"""Golden-file tests: ours against the reference's recorded results.

tests/golden/*.json are written by scripts/make_golden.py under TF 2.12.1,
where the reference still runs; these tests carry that comparison to any
TensorFlow, in particular the newest, where the reference cannot run.
"""

import json
import os

import pytest

import contrib_cases
import graph_summary
import layer_families
import layers_api_cases
import layers_cases
import test_contrib_reference_errors as contrib_errors
import tf_compat_bn

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'golden')


def _load(name):
  with open(os.path.join(GOLDEN, name)) as f:
    return json.load(f)


CONTRIB = _load('contrib.json')
CONTRIB_BY_ID = {c['case']['id']: c for c in CONTRIB['cases']}
LAYERS = _load('layers.json')
LAYERS_BY_ID = {c['case']['id']: c for c in LAYERS['cases']}
FAMILIES = _load('layer_families.json')['families']


def test_golden_covers_every_case():
  assert sorted(CONTRIB_BY_ID) == sorted(c['id'] for c in contrib_cases.CASES)
  assert sorted(CONTRIB['errors']) == sorted(contrib_errors.ERROR_CASES)
  assert sorted(LAYERS_BY_ID) == sorted(c['id'] for c in layers_cases.CASES)
  assert sorted(LAYERS['api']) == sorted(
      c['id'] for c in layers_api_cases.API_CASES)
  assert sorted(LAYERS['errors']) == sorted(layers_api_cases.ERROR_CASES)


def _check_case(golden, case, fn, make_kwargs):
  assert golden['case'] == case, 'golden file is stale: run make_golden.py'
  structure, values = graph_summary.summarize(case, fn, make_kwargs)
  graph_summary.assert_structure_equal(golden['structure'],
                                       json.loads(json.dumps(structure)),
                                       across_versions=True)
  graph_summary.assert_values_close(golden['values'],
                                    graph_summary.to_json(values),
                                    case.get('dtype', 'float32'))


@pytest.mark.parametrize('case', contrib_cases.CASES, ids=lambda c: c['id'])
def test_batch_norm_matches_golden(case):
  _check_case(CONTRIB_BY_ID[case['id']], case, tf_compat_bn.batch_norm,
              contrib_cases.make_kwargs)


@pytest.mark.parametrize('case', layers_cases.CASES, ids=lambda c: c['id'])
def test_batch_normalization_matches_golden(case):
  _check_case(LAYERS_BY_ID[case['id']], case,
              tf_compat_bn.batch_normalization, layers_cases.make_kwargs)


@pytest.mark.parametrize('case', layers_api_cases.API_CASES,
                         ids=lambda c: c['id'])
def test_layer_surface_matches_golden(case):
  actual = json.loads(json.dumps(layers_api_cases.describe(
      tf_compat_bn.BatchNormalization, case)))
  layers_api_cases.assert_same_surface(LAYERS['api'][case['id']], actual)


@pytest.mark.parametrize('name', sorted(layers_api_cases.ERROR_CASES))
def test_layers_error_matches_golden(name):
  actual = layers_api_cases.error_of(name, tf_compat_bn.BatchNormalization,
                                     tf_compat_bn.batch_normalization)
  assert actual == LAYERS['errors'][name]


@pytest.mark.parametrize('name', sorted(contrib_errors.ERROR_CASES))
def test_batch_norm_error_matches_golden(name):
  expected = CONTRIB['errors'][name]
  kind, message = contrib_errors._error(  # pylint: disable=protected-access
      contrib_errors.ERROR_CASES[name], tf_compat_bn.batch_norm)
  assert (kind.__name__, message) == (expected['type'], expected['message'])


def test_golden_covers_every_family_case():
  for family, module in layer_families.families().items():
    golden = FAMILIES[family]
    assert sorted(c['case']['id'] for c in golden['cases']) == sorted(
        c['id'] for c in module.CASES), family
    assert sorted(golden['errors']) == sorted(module.ERROR_CASES), family


@pytest.mark.parametrize('family, case', layer_families.all_cases(),
                         ids=lambda v: v['id'] if isinstance(v, dict) else v)
def test_layer_family_matches_golden(family, case):
  golden = {c['case']['id']: c for c in FAMILIES[family]['cases']}[case['id']]
  assert golden['case'] == json.loads(json.dumps(case)), (
      'golden file is stale: run make_golden.py families')
  structure, values = layer_families.summarize(family, case,
                                               tf_compat_bn.layers)
  graph_summary.assert_structure_equal(golden['structure'],
                                       json.loads(json.dumps(structure)),
                                       across_versions=True)
  if golden['values'] is not None:
    graph_summary.assert_values_close(golden['values'],
                                      graph_summary.to_json(values),
                                      case.get('dtype', 'float32'))


@pytest.mark.parametrize('family, name', layer_families.all_errors())
def test_layer_family_error_matches_golden(family, name):
  assert layer_families.error_of(family, name, tf_compat_bn.layers) == (
      FAMILIES[family]['errors'][name])
