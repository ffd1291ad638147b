// Generates src/model/generated/ from schemas/: TypeScript types (json-schema-to-typescript)
// and precompiled ajv validators (standalone code, so no schema is compiled at run time).
// `--check` compares instead of writing, and exits 1 when a generated file is stale.
import {readFileSync, writeFileSync, mkdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {compile} from 'json-schema-to-typescript'
import Ajv2020 from 'ajv/dist/2020.js'
import standaloneCode from 'ajv/dist/standalone/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = join(root, 'src/model/generated')
const schemas = ['compctl', 'state', 'plan', 'events']
const banner = '/* Generated from schemas/ by scripts/gen-types.mjs: do not edit. */\n'

const load = (name) => JSON.parse(readFileSync(join(root, 'schemas', `${name}.schema.json`), 'utf8'))

// ajv's standalone ESM output still calls require() for its runtime helpers; turn those into
// imports. The helpers are CommonJS modules exporting `default`: Node's ESM loader hands them over
// as `{default: fn}` and bundlers' interop as `fn`, so take whichever this loader gives.
function esmImports(code) {
  const imports = []
  const body = code.replace(/require\("([^"]+)"\)(\.default)?/g, (_, module, dflt = '') => {
    const id = `runtime${imports.length}`
    imports.push(`import * as ${id}Module from '${module}.js'\nconst ${id} = ${id}Module.default?.default ?? ${id}Module.default`)
    return dflt ? id : `${id}Module`
  })
  return imports.join('\n') + (imports.length ? '\n' : '') + body
}

export async function generate() {
  const files = {}
  for (const name of schemas) {
    const schema = load(name)
    const ts = await compile(schema, schema.title, {
      bannerComment: banner.trim(),
      additionalProperties: false,
      unreachableDefinitions: true,
      style: {singleQuote: true, semi: false},
      cwd: join(root, 'schemas'),
    })
    files[`${name}.ts`] = ts
  }
  for (const name of schemas) {
    const ajv = new Ajv2020({
      allErrors: true,
      verbose: true,
      strict: true,
      code: {source: true, esm: true, lines: false},
    })
    ajv.addKeyword('x-compctl-impact')
    ajv.addKeyword('tsType')
    files[`validate-${name}.js`] = banner + esmImports(standaloneCode(ajv, ajv.compile(load(name))))
    files[`validate-${name}.d.ts`] =
      banner + "import type {ValidateFunction} from 'ajv'\ndeclare const validate: ValidateFunction\nexport default validate\n"
  }
  return files
}

const check = process.argv.includes('--check')
const files = await generate()
let stale = []
mkdirSync(outDir, {recursive: true})
for (const [file, text] of Object.entries(files)) {
  const path = join(outDir, file)
  let current = null
  try {
    current = readFileSync(path, 'utf8')
  } catch {}
  if (current === text) continue
  if (check) stale.push(file)
  else writeFileSync(path, text)
}
if (stale.length > 0) {
  console.error(`stale generated files in src/model/generated: ${stale.join(', ')}; run \`npm run gen:types\``)
  process.exit(1)
}
