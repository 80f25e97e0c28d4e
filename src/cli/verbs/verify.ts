import { OUT_FLAG } from '../args.js'
import { displayPath, formatTime, listLines, plural } from '../format.js'
import { engineOptions, outDir, printJson, recoverCommand, type Verb } from '../verb.js'
import { verify } from '../../core/verify-status.js'
import { checkHistory } from '../../history/check.js'
import { damageLines } from '../history-damage.js'

export const verifyVerb: Verb = {
  name: 'verify',
  summary: 'compare outDir with the manifest of the last commit',
  flags: {
    out: OUT_FLAG,
    deep: {
      type: 'boolean',
      description: 're-hash every file, and every stored file of the build history (default: trust files whose stat proves them unchanged)',
    },
  },
  details:
    'Exit codes: 0 outDir matches the last commit; 1 drift, an interrupted commit pending or (--deep) a kept version ' +
      'that cannot be restored; 2 no commit recorded, usage or engine error.\n' +
      'Lines: M modified, D missing, ? extra (not produced by the last commit), ! a damaged version of the history.',
  async run(ctx) {
    const deep = ctx.flags.boolean('deep')
    const result = await verify(outDir(ctx), { ...engineOptions(ctx), deep })
    const history = deep && !result.noManifest ? await checkHistory(outDir(ctx), { ...engineOptions(ctx), deep }) : undefined
    const code = result.noManifest ? 2 : result.ok && (history?.ok ?? true) ? 0 : 1
    if (ctx.flags.boolean('json')) {
      printJson(ctx.io, history === undefined ? result : { ...result, history })
      return code
    }
    const dir = displayPath(result.outDir, ctx.cwd)
    const pendingHint = `an interrupted commit is pending for ${dir}; run "${recoverCommand(ctx)}" to restore a committed state`
    if (result.noManifest) {
      ctx.io.err(`error: no committed output recorded for ${dir} in ${displayPath(result.stateDir, ctx.cwd)}; run a build with the plugin first`)
      if (result.pendingJournal) ctx.io.err(`note: ${pendingHint}`)
      return code
    }
    const commit = `commit ${result.txId} of ${formatTime(result.committedAt ?? '')}`
    const { modified, missing, extra } = result
    if (modified.length + missing.length + extra.length === 0) {
      ctx.io.out(`${dir}: ok, matches ${commit}; ${plural(result.hashed, 'file')} hashed`)
    } else {
      ctx.io.out(`${dir}: differs from ${commit}: ${modified.length} modified, ${missing.length} missing, ${extra.length} extra`)
      for (const line of [...listLines('M', 'modified', modified), ...listLines('D', 'missing', missing), ...listLines('?', 'extra', extra)]) ctx.io.out(line)
    }
    if (result.pendingJournal) ctx.io.out(pendingHint)
    if (history !== undefined && history.versions > 0) {
      const stored = `${plural(history.versions, 'version')}, ${plural(history.objects, 'stored file')} hashed`
      ctx.io.out(`history: ${stored}, ${history.ok ? 'all restorable' : 'damaged'}`)
    }
    for (const line of history === undefined ? [] : damageLines(ctx, history)) ctx.io.out(line)
    return code
  },
}
