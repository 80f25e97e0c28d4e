import type webpack from 'webpack'
import type { PluginInstance } from '../plugin/instance.js'
import { multiCompilerRoute } from './multi-compiler.js'
import { applyWebpackLike, infrastructureLogger, type WebpackLikeCompiler, type WebpackLikeSpec } from './webpack-like-hooks.js'

/**
 * webpack 5: capture through `compiler.outputFileSystem` (src/adapters/webpack-like.ts).
 *
 * Why this mechanism: every file webpack puts into output.path goes through that one object —
 * assets, files other plugins write with `compiler.outputFileSystem`, and CleanPlugin's deletes —
 * and webpack already holds the bytes in memory, so capturing costs no extra I/O. Reading through
 * to the real outDir keeps webpack's own `compareBeforeEmit`/`output.clean` logic (and its stats:
 * `[emitted]`, `[compared for emit]`) exactly as without the plugin. The alternative, taking the
 * assets in `emit`/`processAssets` and stopping the writes, misses plugin writes and clean.
 *
 * `output.clean` runs against the overlay: what it deletes is deleted at commit, with the build,
 * so a failed build leaves the previous output whole (`keep`, `dry` and dot-files behave as usual).
 * In a MultiCompiler, compilers sharing (or nesting) an output.path commit together once all of
 * them are done; the others commit on their own (src/adapters/multi-compiler.ts).
 */
export function webpackAdapter(compiler: webpack.Compiler, instance: PluginInstance): void {
  const like = compiler as unknown as WebpackLikeCompiler
  const spec: WebpackLikeSpec = { bundler: 'webpack', createError: (message) => new compiler.webpack.WebpackError(message) }
  applyWebpackLike(like, instance, spec, multiCompilerRoute(like, instance, spec, infrastructureLogger(like)))
}
