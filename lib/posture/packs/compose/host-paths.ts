import { posix } from 'path';

/**
 * Host paths compared by path segment, never by string prefix: `/var/lib/app-data` is not under
 * `/var/lib/docker`, `/etc/ssl` is under `/etc`, and `/run/secrets` is the one allowed part of `/run`.
 */

/** Normalizes an absolute host path (`//`, `.`, `..`, trailing `/`); `/var/run` is read as `/run` (a symlink on every distribution). */
export function normalizeHostPath(path: string): string {
  let out = posix.normalize(path.trim());
  if (out.length > 1) out = out.replace(/\/+$/, '');
  if (out === '/var/run' || out.startsWith('/var/run/')) out = out.slice('/var'.length);
  return out;
}

/** Whether `path` is `base` or lies below it, segment by segment. */
export function isWithin(path: string, base: string): boolean {
  if (base === '/') return path.startsWith('/');
  return path === base || path.startsWith(`${base}/`);
}

/** Directories whose mount hands the container control of, or secrets of, the host. */
const SENSITIVE_DIRS: readonly string[] = ['/etc', '/proc', '/sys', '/dev', '/boot', '/usr', '/bin', '/sbin', '/root', '/home', '/var/lib/docker', '/var/lib/containerd', '/run'];

/** Allowed parts of sensitive directories. */
const ALLOWED_DIRS: readonly string[] = ['/run/secrets'];

/**
 * The sensitive host directory `path` (normalized, absolute) exposes, or undefined: the root
 * itself, one of {@link SENSITIVE_DIRS} or anything below it, or `/lib*`; `/run/secrets` is allowed.
 */
export function sensitiveHostDir(path: string): string | undefined {
  if (path === '/') return '/';
  if (ALLOWED_DIRS.some((allowed) => isWithin(path, allowed))) return undefined;
  const lib = /^\/(lib(?:32|64|x32)?)(?:\/|$)/.exec(path);
  if (lib) return `/${lib[1]}`;
  return SENSITIVE_DIRS.find((dir) => isWithin(path, dir));
}

/** Socket file names of container runtimes. */
const RUNTIME_SOCKETS = /^(docker|containerd|podman|cri-dockerd|crio)\.sock$/;

/** Directories that hold a runtime socket, so mounting them mounts the socket. */
const SOCKET_DIRS: readonly string[] = ['/run', '/run/docker', '/run/containerd', '/run/podman', '/run/crio'];

/**
 * Whether the (normalized) host path exposes a container-runtime socket: `socket` for a `*.sock`
 * of docker, containerd or podman anywhere under `/run` (= `/var/run`, including rootless
 * `/run/user/<uid>/…`), `directory` for a directory that holds one; else undefined.
 */
export function runtimeSocket(path: string): 'socket' | 'directory' | undefined {
  if (!isWithin(path, '/run')) return undefined;
  if (RUNTIME_SOCKETS.test(posix.basename(path))) return 'socket';
  if (SOCKET_DIRS.includes(path) || /^\/run\/user\/[^/]+(\/(docker|podman))?$/.test(path)) return 'directory';
  return undefined;
}
