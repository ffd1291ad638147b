// Preload for `node --import`: appends the URL of every module the process loads to the file
// named by COMPCTL_MODULE_LOG, so a test can prove which modules a command never loads.
// ES modules are seen by a resolve hook; CommonJS ones (required by the bundle) by the
// require cache, read at exit: only those that ran (`loaded`), as Node also caches, unrun,
// the files it merely scans for the exports of a CommonJS module that ES code imports.
import {appendFileSync} from 'node:fs'
import {createRequire, register} from 'node:module'
import {pathToFileURL} from 'node:url'

const file = process.env.COMPCTL_MODULE_LOG
if (file) {
  register('./module-log-hooks.mjs', import.meta.url, {data: {file}})
  const {cache} = createRequire(import.meta.url)
  process.on('exit', () => {
    const ran = Object.entries(cache).filter(([, module]) => module?.loaded)
    appendFileSync(file, ran.map(([path]) => pathToFileURL(path).href + '\n').join(''))
  })
}
