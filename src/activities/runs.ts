// Run bookkeeping: the audit_runs row and stage changes.
import type { ActivityDeps } from './deps';
import type { InitRunInput, SetStageInput } from './types';
import { siteHostOf } from '../audit/url';

export function createRunActivities({ db }: ActivityDeps) {
  return {
    /**
     * Creates (or takes over) the run's row. A new execution of the same workflow id (an explicit re-run) clears the
     * frontier and links of the previous execution; page_audits rows stay and are updated in place by url hash.
     */
    async initRun(input: InitRunInput): Promise<string> {
      return db.transaction(async (tx) => {
        const host = siteHostOf(input.siteUrl) ?? '';
        const [existing] = await tx.query(`SELECT id, execution_id FROM audit_runs WHERE workflow_id = $1 FOR UPDATE`, [input.workflowId]);
        if (!existing) {
          const [row] = await tx.query(
            `INSERT INTO audit_runs (workflow_id, run_key, site_url, site_host, status, stage, options, execution_id, batch_id, started_at)
             VALUES ($1, $2, $3, $4, 'running', 'discovering', $5, $6, $7, now())
             ON CONFLICT (workflow_id) DO UPDATE SET updated_at = now() RETURNING id`,
            [input.workflowId, input.runKey, input.siteUrl, host, JSON.stringify(input.options), input.executionId, input.batchId ?? null],
          );
          return row.id as string;
        }
        if (existing.execution_id !== input.executionId) {
          await tx.query(`DELETE FROM frontier WHERE run_id = $1`, [existing.id]);
          await tx.query(`DELETE FROM page_links WHERE run_id = $1`, [existing.id]);
          await tx.query(
            `UPDATE audit_runs SET execution_id = $2, started_at = now(), finished_at = NULL, summary = NULL, error = NULL,
               discovered = 0, audited = 0, failed = 0, persisted = 0, fail_reasons = '{}'::jsonb WHERE id = $1`,
            [existing.id, input.executionId],
          );
        }
        await tx.query(
          `UPDATE audit_runs SET status = 'running', stage = 'discovering', options = $2, batch_id = COALESCE($3, batch_id), updated_at = now() WHERE id = $1`,
          [existing.id, JSON.stringify(input.options), input.batchId ?? null],
        );
        return existing.id as string;
      });
    },

    async setStage(input: SetStageInput): Promise<void> {
      const status = input.stage === 'completed' || input.stage === 'failed' || input.stage === 'cancelled' ? input.stage : 'running';
      const terminal = status !== 'running';
      await db.query(
        `UPDATE audit_runs SET stage = $2, status = $3, error = COALESCE($4, error), updated_at = now(),
           finished_at = CASE WHEN $5 THEN now() ELSE finished_at END
         WHERE ($1 <> '' AND id::text = $1) OR ($1 = '' AND workflow_id = $6)`,
        [input.runId, input.stage, status, input.error ?? null, terminal, input.workflowId ?? ''],
      );
    },
  };
}
