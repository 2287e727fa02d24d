import * as net from 'net';

/**
 * Test servers listen on ports below the kernel's ephemeral range (32768–60999 on Linux), from
 * which every outgoing connection takes its source port: a port chosen here and bound a few
 * seconds later (after Vault has started, say) cannot be taken meanwhile by a client socket of
 * another test. Each candidate is checked by binding it exclusively; the offset is random per
 * process so parallel test files rarely try the same ones.
 */
const LOW = 20_000;
const HIGH = 32_767;
let next = LOW + Math.floor(Math.random() * (HIGH - LOW));

/** Binds `port` on 127.0.0.1 exclusively, or resolves undefined when it is taken. */
function tryBind(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

/** The next candidate port, cycling through the range. */
function candidate(): number {
  next = next >= HIGH ? LOW : next + 1;
  return next;
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (bound, then closed). Another test file
 * could bind it before the server does; they pick from ~12k ports at random offsets, so that is
 * rare, and it shows as a bind error in the server's log.
 */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** `count` distinct free ports (held open together while choosing, so they cannot repeat). */
export async function freePorts(count: number): Promise<number[]> {
  const held: net.Server[] = [];
  try {
    for (let tries = 0; held.length < count; tries++) {
      if (tries > 2_000) throw new Error(`freePorts: no free port found in ${LOW}-${HIGH}`);
      const server = await tryBind(candidate());
      if (server) held.push(server);
    }
    return held.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`; rejects after `timeoutMs` or when `gaveUp()` says so. */
export async function waitForPort(port: number, timeoutMs: number, gaveUp: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = gaveUp();
    if (reason) throw new Error(reason);
    if (await canConnect(port)) return;
    if (Date.now() > deadline) throw new Error(`nothing accepted connections on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
