import {EventEmitter} from 'node:events'

/** A terminal's output for createInkView: records every write. */
export class FakeStdout extends EventEmitter {
  readonly writes: string[] = []
  isTTY = true
  constructor(
    public columns = 100,
    public rows = 40,
  ) {
    super()
  }
  write = (data: string): boolean => {
    this.writes.push(data)
    return true
  }
  text(): string {
    return this.writes.join('')
  }
  asStream(): NodeJS.WriteStream {
    return this as unknown as NodeJS.WriteStream
  }
}

/** A terminal's input for createInkView, in raw mode: `write` is one keypress or paste. */
export class FakeStdin extends EventEmitter {
  isTTY = true
  private pending: string[] = []
  write(data: string): void {
    this.pending.push(data)
    this.emit('readable')
  }
  read = (): string | null => this.pending.shift() ?? null
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  asStream(): NodeJS.ReadStream {
    return this as unknown as NodeJS.ReadStream
  }
}
