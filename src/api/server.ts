// API process: one Temporal Client and one database pool, created at boot.
import { alerts, initAlerts } from '../alerts/sentry';
import { loadConfig } from '../config';
import { openDatabase } from '../db/dataSource';
import { createLogger } from '../logger';
import { connectClient } from '../temporal/connection';
import { createApp } from './app';
import { listenApi } from './listen';

async function run() {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'api');
  initAlerts(config, log, 'api');
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required for a standalone API (`npm run stack` starts everything locally)');
  const db = await openDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize });
  const client = await connectClient(config);
  const server = listenApi(createApp({ db, client, config, log }), config.api.port, config.api.host).once('listening', () => {
    log.info({ port: config.api.port, host: config.api.host, auth: Boolean(config.api.token) }, 'api listening');
  });
  const stop = () => {
    server.close(() => void Promise.all([db.destroy(), client.connection.close()]).finally(() => process.exit(0)));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

run().catch(async (err) => {
  console.error(err);
  alerts().error(err, { phase: 'startup' });
  await alerts().flush();
  process.exit(1);
});
