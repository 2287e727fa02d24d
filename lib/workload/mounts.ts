import { ComposeVolume } from '../compose/compose-volume';
import { VpsFile } from '../core/vps-file';
import { ISecretSource } from './secret-source';

/** A named data volume mounted into a workload. */
export interface VolumeMount {
  /** The volume. */
  readonly volume: ComposeVolume;
  /** Absolute path in the container. */
  readonly target: string;
  /** Whether the workload may only read it. */
  readonly readOnly: boolean;
}

/** A synthesized file mounted read-only into a workload. */
export interface FileMount {
  /** The file. */
  readonly file: VpsFile;
  /** Absolute path in the container. */
  readonly target: string;
}

/** A secret mounted at `/run/secrets/<name>`, announced by a `*_FILE` variable. */
export interface SecretMount {
  /** Where the value comes from. */
  readonly source: ISecretSource;
  /** Environment variable that receives the file path, ending in `FILE`; none when a config names the path. */
  readonly envVar?: string;
  /** The compose secret referenced (`<service>.<file>`). */
  readonly composeName: string;
}

/** Container paths of a TLS identity's files, under `/run/secrets/`. */
export interface TlsFiles {
  /** The certificate (PEM). */
  readonly certificate: string;
  /** The private key (PEM, PKCS#8). */
  readonly privateKey: string;
  /** The CA bundle (intermediate then root) that verifies peers. */
  readonly caBundle: string;
}

/** Options of `Workload.mountVolume`. */
export interface VolumeMountOptions {
  /**
   * Mount read-only.
   * @default false
   */
  readonly readOnly?: boolean;
}

/** Options of `Workload.addSecret`. */
export interface SecretMountOptions {
  /**
   * Environment variable that receives the path of the secret file; must end in `FILE`.
   * @default none (a config file names the path)
   */
  readonly envVar?: string;
}

/** Options of `Workload.publishPort`: the only way a host port is opened. */
export interface PortPublication {
  /** Specific host address to bind (never 0.0.0.0 or ::). */
  readonly hostIp: string;
  /** Port on the host. */
  readonly hostPort: number;
  /** Port the container listens on; one of the workload's `ports`. */
  readonly containerPort: number;
  /** Why this workload must be reachable from outside the host's networks. */
  readonly reason: string;
}
