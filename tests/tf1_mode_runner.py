"""Summarizes a set of cases in a process running under disable_v2_behavior().

TF1 behaviour (ref variables, control flow v1, `tf2.enabled()` False) is
process-wide, so the cases run in a child process:

    python tests/tf1_mode_runner.py {reference|ours} OUTPUT.json

`reference` needs TF 2.12.1 (tf_slim.batch_norm, tf.compat.v1.layers).
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_v2_behavior()

import contrib_cases  # noqa: E402
import graph_summary  # noqa: E402
import layers_cases  # noqa: E402

CONTRIB_IDS = ['rank4_default', 'rank4_placeholder', 'rank2_placeholder',
               'rank3_placeholder', 'rank4_zero_debias_placeholder',
               'rank4_batch_weights', 'rank4_updates_none_placeholder',
               'rank4_renorm_placeholder', 'rank4_partitioned',
               'rank4_float16', 'rank4_towers']
LAYERS_IDS = ['rank4_placeholder', 'rank2_placeholder',
              'virtual_batch_placeholder', 'virtual_batch_unknown_batch',
              'virtual_batch', 'renorm_placeholder', 'adjustment_placeholder',
              'multi_axis_placeholder', 'float16_placeholder',
              'reuse_second_call']


def cases():
  by_id = {c['id']: c for c in contrib_cases.CASES}
  for cid in CONTRIB_IDS:
    yield 'contrib/' + cid, by_id[cid], contrib_cases.make_kwargs
  by_id = {c['id']: c for c in layers_cases.CASES}
  for cid in LAYERS_IDS:
    yield 'layers/' + cid, by_id[cid], layers_cases.make_kwargs


def functions(which):
  if which == 'reference':
    import tf_slim  # pylint: disable=g-import-not-at-top
    return {'contrib': tf_slim.batch_norm,
            'layers': tf.compat.v1.layers.batch_normalization}
  import tf_compat_bn  # pylint: disable=g-import-not-at-top
  return {'contrib': tf_compat_bn.batch_norm,
          'layers': tf_compat_bn.batch_normalization}


def main(which, path):
  fns = functions(which)
  out = {}
  for key, case, make_kwargs in cases():
    structure, values = graph_summary.summarize(
        case, fns[key.split('/')[0]], make_kwargs)
    out[key] = {'case': case, 'structure': structure,
                'values': graph_summary.to_json(values)}
  with open(path, 'w') as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write('\n')


if __name__ == '__main__':
  main(*sys.argv[1:])
