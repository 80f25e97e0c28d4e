export function chart(values) {
  return values.map((v) => '#'.repeat(v)).join('\n')
}
