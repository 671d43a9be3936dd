/**
 * CPU time a server process has used, split by thread, from Linux's /proc (the bench runs on
 * Linux: it pins servers with taskset). The main thread runs the JavaScript; the other threads
 * are libuv's pool (where argon2 hashes) and V8's helpers (GC, compilation).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessCpu {
  readonly mainMs: number;
  readonly otherMs: number;
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function threadTicks(pid: number, tid: string): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime: the 14th and 15th fields of stat(5), the 12th and 13th after the name.
  return Number(fields[11]) + Number(fields[12]);
}

export function processCpu(pid: number): ProcessCpu {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (Number(tid) === pid) main += threadTicks(pid, tid);
      else other += threadTicks(pid, tid);
    } catch {
      // A thread that ended between the listing and the read took its time with it.
    }
  }
  return { mainMs: (main * 1000) / TICKS_PER_SECOND, otherMs: (other * 1000) / TICKS_PER_SECOND };
}

/** CPU per unit of work between two readings. */
export function cpuPer(before: ProcessCpu, after: ProcessCpu, units: number): ProcessCpu {
  const per = Math.max(units, 1);
  return { mainMs: (after.mainMs - before.mainMs) / per, otherMs: (after.otherMs - before.otherMs) / per };
}
