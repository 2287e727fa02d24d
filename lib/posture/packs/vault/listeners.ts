import type { PostureModel } from '../../posture-model';
import type { SourceDocument } from '../../source-document';
import { LabelledBlock, labelledBlocks, vaultBool } from './hcl-values';

/** Vault's listener address when `address` is unset. */
export const DEFAULT_LISTENER_ADDRESS = '127.0.0.1:8200';

/** One `listener "tcp" { … }` of a Vault server config. */
export interface TcpListener extends LabelledBlock {
  /** The config document. */
  readonly document: SourceDocument;
  /** The address it binds (Vault's default when unset). */
  readonly address: string;
  /** A short name for messages and granular ids: its address, or `tcp[i]` when the address is odd. */
  readonly name: string;
  /** Whether it binds only loopback. */
  readonly loopback: boolean;
  /** Whether `tls_disable` is true in Vault's reading. */
  readonly tlsDisabled: boolean;
}

/** Every TCP listener of every `vault-config` document. */
export function tcpListeners(model: PostureModel): TcpListener[] {
  return model.ofKind('vault-config').flatMap((document) =>
    labelledBlocks(document.data?.listener, ['listener'])
      .filter((b) => b.label === 'tcp')
      .map((b, i) => {
        const address = typeof b.data.address === 'string' ? b.data.address : DEFAULT_LISTENER_ADDRESS;
        return {
          ...b,
          document,
          address,
          name: typeof b.data.address === 'string' || b.data.address === undefined ? address : `tcp[${i}]`,
          loopback: isLoopbackAddress(address),
          tlsDisabled: vaultBool(b.data.tls_disable) === true,
        };
      }),
  );
}

/** Whether a `host:port` (or bare host) address binds only loopback: 127.0.0.0/8, `::1`, `localhost`. */
export function isLoopbackAddress(address: string): boolean {
  const host = hostOf(address).toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The host part of `host:port`, `[v6]:port` or a bare host. */
export function hostOf(address: string): string {
  const text = address.trim();
  const bracketed = /^\[([^\]]*)\](:\d*)?$/.exec(text);
  if (bracketed) return bracketed[1];
  if ((text.match(/:/g) ?? []).length > 1) return text;
  return text.replace(/:\d*$/, '');
}
