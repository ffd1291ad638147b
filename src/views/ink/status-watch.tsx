import {Box, render, Text, useApp, useInput, useStdout} from 'ink'
import {createElement, useEffect, useState} from 'react'
import type {WatchRow} from '../../services/status-watch.js'
import {alignColumns, formatUptime} from '../status-text.js'
import {tone, type Tone} from './style.js'

/** How often the rows are read again. */
export const REFRESH_MS = 1000

export interface StatusWatchOptions {
  stdout: NodeJS.WriteStream
  stdin: NodeJS.ReadStream
  colour: boolean
  title: string
  load: () => Promise<WatchRow[]>
}

const HEADER = ['NAME', 'KIND', 'STATUS', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'RSS', 'HEALTH', 'LAST LOG LINE']

const STATUS_TONE: Partial<Record<WatchRow['status'], Tone>> = {
  running: {color: 'green'},
  starting: {color: 'cyan'},
  stopping: {color: 'cyan'},
  failed: {color: 'red', bold: true},
  exited: {color: 'red'},
  pid_reused: {color: 'red'},
  interrupted: {color: 'yellow'},
  stopped: {dimColor: true},
  not_started: {dimColor: true},
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)}${units[unit]}`
}

/** The cells of a row, every one text; a control character of a log line would break the screen, so they go. */
function cells(row: WatchRow): string[] {
  return [
    row.name,
    row.kind,
    row.status.replace('_', ' '),
    row.pid === null ? '-' : String(row.pid),
    row.uptimeSeconds === null ? '-' : formatUptime(row.uptimeSeconds),
    String(row.restarts),
    row.cpuPercent === null ? '-' : `${row.cpuPercent.toFixed(1)}%`,
    row.rssBytes === null ? '-' : formatBytes(row.rssBytes),
    row.health ?? '-',
    (row.lastLine ?? '').replace(/[\u0000-\u001f\u007f]/g, ' '),
  ]
}

/** The live table: one line per component, each cut at the terminal's width; q or Ctrl-C quits. */
export function StatusWatch({options}: {options: StatusWatchOptions}) {
  const {exit} = useApp()
  const {stdout} = useStdout()
  const [rows, setRows] = useState<WatchRow[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [width, setWidth] = useState(stdout.columns || 80)

  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) exit()
  })
  useEffect(() => {
    let stopped = false
    let timer: NodeJS.Timeout | undefined
    const refresh = async () => {
      try {
        const next = await options.load()
        if (!stopped) (setRows(next), setError(null))
      } catch (problem) {
        if (!stopped) setError((problem as Error).message)
      }
      if (!stopped) timer = setTimeout(() => void refresh(), REFRESH_MS)
    }
    void refresh()
    const onResize = () => setWidth(stdout.columns || 80)
    stdout.on('resize', onResize)
    return () => {
      stopped = true
      clearTimeout(timer)
      stdout.off('resize', onResize)
    }
  }, [options, stdout])

  const lines = rows === null ? [] : alignColumns([HEADER, ...rows.map(cells)])
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end" {...tone(options.colour, {bold: true})}>
        {options.title} — every {REFRESH_MS / 1000}s; q or Ctrl-C quits
      </Text>
      {error !== null && (
        <Text wrap="truncate-end" {...tone(options.colour, {color: 'red'})}>
          {error}
        </Text>
      )}
      {rows === null && <Text>reading…</Text>}
      {rows?.length === 0 && <Text>No components in the file or the state.</Text>}
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end" {...tone(options.colour, i === 0 ? {dimColor: true} : (STATUS_TONE[rows![i - 1]!.status] ?? {}))}>
          {line}
        </Text>
      ))}
    </Box>
  )
}

/** Draws the view until q or Ctrl-C; Ink puts the terminal back as it was on the way out. */
export async function runStatusWatch(options: StatusWatchOptions): Promise<void> {
  const instance = render(createElement(StatusWatch, {options}), {stdout: options.stdout, stdin: options.stdin, exitOnCtrlC: false, patchConsole: false})
  await instance.waitUntilExit()
}
