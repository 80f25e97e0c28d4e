import type webpack from 'webpack'
import type { PluginInstance } from '../plugin/instance.js'
import { applyWebpackLike, type WebpackLikeCompiler } from './webpack-like-hooks.js'

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
 * A multi-compiler applies the plugin to each compiler: each commits its own output.path
 * separately, when that compiler's build ends (give each compiler its own output.path).
 */
export function webpackAdapter(compiler: webpack.Compiler, instance: PluginInstance): void {
  applyWebpackLike(compiler as unknown as WebpackLikeCompiler, instance, {
    bundler: 'webpack',
    createError: (message) => new compiler.webpack.WebpackError(message),
  })
}
