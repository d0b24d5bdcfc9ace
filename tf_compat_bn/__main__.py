"""Command line: `python -m tf_compat_bn` (or `tf-compat-bn`).

    demo                   a legacy TF1 training program run under install()
    run [--keras] SCRIPT [ARGS...]
                           install() (with --keras: install(keras=True)),
                           then run SCRIPT as __main__ with ARGS
    inspect CHECKPOINT [--strict] [--json]
                           list the batch-norm variables of a checkpoint, the
                           API layout (contrib/slim or tf.layers) they match,
                           and missing or never-updated moving statistics
    convert IN OUT --to contrib|layers|keras [--map FILE] [--dry-run]
                           [--keep-scopes] [--add-missing]
                           rename the batch-norm variables of a checkpoint
                           to another API's layout; everything else copied
"""

import argparse
import json
import runpy
import sys


def main(argv=None):
  parser = argparse.ArgumentParser(
      prog='tf-compat-bn',
      description='TF1 batch normalization on modern TensorFlow.')
  commands = parser.add_subparsers(dest='command', required=True)
  commands.add_parser('demo', help='run a legacy TF1 training demo')
  run = commands.add_parser('run', help='install(), then run a script')
  run.add_argument('--keras', action='store_true',
                   help='install(keras=True): also the Keras-free '
                   'tf.compat.v1.keras.layers.BatchNormalization')
  run.add_argument('script')
  run.add_argument('args', nargs=argparse.REMAINDER)
  inspect = commands.add_parser('inspect',
                                help='batch-norm variables in a checkpoint')
  inspect.add_argument('checkpoint')
  inspect.add_argument('--strict', action='store_true',
                       help='exit with status 1 when a layer is missing its '
                       'moving statistics or they were never updated')
  inspect.add_argument('--json', action='store_true',
                       help='print the findings as JSON')
  convert = commands.add_parser(
      'convert', help='rename batch-norm variables to another layout')
  convert.add_argument('input', metavar='IN', help='checkpoint prefix (or '
                       'directory: its latest checkpoint)')
  convert.add_argument('output', metavar='OUT', help='prefix to write; '
                       'never IN')
  convert.add_argument('--to', required=True, choices=('contrib', 'layers',
                                                       'keras'),
                       help='contrib/slim (BatchNorm), tf.layers '
                       '(batch_normalization) or Keras 3 names')
  convert.add_argument('--map', metavar='FILE',
                       help='scope renames: JSON {"old": "new"} or lines '
                       '"OLD NEW"')
  convert.add_argument('--dry-run', action='store_true',
                       help='print the mapping, write nothing')
  convert.add_argument('--keep-scopes', action='store_true',
                       help='no BatchNorm <-> batch_normalization renaming')
  convert.add_argument('--add-missing', action='store_true',
                       help='write gamma = ones / beta = zeros for layers '
                       'saved without them')
  args = parser.parse_args(argv)

  if args.command == 'demo':
    from tf_compat_bn import demo  # pylint: disable=g-import-not-at-top
    return demo.main()
  if args.command == 'run':
    import tf_compat_bn  # pylint: disable=g-import-not-at-top
    tf_compat_bn.install(keras=args.keras)
    sys.argv = [args.script] + args.args
    runpy.run_path(args.script, run_name='__main__')
    return 0
  from tf_compat_bn import checkpoints  # pylint: disable=g-import-not-at-top
  try:
    if args.command == 'inspect':
      return _inspect(checkpoints, args)
    return _convert(checkpoints, args)
  except checkpoints.CheckpointError as e:
    print(f'tf-compat-bn {args.command}: error: {e}', file=sys.stderr)
    return 2


def _inspect(checkpoints, args):
  report = checkpoints.findings(args.checkpoint)
  if args.json:
    print(json.dumps(report, indent=1))
  else:
    print('\n'.join(checkpoints.describe(args.checkpoint, report)))
  return 1 if args.strict and not report['ok'] else 0


def _convert(checkpoints, args):
  mapping = checkpoints.read_mapping(args.map) if args.map else ()
  options = checkpoints.Options(to=args.to, mapping=mapping,
                                keep_scopes=args.keep_scopes,
                                add_missing=args.add_missing)
  plan = checkpoints.convert(args.input, args.output, options,
                             dry_run=args.dry_run)
  verb = 'would write' if args.dry_run else 'wrote'
  print(f'{args.input} -> {args.output} ({args.to} layout); {verb}:')
  print('\n'.join(plan.lines()))
  if args.dry_run:
    print('dry run: nothing written')
  return 0


if __name__ == '__main__':
  sys.exit(main())
