// The scan service of mlsec-cdk (lib/services/clamav/runtime/scan-service-main.ts, transpiled). Do not edit.
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.KNOWN_BAD_SIGNATURE = void 0;
exports.renderScanMetrics = renderScanMetrics;
exports.verdictOf = verdictOf;
exports.withKnownBad = withKnownBad;
exports.startScanService = startScanService;
exports.main = main;
/**
 * The program of the Z1 scan service (CONTROLS.md Z1-K09), run by Node in its container: an
 * HTTPS API that streams each request body to clamd with INSTREAM and answers clean, infected or
 * suspicious. It is shipped as one JavaScript file (tools/generate-scan-service-program.ts
 * transpiles this module), so it imports Node's own modules only and nothing from the library.
 *
 * - mTLS: a client certificate of the internal CA is required, and its SPIFFE URI SAN must be one
 *   of the declared clients (`allowedClients`); anyone else gets 403 before any byte is scanned.
 * - `POST /scan` with the bytes as body → 200 `{verdict, signature?, sha256, bytes}`. A body whose
 *   SHA-256 is on `knownBadSha256` is `infected` (`Mlsec.KnownBad.Sha256`) whatever clamd says. A body over
 *   `maxBytes`, or one clamd refuses as over its limits, is `suspicious` (never clean). clamd down
 *   or failing → 503/502, a scan over `scanTimeoutMs` → 504: the caller retries, nothing passes.
 * - `GET /healthz` → 200 once clamd answers PING.
 * - `GET /metrics` (Prometheus text) → `av_scans_total{client,result}`: per declared client
 *   (its SPIFFE ID: one per source's ingestion endpoint) and result (clean, infected, suspicious,
 *   or error), for the SPIFFE IDs of `metricsClients` only (they may not scan).
 * - One JSON log line per request: client, status, size, hash, verdict and signature, never content.
 * - The certificate and key (renewed by the Vault Agent) are re-read every minute.
 * - `--health` (the container health check) calls its own /healthz with its own certificate,
 *   verifying the server's name as any client does.
 */
