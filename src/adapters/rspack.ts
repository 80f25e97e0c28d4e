import type { Compiler } from '@rspack/core'
import type { PluginInstance } from '../plugin/instance.js'
import { multiCompilerRoute } from './multi-compiler.js'
import { insideRsbuild, rsbuildWarning } from './rspack-frameworks.js'
import { applyWebpackLike, infrastructureLogger, type WebpackLikeCompiler, type WebpackLikeSpec } from './webpack-like-hooks.js'

/**
 * Rspack 2: capture through `compiler.outputFileSystem` (src/adapters/webpack-like.ts), like webpack.
 *
 * Why this mechanism: Rspack's native emitter calls back into that JS file system for every
 * write, stat, read and delete in output.path (its ThreadsafeOutputNodeFS bridge), so one object
 * sees every asset, other plugins' writes and `output.clean`. RspackOptionsApply sets
 * `outputFileSystem` after plugins are applied and the native compiler takes it at the first
 * build, so the overlay goes in at `initialize`, between the two.
 *
 * `output.clean` (Rspack empties output.path on the first emit) runs against the overlay: its
 * deletes are queued and happen at commit, so a failed build leaves the previous output whole.
 * In a MultiCompiler, compilers sharing (or nesting) an output.path commit together once all of
 * them are done; the others commit on their own (src/adapters/multi-compiler.ts).
 *
 * Inside Rsbuild it steps aside with one warning naming the Rsbuild entry (rspack-frameworks.ts).
 */
export function rspackAdapter(compiler: Compiler, instance: PluginInstance): void {
  if (insideRsbuild(compiler)) {
    let warning = rsbuildWarning()
    compiler.hooks.thisCompilation.tap('emit-optimizer', (compilation) => {
      if (warning !== undefined) compilation.warnings.push(new compiler.rspack.WebpackError(warning))
      warning = undefined
    })
    return
  }
  const like = compiler as unknown as WebpackLikeCompiler
  const spec: WebpackLikeSpec = { bundler: 'rspack', createError: (message) => new compiler.rspack.WebpackError(message) }
  applyWebpackLike(like, instance, spec, multiCompilerRoute(like, instance, spec, infrastructureLogger(like)))
}
