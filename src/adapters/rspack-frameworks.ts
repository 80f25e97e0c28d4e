import { firstTime } from './once.js'

/**
 * Frameworks the plain Rspack plugin recognises on its compiler, as vite-frameworks.ts does for
 * Vite. Rsbuild adds an Rspack plugin named `RsbuildCorePlugin` to every Rspack config it
 * creates (in its `modifyBundlerChain`, whatever the user's plugins), so a compiler whose
 * `options.plugins` holds it belongs to an Rsbuild build.
 *
 * Inside Rsbuild the plain plugin steps aside: Rsbuild empties the dist path itself before
 * compiling (`output.cleanDistPath`) and copies the public dir with `fs.cp`, outside the
 * compiler, so the plugin alone cannot keep the previous output; the Rsbuild entry can.
 */
interface CompilerLike {
  options: { plugins?: ReadonlyArray<unknown> }
}

export function insideRsbuild(compiler: CompilerLike): boolean {
  return (compiler.options.plugins ?? []).some((plugin) => (plugin as { name?: unknown } | null)?.name === 'RsbuildCorePlugin')
}

/**
 * The warning to show once per process (an Rsbuild build has a compiler per environment), or
 * undefined after the first. Shown as a compilation warning: Rsbuild sets Rspack's
 * infrastructure log level to 'error', which would hide a logger warning, and prints the
 * compilation's warnings at its default log level.
 */
export function rsbuildWarning(): string | undefined {
  if (!firstTime('rsbuild-step-aside')) return undefined
  return (
    '[emit-optimizer] Rsbuild detected: it empties the dist path and copies the public dir itself, outside the Rspack compiler, ' +
    'which the plain Rspack plugin cannot make transactional, so it steps aside and this build runs as it would without it. ' +
    "Use unplugin-emit-optimizer/rsbuild in rsbuild.config's `plugins` instead."
  )
}
