import { OUT_FLAG, UsageError } from '../args.js'
import { displayPath } from '../format.js'
import { engineOptions, LOCK_TIMEOUT_FLAG, lockTimeout, outDir, printJson, warnings, type Verb } from '../verb.js'
import { rollback } from '../../history/rollback.js'

export const rollbackVerb: Verb = {
  name: 'rollback',
  summary: 'restore outDir to a recorded version (default: the previous one) as one transaction',
  positionals: '[<id>]',
  flags: { out: OUT_FLAG, 'lock-timeout': LOCK_TIMEOUT_FLAG },
  details: [
    'The version is named by its id, a unique prefix of it, latest or previous (the default).',
    'Only files that differ are rewritten; files the version lacks are deleted; every stored file is verified (sha256) first.',
    'Exit codes: 0 restored; 2 unknown version (EO_HISTORY_NOT_FOUND), damaged store (EO_HISTORY_CORRUPT), EO_LOCKED, usage or engine error.',
  ].join('\n'),
  async run(ctx) {
    const [to, ...extra] = ctx.flags.positionals
    if (extra.length > 0) throw new UsageError(`rollback takes at most one version, got ${ctx.flags.positionals.map((arg) => `'${arg}'`).join(' ')}`)
    const result = await rollback(outDir(ctx), { ...engineOptions(ctx), ...lockTimeout(ctx), ...warnings(ctx), ...(to === undefined ? {} : { to }) })
    if (ctx.flags.boolean('json')) {
      printJson(ctx.io, result)
      return 0
    }
    const { written, deleted, unchanged } = result.stats
    ctx.io.out(
      `rolled back ${displayPath(result.outDir, ctx.cwd)} to version ${result.to}${result.from ? ` (from ${result.from})` : ''}: ` +
        `${written} written, ${deleted} deleted, ${unchanged} unchanged`,
    )
    return 0
  },
}
