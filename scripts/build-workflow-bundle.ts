// Prebuilds the workflow bundle (production workers load it instead of bundling at start-up).
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

export async function buildWorkflowBundle(outFile: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, '..', 'src', 'workflows', 'index.ts') });
  await mkdir(path.dirname(outFile), { recursive: true });
  await writeFile(outFile, code);
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
