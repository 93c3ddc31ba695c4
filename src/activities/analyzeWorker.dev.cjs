// Source checkouts only: lets a piscina thread load the TypeScript worker through tsx, however the main thread got tsx
// (`tsx` on the command line passes its loader to threads; bin/sitesweep.js's `require('tsx/cjs')` does not).
require('tsx/cjs');
module.exports = require('./analyzeWorker.ts').default;
