#!/usr/bin/env node
// Launcher for the TypeScript CLI (tsx compiles on the fly; `npm run build` output runs with plain node).
require('tsx/cjs');
require('../src/cli.ts')
  .main(process.argv)
  .then((code) => process.exit(code));
