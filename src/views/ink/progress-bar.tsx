import {Text} from 'ink'
import {formatElapsed} from './layout.js'
import {tone} from './style.js'

/** `[████████░░░░] 7/12 steps · 3.2s`, as wide as the terminal allows. */
export function ProgressBar({
  finished,
  total,
  failed,
  elapsedMs,
  width,
  colour,
}: {
  finished: number
  total: number
  failed: number
  elapsedMs: number
  width: number
  colour: boolean
}) {
  const text = ` ${finished}/${total} steps · ${formatElapsed(elapsedMs)}${failed > 0 ? ` · ${failed} failed` : ''}`
  const barWidth = Math.max(10, Math.min(40, width - text.length - 2))
  const filled = total === 0 ? barWidth : Math.round((barWidth * finished) / total)
  return (
    <Text wrap="truncate-end">
      [<Text {...tone(colour, {color: failed > 0 ? 'red' : 'green'})}>{'█'.repeat(filled)}</Text>
      <Text {...tone(colour, {dimColor: true})}>{'░'.repeat(barWidth - filled)}</Text>]{text}
    </Text>
  )
}
