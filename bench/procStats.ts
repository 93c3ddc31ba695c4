// CPU seconds and memory of other processes from /proc (Linux): the Temporal dev server, PostgreSQL (postmaster and
// its backends), the fixture site. Used to split a pipeline run's CPU between the worker and the servers.
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ on Linux

function readStat(pid: number): { ppid: number; cpuSec: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces).
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0] = state (field 3), ppid = field 4, utime = 14, stime = 15, cutime = 16, cstime = 17
    const ppid = Number(rest[1]);
    const ticks = Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
    return { ppid, cpuSec: ticks / CLK_TCK };
  } catch {
    return null;
  }
}

/** The pid and all its descendants (living ones). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const st = readStat(pid);
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(pid);
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/**
 * CPU seconds used so far by a process tree. Exited children are included through cutime/cstime of their (still
 * living) parent once reaped; PostgreSQL backends that exit during a measurement are counted that way.
 */
export function treeCpuSeconds(root: number | null | undefined): number {
  if (!root) return 0;
  let sum = 0;
  for (const pid of processTree(root)) sum += readStat(pid)?.cpuSec ?? 0;
  return sum;
}

/** Resident memory of a process tree in MB (VmRSS summed; shared pages are counted per process). */
export function treeRssMb(root: number | null | undefined): number {
  if (!root) return 0;
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {}
  }
  return Math.round(kb / 1024);
}

/** PID of the postmaster that owns a PostgreSQL data directory. */
export function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** One thread's time so far: on a core, and runnable but waiting for one (null where the kernel keeps no schedstat). */
export interface ThreadTimes {
  cpu: number;
  waiting: number | null;
}

/**
 * CPU seconds of each thread of this process so far (/proc/self/task), by thread id, and the seconds each waited in
 * the run queue (/proc/self/task/<tid>/schedstat: on-CPU ns, run-queue ns, slices). The wait says whether a thread
 * that did little was idle or starved of a core: on a busy machine it is the second.
 */
export function threadCpuSeconds(): Map<number, ThreadTimes> {
  const out = new Map<number, ThreadTimes>();
  for (const name of readdirSync('/proc/self/task')) {
    try {
      const s = readFileSync(`/proc/self/task/${name}/stat`, 'utf8');
      const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), { cpu: (Number(rest[11]) + Number(rest[12])) / CLK_TCK, waiting: runQueueSeconds(`/proc/self/task/${name}/schedstat`) });
    } catch {}
  }
  return out;
}

function runQueueSeconds(file: string): number | null {
  try {
    const waitNs = Number(readFileSync(file, 'utf8').split(' ')[1]);
    return Number.isFinite(waitNs) ? waitNs / 1e9 : null;
  } catch {
    return null;
  }
}

export interface ThreadSplit {
  /** The JavaScript main thread. */
  main: number;
  /**
   * Threads node started before any of ours: V8's platform workers. They run concurrent marking, parallel scavenges
   * and sweeping of every isolate, and the optimizing compiler's jobs (perf, 10k pipeline run: ~36% compiling, ~28%
   * marking, ~19% scavenging, ~10% sweeping).
   */
  runtime: number;
  /** Threads started later (analysis threads, Temporal core, workflow threads, libuv's pool), largest first. */
  later: number[];
  /** Seconds the same threads were runnable but waited for a core (same order as `later`); absent without schedstat. */
  waiting?: { main: number; runtime: number; later: number[] };
}

/**
 * Where a process's CPU went between two `threadCpuSeconds()` snapshots: main thread, the runtime's helper threads
 * (`runtimeTids`: those node started before any of ours), every other thread; and how long each waited for a core.
 */
export function threadSplit(before: Map<number, ThreadTimes>, after: Map<number, ThreadTimes>, runtimeTids: ReadonlySet<number>): ThreadSplit {
  const round = (x: number) => Math.round(x * 100) / 100;
  const cpu = { main: 0, runtime: 0 };
  const wait = { main: 0, runtime: 0 };
  let haveWaits = true;
  const later: Array<{ cpu: number; waiting: number }> = [];
  for (const [tid, now] of after) {
    const was = before.get(tid);
    const dCpu = now.cpu - (was?.cpu ?? 0);
    if (now.waiting === null || (was && was.waiting === null)) haveWaits = false;
    const dWait = (now.waiting ?? 0) - (was?.waiting ?? 0);
    if (tid === process.pid) {
      cpu.main = dCpu;
      wait.main = dWait;
    } else if (runtimeTids.has(tid)) {
      cpu.runtime += dCpu;
      wait.runtime += dWait;
    } else {
      later.push({ cpu: dCpu, waiting: dWait });
    }
  }
  const shown = later.sort((a, b) => b.cpu - a.cpu).filter((t) => t.cpu >= 0.05);
  return {
    main: round(cpu.main),
    runtime: round(cpu.runtime),
    later: shown.map((t) => round(t.cpu)),
    ...(haveWaits ? { waiting: { main: round(wait.main), runtime: round(wait.runtime), later: shown.map((t) => round(t.waiting)) } } : {}),
  };
}

/** The machine's CPU ticks so far, all cores (`/proc/stat`), busy and in all; null off Linux. */
export function machineTicks(): { busy: number; total: number } | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - cpu[3] - cpu[4], total };
  } catch {
    return null;
  }
}
