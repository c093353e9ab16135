/** Paths relative to the shell's working node, resolved as a file system resolves them. */

/** `resolvePath('/a/b', '../c')` is `/a/c`; `.` and `..` work anywhere; `..` stops at `/`. */
export function resolvePath(cwd: string, path: string | undefined): string {
  if (path === undefined || path === '') return cwd;
  const parts = path.startsWith('/') ? [] : cwd.split('/').filter((p) => p !== '');
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

// The path helpers every tool shares are the client's.
export { baseName, childPath as joinPath, parentPath as parentOf } from '@zk-lab/zk-client';
