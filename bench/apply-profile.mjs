// Summarises a V8 .cpuprofile (from `node --cpu-prof`) by self time: per module and per function,
// mapped back to src/ through dist's source maps, so a profile of `compctl apply` names the code.
//
//   node --cpu-prof --cpu-prof-dir=prof bin/run.js apply --auto-approve   (in a project folder)
//   node bench/apply-profile.mjs prof/CPU.*.cpuprofile [--top=20]
import {existsSync, readFileSync} from 'node:fs'
import {SourceMap} from 'node:module'
import {relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const file = process.argv.slice(2).find((arg) => !arg.startsWith('--'))
if (!file) {
  console.error('usage: node bench/apply-profile.mjs FILE.cpuprofile [--top=20]')
  process.exit(1)
}
const top = Number(process.argv.find((arg) => arg.startsWith('--top='))?.slice(6) ?? 20)
const profile = JSON.parse(readFileSync(file, 'utf8'))

const maps = new Map()
function sourceMapOf(url) {
  if (!maps.has(url)) {
    const path = url.startsWith('file://') ? fileURLToPath(url) : null
    maps.set(url, path && existsSync(`${path}.map`) ? new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))) : null)
  }
  return maps.get(url)
}

/** Where a frame comes from: the original source file (through a source map) and line, or a name for the runtime. */
function origin({url, functionName, lineNumber, columnNumber}) {
  if (!url) return {module: functionName.startsWith('(') ? functionName : '(native)', line: ''}
  if (url.startsWith('node:')) return {module: url, line: ''}
  const map = sourceMapOf(url)
  const entry = map?.findEntry(lineNumber, columnNumber)
  if (entry?.originalSource) {
    const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(fileURLToPath(url), '..', entry.originalSource)
    return {module: packageOrPath(source), line: `:${entry.originalLine + 1}`}
  }
  return {module: packageOrPath(url.startsWith('file://') ? fileURLToPath(url) : url), line: `:${lineNumber + 1}`}
}

/** A dependency is named by its package; the project's own files by their path in the repository. */
function packageOrPath(path) {
  const at = path.lastIndexOf('/node_modules/')
  if (at >= 0) {
    const rest = path.slice(at + 14).split('/')
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`
  }
  return path.startsWith(ROOT) ? relative(ROOT, path) : path
}

const selfUs = new Map()
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
const byModule = new Map()
const byFunction = new Map()
let total = 0
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0
  if (!us) continue
  total += us
  const {module, line} = origin(node.callFrame)
  byModule.set(module, (byModule.get(module) ?? 0) + us)
  const key = `${node.callFrame.functionName || '(anonymous)'}  ${module}${line}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + us)
}

// Inclusive ("total") time of the project's own functions: each sample counts once for every
// function on its stack, which shows which step of a command the time goes to.
const parent = new Map()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
const keyOf = new Map()
for (const node of profile.nodes) {
  const {module, line} = origin(node.callFrame)
  keyOf.set(node.id, module.startsWith('src/') ? `${node.callFrame.functionName || '(anonymous)'}  ${module}${line}` : null)
}
const inclusive = new Map()
profile.samples.forEach((id, i) => {
  const seen = new Set()
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const key = keyOf.get(at)
    if (key && !seen.has(key)) seen.add(key)
  }
  for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0))
})

const rows = (map) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => `| ${(us / 1000).toFixed(1)} ms | ${((100 * us) / total).toFixed(1)}% | \`${name}\` |`)
const wall = (profile.endTime - profile.startTime) / 1000
console.log(
  [
    `Profile ${file}: ${wall.toFixed(0)} ms profiled, ${(total / 1000).toFixed(0)} ms in samples ("(idle)" = waiting on I/O or children).`,
    '',
    'Self time by module:',
    '',
    '| self | share | module |',
    '|---|---|---|',
    ...rows(byModule),
    '',
    'Self time by function:',
    '',
    '| self | share | function  origin |',
    '|---|---|---|',
    ...rows(byFunction),
    '',
    "Total (inclusive) time of the project's own functions:",
    '',
    '| total | share | function  origin |',
    '|---|---|---|',
    ...rows(inclusive),
  ].join('\n'),
)
