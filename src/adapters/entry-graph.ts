import path from 'node:path'
import type { EntryPoint } from '../observe/size/entry-point.js'

/** The fields of a Rollup, Rolldown or Vite output chunk (or asset) the entry graph reads. */
export interface BundleItem {
  type: 'chunk' | 'asset'
  fileName: string
  name?: string
  isEntry?: boolean
  /** Static imports only: `dynamicImports` load later and are not part of the initial load. */
  imports?: readonly string[]
  facadeModuleId?: string | null
  /** Vite: the CSS and assets a chunk imports (its HTML and preload code load them with it). */
  viteMetadata?: { importedCss: ReadonlySet<string>; importedAssets: ReadonlySet<string> }
}

/** `start` and everything reachable from it through `next`, each once, `start` first. */
export function reachable(start: readonly string[], next: (file: string) => readonly string[]): string[] {
  const seen = new Set(start)
  for (const file of seen) for (const to of next(file)) seen.add(to)
  return [...seen]
}

/**
 * Every entry chunk of a bundle with its static imports, transitively, and (Vite) their CSS and
 * assets. With `htmlRoot` (Vite), an entry whose facade is an HTML file is named by that page's
 * output path and counts the page too: the chunk is what the page's `<script>` loads.
 */
export function bundleEntries(bundle: Readonly<Record<string, BundleItem>>, htmlRoot?: string): EntryPoint[] {
  const entries: EntryPoint[] = []
  for (const chunk of Object.values(bundle)) {
    if (chunk.type !== 'chunk' || !chunk.isEntry) continue
    const chunks = reachable([chunk.fileName], (file) => (bundle[file]?.imports ?? []).filter((to) => bundle[to]?.type === 'chunk'))
    const tied = chunks.flatMap((file) => {
      const meta = bundle[file]?.viteMetadata
      return meta ? [...meta.importedCss, ...meta.importedAssets] : []
    })
    const facade = chunk.facadeModuleId
    const page = htmlRoot && facade?.endsWith('.html') ? path.relative(htmlRoot, facade).split(path.sep).join('/') : undefined
    const html = page !== undefined && bundle[page]?.type === 'asset' ? [page] : []
    entries.push({ name: html[0] ?? chunk.name ?? chunk.fileName, files: [...html, ...chunks, ...tied] })
  }
  return entries
}

/** The part of esbuild's metafile the entry graph reads (paths relative to the working dir). */
export interface MetafileOutputs {
  outputs: Record<string, { entryPoint?: string; cssBundle?: string; imports: ReadonlyArray<{ path: string; kind: string; external?: boolean }> }>
}

/**
 * esbuild: each output with an `entryPoint`, named by that input path, with its static imports
 * (`import-statement`) transitively, their `file-loader` assets and the entry's CSS bundle.
 * Paths are absolute (resolved against `workingDir`).
 */
export function metafileEntries(metafile: MetafileOutputs, workingDir: string): EntryPoint[] {
  const { outputs } = metafile
  const entries: EntryPoint[] = []
  for (const [file, output] of Object.entries(outputs)) {
    if (output.entryPoint === undefined) continue
    const chunks = reachable([file], (from) =>
      (outputs[from]?.imports ?? []).filter((i) => i.kind === 'import-statement' && !i.external && i.path in outputs).map((i) => i.path),
    )
    const assets = chunks.flatMap((from) => (outputs[from]?.imports ?? []).filter((i) => i.kind === 'file-loader').map((i) => i.path))
    const files = [...chunks, ...(output.cssBundle === undefined ? [] : [output.cssBundle]), ...assets]
    entries.push({ name: output.entryPoint, files: files.map((f) => path.resolve(workingDir, f)) })
  }
  return entries
}
