import { OUT_FLAG } from '../args.js'
import { displayPath, formatTime, plural } from '../format.js'
import { engineOptions, outDir, printJson, recoverCommand, type Verb } from '../verb.js'
import { status } from '../../core/verify-status.js'
import { formatBytes } from '../../observe/format-bytes.js'

export const statusVerb: Verb = {
  name: 'status',
  summary: 'show the last commit, the lock holder and any interrupted commit',
  flags: { out: OUT_FLAG },
  async run(ctx) {
    const result = await status(outDir(ctx), engineOptions(ctx))
    if (ctx.flags.boolean('json')) {
      printJson(ctx.io, result)
      return 0
    }
    const { lastCommit: c, lock, journal: j, run: r } = result
    const rows: Array<[string, string]> = [
      ['outDir', displayPath(result.outDir, ctx.cwd)],
      ['state dir', displayPath(result.stateDir, ctx.cwd)],
      ['last commit', c ? `${c.txId}, ${formatTime(c.committedAt)}, ${c.strategy}, ${plural(c.files, 'file')}, ${formatBytes(c.bytes)}` : 'none'],
      ['version', c?.version ? `${c.version} of the build history (emit-optimizer history list)` : 'none recorded'],
      [
        'lock',
        lock
          ? `held by pid ${lock.pid} on ${lock.host} since ${formatTime(lock.startedAt)}; ` +
            `${lock.alive ? 'alive' : 'stale: the holder is gone, the next build or recover takes it over'}`
          : 'free',
      ],
      ['journal', j ? `${j.state} commit ${j.txId} (${j.strategy}) by pid ${j.pid} since ${formatTime(j.createdAt)}; run "${recoverCommand(ctx)}"` : 'none'],
      [
        'run',
        r
          ? `in-place run of pid ${r.pid} since ${formatTime(r.createdAt)} (${r.command}), ${r.phase}; ` +
            (r.alive
              ? `the previous output waits in ${displayPath(r.kept, ctx.cwd)}`
              : `killed: run "${recoverCommand(ctx)}" to restore the previous output`)
          : 'none',
      ],
    ]
    const width = Math.max(...rows.map(([label]) => label.length))
    for (const [label, value] of rows) ctx.io.out(`${label.padEnd(width)}  ${value}`)
    return 0
  },
}
