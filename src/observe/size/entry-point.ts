/* Loaded with every build (the adapters hand entry points over): no imports. */

/**
 * An entry point as the bundler describes it: the files a page or a `<script>` loads before it can
 * run (the entry chunk, its static imports transitively, the CSS and assets the bundler ties to
 * them; never a dynamic import). Paths are relative to outDir, posix.
 */
export interface EntryPoint {
  name: string
  files: string[]
}

/**
 * Adds `list` to `into`. A name already taken (two outputs of one directory, e.g. esm + cjs) gets
 * its entry file's path appended, so neither hides the other.
 */
export function addEntries(into: EntryPoint[], list: readonly EntryPoint[]): void {
  for (const entry of list) {
    const name = into.some((e) => e.name === entry.name) ? `${entry.name} (${entry.files[0] ?? ''})` : entry.name
    into.push({ name, files: [...new Set(entry.files)] })
  }
}
