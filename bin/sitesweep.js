#!/usr/bin/env node
// The `sitesweep` command. Installed from the npm package it runs the compiled JavaScript in dist/ (with the workflow
// bundle prebuilt by `npm run build`): no TypeScript compiler, no tsx. In a source checkout (src/ beside bin/, dev
// dependencies installed) it runs the TypeScript through tsx, so it never runs a stale build.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'cli.ts');
let entry = path.join(root, 'dist', 'src', 'cli.js');
if (fs.existsSync(source)) {
  try {
    require('tsx/cjs');
    entry = source;
  } catch {
    // No tsx (production install of a checkout): the build in dist/ it is.
  }
}
if (!fs.existsSync(entry)) {
  process.stderr.write(`sitesweep: ${entry} is missing: run \`npm run build\` (or \`npm install\` for tsx)\n`);
  process.exit(1);
}
require(entry).runCli(process.argv);
