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
