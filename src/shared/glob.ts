// Path globs as git's `:(glob)` pathspec magic reads them: `*` and `?` stay within one directory, `**` spans
// directories, `[...]` is a character class. The same glob is handed to git as a pathspec and, for `extract`
// rules, matched here against the changed file names git lists; both must agree.

/** Why a glob would not work as a git pathspec, or null when it is fine. */
export function globProblem(glob: string): string | null {
  if (glob.trim() === '') return 'must not be empty, e.g. "apps/apiserver/releases/**"';
  if (glob.startsWith('/')) return 'is relative to the repository root, without a leading "/", e.g. "apps/apiserver/releases/**"';
  if (glob.split('/').includes('..')) return 'must stay inside the repository (no "..")';
  if (/[{}]/.test(glob)) return 'braces are not supported by git pathspecs; list each path instead, e.g. ["apps/a/**", "apps/b/**"]';
  if (/\*\*\*/.test(glob)) return 'has "***"; use "**" for any number of directories';
  if (/[^/]\*\*|\*\*[^/]/.test(glob)) return '"**" must be a whole path segment, e.g. "apps/**/helmrelease.yaml"';
  let inClass = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') i++;
    else if (c === '[' && !inClass) inClass = true;
    else if (c === ']' && inClass) inClass = false;
  }
  if (inClass) return 'has a "[" without its "]"';
  return null;
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** The glob as an anchored RegExp over repository-relative paths (call globProblem first). */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i] ?? '';
    if (glob.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 3;
    } else if (glob.startsWith('/**', i) && i + 3 === glob.length) {
      re += '/.*';
      i += 3;
    } else if (glob.startsWith('**', i)) {
      re += '.*';
      i += 2;
    } else if (c === '*') {
      re += '[^/]*';
      i += 1;
    } else if (c === '?') {
      re += '[^/]';
      i += 1;
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
      re += `[${body}]`;
      i = end + 1;
    } else if (c === '\\' && i + 1 < glob.length) {
      re += escapeRe(glob[i + 1] ?? '');
      i += 2;
    } else {
      re += escapeRe(c);
      i += 1;
    }
  }
  return new RegExp(`^${re}$`);
}

/** The glob as a git pathspec argument. */
export function globPathspec(glob: string): string {
  return `:(glob)${glob}`;
}
