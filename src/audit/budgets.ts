// CI budgets of a finished run: which are broken and by how much. Pure; the CLI turns a broken budget into exit 3.
import { z } from 'zod';

export const budgetsSchema = z
  .object({
    /** Fail when any finding of this severity (or worse) exists. */
    failOn: z.enum(['critical', 'warning'], { error: 'must be "critical" or "warning"' }),
    /** Fail when the site health score (0–100) is below this. */
    minScore: z.number({ error: 'must be a number' }).min(0, 'must be >= 0').max(100, 'must be <= 100'),
    /** Fail when more findings than this are new since the previous completed run of the same site. */
    maxNewFindings: z.number({ error: 'must be a number' }).int('must be an integer').min(0, 'must be >= 0'),
  })
  .partial()
  .strict();
export type Budgets = z.infer<typeof budgetsSchema>;

export interface BudgetInput {
  bySeverity: Record<string, number>;
  healthScore: number;
  /** null: no previous completed run of the site to compare with. */
  newFindings: number | null;
  previousRunId?: string | null;
}

export interface BrokenBudget {
  budget: 'failOn' | 'minScore' | 'maxNewFindings';
  flag: string;
  message: string;
}

export function evaluateBudgets(b: Budgets, r: BudgetInput): BrokenBudget[] {
  const broken: BrokenBudget[] = [];
  if (b.failOn) {
    const crit = r.bySeverity.critical ?? 0;
    const warn = b.failOn === 'warning' ? (r.bySeverity.warning ?? 0) : 0;
    if (crit + warn > 0) {
      const parts = [crit ? `${crit} critical` : '', warn ? `${warn} warning` : ''].filter(Boolean).join(' and ');
      broken.push({ budget: 'failOn', flag: `--fail-on ${b.failOn}`, message: `--fail-on ${b.failOn}: ${parts} finding(s), budget 0 (over by ${crit + warn})` });
    }
  }
  if (b.minScore !== undefined && r.healthScore < b.minScore) {
    const by = Math.round((b.minScore - r.healthScore) * 10) / 10;
    broken.push({ budget: 'minScore', flag: `--min-score ${b.minScore}`, message: `--min-score ${b.minScore}: health score ${r.healthScore} is ${by} below it` });
  }
  if (b.maxNewFindings !== undefined && r.newFindings !== null && r.newFindings > b.maxNewFindings) {
    broken.push({
      budget: 'maxNewFindings',
      flag: `--max-new-findings ${b.maxNewFindings}`,
      message: `--max-new-findings ${b.maxNewFindings}: ${r.newFindings} new finding(s) since run ${r.previousRunId ?? 'previous'} (over by ${r.newFindings - b.maxNewFindings})`,
    });
  }
  return broken;
}
