/** The process tree under a pid, read from `ps` (Linux/macOS), to prove nothing outlives a stop. */
import { execFileSync } from "node:child_process";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  command: string;
}

export function listProcesses(): ProcessInfo[] {
  const out = execFileSync("ps", ["-eo", "pid=,ppid=,pgid=,stat=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      pgid: Number(m[3]),
      state: m[4] as string,
      command: m[5] as string,
    }));
}

/** `root` and every process below it. */
export function processTree(root: number): ProcessInfo[] {
  const all = listProcesses();
  const found = new Map<number, ProcessInfo>();
  const rootInfo = all.find((p) => p.pid === root);
  if (rootInfo) found.set(root, rootInfo);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.set(p.pid, p);
        grew = true;
      }
    }
  }
  return [...found.values()];
}

/** Of the given processes, those still running (same pid, same command, not a zombie), or in one of their groups. */
export function survivors(processes: ProcessInfo[]): ProcessInfo[] {
  const pids = new Map(processes.map((p) => [p.pid, p]));
  const groups = new Set(processes.map((p) => p.pgid));
  return listProcesses().filter(
    (p) =>
      !p.state.startsWith("Z") && ((pids.has(p.pid) && pids.get(p.pid)?.command === p.command) || groups.has(p.pgid)),
  );
}
