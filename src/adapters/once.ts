/**
 * Whether `key` is seen for the first time in this process. Process-wide through a global
 * registry: Vite inlines a linked (not installed) package into each bundled config, so each
 * config load of a framework build may hold its own copy of this module.
 */
export function firstTime(key: object | string): boolean {
  const global = globalThis as Record<symbol, unknown>
  const registry = (global[Symbol.for('unplugin-emit-optimizer:seen')] ??= { objects: new WeakSet<object>(), strings: new Set<string>() }) as {
    objects: WeakSet<object>
    strings: Set<string>
  }
  if (typeof key === 'string') {
    if (registry.strings.has(key)) return false
    registry.strings.add(key)
  } else {
    if (registry.objects.has(key)) return false
    registry.objects.add(key)
  }
  return true
}
