import {Agent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions} from 'node:http'

/*
 * The few etcd v3 calls the state backend needs, through etcd's JSON gateway (`POST /v3/...`,
 * served on the client port since etcd 3.4) with Node's own http. The etcd3 client (gRPC) takes
 * hundreds of milliseconds to load, more than a whole `plan`; the state backend makes a handful
 * of unary calls and no watches, so it does without it. Keys and values travel base64-encoded;
 * the gateway leaves out fields at their default (false, 0, empty).
 */

/** Unary calls give up after this long, so an etcd that stops answering is an error, not a hang. */
const CALL_TIMEOUT_MS = 5000

export interface KeyValue {
  key: string
  value: string
  modRevision: string
  createRevision: string
}

export type Compare =
  | {key: string; target: 'MOD'; modRevision: string}
  | {key: string; target: 'CREATE'; createRevision: string}
  | {key: string; target: 'VALUE'; value: string}

export type Operation = {put: {key: string; value: string; lease?: string}} | {range: {key: string}} | {delete: {key: string}}

export interface TxnResult {
  succeeded: boolean
  revision: string
  /** The key-values each `range` operation of the branch taken read, in order. */
  ranges: KeyValue[][]
}

interface RawKv {
  key: string
  value?: string
  mod_revision?: string
  create_revision?: string
}

const b64 = (text: string) => Buffer.from(text).toString('base64')
const unb64 = (text: string | undefined) => Buffer.from(text ?? '', 'base64').toString()

function keyValue(raw: RawKv): KeyValue {
  return {key: unb64(raw.key), value: unb64(raw.value), modRevision: raw.mod_revision ?? '0', createRevision: raw.create_revision ?? '0'}
}

/** The key just past every key that starts with `prefix`: a range over it is a prefix read. */
function rangeEnd(prefix: string): string {
  const bytes = Buffer.from(prefix)
  bytes[bytes.length - 1]! += 1
  return bytes.toString('base64')
}

export class EtcdHttpClient {
  private readonly agent = new Agent({keepAlive: true})
  /** node:https (and TLS with it) loads only for https endpoints: it costs a plain-http run start-up time. */
  private https: Promise<{agent: Agent; request: typeof httpRequest}> | undefined

  constructor(readonly endpoints: string[]) {}

  async get(key: string): Promise<KeyValue | null> {
    const result = await this.call<{kvs?: RawKv[]}>('/v3/kv/range', {key: b64(key)})
    return result.kvs?.[0] ? keyValue(result.kvs[0]) : null
  }

  async getPrefix(prefix: string): Promise<KeyValue[]> {
    const result = await this.call<{kvs?: RawKv[]}>('/v3/kv/range', {key: b64(prefix), range_end: rangeEnd(prefix)})
    return (result.kvs ?? []).map(keyValue)
  }

  async txn(compare: Compare[], success: Operation[], failure: Operation[] = []): Promise<TxnResult> {
    const result = await this.call<{succeeded?: boolean; header?: {revision?: string}; responses?: Array<{response_range?: {kvs?: RawKv[]}}>}>('/v3/kv/txn', {
      compare: compare.map((c) => ({
        key: b64(c.key),
        target: c.target,
        result: 'EQUAL',
        ...(c.target === 'MOD' ? {mod_revision: c.modRevision} : c.target === 'CREATE' ? {create_revision: c.createRevision} : {value: b64(c.value)}),
      })),
      success: success.map(operation),
      failure: failure.map(operation),
    })
    return {
      succeeded: result.succeeded === true,
      revision: result.header?.revision ?? '0',
      ranges: (result.responses ?? []).filter((r) => r.response_range !== undefined).map((r) => (r.response_range!.kvs ?? []).map(keyValue)),
    }
  }

  async leaseGrant(ttlSeconds: number): Promise<string> {
    const result = await this.call<{ID?: string; error?: string}>('/v3/lease/grant', {TTL: ttlSeconds})
    if (!result.ID) throw new Error(`etcd granted no lease${result.error ? `: ${result.error}` : ''}`)
    return result.ID
  }

  /** Renews the lease once; false when etcd no longer knows it (it expired). */
  async leaseKeepAlive(id: string): Promise<boolean> {
    const result = await this.call<{result?: {TTL?: string}}>('/v3/lease/keepalive', {ID: id})
    return Number(result.result?.TTL ?? 0) > 0
  }

  async leaseRevoke(id: string): Promise<void> {
    await this.call('/v3/lease/revoke', {ID: id})
  }

  close(): void {
    this.agent.destroy()
    void this.https?.then(({agent}) => agent.destroy())
  }

  /** POSTs to the first endpoint that answers; an error names the last failure. */
  private async call<T>(path: string, body: unknown): Promise<T> {
    let lastError: unknown
    for (const endpoint of this.endpoints) {
      try {
        return (await this.post(new URL(path, endpoint), JSON.stringify(body))) as T
      } catch (error) {
        // An answer with an error (not a connection failure) would be the same from every member.
        if ((error as {fromEtcd?: boolean}).fromEtcd) throw error
        lastError = error
      }
    }
    throw lastError
  }

  private async post(url: URL, body: string): Promise<unknown> {
    let send: (url: URL, options: RequestOptions, onResponse: (response: IncomingMessage) => void) => ClientRequest = httpRequest
    let agent = this.agent
    if (url.protocol === 'https:') {
      this.https ??= import('node:https').then((https) => ({agent: new https.Agent({keepAlive: true}), request: https.request}))
      ;({agent, request: send} = await this.https)
    }
    return new Promise((resolve, reject) => {
      const request = send(
        url,
        {method: 'POST', agent, headers: {'content-type': 'application/json'}, timeout: CALL_TIMEOUT_MS},
        (response: IncomingMessage) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('error', reject)
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString()
            let parsed: {error?: string; message?: string}
            try {
              parsed = JSON.parse(text) as typeof parsed
            } catch {
              reject(new Error(`${url.origin} answered ${response.statusCode} with something that is not etcd's JSON (is it etcd ≥ 3.4?)`))
              return
            }
            if ((response.statusCode ?? 500) >= 400) reject(Object.assign(new Error(`etcd answered ${response.statusCode}: ${parsed.message ?? parsed.error ?? text}`), {fromEtcd: true}))
            else resolve(parsed)
          })
        },
      )
      request.on('timeout', () => request.destroy(new Error(`no answer within ${CALL_TIMEOUT_MS / 1000}s`)))
      request.on('error', reject)
      request.end(body)
    })
  }
}

function operation(op: Operation): unknown {
  if ('put' in op) return {request_put: {key: b64(op.put.key), value: b64(op.put.value), ...(op.put.lease ? {lease: op.put.lease} : {})}}
  if ('range' in op) return {request_range: {key: b64(op.range.key)}}
  return {request_delete_range: {key: b64(op.delete.key)}}
}
