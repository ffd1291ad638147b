import {createRequire} from 'node:module'
import {join} from 'node:path'
import {build, type BuildOptions, type Plugin} from 'esbuild'
import {ROOT} from './cli.js'

/**
 * Bundles TypeScript into one .mjs a test runs as a separate process: vitest runs our sources
 * only inside its own workers, and properties about processes (a holder that dies, a writer
 * killed mid-write, a launcher that exits) need the real modules in a real process.
 */
export async function bundleForChild(
  outfile: string,
  source: {entry: string} | {contents: string; resolveDir: string},
  extra: Pick<BuildOptions, 'external' | 'plugins'> = {},
): Promise<void> {
  await build({
    ...('entry' in source
      ? {entryPoints: [source.entry]}
      : {stdin: {contents: source.contents, resolveDir: source.resolveDir, sourcefile: 'child.ts', loader: 'ts' as const}}),
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    ...extra,
  })
}

/** Leaves etcd3 out of a bundle, imported by its absolute path so the bundle runs from any folder. */
export function etcd3ByPath(): Plugin {
  const etcd3 = createRequire(join(ROOT, 'package.json')).resolve('etcd3')
  return {
    name: 'etcd3-by-path',
    setup(b) {
      b.onResolve({filter: /^etcd3$/}, () => ({path: etcd3, external: true}))
    },
  }
}
