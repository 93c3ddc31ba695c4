/**
 * Ends the process with `code` once what it wrote to stdout and stderr has left it. process.exit() drops writes still
 * queued for a pipe: `sitesweep report <id> --json | jq` got the first 64 KB of a larger report (what the pipe holds)
 * whenever jq had not read it yet. A reader that went away (`| head`) ends the wait too: the write then fails, and the
 * exit code stays the command's.
 */
export function exitAfterOutput(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const flushed = () => {
    if (--pending === 0) process.exit(code);
  };
  // Writes leave in order: an empty one's callback runs once everything before it has been handed to the OS.
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}

/**
 * A reader that stops early (`sitesweep export <id> | head`) closes the pipe: the next write fails with EPIPE, which
 * would surface as "sitesweep: write EPIPE" and exit 1. Like other command-line tools, stop quietly instead: the
 * reader took all it wanted.
 */
export function stopQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
