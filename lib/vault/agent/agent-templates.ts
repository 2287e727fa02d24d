import { AgentTemplateName } from './agent-template-sources';
import { PRECOMPILED_AGENT_TEMPLATES } from './generated/agent-templates';

export { AgentTemplateName };

/**
 * Renders template `name` (agent-template-sources.ts) with `values` into consul-template text.
 * The templates are precompiled (`npx projen gen:agent-templates`): compiling them at first use
 * cost ~15 ms of every synth.
 */
export function renderAgentTemplate(name: AgentTemplateName, values: Record<string, unknown>): string {
  return PRECOMPILED_AGENT_TEMPLATES[name](values);
}
