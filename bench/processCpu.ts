import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time used so far (user + system, ms): this process without the thread counted apart, that thread
 * (the bench's counting proxy), and the JVMs it started (DynamoDB Local), of which their JIT compiler
 * threads (HotSpot's `C1 CompilerThread`/`C2 CompilerThread`, compiling hot code while a JVM warms up).
 */
export interface CpuSnapshot {
  process: number;
  apart: number;
  jvm: number;
  jvmCompiling: number;
}

let threadApart: (() => number) | undefined;

/**
 * Counts a thread of this process apart from the process's own CPU time: `cpuMs` is that thread's
 * CPU time so far (the bench's counting proxy, which is not the product's work).
 */
export function countApart(cpuMs: () => number): void {
  threadApart = cpuMs;
}

// /proc/<pid>/stat: the command sits in parentheses (it may hold spaces); after it come the state (3rd
// field), the parent (4th) and, as the 14th and 15th, user and system time in clock ticks.
function stat(path: string): { command: string; parent: string; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${path}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    return {
      command: text.slice(text.indexOf('(') + 1, close),
      parent: fields[1] as string,
      ticks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return undefined;
  }
}

/**
 * The CPU time of a JVM's JIT compiler threads (ms), from its tasks' /proc entries. With two cores HotSpot
 * runs one of each kind; a compiler thread that exits (more cores) takes its time with it.
 */
function compilingMs(pid: string): number {
  let ticks = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const s = stat(`${pid}/task/${task}`);
      if (s && /^C\d CompilerThre/.test(s.command)) ticks += s.ticks;
    }
  } catch {
    return 0;
  }
  return ticks * msPerTick;
}

/** Linux's USER_HZ: the clock ticks of /proc are hundredths of a second on every common kernel build. */
const msPerTick = 10;

/**
 * This process's CPU time (less the thread counted apart) and that of every `java` process descended from it (DynamoDB Local runs under
 * a watchdog shell), read from /proc; the JVM's is 0 where there is no /proc.
 */
export function cpuSnapshot(): CpuSnapshot {
  const apart = threadApart?.() ?? 0;
  const usage = process.cpuUsage();
  const own = (usage.user + usage.system) / 1000 - apart;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return { process: own, apart, jvm: 0, jvmCompiling: 0 };
  }
  const stats = new Map(pids.map((p) => [p, stat(p)] as const));
  const descends = (pid: string): boolean => {
    for (let p = pid, hops = 0; p !== '0' && p !== '1' && hops < 64; hops++) {
      const parent = stats.get(p)?.parent;
      if (parent === undefined) return false;
      if (parent === String(process.pid)) return true;
      p = parent;
    }
    return false;
  };
  let jvm = 0;
  let jvmCompiling = 0;
  for (const [pid, s] of stats) {
    if (s?.command !== 'java' || !descends(pid)) continue;
    jvm += s.ticks * msPerTick;
    jvmCompiling += compilingMs(pid);
  }
  return { process: own, apart, jvm, jvmCompiling };
}

/** CPU used between two snapshots, ms. */
export const cpuSince = (a: CpuSnapshot, b: CpuSnapshot): CpuSnapshot => ({
  process: a.process - b.process,
  apart: a.apart - b.apart,
  jvm: a.jvm - b.jvm,
  jvmCompiling: a.jvmCompiling - b.jvmCompiling,
});
