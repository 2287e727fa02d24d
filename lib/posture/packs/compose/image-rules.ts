import type { Rule, RuleHit } from '../../rule';
import { eachService, serviceHit } from './compose-services';
import { show } from './compose-values';
import { parseImage } from './image-reference';
import { UNRESOLVED_MARK } from './interpolation';

/** Tags that move: the image behind them changes without the file changing. */
const MOVING_TAG = /^(latest|stable|main|master|edge|nightly)$/i;

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Registries images may come from when no other allow-list is configured. */
export const ALLOWED_REGISTRIES: readonly string[] = [
  'docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io', 'gcr.io', 'mcr.microsoft.com', 'public.ecr.aws', 'cgr.dev', 'docker.elastic.co', 'registry.gitlab.com', 'nvcr.io',
];

/**
 * CMP-22: `image` has no tag (so docker pulls `latest`) or a moving tag (`latest`, `stable`,
 * `main` …) and no digest. Images whose name or tag comes from an undefined variable, and build-only
 * services, are skipped.
 */
export const MUTABLE_IMAGE_TAG: Rule = {
  id: 'CMP-22',
  title: 'Image is untagged or uses :latest',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'An untagged or `latest` image changes under the same file: deployments are not reproducible and a compromised upstream push is pulled silently.',
  remediation: 'Pin an exact version tag (`postgres:16.4-bookworm`) and, better, its digest (`@sha256:…`).',
  controls: { 'cis-docker-1.6': ['5.28'], 'nist-800-53-r5': ['CM-2', 'SI-7'], 'csa-aicm': ['STA', 'TVM'], 'owasp-ml-2023': ['ML06'], 'owasp-llm-2025': ['LLM03'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const image = parseImage(s.data.image);
      if (!image || (image.digest !== undefined && image.digest !== '')) return undefined;
      if (image.tag === undefined) {
        return image.name.includes(UNRESOLVED_MARK) ? undefined : serviceHit(s, ['image'], `service '${s.name}' uses image ${show(image.written)} without a tag, so docker pulls :latest`);
      }
      if (image.tag.includes(UNRESOLVED_MARK) || !MOVING_TAG.test(image.tag)) return undefined;
      return serviceHit(s, ['image'], `service '${s.name}' uses image ${show(image.written)} with the moving tag :${image.tag}`);
    }),
};

/**
 * CMP-23: `image` is not pinned by a `@sha256:` digest, or comes from a registry outside
 * {@link ALLOWED_REGISTRIES}.
 */
export const UNPINNED_IMAGE: Rule = {
  id: 'CMP-23',
  title: 'Image is not pinned by digest or not from an allowed registry',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'A tag can be re-pushed; only a digest names exact content that signatures and SBOMs can refer to. Unknown registries are an unvetted supply chain.',
  remediation: 'Append the digest read from the registry (`image: postgres:16.4@sha256:…`) and pull from an allow-listed registry or your own mirror.',
  controls: { 'cis-docker-1.6': ['4.2'], 'nist-800-53-r5': ['SI-7', 'SR-11'], 'csa-aicm': ['STA', 'TVM'], 'owasp-ml-2023': ['ML06'], 'owasp-llm-2025': ['LLM03'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const image = parseImage(s.data.image);
      if (!image) return undefined;
      const hits: RuleHit[] = [];
      if (image.digest === undefined || (!DIGEST.test(image.digest) && !image.digest.includes(UNRESOLVED_MARK))) {
        const what = image.digest === undefined ? 'is not pinned by digest' : `has a malformed digest ${show(image.digest)}`;
        hits.push(serviceHit(s, ['image'], `service '${s.name}' image ${show(image.written)} ${what}`));
      }
      if (!image.registry.includes(UNRESOLVED_MARK) && !ALLOWED_REGISTRIES.includes(image.registry)) {
        hits.push(serviceHit(s, ['image'], `service '${s.name}' pulls image ${show(image.written)} from registry ${image.registry}, which is not on the allow-list`));
      }
      return hits;
    }),
};
