import { parse } from 'yaml';
import { App, Gateway, HealthCheck, Image, IOidcProxyProvider, Testing, Vps, Workload, Zone } from '../../lib';

/** A workload listening on `ports`, in `zone`. */
export function backend(vps: Vps, id: string, zone: Zone, ports: number[] = [8443]): Workload {
  const w = new Workload(vps, id, {
    zone,
    image: Image.fromRegistry('nginxinc/nginx-unprivileged', '1.27.1'),
    ports,
    healthCheck: HealthCheck.command(['true']),
  });
  w.addTlsIdentity({ usage: 'server' });
  return w;
}

/** An identity provider stand-in: one proxy workload per host, as KeycloakServer does. */
export function fakeIdentityProvider(vps: Vps): IOidcProxyProvider & { proxies: Map<string, Workload> } {
  const proxies = new Map<string, Workload>();
  return {
    proxies,
    oidcProxyFor(host: string) {
      let proxy = proxies.get(host);
      if (!proxy) {
        proxy = backend(vps, `sso-${host.split('.')[0]}`, Zone.Z8_SECURITY, [4443]);
        proxies.set(host, proxy);
      }
      return { workload: proxy, port: 4443 };
    },
  };
}

/** A lab with a gateway: `build` exposes what the test needs. */
export function gatewayApp(build: (s: { app: App; vps: Vps; gateway: Gateway }) => void): { app: App; vps: Vps; gateway: Gateway } {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10' });
  const s = { app, vps, gateway };
  build(s);
  return s;
}

/** Synthesizes and returns a reader of the lab's files (YAML parsed). */
export function synthFiles(app: App): { text(path: string): string; yaml(path: string): any; paths: string[] } {
  const assembly = Testing.synth(app);
  return {
    text: (p) => assembly.file(`lab/${p}`),
    yaml: (p) => parse(assembly.file(`lab/${p}`)),
    paths: assembly.paths().filter((p) => p.startsWith('lab/')).map((p) => p.slice('lab/'.length)),
  };
}
