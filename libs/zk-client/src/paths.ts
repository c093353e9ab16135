/**
 * Path rules the server enforces, checked before sending so a bad path fails
 * with a clear error instead of a round trip (after Java's PathUtils).
 */
import { InvalidPathError } from './errors';

/**
 * Throws InvalidPathError unless `path` is absolute, has no empty, "." or ".."
 * segments, no trailing "/" (allowed for sequential creates, whose name the
 * server completes) and no control or reserved characters.
 */
export function validatePath(
  path: string,
  options: { sequential?: boolean; op?: string } = {},
): void {
  const fail = (reason: string): never => {
    throw new InvalidPathError(path, reason, options.op);
  };
  if (typeof path !== 'string' || path.length === 0) fail('path must not be empty');
  if (path[0] !== '/') fail('path must start with /');
  if (path.length === 1) return;
  if (path.endsWith('/') && options.sequential !== true) fail('path must not end with /');

  const segments = path.slice(1).split('/');
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '' && !(last && options.sequential === true)) fail('empty node name');
    if (segment === '.' || segment === '..') fail('relative paths not allowed');
  });

  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0) fail(`null character at ${i}`);
    if (
      (c > 0x00 && c <= 0x1f) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0xd800 && c <= 0xf8ff) ||
      (c >= 0xfff0 && c <= 0xffff)
    ) {
      fail(`invalid character \\u${c.toString(16).padStart(4, '0')} at ${i}`);
    }
  }
}

/** The server-side path for a client path under `chroot` ('' when there is none). */
export function toServerPath(chroot: string, path: string): string {
  if (chroot === '') return path;
  return path === '/' ? chroot : chroot + path;
}

/** The client path for a server path under `chroot`; paths outside it are returned unchanged. */
export function toClientPath(chroot: string, serverPath: string): string {
  if (chroot === '') return serverPath;
  if (serverPath === chroot) return '/';
  if (serverPath.startsWith(chroot + '/')) return serverPath.slice(chroot.length);
  return serverPath;
}

/** The parent of an absolute path ("/a/b" → "/a", "/a" → "/"; "/" is its own parent). */
export function parentPath(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

/** The last segment of an absolute path ("/a/b" → "b"); "/" for the root. */
export function baseName(path: string): string {
  return path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
}

/** A child's path ("/", "a" → "/a"; "/a", "b" → "/a/b"). */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}
