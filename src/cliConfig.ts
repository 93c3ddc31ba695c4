// The CLI's run settings from four layers, highest first: flags > environment (SITESWEEP_*) > config file
// (sitesweep.config.json in the working directory, or --config) > defaults. Run options are validated by the API's
// own zod schema (runOptionsSchema), so a file, an env var and a POST body accept and refuse the same things.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { budgetsSchema, type Budgets } from './audit/budgets';
import { runOptionsSchema } from './api/schemas';
import { DomainError, invalidInput, parseOr400 } from './errors';

export const CONFIG_FILE_NAME = 'sitesweep.config.json';
export const OUTPUT_FORMATS = ['json', 'csv', 'html'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const configFileSchema = z
  .object({
    $schema: z.string().optional(),
    url: z.string().max(2048).optional(),
    allowPrivate: z.boolean({ error: 'must be a boolean' }).optional(),
    options: runOptionsSchema.omit({ auth: true, headers: true, cookies: true }).optional(),
    budgets: budgetsSchema.optional(),
    output: z.array(z.enum(OUTPUT_FORMATS, { error: 'must be json, csv or html' })).optional(),
    outputDir: z.string().min(1).max(1000).optional(),
  })
  .strict();
export type ConfigFile = z.infer<typeof configFileSchema>;

type Kind = 'int' | 'string' | 'list' | 'bool' | 'thresholds';
export interface RunFlag {
  /** commander flag spec */
  flag: string;
  /** commander attribute name */
  attr: string;
  key: keyof z.infer<typeof runOptionsSchema>;
  kind: Kind;
  help: string;
}

/** Every run option a flag; the env var is SITESWEEP_<KEY in UPPER_SNAKE>. Credentials are not here (never argv). */
export const RUN_FLAGS: RunFlag[] = [
  { flag: '--max-pages <n>', attr: 'maxPages', key: 'maxPages', kind: 'int', help: 'stop after this many pages (default 500)' },
  { flag: '--max-depth <n>', attr: 'maxDepth', key: 'maxDepth', kind: 'int', help: 'link depth limit (default 10)' },
  { flag: '--parallel <n>', attr: 'parallel', key: 'parallelBatches', kind: 'int', help: 'audit batches in flight (default 6)' },
  { flag: '--batch-size <n>', attr: 'batchSize', key: 'auditBatchSize', kind: 'int', help: 'URLs per audit batch (default 100)' },
  { flag: '--per-host-concurrency <n>', attr: 'perHostConcurrency', key: 'perHostConcurrency', kind: 'int', help: 'requests in flight per host (default 4)' },
  { flag: '--crawl-delay <ms>', attr: 'crawlDelay', key: 'crawlDelayMs', kind: 'int', help: 'minimum delay between requests to the site; robots.txt Crawl-delay wins when larger' },
  { flag: '--timeout <ms>', attr: 'timeout', key: 'requestTimeoutMs', kind: 'int', help: 'per-request timeout (default 15000)' },
  { flag: '--retries <n>', attr: 'retries', key: 'fetchRetries', kind: 'int', help: 'fetch retries per URL (default 2)' },
  { flag: '--user-agent <ua>', attr: 'userAgent', key: 'userAgent', kind: 'string', help: 'User-Agent header (and robots.txt group)' },
  { flag: '--include <regex...>', attr: 'include', key: 'include', kind: 'list', help: 'only crawl URLs matching one of these' },
  { flag: '--exclude <regex...>', attr: 'exclude', key: 'exclude', kind: 'list', help: 'never crawl URLs matching one of these' },
  { flag: '--sitemap <url...>', attr: 'sitemap', key: 'sitemaps', kind: 'list', help: 'extra sitemap URLs to read' },
  { flag: '--strip-param <name...>', attr: 'stripParam', key: 'stripParams', kind: 'list', help: 'query parameters removed from discovered URLs' },
  { flag: '--threshold <check=value...>', attr: 'threshold', key: 'thresholds', kind: 'thresholds', help: 'check thresholds, e.g. titleMaxChars=70 (see GET /api/checks)' },
  { flag: '--render <mode>', attr: 'render', key: 'render', kind: 'string', help: 'none (default) or chromium: render pages with headless Chromium and check the rendered DOM' },
  { flag: '--no-robots', attr: 'robots', key: 'respectRobots', kind: 'bool', help: 'ignore robots.txt rules' },
  { flag: '--no-sitemaps', attr: 'sitemaps', key: 'useSitemaps', kind: 'bool', help: 'do not read sitemaps' },
  { flag: '--no-follow-links', attr: 'followLinks', key: 'followLinks', kind: 'bool', help: 'audit only the start URL and sitemap URLs' },
  { flag: '--subdomains', attr: 'subdomains', key: 'subdomainsInternal', kind: 'bool', help: 'treat subdomains as part of the site' },
  { flag: '--follow-nofollow', attr: 'followNofollow', key: 'followNofollow', kind: 'bool', help: 'crawl rel="nofollow" link targets too' },
  { flag: '--check-external-links', attr: 'checkExternalLinks', key: 'checkExternalLinks', kind: 'bool', help: 'check each external link target once' },
  { flag: '--check-image-sizes', attr: 'checkImageSizes', key: 'checkImageSizes', kind: 'bool', help: 'size each image of the site once (image_too_large over imageMaxBytes)' },
];

export const envName = (key: string) => `SITESWEEP_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

const badInput = (field: string, message: string) => invalidInput(`${field}: ${message}`, [{ field, message }]);

/**
 * An output directory named by `flag`, made ready before any work starts: created if missing, refused (exit 2) when it
 * is a file or cannot be written. It was checked only when the report was written, after the whole audit.
 */
export function prepareOutputDir(dir: string, flag: string): void {
  try {
    // A file in the way makes mkdir fail (EEXIST, or ENOTDIR for a file on the path).
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'is not a directory'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'is not writable' : `cannot be created (${(err as Error).message})`;
    throw badInput(flag, `${dir} ${why}`);
  }
}

function parseThresholds(items: string[], field: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const m = /^([A-Za-z0-9_]+)=(-?\d+(?:\.\d+)?)$/.exec(item.trim());
    if (!m) throw badInput(field, `"${item}" is not name=number`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function fromText(kind: Kind, raw: string, field: string): unknown {
  switch (kind) {
    case 'int': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(n)) throw badInput(field, 'must be an integer');
      return n;
    }
    case 'bool':
      if (/^(1|true|yes)$/i.test(raw)) return true;
      if (/^(0|false|no)$/i.test(raw)) return false;
      throw badInput(field, 'must be true or false');
    case 'list':
      if (!raw.trim().startsWith('[')) return raw.split(',').map((s) => s.trim()).filter(Boolean);
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        throw badInput(field, 'is not a valid JSON array (or give a comma-separated list)');
      }
    case 'thresholds':
      return parseThresholds(raw.split(','), field);
    default:
      return raw;
  }
}

/** Reads and validates the config file: `explicit` (--config) must exist; else ./sitesweep.config.json if present. */
export function readConfigFile(explicit: string | undefined, cwd: string): { file: string | null; config: ConfigFile } {
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, CONFIG_FILE_NAME);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return { file: null, config: {} };
    throw badInput('--config', `cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw badInput(path.basename(file), `is not valid JSON (${(err as Error).message})`);
  }
  // A run option or a budget at the top level (where the flags' names might suggest it): say where it goes.
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const misplaced = Object.keys(json).filter((k) => !(k in configFileSchema.shape) && (k in OPTION_SHAPE || k in BUDGET_SHAPE));
    if (misplaced.length > 0) {
      throw invalidInput(`${file}: ${misplaced.map((k) => `${k}: goes under "${k in OPTION_SHAPE ? 'options' : 'budgets'}"`).join('; ')}`);
    }
  }
  try {
    return { file, config: parseOr400(configFileSchema, json) };
  } catch (err) {
    if (err instanceof DomainError) throw invalidInput(`${file}: ${err.message}`, err.details);
    throw err;
  }
}

