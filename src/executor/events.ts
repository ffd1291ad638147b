import type {CompctlEvent} from '../model/generated/events.js'

type WithoutTime<E> = E extends unknown ? Omit<E, 'time'> : never

/** An event as the executor builds it; the emitter stamps the time. */
export type EventInput = WithoutTime<CompctlEvent>

export type Emit = (event: EventInput) => void

/** Stamps each event with the time and hands it to every subscriber. */
export function eventEmitter(subscribers: Array<(event: CompctlEvent) => void>): Emit {
  return (input) => {
    const event = {...input, time: new Date().toISOString()} as CompctlEvent
    for (const subscriber of subscribers) subscriber(event)
  }
}
