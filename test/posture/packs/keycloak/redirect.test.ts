/**
 * KC-01…KC-06: redirect and post-logout redirect URIs (wildcards, plain HTTP, relative or custom
 * schemes, missing URIs).
 */
import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { check, compliantFindings } from './realm-fixtures';

describe('KC-01 global wildcard redirect URI', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    {
      "clientId": "oauth2-proxy",
      "redirectUris": [
        "https://auth.lab.example.org/oauth2/callback",
        "*"
      ],
      "attributes": { "post.logout.redirect.uris": "https://*" }
    },
    {
      "clientId": "saml-app",
      "protocol": "saml",
      "redirectUris": ["http*"]
    },
    {
      "clientId": "machine",
      "standardFlowEnabled": false,
      "serviceAccountsEnabled": true,
      "redirectUris": ["*"]
    }
  ]
}`;

  it('flags `*`, `scheme://*` and a bare scheme prefix on OIDC and SAML clients, redirect and post-logout', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-01')).toEqual(['KC-01[oauth2-proxy]@8', 'KC-01[oauth2-proxy]@10', 'KC-01[saml-app]@15']);
    expect(findings.find((f) => f.ruleId === 'KC-01')?.message).toBe("client 'oauth2-proxy' has redirect URI '*', which matches any URI");
  });

  it('leaves them to KC-01 alone (no KC-02/KC-03 duplicate) and ignores clients without a redirect flow', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-02')).toEqual([]);
    expect(hitsOf(findings, 'KC-03')).toEqual([]);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-01')).toEqual([]);
  });
});

describe('KC-02 wildcard in the host', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    {
      "clientId": "grafana",
      "redirectUris": ["https://grafana.lab.example.org*"]
    },
    {
      "clientId": "mlflow",
      "rootUrl": "https://mlflow.lab.example.org",
      "redirectUris": ["/oauth2/callback", "https://mlflow.lab.example.org:*"]
    },
    {
      "clientId": "saml-app",
      "protocol": "saml",
      "redirectUris": ["saml.partner.example.net*"]
    },
    {
      "clientId": "airflow",
      "redirectUris": ["https://airflow.lab.example.org/*"]
    }
  ]
}`;

  it('flags host and port wildcards (with or without scheme) but not a path wildcard', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-02')).toEqual(['KC-02[grafana]@6', 'KC-02[mlflow]@11', 'KC-02[saml-app]@16']);
    expect(findings.find((f) => f.granularId === 'KC-02[grafana]')?.message).toBe(
      "client 'grafana' has redirect URI 'https://grafana.lab.example.org*' with a wildcard in the host, which matches other domains",
    );
    expect(hitsOf(findings, 'KC-01')).toEqual([]);
    expect(hitsOf(findings, 'KC-03')).toEqual(['KC-03[airflow]@20']);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-02')).toEqual([]);
  });
});

describe('KC-03 path wildcard', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    {
      "clientId": "airflow",
      "redirectUris": ["https://airflow.lab.example.org/oauth-authorized/*"],
      "attributes": { "post.logout.redirect.uris": "https://airflow.lab.example.org/*##+" }
    },
    {
      "clientId": "account-console",
      "rootUrl": "\${authBaseUrl}",
      "redirectUris": ["/realms/lab/account/*"]
    },
    {
      "clientId": "notebooks",
      "rootUrl": "https://jupyter.lab.example.org",
      "redirectUris": ["/hub/*"]
    }
  ]
}`;

  it('flags trailing-* redirect and post-logout URIs, resolving relative ones, and skips built-in clients', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-03')).toEqual(['KC-03[airflow]@6', 'KC-03[airflow]@7', 'KC-03[notebooks]@17']);
    expect(findings.find((f) => f.granularId === 'KC-03[notebooks]')?.message).toBe(
      "client 'notebooks' has wildcard redirect URI '/hub/*' instead of an exact URI",
    );
  });

  it('is silent on the compliant realm (whose account-console keeps its own /realms/…/account/* URI)', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-03')).toEqual([]);
  });
});

