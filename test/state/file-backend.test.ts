import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe} from 'vitest'
import type {LoadedConfig} from '../../src/config/load.js'
import {parseState, STATE_FILE} from '../../src/state/store.js'
import {stateBackendConformance} from './backend-conformance.js'

const root = mkdtempSync(join(tmpdir(), 'compctl-file-backend-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

describe('file state backend: conformance', () => {
  stateBackendConformance({
    freshConfig(): LoadedConfig {
      const baseDir = mkdtempSync(join(root, 'project-'))
      return {file: join(baseDir, 'compctl.yaml'), baseDir, project: 'dns', stateDir: join(baseDir, 'state'), spec: {version: 1}, warnings: []}
    },
    async readBackup(config) {
      try {
        const parsed = parseState(readFileSync(join(config.stateDir, `${STATE_FILE}.backup`), 'utf8'))
        if (typeof parsed === 'string') throw new Error(parsed)
        return parsed
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw error
      }
    },
  })
})
