/**
 * One HTTPS request to a server the tests started on loopback, addressed by its service name
 * (SNI and Host) so its certificate is verified as in the stack; shared by the real-server tests.
 */
import * as https from 'https';

/** TLS material of an HTTPS client (PEM). */
export interface ClientTls {
  readonly ca: Buffer | string;
  readonly cert?: Buffer | string;
  readonly key?: Buffer | string;
}

/** What an HTTPS request got back. */
export interface HttpsReply {
  readonly status: number;
  readonly body: string;
}

/** Extra settings of an `httpsRequest`. */
export interface HttpsRequestOptions {
  /** Request headers; `host` here replaces the default `<servername>:<port>`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Socket idle timeout; the request fails with `timeout` after it. Default 15 000. */
  readonly timeoutMs?: number;
}

/**
 * An HTTPS request to 127.0.0.1:`port`, verifying the server for `servername` with `tls.ca`,
 * presenting `tls.cert` when given; a `body` is sent as JSON.
 */
export function httpsRequest(port: number, servername: string, urlPath: string, tls: ClientTls, method = 'GET', body?: string, opts: HttpsRequestOptions = {}): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path: urlPath, method, servername, ca: tls.ca, cert: tls.cert, key: tls.key, timeout: opts.timeoutMs ?? 15_000,
      headers: { host: `${servername}:${port}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end(body);
  });
}
