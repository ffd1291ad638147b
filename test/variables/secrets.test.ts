import {describe, expect, it} from 'vitest'
import {envFileIndexes, markerFor, secrets} from '../../src/secrets/secrets.js'

const KEY = Buffer.alloc(32, 7)

describe('the secret registry', () => {
  it('gives each value a marker keyed by the state key: the same value the same marker, another key another marker', () => {
    expect(markerFor(KEY, 'pw-one')).toBe(markerFor(KEY, 'pw-one'))
    expect(markerFor(KEY, 'pw-one')).not.toBe(markerFor(KEY, 'pw-two'))
    expect(markerFor(KEY, 'pw-one')).not.toBe(markerFor(Buffer.alloc(32, 8), 'pw-one'))
    expect(markerFor(KEY, 'pw-one', 3)).toMatch(/^\(sensitive:envFile\[3\]:[0-9a-f]{24}\)$/)
    expect(envFileIndexes(`a ${markerFor(KEY, 'x', 1)} b ${markerFor(KEY, 'y')} ${markerFor(KEY, 'z', 0)}`)).toEqual([1, 0])
  })

  it('reveals markers for the process, shows them and the plain values as (sensitive), hides values in stored text', () => {
    const marker = markerFor(KEY, 'quote"d-secret')
    secrets.add(marker, 'quote"d-secret')
    const spec = {command: ['run', `--pw=${marker}`], env: {URL: `pg://u:${marker}@h`}, port: 5}
    expect(secrets.reveal(spec)).toEqual({command: ['run', '--pw=quote"d-secret'], env: {URL: 'pg://u:quote"d-secret@h'}, port: 5})
    expect(spec.command[1]).toBe(`--pw=${marker}`)
    expect(secrets.display(`x ${marker} y quote"d-secret z`)).toBe('x (sensitive) y (sensitive) z')
    // Inside JSON the value is escaped: that form is hidden too.
    expect(secrets.hide(JSON.stringify({error: 'failed: quote"d-secret'}))).toBe('{"error":"failed: (sensitive)"}')
    expect(secrets.hide(`kept ${marker}`)).toBe(`kept ${marker}`)
  })

  it('refuses to reveal a marker it has no value for, rather than run a process with the marker', () => {
    expect(() => secrets.reveal(['x', markerFor(KEY, 'never-added')])).toThrow('a sensitive value this step was planned with is not known now')
  })

  it('searches free text only for values of 4 characters or more, so a value like "1" does not blank out every pid', () => {
    const marker = markerFor(KEY, '1')
    secrets.add(marker, '1')
    expect(secrets.display(`pid 1234 ${marker}`)).toBe('pid 1234 (sensitive)')
    expect(secrets.reveal(marker)).toBe('1')
  })
})
