import type { Strategy } from '../transaction-options.js'
import { incremental } from './incremental.js'
import type { PublishStrategy } from './shared.js'
import { swap } from './swap.js'
import { symlink } from './symlink.js'

export const strategies: Record<Strategy, PublishStrategy> = { incremental, swap, symlink }
