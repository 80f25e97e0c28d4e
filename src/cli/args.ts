import { parseArgs } from 'node:util'

/** One command-line flag. Names are the long form without the dashes, e.g. `state-dir`. */
export interface FlagSpec {
  type: 'string' | 'boolean'
  short?: string
  /** Placeholder shown in usage for string flags, e.g. `<dir>`. */
  value?: string
  description: string
  required?: boolean
}

export type FlagTable = Readonly<Record<string, FlagSpec>>

/** A mistake in the command line: printed as `error: …` with a hint to use --help, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Typed access to parsed flag values. */
export interface Flags {
  string(name: string): string | undefined
  boolean(name: string): boolean
  /** Arguments that are not flags (verbs declaring `positionals` only). */
  positionals: string[]
}

export const OUT_FLAG: FlagSpec = { type: 'string', value: '<dir>', required: true, description: 'output directory, relative to --root' }

/** Flags every verb accepts, appended after the verb's own. */
export const COMMON_FLAGS: FlagTable = {
  root: { type: 'string', value: '<dir>', description: 'project root (default: the current directory)' },
  'state-dir': { type: 'string', value: '<dir>', description: "state directory of outDir (default: the plugin's default for outDir)" },
  json: { type: 'boolean', description: 'print the result object as JSON on stdout, nothing else' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
}

/** Parses `args` strictly against `table`; unknown flags (and positionals, unless allowed) throw a UsageError. */
export function parseFlags(args: string[], table: FlagTable, verb: string, allowPositionals = false): Flags {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {}
  for (const [name, spec] of Object.entries(table)) options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type }
  let values: Record<string, unknown>
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({ args, options, strict: true, allowPositionals }))
  } catch (error) {
    throw new UsageError(describeParseError(error, verb))
  }
  return {
    positionals,
    string: (name) => {
      const value = values[name]
      return typeof value === 'string' && value !== '' ? value : undefined
    },
    boolean: (name) => values[name] === true,
  }
}

/** True when `args` asks for help, even if it would not parse. */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--')
  return (end < 0 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h')
}

function describeParseError(error: unknown, verb: string): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : ''
  const message = error instanceof Error ? error.message : String(error)
  const quoted = /'([^']+)'/.exec(message)?.[1]
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) return `unknown option '${quoted}' for "${verb}"`
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted)
    return `unexpected argument '${quoted}' for "${verb}" (paths are given with flags, e.g. --out dist)`
  return message.replace(/\.$/, '')
}

/** `--out <dir>` or `--json`. */
function flagSyntax(name: string, spec: FlagSpec): string {
  return spec.type === 'string' ? `--${name} ${spec.value ?? '<value>'}` : `--${name}`
}

/** Usage line parts: required flags bare, optional ones in brackets. `help` is left out. */
export function usageSynopsis(table: FlagTable): string {
  return Object.entries(table)
    .filter(([name]) => name !== 'help')
    .map(([name, spec]) => (spec.required ? flagSyntax(name, spec) : `[${flagSyntax(name, spec)}]`))
    .join(' ')
}

/** Aligned `  -h, --help   description` lines. */
export function flagLines(table: FlagTable): string[] {
  const rows = Object.entries(table).map(
    ([name, spec]) =>
      [`${spec.short ? `-${spec.short}, ` : '    '}${flagSyntax(name, spec)}`, `${spec.description}${spec.required ? '; required' : ''}`] as const,
  )
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)
}
