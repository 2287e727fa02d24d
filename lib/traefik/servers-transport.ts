/**
 * `http.serversTransports.<name>` of Traefik v3's dynamic configuration: how Traefik connects to
 * a backend. Hand-typed from Traefik's documentation because the SchemaStore file-provider schema
 * (our generated types) does not model it yet; the schema leaves `http` open, so it still validates.
 */
export interface HttpServersTransport {
  /** Server name checked against the backend certificate (and sent as SNI). */
  readonly serverName?: string;
  /** Never true: the posture rule TRF-16 fails the synth. */
  readonly insecureSkipVerify?: false;
  /** CA files that verify backend certificates. */
  readonly rootCAs?: readonly string[];
  /** Client certificates Traefik presents to the backend (mTLS). */
  readonly certificates?: readonly { readonly certFile: string; readonly keyFile: string }[];
  /** Idle connections kept per host. */
  readonly maxIdleConnsPerHost?: number;
  /** Timeouts towards the backend. */
  readonly forwardingTimeouts?: {
    readonly dialTimeout?: string;
    readonly responseHeaderTimeout?: string;
    readonly idleConnTimeout?: string;
  };
}
