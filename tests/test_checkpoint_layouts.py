"""Our checkpoints hold exactly the variables the reference's did.

Descriptors in tests/checkpoints/*.json are recorded from the reference
(scripts/make_golden.py, TF 2.12.1); see checkpoint_layouts.py.
"""

import json
import os

import pytest

import checkpoint_layouts
import tf_compat_bn

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.parametrize('layout_id', sorted(checkpoint_layouts.LAYOUTS))
def test_checkpoint_layout(layout_id):
  with open(os.path.join(HERE, 'checkpoints', layout_id + '.json')) as f:
    expected = json.load(f)
  actual = checkpoint_layouts.checkpoint_layout(
      layout_id, tf_compat_bn.batch_norm, tf_compat_bn.batch_normalization)
  assert actual == expected


@pytest.mark.parametrize('layout_id', sorted(checkpoint_layouts.LAYER_LAYOUTS))
def test_layer_checkpoint_layout(layout_id):
  with open(os.path.join(HERE, 'checkpoints', layout_id + '.json')) as f:
    expected = json.load(f)
  actual = checkpoint_layouts.layer_checkpoint_layout(layout_id,
                                                      tf_compat_bn.layers)
  assert actual == expected