const OPTION_SHAPE = runOptionsSchema.shape as Record<string, z.ZodType>;
const BUDGET_SHAPE = budgetsSchema.shape as Record<string, z.ZodType>;

export interface FlagSource {
  /** The parsed flag value when given on the command line, else undefined. */
  get(attr: string): unknown;
}

export interface Resolved {
  options: Record<string, unknown>;
  budgets: Budgets;
  output: OutputFormat[];
  outputDir: string | null;
  /** Where outputDir was named (`--output-dir`, `SITESWEEP_OUTPUT_DIR`, the config file), for messages about it. */
  outputDirSource: string;
  allowPrivate: boolean;
  url: string | undefined;
}

/**
 * One value judged by the API's schema for its key, refused naming where it came from (`--max-pages`,
 * `SITESWEEP_MAX_PAGES`): the message named the schema's field (`options.maxPages`), which the user never typed.
 */
function checkValue(shape: Record<string, z.ZodType>, key: string, value: unknown, source: string): void {
  const schema = shape[key];
  const r = schema?.safeParse(value);
  if (r && !r.success) throw badInput(source, r.error.issues[0]?.message ?? 'is not valid');
}

/** Merges the layers: flags > env > file > defaults (defaults: the workflow's, applied later). */
export function resolveRunSettings(flags: FlagSource, env: NodeJS.ProcessEnv, file: ConfigFile, positionalUrl?: string): Resolved {
  const options: Record<string, unknown> = { ...(file.options ?? {}) };
  const thresholds: Record<string, number> = { ...((file.options?.thresholds as Record<string, number> | undefined) ?? {}) };
  for (const f of RUN_FLAGS) {
    const name = envName(f.key);
    const raw = env[name];
    if (raw !== undefined && raw !== '') {
      const v = fromText(f.kind, raw, name);
      if (f.kind === 'thresholds') Object.assign(thresholds, v);
      else {
        checkValue(OPTION_SHAPE, f.key, v, name);
        options[f.key] = v;
      }
    }
  }
  for (const f of RUN_FLAGS) {
    const v = flags.get(f.attr);
    if (v === undefined) continue;
    if (f.kind === 'thresholds') Object.assign(thresholds, parseThresholds(v as string[], f.flag.split(' ')[0]));
    else {
      checkValue(OPTION_SHAPE, f.key, v, f.flag.split(' ')[0]);
      options[f.key] = v;
    }
  }
  if (Object.keys(thresholds).length) options.thresholds = thresholds;

  const budgets: Budgets = { ...(file.budgets ?? {}) };
  const budgetEnv: Array<[keyof Budgets, string, (s: string) => unknown]> = [
    ['failOn', 'SITESWEEP_FAIL_ON', (s) => s],
    ['minScore', 'SITESWEEP_MIN_SCORE', Number],
    ['maxNewFindings', 'SITESWEEP_MAX_NEW_FINDINGS', Number],
  ];
  for (const [k, name, conv] of budgetEnv) {
    if (!env[name]) continue;
    const v = conv(env[name]);
    checkValue(BUDGET_SHAPE, k, v, name);
    (budgets as Record<string, unknown>)[k] = v;
  }
  for (const [k, flag] of [['failOn', '--fail-on'], ['minScore', '--min-score'], ['maxNewFindings', '--max-new-findings']] as const) {
    const v = flags.get(k);
    if (v === undefined) continue;
    checkValue(BUDGET_SHAPE, k, v, flag);
    (budgets as Record<string, unknown>)[k] = v;
  }
  const checkedBudgets = parseOr400(budgetsSchema, budgets, 'budgets');

  let output = file.output ?? [];
  const outEnv = env.SITESWEEP_OUTPUT;
  if (outEnv) output = outEnv.split(',').map((s) => s.trim()) as OutputFormat[];
  const outFlag = flags.get('output') as string | undefined;
  if (outFlag !== undefined) output = outFlag.split(',').map((s) => s.trim()).filter(Boolean) as OutputFormat[];
  for (const o of output) if (!OUTPUT_FORMATS.includes(o)) throw badInput('--output', `"${o}" is not one of json, csv, html`);
  const outputDir = (flags.get('outputDir') as string | undefined) ?? env.SITESWEEP_OUTPUT_DIR ?? file.outputDir ?? null;
  // Where the directory was named, for a message about it: the flag, the variable or the config file.
  const outputDirSource = flags.get('outputDir') !== undefined ? '--output-dir' : env.SITESWEEP_OUTPUT_DIR ? 'SITESWEEP_OUTPUT_DIR' : 'outputDir (config file)';
  if (flags.get('outputDir') !== undefined && output.length === 0) throw badInput('--output-dir', 'writes nothing without --output (json, csv, html)');
  const envAllowPrivate = env.SITESWEEP_ALLOW_PRIVATE ? fromText('bool', env.SITESWEEP_ALLOW_PRIVATE, 'SITESWEEP_ALLOW_PRIVATE') === true : false;
  const allowPrivate = Boolean(flags.get('allowPrivate')) || envAllowPrivate || file.allowPrivate === true;
  return { options, budgets: checkedBudgets, output: [...new Set(output)], outputDir, outputDirSource, allowPrivate, url: positionalUrl ?? env.SITESWEEP_URL ?? file.url };
}

