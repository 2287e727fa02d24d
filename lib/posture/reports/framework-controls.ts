import type { Framework } from '../controls';

/** One control of a framework that the platform cares about. */
export interface FrameworkControl {
  /** Normalized id, as rules cite it (`LLM02`, `5.25`, `AC-6`, `IAM`, `GOVERN`). */
  readonly id: string;
  /** Short title (paraphrased). */
  readonly title: string;
}

const c = (id: string, title: string): FrameworkControl => ({ id, title });

/**
 * The controls of each framework that the coverage matrix lists, in report order: the normalized
 * ids of CONTROLS.md §3.2 (OWASP LLM 2025 and ML 2023 in full, the NIST SP 800-53 r5 ids the table
 * names — families cited only as `XX-*` are left out —, the CSA AICM domains it cites, the four
 * NIST AI RMF functions) and CIS Docker Benchmark 1.6 section 5 (RULES.md §3) plus the section 4
 * image items the rule anchors cite. A control no rule evidences is reported as not checkable at
 * synth time; an id a rule cites that is not listed here is still reported (as uncatalogued).
 */
export const FRAMEWORK_CONTROLS: { readonly [F in Framework]: readonly FrameworkControl[] } = {
  'owasp-llm-2025': [
    c('LLM01', 'Prompt Injection'),
    c('LLM02', 'Sensitive Information Disclosure'),
    c('LLM03', 'Supply Chain'),
    c('LLM04', 'Data and Model Poisoning'),
    c('LLM05', 'Improper Output Handling'),
    c('LLM06', 'Excessive Agency'),
    c('LLM07', 'System Prompt Leakage'),
    c('LLM08', 'Vector and Embedding Weaknesses'),
    c('LLM09', 'Misinformation'),
    c('LLM10', 'Unbounded Consumption'),
  ],
  'owasp-ml-2023': [
    c('ML01', 'Input Manipulation Attack'),
    c('ML02', 'Data Poisoning Attack'),
    c('ML03', 'Model Inversion Attack'),
    c('ML04', 'Membership Inference Attack'),
    c('ML05', 'Model Theft'),
    c('ML06', 'AI Supply Chain Attacks'),
    c('ML07', 'Transfer Learning Attack'),
    c('ML08', 'Model Skewing'),
    c('ML09', 'Output Integrity Attack'),
    c('ML10', 'Model Poisoning'),
  ],
  'cis-docker-1.6': [
    c('4.1', 'A user is created for the container (image)'),
    c('4.2', 'Only trusted base images are used'),
    c('4.6', 'HEALTHCHECK instructions are added to images'),
    c('4.10', 'Secrets are not stored in images or their build files'),
    c('5.1', 'Swarm mode is off unless needed'),
    c('5.2', 'An AppArmor profile is applied'),
    c('5.3', 'SELinux security options are set'),
    c('5.4', 'Linux kernel capabilities are restricted'),
    c('5.5', 'Privileged containers are not used'),
    c('5.6', 'Sensitive host directories are not mounted'),
    c('5.7', 'sshd is not run within containers'),
    c('5.8', 'Privileged host ports are not mapped'),
    c('5.9', 'Only needed ports are open'),
    c('5.10', 'The host network namespace is not shared'),
    c('5.11', 'Memory usage is limited'),
    c('5.12', 'CPU priority is set'),
    c('5.13', 'The root filesystem is mounted read-only'),
    c('5.14', 'Incoming traffic is bound to a specific host interface'),
    c('5.15', "The 'on-failure' restart policy is limited"),
    c('5.16', 'The host process namespace is not shared'),
    c('5.17', 'The host IPC namespace is not shared'),
    c('5.18', 'Host devices are not directly exposed'),
    c('5.19', 'The default ulimit is overridden only when needed'),
    c('5.20', 'Mount propagation mode is not shared'),
    c('5.21', 'The host UTS namespace is not shared'),
    c('5.22', 'The default seccomp profile is not disabled'),
    c('5.23', "'docker exec' is not used with --privileged"),
    c('5.24', "'docker exec' is not used with --user=root"),
    c('5.25', 'cgroup usage is confirmed'),
    c('5.26', 'Containers cannot acquire new privileges'),
    c('5.27', 'Container health is checked at runtime'),
    c('5.28', 'Commands use the latest image version'),
    c('5.29', 'The PIDs cgroup limit is used'),
    c('5.30', 'The default bridge docker0 is not used'),
    c('5.31', 'The host user namespace is not shared'),
    c('5.32', 'The Docker socket is not mounted inside containers'),
  ],
  'nist-800-53-r5': [
    c('AC-1', 'Access Control Policy and Procedures'),
    c('AC-2', 'Account Management'),
    c('AC-3', 'Access Enforcement'),
    c('AC-4', 'Information Flow Enforcement'),
    c('AC-5', 'Separation of Duties'),
    c('AC-6', 'Least Privilege'),
    c('AC-17', 'Remote Access'),
    c('AC-19', 'Access Control for Mobile Devices'),
    c('AU-2', 'Event Logging'),
    c('AU-3', 'Content of Audit Records'),
    c('AU-6', 'Audit Record Review, Analysis, and Reporting'),
    c('AU-8', 'Time Stamps'),
    c('AU-9', 'Protection of Audit Information'),
    c('AU-10', 'Non-repudiation'),
    c('AU-12', 'Audit Record Generation'),
    c('AU-13', 'Monitoring for Information Disclosure'),
    c('CA-7', 'Continuous Monitoring'),
    c('CM-3', 'Configuration Change Control'),
    c('CM-4', 'Impact Analyses'),
    c('CM-5', 'Access Restrictions for Change'),
    c('CM-6', 'Configuration Settings'),
    c('CM-7', 'Least Functionality'),
    c('CM-8', 'System Component Inventory'),
    c('CP-9', 'System Backup'),
    c('CP-10', 'System Recovery and Reconstitution'),
    c('IA-2', 'Identification and Authentication (Organizational Users)'),
    c('IA-5', 'Authenticator Management'),
    c('IR-4', 'Incident Handling'),
    c('MP-6', 'Media Sanitization'),
    c('PL-2', 'System Security and Privacy Plans'),
    c('PL-8', 'Security and Privacy Architectures'),
    c('PM-5', 'System Inventory'),
    c('PM-11', 'Mission and Business Process Definition'),
    c('SA-9', 'External System Services'),
    c('SA-10', 'Developer Configuration Management'),
    c('SC-5', 'Denial-of-Service Protection'),
    c('SC-6', 'Resource Availability'),
    c('SC-7', 'Boundary Protection'),
    c('SC-8', 'Transmission Confidentiality and Integrity'),
    c('SC-12', 'Cryptographic Key Establishment and Management'),
    c('SC-13', 'Cryptographic Protection'),
    c('SC-23', 'Session Authenticity'),
    c('SC-24', 'Fail in Known State'),
    c('SC-28', 'Protection of Information at Rest'),
    c('SC-32', 'System Partitioning'),
    c('SC-39', 'Process Isolation'),
    c('SI-3', 'Malicious Code Protection'),
    c('SI-4', 'System Monitoring'),
    c('SI-7', 'Software, Firmware, and Information Integrity'),
    c('SI-10', 'Information Input Validation'),
    c('SI-12', 'Information Management and Retention'),
  ],
  'csa-aicm': [
    c('A&A', 'Audit & Assurance'),
    c('AIS', 'Application & Interface Security'),
    c('BCR', 'Business Continuity Management & Operational Resilience'),
    c('CEK', 'Cryptography, Encryption & Key Management'),
    c('DSP', 'Data Security & Privacy Lifecycle Management'),
    c('GRC', 'Governance, Risk & Compliance'),
    c('IAM', 'Identity & Access Management'),
    c('IPY', 'Interoperability & Portability'),
    c('IVS', 'Infrastructure & Virtualization Security'),
    c('LOG', 'Logging & Monitoring'),
    c('MDS', 'Model Security'),
    c('SEF', 'Security Incident Management, E-Discovery & Cloud Forensics'),
    c('STA', 'Supply Chain Management, Transparency & Accountability'),
    c('TVM', 'Threat & Vulnerability Management'),
    c('UEM', 'Universal Endpoint Management'),
  ],
  'nist-ai-rmf': [
    c('GOVERN', 'Govern: a culture of risk management is cultivated and present'),
    c('MAP', 'Map: context is recognized and risks related to context are identified'),
    c('MEASURE', 'Measure: identified risks are assessed, analyzed or tracked'),
    c('MANAGE', 'Manage: risks are prioritized and acted upon based on projected impact'),
  ],
};

/** Orders control ids naturally: `AC-2` before `AC-10`, `5.9` before `5.10`, `4.10` before `5.1`. */
export function compareControlIds(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    const na = /^\d+$/.test(pa[i]) ? Number(pa[i]) : NaN;
    const nb = /^\d+$/.test(pb[i]) ? Number(pb[i]) : NaN;
    if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
    return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}
