// CPU time per OS thread of this process, from Linux's /proc, grouped into the main thread (HTTP, JSON, the
// hand-off to workers), the inference workers (decode, pre/postprocessing, onnxruntime with one intra-op
// thread) and every other thread (V8's garbage collector and compiler, libuv's pool, libvips' workers). It
// shows what keeps throughput from scaling with cores: CPU spent outside the workers competes with them.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export type ThreadGroup = 'main' | 'inference' | 'other';

/** Linux's USER_HZ, the unit of /proc's utime and stime: 100 on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

/** This thread's OS thread id (Linux), which /proc names its CPU counters by; undefined elsewhere. */
export function osThreadId(): number | undefined {
  try {
    // /proc/thread-self links to /proc/<pid>/task/<tid>.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of one /proc stat line, in seconds. The command name in parentheses may hold spaces. */
export function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 of the line, utime 14 and stime 15.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds of each live thread of this process, by thread id; undefined without /proc (not Linux). */
export function threadCpuSeconds(): Map<number, number> | undefined {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const seconds = new Map<number, number>();
  for (const tid of tids) {
    try {
      seconds.set(Number(tid), statCpuSeconds(readFileSync(`/proc/self/task/${tid}/stat`, 'latin1')));
    } catch {
      // exited since the listing
    }
  }
  return seconds;
}

/** The group a thread of this process belongs to, given the inference workers' thread ids. */
export function threadGroup(tid: number, inference: ReadonlySet<number>): ThreadGroup {
  return tid === process.pid ? 'main' : inference.has(tid) ? 'inference' : 'other';
}
