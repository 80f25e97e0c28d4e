import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { EmitOptimizerError } from '../errors.js'
import { COMMON_FLAGS, flagLines, parseFlags, UsageError, usageSynopsis, wantsHelp, type FlagTable } from './args.js'
import type { Io, Verb } from './verb.js'
import { checkVerb } from './verbs/check.js'
import { historyVerb } from './verbs/history.js'
import { recoverVerb } from './verbs/recover.js'
import { reportVerb } from './verbs/report.js'
import { rollbackVerb } from './verbs/rollback.js'
import { runVerb } from './verbs/run.js'
import { statusVerb } from './verbs/status.js'
import { verifyVerb } from './verbs/verify.js'

export const BIN = 'emit-optimizer'

/** Every verb, in help order; each lives in verbs/<name>.ts. */
const verbs: readonly Verb[] = [recoverVerb, verifyVerb, statusVerb, historyVerb, rollbackVerb, reportVerb, checkVerb, runVerb]
const PACKAGE_NAME = 'unplugin-emit-optimizer'

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, drift: 1, usage: 2, internal: 70 } as const

export const processIo: Io = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
}

/**
 * The package version: walks up from this file (src/cli/ under tsx, dist/ when built) to the
 * package.json of this package.
 */
export function packageVersion(from = import.meta.url): string {
  for (let dir = path.dirname(fileURLToPath(from)); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown }
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version
    } catch {
      // No or unreadable package.json here: keep walking up.
    }
    if (path.dirname(dir) === dir) return 'unknown'
  }
}

function verbFlags(verb: Verb): FlagTable {
  return { ...verb.flags, ...COMMON_FLAGS }
}

export function topUsage(): string[] {
  const width = Math.max(...verbs.map((verb) => verb.name.length))
  return [
    `Usage: ${BIN} <command> --out <dir> [flags]`,
    '',
    'Inspects, repairs and rolls back output directories written by unplugin-emit-optimizer.',
    '',
    'Commands:',
    ...verbs.map((verb) => `  ${verb.name.padEnd(width)}  ${verb.summary}`),
    '',
    'Flags:',
    ...flagLines({
      out: { type: 'string', value: '<dir>', description: 'output directory, relative to --root; required by every command but check' },
      ...COMMON_FLAGS,
      version: { type: 'boolean', description: 'print the version' },
    }),
    '',
    'Exit codes: 0 ok; 1 drift found (verify); 2 usage error, engine error (error EO_…) or nothing committed; 70 internal error.',
    `Run "${BIN} <command> --help" for the flags of one command.`,
  ]
}

export function verbUsage(verb: Verb): string[] {
  const table = verbFlags(verb)
  return [
    `Usage: ${BIN} ${verb.name}${verb.positionals ? ` ${verb.positionals}` : ''} ${usageSynopsis(table)}`,
    '',
    `${verb.summary[0]?.toUpperCase()}${verb.summary.slice(1)}.`,
    '',
    'Flags:',
    ...flagLines(table),
    ...(verb.details ? ['', ...verb.details.split('\n')] : []),
  ]
}

function usageError(io: Io, message: string, helpFor?: Verb): number {
  io.err(`error: ${message}`)
  io.err(`Run "${BIN}${helpFor ? ` ${helpFor.name}` : ''} --help" for usage.`)
  return EXIT.usage
}

/** Runs the CLI on `argv` (without node and the script) and resolves the exit code. */
export async function runCli(argv: readonly string[], io: Io = processIo, cwd = process.cwd()): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined) {
    for (const line of topUsage()) io.err(line)
    return EXIT.usage
  }
  if (first === '--help' || first === '-h') {
    for (const line of topUsage()) io.out(line)
    return EXIT.ok
  }
  if (first === '--version') {
    io.out(packageVersion())
    return EXIT.ok
  }
  if (first === 'help') {
    const target = rest[0] === undefined ? undefined : verbs.find((verb) => verb.name === rest[0])
    if (rest[0] !== undefined && !target) return usageError(io, `unknown command "${rest[0]}"; commands: ${verbs.map((verb) => verb.name).join(', ')}`)
    for (const line of target ? verbUsage(target) : topUsage()) io.out(line)
    return EXIT.ok
  }
  if (first.startsWith('-')) return usageError(io, `expected a command before '${first}'; commands: ${verbs.map((verb) => verb.name).join(', ')}`)
  const verb = verbs.find((candidate) => candidate.name === first)
  if (!verb) return usageError(io, `unknown command "${first}"; commands: ${verbs.map((candidate) => candidate.name).join(', ')}`)

  if (wantsHelp(rest)) {
    for (const line of verbUsage(verb)) io.out(line)
    return EXIT.ok
  }
  try {
    const table = verbFlags(verb)
    // Everything after `--` belongs to the verb (e.g. the command `check` runs), not to us.
    const end = rest.indexOf('--')
    const args = end < 0 ? [] : rest.slice(end + 1)
    if (args.length > 0 && !verb.passthrough) throw new UsageError(`"${verb.name}" takes no arguments after --`)
    const flags = parseFlags(end < 0 ? [...rest] : rest.slice(0, end), table, verb.name, verb.positionals !== undefined)
    for (const [name, spec] of Object.entries(table)) {
      if (spec.required && flags.string(name) === undefined)
        throw new UsageError(`${verb.name} needs --${name} ${spec.value ?? '<value>'}: ${spec.description}`)
    }
    return await verb.run({ io, flags, args, cwd })
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, error.message, verb)
    if (error instanceof EmitOptimizerError) {
      io.err(`error ${error.code}: ${error.message.replace(/^\[emit-optimizer\] /, '')}`)
      return EXIT.usage
    }
    io.err(`internal error in "${BIN} ${verb.name}" (please report it):`)
    io.err(error instanceof Error ? (error.stack ?? String(error)) : String(error))
    return EXIT.internal
  }
}
