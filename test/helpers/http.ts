/**
 * Raw HTTP for attack tests: node:http lets a test send any Host, Origin or body, which fetch
 * would normalise.
 */
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

/** A raw HTTP response. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Sends one request and reads the whole response. */
export function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: opts.method ?? 'POST',
        headers: opts.headers,
        setHost: opts.headers?.host === undefined,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Opens an SSE response and collects events until `until` says stop or the timeout passes. */
export function sse(
  url: string,
  headers: Record<string, string>,
  opts: {
    method?: string;
    body?: string;
    until?: (events: { id?: string; data: string }[]) => boolean;
    timeoutMs?: number;
  } = {},
): Promise<{
  status: number;
  headers: IncomingHttpHeaders;
  events: { id?: string; data: string }[];
  abort: () => void;
}> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const events: { id?: string; data: string }[] = [];
    let buf = '';
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: opts.method ?? 'GET', headers },
      (res) => {
        const done = (): void => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, events, abort: () => req.destroy() });
        };
        const timer = setTimeout(done, opts.timeoutMs ?? 2000);
        if (!(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          res.resume();
          res.on('end', done);
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let i: number;
          while ((i = buf.indexOf('\n\n')) !== -1) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const e: { id?: string; data: string } = { data: '' };
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) e.id = line.slice(4);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            e.data = data.join('\n');
            events.push(e);
            if (opts.until?.(events) === true) {
              done();
              return;
            }
          }
        });
        res.on('end', done);
        res.on('error', () => done());
      },
    );
    req.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code === 'ECONNRESET') return;
      reject(e);
    });
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
