/** KC-25 login/admin events and browser security headers. */
import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { check, compliantFindings, variant } from './realm-fixtures';

describe('KC-25 audit events and browser security headers', () => {
  it('flags eventsEnabled and adminEventsEnabled that are false or absent (Keycloak default off)', async () => {
    const text = `{
  "realm": "lab",
  "eventsEnabled": false
}`;
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-25')).toEqual(['KC-25[adminEventsEnabled]@1', 'KC-25[eventsEnabled]@3']);
    expect(findings.filter((f) => f.ruleId === 'KC-25').map((f) => f.message)).toEqual([
      "realm 'lab' does not set adminEventsEnabled: true, so admin events are not recorded",
      "realm 'lab' does not set eventsEnabled: true, so login events are not recorded",
    ]);
  });

  it('flags headers that are dropped, disabled or too weak', async () => {
    const text = `{
  "realm": "lab",
  "eventsEnabled": true,
  "adminEventsEnabled": true,
  "browserSecurityHeaders": {
    "contentSecurityPolicy": "frame-src 'self'; object-src 'none';",
    "xFrameOptions": "ALLOW-FROM https://evil.example",
    "strictTransportSecurity": "max-age=0"
  }
}`;
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-25')).toEqual([
      'KC-25[contentSecurityPolicy]@6',
      'KC-25[xFrameOptions]@7',
      'KC-25[strictTransportSecurity]@8',
    ]);
    expect(findings.filter((f) => f.ruleId === 'KC-25').map((f) => f.message)).toEqual([
      "realm 'lab' browserSecurityHeaders.contentSecurityPolicy (Content-Security-Policy) 'frame-src 'self'; object-src 'none';' has no frame-ancestors directive",
      "realm 'lab' browserSecurityHeaders.xFrameOptions (X-Frame-Options) 'ALLOW-FROM https://evil.example' is neither DENY nor SAMEORIGIN",
      "realm 'lab' browserSecurityHeaders.strictTransportSecurity (Strict-Transport-Security) 'max-age=0' has no positive max-age",
    ]);
  });

  it('flags a header left out of a browserSecurityHeaders object, and frame-ancestors *', async () => {
    const text = variant((realm) => {
      delete realm.browserSecurityHeaders.strictTransportSecurity;
      realm.browserSecurityHeaders.contentSecurityPolicy = "frame-ancestors *; object-src 'none'";
    });
    const findings = await check(text);
    const headers = text.split('\n').findIndex((l) => l.includes('"browserSecurityHeaders"')) + 1;
    expect(hitsOf(findings, 'KC-25')).toEqual([`KC-25[strictTransportSecurity]@${headers}`, `KC-25[contentSecurityPolicy]@${headers + 1}`]);
    expect(findings.find((f) => f.granularId === 'KC-25[strictTransportSecurity]')?.message).toBe(
      "realm 'lab-prod' browserSecurityHeaders.strictTransportSecurity (Strict-Transport-Security) is empty or missing, so the header is not sent",
    );
  });

  it("accepts an absent browserSecurityHeaders (Keycloak's defaults apply)", async () => {
    const text = variant((realm) => {
      delete realm.browserSecurityHeaders;
    });
    expect(hitsOf(await check(text), 'KC-25')).toEqual([]);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-25')).toEqual([]);
  });
});
