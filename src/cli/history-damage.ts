import type { HistoryCheck } from '../history/check.js'
import type { ObjectProblem } from '../history/objects.js'
import { plural } from './format.js'
import { commandFor, type CommandContext } from './verb.js'

const WHAT: Record<ObjectProblem, string> = {
  missing: 'stored content missing',
  altered: 'stored content altered',
  shared: 'stored content hard-linked with another file',
}

/** At most this many files are named per version; the JSON output has them all. */
const FILES_SHOWN = 3

/** What `history list` and `verify --deep` print about damaged versions: one line each, then the fix. */
export function damageLines(ctx: CommandContext, check: HistoryCheck): string[] {
  if (check.damaged.length === 0) return []
  const lines = check.damaged.map((version) => {
    if (version.record !== undefined) return `! ${version.id} cannot be restored: its version record is ${version.record}`
    const named = version.files.slice(0, FILES_SHOWN).map((file) => `${file.path} (${WHAT[file.problem]})`)
    const more = version.files.length > FILES_SHOWN ? `, and ${plural(version.files.length - FILES_SHOWN, 'more file')}` : ''
    return `! ${version.id} ${version.restorable ? 'is at risk' : 'cannot be restored'}: ${named.join(', ')}${more}`
  })
  lines.push(
    `run "${commandFor(ctx, ['history', 'repair'])}": it stores again what outDir still holds, ` +
      `copies hard-linked objects, and drops the versions it cannot restore`,
  )
  return lines
}
