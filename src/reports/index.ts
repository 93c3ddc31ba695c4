// Services over a run's findings shared by the API, the CLI and the activities (no activity or route code here):
// run comparison (compare.ts), the self-contained HTML report (html.ts) and the CLI's plain-text summary (text.ts).
// Their rows come from src/db/repositories.
export * from './compare';