/** Credentials from the environment or a JSON file ({auth, headers, cookies}); never from argv. */
export function readCredentials(env: NodeJS.ProcessEnv, cwd: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const file = env.SITESWEEP_CREDENTIALS_FILE;
  if (file) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(fs.readFileSync(path.resolve(cwd, file), 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw badInput('SITESWEEP_CREDENTIALS_FILE', `cannot read ${file}: ${(err as Error).message}`);
    }
    const creds = parseOr400(runOptionsSchema.pick({ auth: true, headers: true, cookies: true }).strict(), json, 'SITESWEEP_CREDENTIALS_FILE');
    Object.assign(out, creds);
  }
  if (env.SITESWEEP_AUTH_USER) out.auth = { username: env.SITESWEEP_AUTH_USER, password: env.SITESWEEP_AUTH_PASSWORD ?? '' };
  for (const [name, key] of [['SITESWEEP_HEADERS', 'headers'], ['SITESWEEP_COOKIES', 'cookies']] as const) {
    if (!env[name]) continue;
    try {
      out[key] = JSON.parse(env[name]);
    } catch {
      throw badInput(name, 'must be a JSON object');
    }
  }
  return out;
}

/**
 * The environment a CLI command judges its targets and runs its stack with: `--allow-private` is
 * ALLOW_PRIVATE_TARGETS=true, for the up-front check and the worker alike.
 */
export function cliEnv(allowPrivate: boolean | undefined, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return allowPrivate ? { ...env, ALLOW_PRIVATE_TARGETS: 'true' } : { ...env };
}
