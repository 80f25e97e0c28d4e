import path from 'node:path'
import { UsageError } from '../args.js'
import { displayPath, listLines, plural, shellQuote } from '../format.js'
import { engineOptions, printJson, type Verb } from '../verb.js'
import { runInCheckMode } from '../../writer/check-mode.js'

export const checkVerb: Verb = {
  name: 'check',
  summary: 'run a code generator with its writers in check mode; exit 1 if it would change files',
  flags: {
    run: {
      type: 'string',
      value: '<command>',
      description: 'the generator command line, run by the shell in --root with EMIT_OPTIMIZER_CHECK=1 (or give it after --)',
    },
  },
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
    const files = (status: string) =>
      result.changes.filter((change) => change.status === status).map((change) => displayPath(path.join(change.root, change.path), ctx.cwd))
    if (code === 0) ctx.io.out(`check: nothing would change (${command})`)
    else ctx.io.out(`check: ${plural(result.changes.length, 'file')} would change (${command})`)
    for (const line of [
      ...listLines('A', 'created', files('created')),
      ...listLines('M', 'updated', files('updated')),
      ...listLines('D', 'deleted', files('deleted')),
    ])
      ctx.io.out(line)
    return code
  },
}
