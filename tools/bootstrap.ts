/**
 * Bootstraps the operator-only secrets of the reference lab (apps/lab.ts) below the App's
 * secretsDir (`secrets/` or MLSEC_SECRETS_DIR; never synth-out/), per Vps: its internal PKI (a
 * root CA, an intermediate CA and one leaf certificate per TlsIdentity), its generated
 * credentials, and each service's secret files in `deliver/<service>/`, owned by the container's
 * user (run it as root). Idempotent: it issues only what is missing, changed or past 80% of its
 * lifetime, and never replaces a credential.
 *
 *   tsx tools/bootstrap.ts            issue / renew, then print what was done
 *   tsx tools/bootstrap.ts --plan     print what the construct tree asks for; write nothing
 */
import { App, MlsecError } from '../lib';
import { createLab } from '../apps/lab';
import { PkiBootstrap } from '../lib/pki';
import { SecretsBootstrap } from '../lib/secrets';

function main(argv: string[]): number {
  const unknown = argv.filter((a) => a !== '--plan');
  if (unknown.length > 0) {
    console.error(`usage: tsx tools/bootstrap.ts [--plan]   (unknown: ${unknown.join(' ')})`);
    return 2;
  }
  const app = new App();
  createLab(app);
  const plan = PkiBootstrap.plan(app);
  const count = plan.hosts.reduce((n, h) => n + h.identities.length, 0);
  if (argv.includes('--plan')) {
    for (const host of plan.hosts) {
      console.log(`${host.vps}: ${host.identities.length} TLS identit${host.identities.length === 1 ? 'y' : 'ies'} -> ${plan.secretsDir}/${host.pkiDir}/`);
      for (const i of host.identities) {
        console.log(`  ${i.name}  ${i.usage}, ${i.ttlHours} h, SAN ${[...i.dnsNames.map((d) => `DNS:${d}`), ...i.uris.map((u) => `URI:${u}`)].join(', ')}  (${i.constructPath})`);
      }
    }
    return 0;
  }
  if (count === 0) console.log('No TlsIdentity in the app: there is no certificate to issue.');
  const result = SecretsBootstrap.run(app);
  console.log(SecretsBootstrap.format(result));
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof MlsecError)) throw err;
  console.error(err.message);
  process.exitCode = 1;
}
