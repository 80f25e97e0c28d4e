export function formatName(name) {
  return name.trim().replace(/^\w/, (first) => first.toUpperCase())
}
