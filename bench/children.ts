import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Runs a bench child under tsx and reads its JSON lines from stdout. */
export interface Child {
  process: ChildProcess;
  next(): Promise<Record<string, unknown>>;
  send(line: string): void;
  stop(): Promise<void>;
}

export function spawnChild(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Child {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? []),
      "--import",
      "tsx",
      script,
      ...args,
    ],
    {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, LOG_LEVEL: "silent", ...env },
    },
  );
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  const buffered: string[] = [];
  lines.on("line", (line) => {
    const reader = waiting.shift();
    if (reader) reader(line);
    else buffered.push(line);
  });
  return {
    process: child,
    next: () =>
      new Promise((resolve, reject) => {
        const take = (line: string) => {
          try {
            resolve(JSON.parse(line));
          } catch {
            reject(new Error(`${script} printed ${line}`));
          }
        };
        const line = buffered.shift();
        if (line !== undefined) take(line);
        else waiting.push(take);
        child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
      }),
    send: (line) => child.stdin.write(`${line}\n`),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Peak resident memory of a child, read from the kernel (Linux). */
export async function peakRssMb(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/**
 * CPU time a child has used so far, all its threads, in seconds (Linux: /proc/<pid>/stat counts
 * it in USER_HZ ticks, 100 a second on every Linux ABI).
 */
export async function cpuSeconds(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // The fields after the parenthesised command name; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
