import { OUT_FLAG, UsageError } from '../args.js'
import { engineOptions, LOCK_TIMEOUT_FLAG, lockTimeout, outDir, printJson, type Verb } from '../verb.js'
import { OUT_ENV, OUT_PLACEHOLDER, runCommand } from '../../pipeline/run-command.js'
import { describeError } from '../../plugin/capture.js'

export const runVerb: Verb = {
  name: 'run',
  summary: 'run any build command (tsc, Eleventy, Hugo, a script) as one transaction on outDir',
  flags: {
    out: OUT_FLAG,
    'in-place': {
      type: 'boolean',
      description: 'the command writes outDir itself (it cannot be pointed elsewhere); the previous output is kept aside meanwhile',
    },
    fresh: { type: 'boolean', description: 'give the command an empty directory instead of a copy of the current output' },
    'stage-env': { type: 'string', value: '<VAR>', description: `also set this environment variable to the directory to write (${OUT_ENV} is always set)` },
    'lock-timeout': LOCK_TIMEOUT_FLAG,
    'no-history': { type: 'boolean', description: 'do not record the new output as a build-history version' },
  },
  passthrough: `<command> [args...]: the build command, run without a shell; ${OUT_PLACEHOLDER} in an argument is replaced by the directory it must write`,
  details: [
    `Redirect (default): the command writes a staging directory next to outDir, given as ${OUT_PLACEHOLDER} and $${OUT_ENV}`,
    `  (e.g. -- tsc --outDir ${OUT_PLACEHOLDER}); outDir changes only at the commit, atomically for readers.`,
    '--in-place: the command writes outDir (e.g. -- sh -c "rimraf dist && node build.mjs"); readers may see a partial outDir while',
    '  it runs; a failure, a signal or a SIGKILL (then "emit-optimizer recover" or the next run) leaves the previous output.',
    'On success outDir holds exactly what the command left: unchanged files keep inode and mtime, files it no longer writes are deleted.',
    "Exit codes: 0 committed; the command's own code when it failed (128 + signal number when killed or interrupted, 127 when it",
    'could not start), nothing published; 2 usage or engine error (the commit failed, outDir keeps the previous output).',
  ].join('\n'),
  async run(ctx) {
    if (ctx.args.length === 0) throw new UsageError(`run needs the build command after --: emit-optimizer run --out dist -- tsc --outDir ${OUT_PLACEHOLDER}`)
    const inPlace = ctx.flags.boolean('in-place')
    const stageEnv = ctx.flags.string('stage-env')
    if (!inPlace && stageEnv === undefined && !ctx.args.some((arg) => arg.includes(OUT_PLACEHOLDER))) {
      throw new UsageError(
        `the command is not told where to write: put ${OUT_PLACEHOLDER} where it takes its output directory (-- tsc --outDir ${OUT_PLACEHOLDER}), ` +
          `pass --stage-env <VAR> for a tool that reads it from the environment, or use --in-place for a tool that can only write ${outDir(ctx)} itself`,
      )
    }
    const json = ctx.flags.boolean('json')
    const { root, stateDir } = engineOptions(ctx)
    const result = await runCommand({
      command: ctx.args,
      outDir: outDir(ctx),
      root,
      mode: inPlace ? 'in-place' : 'redirect',
      fresh: ctx.flags.boolean('fresh'),
      ...(stageEnv === undefined ? {} : { stageEnv: [stageEnv] }),
      plugin: { ...lockTimeout(ctx), ...(stateDir === undefined ? {} : { stateDir }), ...(ctx.flags.boolean('no-history') ? { history: false } : {}) },
      // With --json stdout is only the result: the command's output and the summary go to stderr.
      logger: { info: (line) => (json ? ctx.io.err(line) : ctx.io.out(line)), warn: (line) => ctx.io.err(line) },
      stdout: json ? process.stderr : 'inherit',
    })
    const { report } = result
    if (json)
      printJson(ctx.io, {
        mode: result.mode,
        command: result.command,
        exitCode: result.exitCode,
        exit: { code: result.exit.exitCode, signal: result.exit.signal, interrupted: result.exit.interrupted },
        status: report.status,
        outDir: report.outDir,
        txId: report.txId,
        stats: report.result?.stats,
        error: report.error === undefined ? undefined : describeError(report.error),
      })
    else if (report.error !== undefined) ctx.io.err(`error ${describeError(report.error).replace('[emit-optimizer] ', '')}`)
    return result.exitCode
  },
}
