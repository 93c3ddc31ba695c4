// Prebuilds the workflow bundle (production workers load it instead of bundling at start-up).
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { OTEL_WORKFLOW_INTERCEPTORS } from '../src/temporal/tracing';

/** Writes `outFile` and its traced twin (`.otel.js`, with the OpenTelemetry workflow interceptors) next to it. */
export async function buildWorkflowBundle(outFile: string): Promise<string> {
  const workflowsPath = path.join(__dirname, '..', 'src', 'workflows', 'index.ts');
  // Built one after the other: two webpack runs at once would double the peak memory of a small build machine.
  const { code } = await bundleWorkflowCode({ workflowsPath });
  const traced = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: [OTEL_WORKFLOW_INTERCEPTORS] });
  await mkdir(path.dirname(outFile), { recursive: true });
  await writeFile(outFile, code);
  await writeFile(outFile.replace(/\.js$/, '') + '.otel.js', traced.code);
  return outFile;
}

if (require.main === module) {
  const out = process.argv[2] ?? path.join(__dirname, '..', 'dist', 'workflow-bundle.js');
  buildWorkflowBundle(out).then(
    (f) => console.log(`workflow bundle written to ${f}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
