// API process: one Temporal Client and one database pool, created at boot.
import { alerts, initAlerts } from '../alerts/sentry';
import { loadConfig } from '../config';
import { openDatabase } from '../db/dataSource';
import { createLogger } from '../logger';
import { backgroundChecksDone } from '../temporal/closedExecution';
import { connectClient } from '../temporal/connection';
import { createApp } from './app';
import { listenApi } from './listen';
import { settleQuietRuns } from './runService';
import { StartupError, startupFailureText, startupStep } from '../startup';

/** How often the server checks quiet running rows against their workflows. */
const SETTLE_EVERY_MS = 60_000;

async function run() {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'api');
  initAlerts(config, log, 'api');
  const databaseUrl = config.databaseUrl;
  if (!databaseUrl) throw new StartupError('DATABASE_URL is required for a standalone API (`npm run stack` starts everything locally).');
  const db = await startupStep('database', () => openDatabase({ url: databaseUrl, poolSize: config.databasePoolSize, applicationName: 'sitesweep api' }));
  const client = await startupStep('temporal', () => connectClient(config, { forApi: true }));
  const server = listenApi(createApp({ db, client, config, log }), config.api.port, config.api.host).once('listening', () => {
    log.info({ port: config.api.port, host: config.api.host, auth: Boolean(config.api.token) }, 'api listening');
  });
  // Runs terminated in Temporal have their rows closed even when nobody reads them (metrics, `sitesweep runs`).
  const settler = setInterval(() => {
    settleQuietRuns({ db, client }).catch((err: unknown) => log.warn({ err: String(err) }, 'checking quiet runs against Temporal failed'));
  }, SETTLE_EVERY_MS).unref();
  const stop = () => {
    clearInterval(settler);
    server.close(() => void backgroundChecksDone().then(() => Promise.all([db.destroy(), client.connection.close()])).finally(() => process.exit(0)));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

run().catch(async (err) => {
  process.stderr.write(startupFailureText('api', err));
  alerts().error(err, { phase: 'startup' });
  await alerts().flush();
  process.exit(1);
});
