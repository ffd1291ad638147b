#!/usr/bin/env node
// CommonJS (see bin/package.json): Node's ES module loader costs ~5 ms of start-up that a CLI
// without a daemon pays on every command.
require('../dist/main.cjs').main()
