import path from 'node:path'
import { recover } from '../core/recover.js'
import { status, verify } from '../core/inspect.js'
import { OUT_FLAG, UsageError } from './args.js'
import { engineOptions, LOCK_TIMEOUT_FLAG, lockTimeout, outDir, printJson, recoverCommand, type Verb } from './verb.js'
import { historyVerb, rollbackVerb } from './history-commands.js'
import { displayPath, formatBytes, formatTime, listLines, plural, shellQuote } from './format.js'
import { runInCheckMode } from '../writer/check.js'
import { REPORT_FLAGS, runReport } from '../report/cli.js'
import { runVerb } from './verbs/run.js'

const recoverVerb: Verb = {
  name: 'recover',
  summary: 'undo (or complete) an interrupted commit and remove staging leftovers',
  flags: {
    out: OUT_FLAG,
    'lock-timeout': LOCK_TIMEOUT_FLAG,
  },
  details: 'Exit codes: 0 recovered or nothing to recover; 2 usage or engine error (EO_LOCKED when a live build holds the lock).',
  async run(ctx) {
    const result = await recover(outDir(ctx), { ...engineOptions(ctx), ...lockTimeout(ctx), logger: { warn: (message) => ctx.io.err(message) } })
    if (ctx.flags.boolean('json')) {
      printJson(ctx.io, result)
      return 0
    }
    const dir = displayPath(result.outDir, ctx.cwd)
    const leftovers = `${plural(result.leftoversRemoved, 'leftover')} removed`
    const run = result.interruptedRun
    if (run) ctx.io.out(`recovered ${dir}: "emit-optimizer run --in-place" of pid ${run.pid} was killed (${run.command}); ${run.action === 'restored' ? 'the previous output is back in place' : 'the previous output was in place'}${run.killedOrphan ? '; its still running command was killed' : ''}`)
    if (result.action === 'rolled-back') ctx.io.out(`recovered ${dir}: rolled back interrupted commit ${result.txId} (${result.strategy}); ${leftovers}`)
    else if (result.action === 'rolled-forward') ctx.io.out(`recovered ${dir}: completed interrupted commit ${result.txId} (${result.strategy}), which had passed its commit point; ${leftovers}`)
    else if (result.leftoversRemoved > 0) ctx.io.out(`recovered ${dir}: no interrupted commit; ${leftovers}`)
    else if (!run) ctx.io.out(`${dir}: nothing to recover`)
    return 0
  },
}

const verifyVerb: Verb = {
  name: 'verify',
  summary: 'compare outDir with the manifest of the last commit',
  flags: {
    out: OUT_FLAG,
    deep: { type: 'boolean', description: 're-hash every file (default: trust files whose size, mtime and inode match)' },
  },
  details: 'Exit codes: 0 outDir matches the last commit; 1 drift or an interrupted commit pending; 2 no commit recorded, usage or engine error.\nLines: M modified, D missing, ? extra (not produced by the last commit).',
  async run(ctx) {
    const result = await verify(outDir(ctx), { ...engineOptions(ctx), deep: ctx.flags.boolean('deep') })
    const code = result.noManifest ? 2 : result.ok ? 0 : 1
    if (ctx.flags.boolean('json')) {
      printJson(ctx.io, result)
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
    return code
  },
}

const statusVerb: Verb = {
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
      ['lock', lock ? `held by pid ${lock.pid} on ${lock.host} since ${formatTime(lock.startedAt)}; ${lock.alive ? 'alive' : 'stale: the holder is gone, the next build or recover takes it over'}` : 'free'],
      ['journal', j ? `${j.state} commit ${j.txId} (${j.strategy}) by pid ${j.pid} since ${formatTime(j.createdAt)}; run "${recoverCommand(ctx)}"` : 'none'],
      ['run', r ? `in-place run of pid ${r.pid} since ${formatTime(r.createdAt)} (${r.command}), ${r.phase}; ${r.alive ? `the previous output waits in ${displayPath(r.kept, ctx.cwd)}` : `killed: run "${recoverCommand(ctx)}" to restore the previous output`}` : 'none'],
    ]
    const width = Math.max(...rows.map(([label]) => label.length))
    for (const [label, value] of rows) ctx.io.out(`${label.padEnd(width)}  ${value}`)
    return 0
  },
}

const checkVerb: Verb = {
  name: 'check',
  summary: 'run a code generator with its writers in check mode; exit 1 if it would change files',
  flags: { run: { type: 'string', value: '<command>', description: 'the generator command line, run by the shell in --root with EMIT_OPTIMIZER_CHECK=1 (or give it after --)' } },
  passthrough: '<command> [args...]: the generator to run, e.g. emit-optimizer check -- node scripts/generate.mjs',
  details: 'Exit codes: 0 nothing would change; 1 files would be created (A), updated (M) or deleted (D); 2 the command failed, or a usage error.',
  async run(ctx) {
    const command = ctx.flags.string('run') ?? (ctx.args.length > 0 ? ctx.args.map(shellQuote).join(' ') : undefined)
    if (command === undefined) throw new UsageError('check needs the generator command: emit-optimizer check -- <command> [args...] (or --run "<command>")')
    const json = ctx.flags.boolean('json')
    // With --json the command's own output goes to stderr, so stdout is only the result.
    const result = await runInCheckMode(command, { cwd: engineOptions(ctx).root, stdout: json ? process.stderr : 'inherit' })
    const failed = result.exitCode !== 0
    const code = failed ? 2 : result.changes.length > 0 ? 1 : 0
    if (json) {
      printJson(ctx.io, { command, ...result })
      return code
    }
    if (failed) {
      ctx.io.err(`error: the command failed (${result.signal ?? `exit code ${result.exitCode}`}): ${command}`)
      return code
    }
    const files = (status: string) => result.changes.filter((change) => change.status === status).map((change) => displayPath(path.join(change.root, change.path), ctx.cwd))
    if (code === 0) ctx.io.out(`check: nothing would change (${command})`)
    else ctx.io.out(`check: ${plural(result.changes.length, 'file')} would change (${command})`)
    for (const line of [...listLines('A', 'created', files('created')), ...listLines('M', 'updated', files('updated')), ...listLines('D', 'deleted', files('deleted'))]) ctx.io.out(line)
    return code
  },
}

const reportVerb: Verb = {
  name: 'report',
  summary: 'print the latest build report (or its HTML path), or list the builds of a time window',
  flags: { out: OUT_FLAG, ...REPORT_FLAGS },
  details: 'Exit codes: 0 printed; 2 no report yet, usage or engine error.\nBy default a text summary of reports/latest.json; --json prints the file, --html its HTML twin\'s path.',
  run: (ctx) =>
    runReport({ io: ctx.io, cwd: ctx.cwd, root: engineOptions(ctx).root, outDir: outDir(ctx), stateDir: ctx.flags.string('state-dir'), reportDir: ctx.flags.string('report-dir'), json: ctx.flags.boolean('json'), html: ctx.flags.boolean('html'), open: ctx.flags.boolean('open'), since: ctx.flags.string('since') }),
}

/** Every verb, in help order. */
export const verbs: readonly Verb[] = [recoverVerb, verifyVerb, statusVerb, historyVerb, rollbackVerb, reportVerb, checkVerb, runVerb]

export type { Io, Verb } from './verb.js'
