/**
 * kill(1) targets ("-pgid" for a process group, "pid" for a process) that scripts/bench.sh kills
 * when the driver dies without running its exit handlers (SIGKILL, OOM): every server it started,
 * so none is left holding the server core. One list per driver process, in BENCH_KILL_LIST.
 */
import { writeFileSync } from 'node:fs';

const KILL_LIST = process.env.BENCH_KILL_LIST;
const targets = new Set<string>();

export function listKillTarget(target: string, listed: boolean): void {
  if (listed) targets.add(target);
  else targets.delete(target);
  if (KILL_LIST) writeFileSync(KILL_LIST, [...targets].map((entry) => `${entry}\n`).join(''));
}
