import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, expect, it} from 'vitest'
import {compctl, ROOT, tempProject} from '../helpers/cli.js'

const HOOK = pathToFileURL(join(ROOT, 'test/helpers/module-log.mjs')).href
const PLUGIN = /\/node_modules\/@oclif\/plugin-autocomplete\//

/** A home and cache of its own, so the completion cache is built in a fresh temporary folder. */
function isolatedHome(): Record<string, string> {
  const home = tempProject()
  return {HOME: home, XDG_CACHE_HOME: join(home, '.cache')}
}

/**
 * Completes each command line in a real bash that loaded compctl's completion as the
 * instructions say (eval of `compctl autocomplete script bash`): what COMPREPLY holds for each.
 */
function completeInBash(setup: string, lines: string[][]): string[] {
  const script = `${setup}
complete -p compctl >/dev/null || { echo "no completion for compctl" >&2; exit 3; }
comp() { COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}; COMPREPLY=(); _compctl_autocomplete; echo "\${COMPREPLY[*]}"; }
${lines.map((words) => `comp ${words.map((w) => `'${w}'`).join(' ')}`).join('\n')}
`
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', script], {encoding: 'utf8'})
  expect(result.stderr).toBe('')
  expect(result.status).toBe(0)
  return result.stdout.split('\n').slice(0, lines.length)
}

describe('compctl autocomplete', () => {
  it('bash: builds the completion, prints how to install it, and a real bash then completes commands and flags', () => {
    const env = isolatedHome()
    const instructions = compctl(['autocomplete', 'bash'], {cwd: env.HOME!, env})
    expect(instructions.code).toBe(0)
    expect(instructions.stdout).toContain('printf "$(compctl autocomplete script bash)" >> ~/.bashrc; source ~/.bashrc')
    const setup = compctl(['autocomplete', 'script', 'bash'], {cwd: env.HOME!, env})
    expect(setup.code).toBe(0)
    expect(setup.stdout).toContain(join(env.XDG_CACHE_HOME!, 'compctl', 'autocomplete', 'bash_setup'))
    expect(completeInBash(setup.stdout, [['compctl', 'pl'], ['compctl', 'plan', '--det'], ['compctl', 'startup', ''], ['compctl', 'gr']])).toEqual([
      'plan',
      '--detailed-exitcode',
      'systemd',
      'graph',
    ])
  })

  it('zsh and powershell: the completion scripts are built too', () => {
    const env = isolatedHome()
    expect(compctl(['autocomplete', 'zsh'], {cwd: env.HOME!, env}).code).toBe(0)
    const functions = join(env.XDG_CACHE_HOME!, 'compctl', 'autocomplete', 'functions')
    expect(readFileSync(join(functions, 'zsh', '_compctl'), 'utf8')).toContain('"plan[Show what apply would do')
    expect(readFileSync(join(functions, 'powershell', 'compctl.ps1'), 'utf8')).toContain('plan')
  })

  it('an unknown shell is refused with the choices', () => {
    const env = isolatedHome()
    const result = compctl(['autocomplete', 'fish'], {cwd: env.HOME!, env})
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/bash, zsh, powershell/)
  })

  it('plan never loads the plugin (it is imported only when an autocomplete command runs)', () => {
    const cwd = tempProject('dns')
    const env = isolatedHome()
    const planLog = join(env.HOME!, 'plan-modules.log')
    expect(compctl(['plan'], {cwd, env: {...env, NODE_OPTIONS: `--import=${HOOK}`, COMPCTL_MODULE_LOG: planLog}}).code).toBe(0)
    const planModules = readFileSync(planLog, 'utf8').split('\n')
    expect(planModules.some((url) => url.endsWith('/dist/main.cjs'))).toBe(true)
    expect(planModules.filter((url) => PLUGIN.test(url))).toEqual([])
    // The same log does see the plugin when autocomplete runs: the check above can fail.
    const autocompleteLog = join(env.HOME!, 'autocomplete-modules.log')
    expect(compctl(['autocomplete', 'bash'], {cwd, env: {...env, NODE_OPTIONS: `--import=${HOOK}`, COMPCTL_MODULE_LOG: autocompleteLog}}).code).toBe(0)
    expect(readFileSync(autocompleteLog, 'utf8').split('\n').some((url) => PLUGIN.test(url))).toBe(true)
  })
})