describe('KC-04 plain-HTTP redirect URI', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    {
      "clientId": "jupyter",
      "redirectUris": [
        "http://jupyter.lab.example.org/hub/oauth_callback",
        "http://localhost:8888/hub/oauth_callback",
        "http://127.0.0.1:8888/cb",
        "http://[::1]:8888/cb",
        "http://localhost.attacker.tk/cb",
        "http://localhost@attacker.tk/cb"
      ],
      "attributes": { "post.logout.redirect.uris": "https://jupyter.lab.example.org/##http://jupyter.lab.example.org/bye" }
    },
    {
      "clientId": "saml-app",
      "protocol": "saml",
      "redirectUris": ["HTTP://saml.lab.example.org/acs"]
    },
    {
      "clientId": "api",
      "bearerOnly": true,
      "redirectUris": ["http://api.lab.example.org/"]
    }
  ]
}`;

  it('flags http:// to any non-loopback host, including look-alikes and user-info tricks, on redirect and post-logout URIs', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-04')).toEqual([
      'KC-04[jupyter]@7',
      'KC-04[jupyter]@11',
      'KC-04[jupyter]@12',
      'KC-04[jupyter]@14',
      'KC-04[saml-app]@19',
    ]);
    expect(findings.filter((f) => f.ruleId === 'KC-04').map((f) => f.message)[3]).toBe(
      "client 'jupyter' has plain-HTTP post-logout redirect URI 'http://jupyter.lab.example.org/bye' to a non-loopback host",
    );
  });

  it('is silent on the compliant realm (whose SPA has a loopback redirect for the CLI)', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-04')).toEqual([]);
  });
});

describe('KC-05 relative or custom-scheme redirect URI', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    {
      "clientId": "mobile-app",
      "publicClient": true,
      "redirectUris": ["com.example.lab:/oauth2redirect", "/relative/callback"],
      "attributes": { "post.logout.redirect.uris": "logged-out" }
    },
    {
      "clientId": "rooted",
      "rootUrl": "https://rooted.lab.example.org",
      "redirectUris": ["/callback"]
    },
    {
      "clientId": "account",
      "redirectUris": ["/realms/lab/account/*"]
    }
  ]
}`;

  it('flags custom schemes and URIs with no scheme after rootUrl resolution; built-in clients are skipped', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-05')).toEqual(['KC-05[mobile-app]@7', 'KC-05[mobile-app]@7', 'KC-05[mobile-app]@8']);
    expect(findings.filter((f) => f.ruleId === 'KC-05').map((f) => f.message).sort()).toEqual([
      "client 'mobile-app' has post-logout redirect URI 'logged-out' with no scheme, which cannot be audited",
      "client 'mobile-app' has redirect URI '/relative/callback' with no scheme, which cannot be audited",
      "client 'mobile-app' has redirect URI 'com.example.lab:/oauth2redirect' with custom scheme 'com.example.lab'",
    ]);
    expect(findings.find((f) => f.ruleId === 'KC-05')?.severity).toBe('low');
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-05')).toEqual([]);
  });
});

describe('KC-06 redirect-flow client without redirect URIs', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    {
      "clientId": "grafana",
      "standardFlowEnabled": true,
      "redirectUris": []
    },
    {
      "clientId": "legacy-spa",
      "standardFlowEnabled": false,
      "implicitFlowEnabled": true
    },
    {
      "clientId": "defaults"
    },
    {
      "clientId": "svc-risk-engine",
      "standardFlowEnabled": false,
      "serviceAccountsEnabled": true
    },
    { "clientId": "resource-api", "bearerOnly": true },
    { "clientId": "broker" },
    { "clientId": "saml-app", "protocol": "saml" }
  ]
}`;

  it('flags OIDC clients whose standard or implicit flow is on (the standard flow by default) and that list no redirectUris', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-06')).toEqual(['KC-06[grafana]@7', 'KC-06[legacy-spa]@9', 'KC-06[defaults]@14']);
    expect(findings.find((f) => f.ruleId === 'KC-06')?.message).toBe("client 'grafana' uses a browser redirect flow but has no redirectUris");
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-06')).toEqual([]);
  });
});
