import {readFileSync} from 'node:fs'
import {monotonicMs} from '../util/clock.js'
import {readProcessGroups, USER_HZ} from './observe.js'

/** What a process group uses now: CPU time so far and resident memory, over every process in it. */
export interface GroupUsage {
  /** User plus system CPU time, in seconds, of the group's live processes. */
  cpuSeconds: number
  rssBytes: number
}

/** VmRSS of a process in bytes (0 for a kernel thread or a zombie). */
function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

/** The usage of each of `pgids`, in one pass over /proc; a group with no live process is absent. */
export function readGroupUsage(pgids: Iterable<number>): Map<number, GroupUsage> {
  const wanted = new Set(pgids)
  const out = new Map<number, GroupUsage>()
  if (wanted.size === 0) return out
  for (const [pgid, members] of readProcessGroups()) {
    if (!wanted.has(pgid)) continue
    for (const member of members) {
      if (member.zombie) continue
      const usage = out.get(pgid) ?? {cpuSeconds: 0, rssBytes: 0}
      usage.cpuSeconds += member.cpuTicks / USER_HZ
      usage.rssBytes += rssOf(member.pid)
      out.set(pgid, usage)
    }
  }
  return out
}

/**
 * CPU % of process groups between two samples: the CPU time the group used over the wall time
 * that passed (100% is one core busy). A process of the group that ended between the samples
 * takes its CPU time with it, so a figure is never below zero.
 */
export class CpuSampler {
  private last = new Map<number, {cpuSeconds: number; at: number}>()

  sample(usage: Map<number, GroupUsage>, now = monotonicMs()): Map<number, number | null> {
    const out = new Map<number, number | null>()
    const next = new Map<number, {cpuSeconds: number; at: number}>()
    for (const [pgid, {cpuSeconds}] of usage) {
      const before = this.last.get(pgid)
      const seconds = before ? (now - before.at) / 1000 : 0
      out.set(pgid, before && seconds > 0 ? Math.max(0, ((cpuSeconds - before.cpuSeconds) / seconds) * 100) : null)
      next.set(pgid, {cpuSeconds, at: now})
    }
    this.last = next
    return out
  }
}
