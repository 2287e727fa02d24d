import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { agentTemplatesModule } from '../../../tools/generate-agent-templates';
import Handlebars from 'handlebars';
import { AGENT_TEMPLATE_OPTIONS, AGENT_TEMPLATE_SOURCES, AgentTemplateName } from '../../../lib/vault/agent/agent-template-sources';
import { renderAgentTemplate } from '../../../lib/vault/agent/agent-templates';

describe('the precompiled Vault Agent templates', () => {
  it('are what agent-template-sources.ts compiles to today (else run `npx projen gen:agent-templates`)', () => {
    const committed = fs.readFileSync(path.join(__dirname, '../../../lib/vault/agent/generated/agent-templates.ts'), 'utf8');
    expect(committed === agentTemplatesModule()).toBe(true);
  });

  it('render exactly what compiling the sources renders, consul-template syntax kept verbatim', () => {
    const values = {
      path: 'lab/data/core/x', field: 'secret_key', name: 'TOKEN', accessKeyId: 'svc', commonName: 'svc', uriSans: 'spiffe://lab/svc', ttl: '24h', keyFile: '/vault/secrets/tls.key',
      users: [{ path: 'lab/data/a', name: 'a', rules: '~fs:* +hmget' }], variables: [{ name: 'T', entries: [{ key: 'k', path: 'lab/data/k' }] }],
      service: 'db', host: 'pg', port: 5432, dbname: 'd', sslrootcert: '/ca', sslcert: '/c', sslkey: '/k',
    };
    for (const name of Object.keys(AGENT_TEMPLATE_SOURCES) as AgentTemplateName[]) {
      const compiled = Handlebars.compile(AGENT_TEMPLATE_SOURCES[name], { ...AGENT_TEMPLATE_OPTIONS })(values);
      expect({ name, text: renderAgentTemplate(name, values) }).toEqual({ name, text: compiled });
    }
    expect(renderAgentTemplate('kv-field', { path: 'a/b', field: 'c' })).toBe('{{- with secret "a/b" -}}{{ .Data.data.c }}{{- end -}}\n');
  });

  it('throw on a missing value (strict) and write values without HTML escaping', () => {
    expect(() => renderAgentTemplate('kv-field', { path: 'a' })).toThrow(/"field" not defined/);
    expect(renderAgentTemplate('kv-env', { name: 'N', path: 'p&q', field: 'f' })).toContain('"p&q"');
  });
});
