import {execFileSync} from 'node:child_process'

/** End-to-end tests run bin/run.js: build dist/ from the current sources first. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], {stdio: 'inherit'})
}
