import { createRequire } from 'node:module'
import type Picomatch from 'picomatch'

/** picomatch (CommonJS) is required by the first commit, not when the plugin is imported. */
export const loadPicomatch = (): typeof Picomatch => createRequire(import.meta.url)('picomatch') as typeof Picomatch

/** Publish groups, in the order they are made visible: 0 plain assets, 1 code, 2 entry points. */
export type PublishGroup = 0 | 1 | 2
export const PUBLISH_GROUPS: readonly PublishGroup[] = [0, 1, 2]

/**
 * Classifies output paths so plain assets are published before the code that references them,
 * and entry points (html, manifests, service workers) last: a reader of the live directory never
 * follows an entry point to a file that is not there yet.
 */
export function createPublishClassifier(patterns: { entries: string[]; code: string[] }): (path: string) => PublishGroup {
  const picomatch = loadPicomatch()
  const isEntry = picomatch(patterns.entries, { dot: true })
  const isCode = picomatch(patterns.code, { dot: true })
  return (path) => (isEntry(path) ? 2 : isCode(path) ? 1 : 0)
}
