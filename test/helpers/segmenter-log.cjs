// Preload for `node --require`: appends a line to the file named by COMPCTL_SEGMENTER_LOG for
// each Intl.Segmenter the process makes, so a test can prove a run never starts one.
const {appendFileSync} = require('node:fs')

const file = process.env.COMPCTL_SEGMENTER_LOG
if (file) {
  const Real = Intl.Segmenter
  Intl.Segmenter = class extends Real {
    constructor(...args) {
      super(...args)
      appendFileSync(file, `${this.resolvedOptions().granularity}\n`)
    }
  }
}
