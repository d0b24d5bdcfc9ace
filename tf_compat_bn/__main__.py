"""Command line: `python -m tf_compat_bn` (or `tf-compat-bn`).

    demo                   a legacy TF1 training program run under install()
    run SCRIPT [ARGS...]   install(), then run SCRIPT as __main__ with ARGS
    inspect CHECKPOINT     list the batch-norm variables of a checkpoint and
                           the API layout (contrib/slim or tf.layers) they match
"""

import argparse
import runpy
import sys


def main(argv=None):
  parser = argparse.ArgumentParser(
      prog='tf-compat-bn',
      description='TF1 batch normalization on modern TensorFlow.')
  commands = parser.add_subparsers(dest='command', required=True)
  commands.add_parser('demo', help='run a legacy TF1 training demo')
  run = commands.add_parser('run', help='install(), then run a script')
  run.add_argument('script')
  run.add_argument('args', nargs=argparse.REMAINDER)
  inspect = commands.add_parser('inspect',
                                help='batch-norm variables in a checkpoint')
  inspect.add_argument('checkpoint')
  args = parser.parse_args(argv)

  if args.command == 'demo':
    from tf_compat_bn import demo  # pylint: disable=g-import-not-at-top
    return demo.main()
  if args.command == 'run':
    import tf_compat_bn  # pylint: disable=g-import-not-at-top
    tf_compat_bn.install()
    sys.argv = [args.script] + args.args
    runpy.run_path(args.script, run_name='__main__')
    return 0
  from tf_compat_bn import checkpoints  # pylint: disable=g-import-not-at-top
  print('\n'.join(checkpoints.describe(args.checkpoint)))
  return 0


if __name__ == '__main__':
  sys.exit(main())
