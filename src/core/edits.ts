import path from 'node:path'
import MagicString, { type SourceMap } from 'magic-string'
import { EmitOptimizerError } from '../errors.js'

/**
 * One change to a file's text. Offsets refer to the original content (magic-string semantics),
 * so several edits compose without shifting each other.
 */
export type Edit =
  /** Replace `[start, end)` with `content`; `start === end` inserts. */
  | { start: number; end: number; content: string }
  /** Replace the first match of a string, or every match of a global RegExp; no match is an error. */
  | { search: string | RegExp; replace: string }

export interface EditResult {
  /** The content after the edits. */
  code: string
  /** Whether the edits changed the content at all. */
  changed: boolean
  /** Maps `code` back to the original content (source = the file itself); built on demand. */
  map(): SourceMap
}

/**
 * Applies edits with magic-string. A range outside the content or a search without a match is
 * `EO_EDIT_FAILED`: a generator's edit that silently does nothing hides a bug.
 */
export function applyEdits(rel: string, original: string, edits: readonly Edit[]): EditResult {
  const s = new MagicString(original)
  const fail = (what: string): never => {
    throw new EmitOptimizerError('EO_EDIT_FAILED', `cannot edit "${rel}": ${what}. Check the edit against the file's current content.`, { path: rel })
  }
  for (const edit of edits) {
    if ('search' in edit) {
      const found =
        typeof edit.search === 'string' ? original.includes(edit.search) : new RegExp(edit.search.source, edit.search.flags.replace('g', '')).test(original)
      if (!found) fail(`${String(edit.search)} does not occur`)
      s.replace(edit.search, edit.replace)
    } else {
      if (!(Number.isInteger(edit.start) && Number.isInteger(edit.end) && edit.start >= 0 && edit.start <= edit.end && edit.end <= original.length)) {
        fail(`range [${edit.start}, ${edit.end}) is outside the file (length ${original.length})`)
      }
      if (edit.start === edit.end) s.appendLeft(edit.start, edit.content)
      else s.overwrite(edit.start, edit.end, edit.content)
    }
  }
  const code = s.toString()
  const name = path.posix.basename(rel)
  return { code, changed: code !== original, map: () => s.generateMap({ hires: true, source: name, file: name, includeContent: true }) }
}
