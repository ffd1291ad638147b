/** A name (component, change, lock, project, instance), as `$defs/name` in schemas/compctl.schema.json: names become file names and keys, so nothing else may be recorded. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/** `text` made a valid name: other characters become `-`, leading non-alphanumerics go; `default` when nothing is left. */
export function asName(text: string): string {
  const name = text.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '')
  return name === '' ? 'default' : name.slice(0, 128)
}
