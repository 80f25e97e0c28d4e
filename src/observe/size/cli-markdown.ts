import { chooseBaseline, defaultBranch } from './baseline.js'
import { compare } from './delta.js'
import { entrySizes } from './entries.js'
import { renderMarkdown, type MarkdownInput } from './markdown.js'
import { snapshotLabel } from './measure.js'
import { readSizeIndex, readSnapshot, sizeStore } from './store.js'

/**
 * `emit-optimizer report --markdown [--baseline <version|branch>]`: the latest report's Markdown,
 * with the baseline comparison redone against the named one from the size store. Undefined (and
 * the reason) when that baseline is not kept.
 */
export async function markdownReport(
  input: MarkdownInput,
  options: { stateDir: string; root: string; baseline: string | undefined },
): Promise<{ markdown: string } | { missing: string }> {
  const sizes = input.sizes
  if (options.baseline === undefined || !sizes) return { markdown: renderMarkdown(input) }
  const store = sizeStore(options.stateDir)
  const [index, current] = await Promise.all([readSizeIndex(store), readSnapshot(store, sizes.id)])
  if (!current) return { missing: `the sizes of the reported output (${sizes.id}) are no longer in ${store.dir}` }
  const chosen = chooseBaseline(index.snapshots, { requested: options.baseline, branch: defaultBranch(options.root), currentId: sizes.id })
  const snapshot = chosen && (await readSnapshot(store, chosen.id))
  if (!snapshot) return { missing: `no kept build matches the baseline "${options.baseline}" (a version id or a branch; see emit-optimizer history list)` }
  const baseline = { ...compare(current, snapshot), label: snapshotLabel(snapshot) }
  const against = new Map(entrySizes(current, undefined, snapshot).map((entry) => [entry.name, entry.baseline]))
  const entries = (sizes.entries ?? []).map((entry) => ({ ...entry, baseline: against.get(entry.name) ?? null }))
  return { markdown: renderMarkdown({ ...input, sizes: { ...sizes, entries, baseline, baselineWanted: options.baseline } }) }
}
