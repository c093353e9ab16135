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

export function joinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

export function baseName(path: string): string {
  return path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
}

export function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}
