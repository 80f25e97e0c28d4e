import { OUT_FLAG } from '../args.js'
import { displayPath, plural } from '../format.js'
import { engineOptions, LOCK_TIMEOUT_FLAG, lockTimeout, outDir, printJson, warnings, type Verb } from '../verb.js'
import { recover } from '../../history/engine.js'

export const recoverVerb: Verb = {
  name: 'recover',
  summary: 'undo (or complete) an interrupted commit and remove staging leftovers',
  flags: {
    out: OUT_FLAG,
    'lock-timeout': LOCK_TIMEOUT_FLAG,
  },
  details: 'Exit codes: 0 recovered or nothing to recover; 2 usage or engine error (EO_LOCKED when a live build holds the lock).',
  async run(ctx) {
    const result = await recover(outDir(ctx), { ...engineOptions(ctx), ...lockTimeout(ctx), ...warnings(ctx) })
    if (ctx.flags.boolean('json')) {
      printJson(ctx.io, result)
      return 0
    }
    const dir = displayPath(result.outDir, ctx.cwd)
    const leftovers = `${plural(result.leftoversRemoved, 'leftover')} removed`
    const run = result.interruptedRun
    if (run) {
      const state = run.action === 'restored' ? 'the previous output is back in place' : 'the previous output was in place'
      const orphan = run.killedOrphan ? '; its still running command was killed' : ''
      ctx.io.out(`recovered ${dir}: "emit-optimizer run --in-place" of pid ${run.pid} was killed (${run.command}); ${state}${orphan}`)
    }
    if (result.action === 'rolled-back') ctx.io.out(`recovered ${dir}: rolled back interrupted commit ${result.txId} (${result.strategy}); ${leftovers}`)
    else if (result.action === 'rolled-forward')
      ctx.io.out(`recovered ${dir}: completed interrupted commit ${result.txId} (${result.strategy}), which had passed its commit point; ${leftovers}`)
    else if (result.leftoversRemoved > 0) ctx.io.out(`recovered ${dir}: no interrupted commit; ${leftovers}`)
    else if (!run) ctx.io.out(`${dir}: nothing to recover`)
    return 0
  },
}