const crypto_1 = require("crypto");
const fs = require("fs");
const https = require("https");
const net = require("net");
/** The results `av_scans_total` counts: the verdicts, and `error` for a scan that gave none. */
const SCAN_RESULTS = ['clean', 'infected', 'suspicious', 'error'];
/** A label value in the Prometheus text format. */
function labelValue(value) {
    return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
/**
 * `av_scans_total` in the Prometheus text format, by client (sorted) and result; every pair is
 * present from the start, so rates and increases work from the first scrape.
 */
function renderScanMetrics(counts) {
    return [
        '# HELP av_scans_total Bodies scanned, by client (SPIFFE ID) and result (error: no verdict, the caller retries).',
        '# TYPE av_scans_total counter',
        ...[...counts.keys()].sort().flatMap((client) => SCAN_RESULTS.map((r) => `av_scans_total{client="${labelValue(client)}",result="${r}"} ${counts.get(client)[r]}`)),
        '',
    ].join('\n');
}
/** An HTTP failure with its status and a message for the caller (never file content). */
class ScanFailure extends Error {
    status;
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}
/** Signatures that mean "not provably clean" rather than malware: limits hit, encrypted archives, heuristics. */
const SUSPICIOUS = /^(Heuristics\.|Mlsec\.Limits\.)/;
/** clamd's reply to INSTREAM (`stream: OK`, `stream: <name> FOUND`, `<message> ERROR`) as a verdict. */
function verdictOf(reply) {
    const text = reply.replace(/\0+$/, '').trim();
    if (text === 'stream: OK')
        return { verdict: 'clean' };
    const found = /^stream: (.+) FOUND$/.exec(text);
    if (found)
        return { verdict: SUSPICIOUS.test(found[1]) ? 'suspicious' : 'infected', signature: found[1] };
    if (/size limit exceeded/i.test(text))
        return { verdict: 'suspicious', signature: 'Mlsec.Limits.StreamMaxLength' };
    throw new ScanFailure(502, `clamd: ${text.slice(0, 200)}`);
}
/** The signature of a body whose SHA-256 is on the deny list. */
exports.KNOWN_BAD_SIGNATURE = 'Mlsec.KnownBad.Sha256';
/**
 * Z1-K09's hash list: a body whose SHA-256 is known bad is `infected` even when clamd's database
 * does not (yet) know it; clamd's own signature is kept when it found the malware too.
 */
function withKnownBad(knownBad, result) {
    if (result.verdict === 'infected' || result.sha256 === '' || !knownBad.has(result.sha256))
        return result;
    return { ...result, verdict: 'infected', signature: exports.KNOWN_BAD_SIGNATURE };
}
/** A 4-byte big-endian length, the INSTREAM chunk header. */
function chunkHeader(length) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(length, 0);
    return b;
}
/** Streams `body` to clamd and resolves with its verdict; over `maxBytes` stops reading into clamd. */
function scanStream(config, knownBad, body) {
    return new Promise((resolve, reject) => {
        const hash = (0, crypto_1.createHash)('sha256');
        let bytes = 0;
        let reply = '';
        let oversize = false;
        let settled = false;
        const clamd = net.connect({ host: config.clamd.host, port: config.clamd.port });
        const finish = (error, result) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            clamd.destroy();
            if (error)
                reject(error);
            else
                resolve(result);
        };
        // The rest of an oversize body is read and dropped, so the caller gets its answer.
        const oversized = () => finish(undefined, { verdict: 'suspicious', signature: 'Mlsec.Limits.MaxBytes', sha256: hash.digest('hex'), bytes });
        const timer = setTimeout(() => finish(new ScanFailure(504, `scan took longer than ${config.scanTimeoutMs} ms`)), config.scanTimeoutMs);
        clamd.on('error', (e) => finish(new ScanFailure(503, `clamd unreachable: ${e.code ?? e.message}`)));
        clamd.on('data', (d) => {
            reply += d.toString('latin1');
            if (!reply.includes('\0'))
                return;
            try {
                const v = verdictOf(reply);
                // clamd answers early only to refuse (size limit): the body is then not fully hashed.
                if (!body.readableEnded)
                    body.resume();
                finish(undefined, withKnownBad(knownBad, { ...v, sha256: body.readableEnded ? hash.digest('hex') : '', bytes }));
            }
            catch (e) {
                finish(e);
            }
        });
        clamd.on('close', () => finish(new ScanFailure(502, 'clamd closed the connection without a verdict')));
        clamd.write('zINSTREAM\0');
        body.on('data', (chunk) => {
            if (oversize || settled)
                return;
            bytes += chunk.length;
            hash.update(chunk);
            if (bytes > config.maxBytes) {
                oversize = true;
                body.on('end', oversized);
                return;
            }
            if (!clamd.write(Buffer.concat([chunkHeader(chunk.length), chunk]))) {
                body.pause();
                clamd.once('drain', () => body.resume());
            }
        });
        body.on('end', () => {
            if (!oversize && !settled)
                clamd.write(chunkHeader(0));
        });
        body.on('error', (e) => finish(new ScanFailure(400, `request body: ${e.message}`)));
    });
}
/** `PING` → `PONG`. */
function pingClamd(config) {
    return new Promise((resolve) => {
        const s = net.connect({ host: config.clamd.host, port: config.clamd.port });
        let reply = '';
        s.setTimeout(5000, () => s.destroy());
        s.on('data', (d) => (reply += d.toString('latin1')));
        s.on('error', () => resolve(false));
        s.on('close', () => resolve(reply.startsWith('PONG')));
        s.end('zPING\0');
    });
}
/** The SPIFFE IDs (URI SANs) of the peer certificate. */
function peerSpiffeIds(req) {
    const cert = req.socket.getPeerCertificate?.();
    const sans = cert?.subjectaltname ?? '';
    return sans.split(', ').filter((s) => s.startsWith('URI:spiffe://')).map((s) => s.slice(4));
}
function send(res, status, body, headers = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
    res.end(text);
}
function log(entry) {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service: 'scan-service', ...entry })}\n`);
}
function readTls(config) {
    return { cert: fs.readFileSync(config.tls.certificate), key: fs.readFileSync(config.tls.privateKey), ca: fs.readFileSync(config.tls.caBundle) };
}
/** Starts the API; resolves with the server once it listens. */
function startScanService(config, host = '0.0.0.0') {
    let active = 0;
    const allowed = new Set(config.allowedClients);
    const metricsReaders = new Set(config.metricsClients ?? []);
    // Only declared clients may scan, so the label's values are bounded by the configuration.
    const counts = new Map(config.allowedClients.map((id) => [id, { clean: 0, infected: 0, suspicious: 0, error: 0 }]));
    const knownBad = new Set(config.knownBadSha256 ?? []);
    const server = https.createServer({ ...readTls(config), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, (req, res) => {
        const started = Date.now();
        const path = (req.url ?? '').split('?')[0];
        const peers = peerSpiffeIds(req);
        const client = peers.find((id) => (path === '/metrics' ? metricsReaders.has(id) : allowed.has(id) || (path === '/healthz' && id === config.self.spiffeId)));
        const entry = { client: client ?? peers.join(' '), method: req.method, path };
        const done = (status, body, headers) => {
            send(res, status, body, headers);
            log({ ...entry, status, ms: Date.now() - started, ...(status === 200 && 'verdict' in body ? { verdict: body.verdict, signature: body.signature, sha256: body.sha256, bytes: body.bytes } : { error: body.error }) });
        };
        if (!client) {
            req.resume();
            return done(403, { error: 'client certificate is not one of the declared clients' });
        }
        if (path === '/healthz') {
            req.resume();
            if (req.method !== 'GET')
                return done(405, { error: 'GET only' }, { Allow: 'GET' });
            return void pingClamd(config).then((ok) => done(ok ? 200 : 503, ok ? { status: 'ok' } : { error: 'clamd does not answer PING' }));
        }
        if (path === '/metrics') {
            req.resume();
            if (req.method !== 'GET')
                return done(405, { error: 'GET only' }, { Allow: 'GET' });
            const text = renderScanMetrics(counts);
            res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
            return void res.end(text);
        }
        if (path !== '/scan') {
            req.resume();
            return done(404, { error: 'not found' });
        }
        if (req.method !== 'POST') {
            req.resume();
            return done(405, { error: 'POST only' }, { Allow: 'POST' });
        }
        if (active >= config.maxConcurrentScans) {
            req.resume();
            return done(503, { error: 'busy' }, { 'Retry-After': '1' });
        }
        active++;
        scanStream(config, knownBad, req).then((result) => {
            counts.get(client)[result.verdict]++;
            done(200, { ...result });
        }, (e) => {
            counts.get(client).error++;
            done(e instanceof ScanFailure ? e.status : 500, { error: e instanceof ScanFailure ? e.message : 'internal error' });
        }).finally(() => active--);
    });
    // The Vault Agent renews the certificate well before it expires; a minute is early enough.
    const reload = setInterval(() => {
        try {
            server.setSecureContext({ ...readTls(config) });
        }
        catch (e) {
            log({ error: `certificate reload failed: ${e.message}` });
        }
    }, 60_000);
    reload.unref();
    server.on('close', () => clearInterval(reload));
    server.headersTimeout = 10_000;
    server.requestTimeout = config.scanTimeoutMs + 10_000;
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, host, () => resolve(server));
    });
}
/** The health check: its own /healthz, with its own certificate. Exit 0 when healthy. */
function healthCheck(config) {
    const { cert, key, ca } = readTls(config);
    const req = https.request({ host: '127.0.0.1', servername: config.self.serverName, port: config.port, path: '/healthz', cert, key, ca, timeout: 10_000 }, (res) => {
        res.resume();
        process.exit(res.statusCode === 200 ? 0 : 1);
    });
    req.on('error', () => process.exit(1));
    req.on('timeout', () => req.destroy());
    req.end();
}
/** `node scan-service.js <config.json> [--health]`. */
function main(argv) {
    const config = JSON.parse(fs.readFileSync(argv[0], 'utf8'));
    if (argv.includes('--health'))
        return healthCheck(config);
    startScanService(config).then((server) => {
        log({ status: 'listening', port: config.port, clients: config.allowedClients });
        process.on('SIGTERM', () => server.close(() => process.exit(0)));
    }, (e) => {
        log({ error: `cannot start: ${e.message}` });
        process.exit(1);
    });
}
main(process.argv.slice(2));
