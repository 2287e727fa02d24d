import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { auditVault } from './fixtures';

describe('VLT-01 listener without TLS', () => {
  it('flags tls_disable in every spelling Vault accepts, and a listener without cert or key', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      listener "tcp" {
        address     = "0.0.0.0:8200"
        tls_disable = 1
      }
      listener "tcp" {
        address     = "10.0.0.5:8200"
        tls_disable = "true"
      }
      listener "tcp" {
        address     = "10.0.0.6:8200"
        tls_disable = true
      }
      listener "tcp" {
        address       = "10.0.0.7:8200"
        tls_cert_file = "/vault/tls/cert.pem"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-01')).toEqual(['VLT-01[0.0.0.0:8200]@3', 'VLT-01[10.0.0.5:8200]@7', 'VLT-01[10.0.0.6:8200]@11', 'VLT-01[10.0.0.7:8200]@13']);
    expect(findings.find((f) => f.ruleId === 'VLT-01')?.message).toBe("listener '0.0.0.0:8200' disables TLS (tls_disable = 1)");
  });

  it('passes TLS listeners, tls_disable = false/"0", and unix sockets', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      listener "tcp" {
        address       = "0.0.0.0:8200"
        tls_cert_file = "/vault/tls/cert.pem"
        tls_key_file  = "/vault/tls/key.pem"
      }
      listener "tcp" {
        address       = "0.0.0.0:8300"
        tls_disable   = "0"
        tls_cert_file = "/vault/tls/cert.pem"
        tls_key_file  = "/vault/tls/key.pem"
      }
      listener "tcp" {
        tls_disable   = false
        tls_cert_file = "/vault/tls/cert.pem"
        tls_key_file  = "/vault/tls/key.pem"
      }
      listener "unix" {
        address = "/run/vault.sock"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-01')).toEqual([]);
  });
});

describe('VLT-02 old TLS versions and weak ciphers', () => {
  it('flags tls10/tls11 and CBC, static-RSA suites', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      listener "tcp" {
        address         = "0.0.0.0:8200"
        tls_min_version = "tls10"
        tls_max_version = "tls11"
      }
      listener "tcp" {
        address           = "0.0.0.0:8300"
        tls_cipher_suites = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,TLS_RSA_WITH_AES_256_GCM_SHA384"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-02')).toEqual(['VLT-02[0.0.0.0:8200]@3', 'VLT-02[0.0.0.0:8200]@4', 'VLT-02[0.0.0.0:8300]@8']);
    expect(findings.filter((f) => f.ruleId === 'VLT-02').map((f) => f.message)[2]).toBe(
      "listener '0.0.0.0:8300' allows weak cipher suites TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_256_GCM_SHA384",
    );
  });

  it('passes tls12, tls13 and ECDHE AEAD suites in list form', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      listener "tcp" {
        address           = "0.0.0.0:8200"
        tls_min_version   = "tls12"
        tls_cipher_suites = ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"]
      }
      listener "tcp" {
        address         = "0.0.0.0:8300"
        tls_min_version = "tls13"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-02')).toEqual([]);
  });
});

describe('VLT-03 X-Forwarded-For trusted from public ranges', () => {
  it('flags 0.0.0.0/0, ::/0 and public ranges in string and list form', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      listener "tcp" {
        address                          = "0.0.0.0:8200"
        x_forwarded_for_authorized_addrs = "10.0.0.0/8, 0.0.0.0/0"
      }
      listener "tcp" {
        address                          = "0.0.0.0:8300"
        x_forwarded_for_authorized_addrs = ["172.18.0.0/16", "::/0", "203.0.113.7"]
      }
      listener "tcp" {
        address                          = "0.0.0.0:8400"
        x_forwarded_for_authorized_addrs = "8.0.0.0/7"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-03')).toEqual(['VLT-03[0.0.0.0:8200]@3', 'VLT-03[0.0.0.0:8300]@7', 'VLT-03[0.0.0.0:8400]@11']);
    expect(findings.filter((f) => f.ruleId === 'VLT-03')[1].message).toBe("listener '0.0.0.0:8300' trusts X-Forwarded-For from public range ::/0, 203.0.113.7");
  });

  it('passes private, loopback, unique-local and CGNAT ranges', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      listener "tcp" {
        address                          = "0.0.0.0:8200"
        x_forwarded_for_authorized_addrs = ["10.0.0.0/8", "172.18.0.0/16", "192.168.1.10", "127.0.0.1/32", "fd00::/8", "100.64.0.0/10"]
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-03')).toEqual([]);
  });
});

describe('VLT-04 unauthenticated metrics or profiling', () => {
  it('flags unauthenticated metrics, pprof and in-flight access on a non-loopback listener', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      listener "tcp" {
        address = "0.0.0.0:8200"
        telemetry {
          unauthenticated_metrics_access = true
        }
        profiling {
          unauthenticated_pprof_access = "true"
        }
        inflight_requests_logging {
          unauthenticated_in_flight_requests_access = 1
        }
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-04')).toEqual(['VLT-04[0.0.0.0:8200:telemetry]@4', 'VLT-04[0.0.0.0:8200:profiling]@7', 'VLT-04[0.0.0.0:8200:inflight_requests_logging]@10']);
  });

  it('passes the same options on loopback listeners (explicit or Vault default address) and false ones', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      listener "tcp" {
        address = "127.0.0.1:8201"
        telemetry {
          unauthenticated_metrics_access = true
        }
      }
      listener "tcp" {
        profiling {
          unauthenticated_pprof_access = true
        }
      }
      listener "tcp" {
        address = "0.0.0.0:8200"
        telemetry {
          unauthenticated_metrics_access = false
        }
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-04')).toEqual([]);
  });
});

describe('VLT-12 HSTS and redaction on public listeners', () => {
  it('flags a public listener without HSTS or redaction, and headers without HSTS', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      listener "tcp" {
        address = "0.0.0.0:8200"
      }
      listener "tcp" {
        address                 = "0.0.0.0:8300"
        redact_addresses        = true
        redact_cluster_name     = true
        redact_version          = false
        custom_response_headers = {
          default = {
            X-Frame-Options = ["DENY"]
          }
        }
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-12')).toEqual(['VLT-12[0.0.0.0:8200:hsts]@1', 'VLT-12[0.0.0.0:8200:redact]@1', 'VLT-12[0.0.0.0:8300:redact]@8', 'VLT-12[0.0.0.0:8300:hsts]@9']);
  });

  it('passes HSTS (attribute or block form) with all redact options, and loopback listeners', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      listener "tcp" {
        address             = "0.0.0.0:8200"
        redact_addresses    = true
        redact_cluster_name = "true"
        redact_version      = 1
        custom_response_headers {
          default = {
            Strict-Transport-Security = ["max-age=31536000", "includeSubDomains"]
          }
        }
      }
      listener "tcp" {
        address             = "0.0.0.0:8300"
        redact_addresses    = true
        redact_cluster_name = true
        redact_version      = true
        custom_response_headers = {
          "default" = { "strict-transport-security" = ["max-age=63072000"] }
        }
      }
      listener "tcp" {
        address = "127.0.0.1:8201"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-12')).toEqual([]);
  });
});
