// The run resource: start, list, read, cancel, pause, resume and retry runs (/api/runs, /api/runs/:id[/action]).
// What a run holds is read by its own routers: pages, links and history (explore.ts), report, export and compare
// (reports.ts), AI recommendations (recommendations.ts).
import express from 'express';
import { DomainError } from '../errors';
import { pauseSignal, resumeSignal } from '../workflows/contracts';
import type { AppDeps } from './app';
import { HttpError, parseOr400 } from './errors';
import { cancelRun, findRunRow, getRunView, listRuns, startSiteRun } from './runService';
import { listRunsQuerySchema, retryRunSchema, runIdParamSchema, startRunSchema, type StartRunBody } from './schemas';

const LIVE = ['queued', 'running'];

export function createRunsRouter(deps: AppDeps): express.Router {
  const { db, client, config, log } = deps;
  const router = express.Router();
  const runDeps = { db, client, config };
  const runParam = (req: express.Request) => parseOr400(runIdParamSchema, req.params).id;

  router.post('/api/runs', async (req, res) => {
    const body = parseOr400(startRunSchema, req.body ?? {});
    const started = await startSiteRun(runDeps, body);
    log.info({ runId: started.runId, workflowId: started.workflowId, created: started.created }, 'run requested');
    res.status(started.created ? 202 : 200).json(started);
  });

  router.get('/api/runs', async (req, res) => {
    const q = parseOr400(listRunsQuerySchema, req.query);
    res.json(await listRuns(runDeps, q));
  });

  router.get('/api/runs/:id', async (req, res) => {
    res.json(await getRunView(runDeps, runParam(req)));
  });

  router.post('/api/runs/:id/cancel', async (req, res) => {
    res.status(202).json(await cancelRun(runDeps, runParam(req)));
  });

  for (const [action, signal] of [['pause', pauseSignal], ['resume', resumeSignal]] as const) {
    router.post(`/api/runs/:id/${action}`, async (req, res) => {
      const run = await findRunRow(db, runParam(req));
      if (!['queued', 'running'].includes(run.status)) throw new HttpError(409, 'not_running', `run is ${run.status}`);
      await client.workflow.getHandle(run.workflow_id).signal(signal);
      res.status(202).json({ runId: run.id, workflowId: run.workflow_id, status: action === 'pause' ? 'pausing' : 'resuming' });
    });
  }

  // Failed work is never silent: GET /api/runs?status=failed lists failed runs with their error; this starts a new
  // run of the same site with the same options (a new runKey, so a new workflow and new rows; the old run stays).
  router.post('/api/runs/:id/retry', async (req, res) => {
    const id = runParam(req);
    const body = parseOr400(retryRunSchema, req.body ?? {});
    const run = await findRunRow(db, id);
    if (LIVE.includes(run.status)) throw new DomainError('conflict', 'still_running', `run is ${run.status}: cancel it before retrying`);
    const started = await startSiteRun(runDeps, { url: run.site_url, idempotencyKey: body.idempotencyKey, options: run.options as StartRunBody['options'] });
    log.info({ retryOf: run.id, runId: started.runId, created: started.created }, 'run retried');
    res.status(started.created ? 202 : 200).json({ ...started, retryOf: run.id });
  });

  return router;
}
