import type { Compiler } from '@rspack/core'
import type { PluginInstance } from '../plugin/instance.js'
import { applyWebpackLike, type WebpackLikeCompiler } from './webpack-like-hooks.js'

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
 * A MultiCompiler applies the plugin per compiler: each commits its own output.path separately.
 */
export function rspackAdapter(compiler: Compiler, instance: PluginInstance): void {
  applyWebpackLike(compiler as unknown as WebpackLikeCompiler, instance, {
    bundler: 'rspack',
    createError: (message) => new compiler.rspack.WebpackError(message),
  })
}
