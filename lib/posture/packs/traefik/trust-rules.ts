import type { Rule, RuleHit } from '../../rule';
import type { DocumentPath } from '../../source-document';
import { cliTrue, traefikCliOptions } from './cli-options';
import { TraefikConfig } from './dynamic-config';
import { entriesOf, isRecord, isTrue, itemsOf } from './value-readers';

/** CIDRs that trust every address. */
const EVERYWHERE = /^\s*(0\.0\.0\.0\/0|::\/0|0::0\/0)\s*$/;

/**
 * TRF-16: Traefik does not verify the certificates of its back ends: static
 * `serversTransport.insecureSkipVerify` or `tcpServersTransport.tls.insecureSkipVerify`,
 * dynamic `http.serversTransports.<n>.insecureSkipVerify` or
 * `tcp.serversTransports.<n>.tls.insecureSkipVerify`, or `--serversTransport.insecureSkipVerify`
 * on the command line.
 */
export const TRF_16: Rule = {
  id: 'TRF-16',
  title: 'Traefik verifies back-end certificates (no insecureSkipVerify)',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'With insecureSkipVerify the hop from the proxy to Vault, Keycloak or a model server accepts any certificate, so anyone on the internal network can impersonate the back end and read tokens and secrets.',
  remediation: 'Remove insecureSkipVerify; give the servers transport rootCAs with the internal CA (Vault PKI) and a serverName matching the back-end certificate.',
  controls: { 'nist-800-53-r5': ['SC-8', 'SC-23', 'IA-3'], 'csa-aicm': ['CEK', 'IVS'] },
  kinds: ['traefik-static', 'traefik-dynamic', 'compose'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('traefik-static')) {
      const http = document.data?.serversTransport;
      if (isRecord(http) && isTrue(http.insecureSkipVerify)) {
        hits.push({ document, path: ['serversTransport', 'insecureSkipVerify'], message: 'serversTransport.insecureSkipVerify is true: back-end certificates are not verified', granular: 'serversTransport' });
      }
      const tcp = document.data?.tcpServersTransport;
      if (isRecord(tcp) && isRecord(tcp.tls) && isTrue(tcp.tls.insecureSkipVerify)) {
        hits.push({ document, path: ['tcpServersTransport', 'tls', 'insecureSkipVerify'], message: 'tcpServersTransport.tls.insecureSkipVerify is true: TCP back-end certificates are not verified', granular: 'tcpServersTransport' });
      }
    }
    for (const document of TraefikConfig.of(model).dynamics) {
      const data = isRecord(document.data) ? document.data : {};
      for (const [name, transport] of entriesOf(isRecord(data.http) ? data.http.serversTransports : undefined)) {
        if (isRecord(transport) && isTrue(transport.insecureSkipVerify)) {
          hits.push({ document, path: ['http', 'serversTransports', name, 'insecureSkipVerify'], message: `serversTransport '${name}' sets insecureSkipVerify: true`, granular: name });
        }
      }
      for (const [name, transport] of entriesOf(isRecord(data.tcp) ? data.tcp.serversTransports : undefined)) {
        if (isRecord(transport) && isRecord(transport.tls) && isTrue(transport.tls.insecureSkipVerify)) {
          hits.push({ document, path: ['tcp', 'serversTransports', name, 'tls', 'insecureSkipVerify'], message: `TCP serversTransport '${name}' sets tls.insecureSkipVerify: true`, granular: name });
        }
      }
    }
    for (const option of traefikCliOptions(model)) {
      if ((option.key === 'serverstransport.insecureskipverify' || option.key === 'tcpserverstransport.tls.insecureskipverify') && cliTrue(option)) {
        hits.push({ document: option.document, path: option.path, message: `service '${option.service}' starts Traefik with ${option.key}=true`, granular: option.key.startsWith('tcp') ? 'tcpServersTransport' : 'serversTransport' });
      }
    }
    return hits;
  },
};

/**
 * TRF-17: an entry point trusts client-supplied forwarding data from anyone:
 * `forwardedHeaders.insecure: true` or `proxyProtocol.insecure: true`, or `trustedIPs` that
 * contain `0.0.0.0/0` or `::/0` (the same thing written differently); in `traefik.yml` or as
 * `--entryPoints.<n>.forwardedHeaders.insecure` / `...proxyProtocol.insecure` flags.
 */
export const TRF_17: Rule = {
  id: 'TRF-17',
  title: 'Entry points trust X-Forwarded-* and PROXY protocol only from known proxies',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'Trusting forwarded headers from everyone lets any client forge X-Forwarded-For: IP allow-lists, per-client rate limits and access logs then use an address the attacker chose.',
  remediation: 'Remove insecure: true and list the upstream proxy or load-balancer addresses in forwardedHeaders.trustedIPs / proxyProtocol.trustedIPs (or none when Traefik is the edge).',
  controls: { 'nist-800-53-r5': ['SC-7', 'AC-3', 'AU-3'], 'csa-aicm': ['IVS', 'LOG'] },
  kinds: ['traefik-static', 'compose'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('traefik-static')) {
      for (const [name, ep] of entriesOf(document.data?.entryPoints)) {
        if (!isRecord(ep)) continue;
        for (const section of ['forwardedHeaders', 'proxyProtocol'] as const) {
          const settings = ep[section];
          if (!isRecord(settings)) continue;
          const base: DocumentPath = ['entryPoints', name, section];
          if (isTrue(settings.insecure)) {
            hits.push({ document, path: [...base, 'insecure'], message: `entryPoint '${name}' sets ${section}.insecure: true, trusting forwarded data from any client`, granular: `${name}.${section}` });
          }
          itemsOf(settings.trustedIPs).forEach((cidr, i) => {
            if (typeof cidr === 'string' && EVERYWHERE.test(cidr)) {
              hits.push({ document, path: [...base, 'trustedIPs', i], message: `entryPoint '${name}' trusts ${section} from ${cidr.trim()}, i.e. from any client`, granular: `${name}.${section}` });
            }
          });
        }
      }
    }
    for (const option of traefikCliOptions(model)) {
      const match = /^entrypoints\.([^.]+)\.(forwardedheaders|proxyprotocol)\.(insecure|trustedips)$/.exec(option.key);
      if (!match) continue;
      const section = match[2] === 'forwardedheaders' ? 'forwardedHeaders' : 'proxyProtocol';
      const open = match[3] === 'insecure' ? cliTrue(option) : option.value.split(',').some((c) => EVERYWHERE.test(c));
      if (open) {
        hits.push({ document: option.document, path: option.path, message: `service '${option.service}' starts Traefik with entryPoint '${match[1]}' trusting ${section} from any client`, granular: `${match[1]}.${section}` });
      }
    }
    return hits;
  },
};
