// Secrets reach logs, chat and the terminal only as '***': URL passwords, libpq keyword strings, tokens, keys,
// header values, and anything under a secret-looking key. Error text from pg, BullMQ/ioredis, zod or Slack passes
// through here before anyone sees it.

import { parse as parseConnectionString } from 'pg-connection-string';

// A URL token: scheme://, then anything up to whitespace, a quote or an angle bracket.
const URL_TOKEN = /([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>`]*)/gi;
const SLACK_TOKEN = /\bxox[a-z]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+/g;
const PASSWORD_PARAM = /([?&][A-Za-z_]*(?:password|pass|pwd|token|secret|api[_-]?key)=)[^&\s"']+/gi;
// libpq "host=db password=s3cret" and "password='a b'" (with \' inside quotes), and other key=value secrets.
const SECRET_WORD = String.raw`[A-Za-z_]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)`;
const KEY_VALUE = new RegExp(String.raw`(^|[\s;,(])(${SECRET_WORD})(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s;,)'"]+)`, 'gi');
const JSON_VALUE = new RegExp(String.raw`("${SECRET_WORD}"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'gi');
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
// GitHub's "Authorization: token ghp_...": long enough that it is never a word of prose.
const TOKEN_SCHEME = /\b(token)\s+[A-Za-z0-9_]{20,}/g;
const AWS_KEY_ID = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g;
// A user name alone in a URL (https://TOKEN@host) is shown only when it reads as a name, not as a token.
const PLAIN_USER = /^[A-Za-z0-9._-]{1,32}$/;
const TOKEN_PREFIX = /^(?:gh[pousr]_|github_pat_|glpat-|xox|sk-|AKIA|ASIA)/;
// Below this length a secret is not also searched for elsewhere in the text: masking every "ab" would garble it.
const MIN_ECHO_LENGTH = 4;

interface UrlParts {
  scheme: string;
  /** Everything before the last `@` of the authority (null: no credentials), and the rest. */
  userinfo: string | null;
  hostAndRest: string;
}

/**
 * Splits a URL token the way pg (pg-connection-string over the WHATWG URL parser) reads it: the authority ends at
 * the first `/`, `?` or `#`, and the userinfo at the LAST `@` inside it, so a password may hold raw `@` and `:`.
 */
function urlParts(scheme: string, rest: string): UrlParts {
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at < 0) return { scheme, userinfo: null, hostAndRest: rest };
  return { scheme, userinfo: authority.slice(0, at), hostAndRest: rest.slice(at + 1) };
}

function maskedUserinfo(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  if (colon >= 0) return `${userinfo.slice(0, colon)}:***`;
  return PLAIN_USER.test(userinfo) && !TOKEN_PREFIX.test(userinfo) ? userinfo : '***';
}

/** The passwords the URLs of a text carry, as pg would read them and as they are spelt: to mask their echoes. */
function urlSecrets(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(URL_TOKEN)) {
    const { userinfo } = urlParts(m[1] ?? '', m[2] ?? '');
    if (userinfo === null) continue;
    const colon = userinfo.indexOf(':');
    const spelt = colon >= 0 ? userinfo.slice(colon + 1) : PLAIN_USER.test(userinfo) ? '' : userinfo;
    out.add(spelt);
    try {
      const parsed = parseConnectionString(`${m[1]}${m[2]}`).password;
      if (typeof parsed === 'string') out.add(parsed);
    } catch {
      // Not a URL pg can read: the spelt form is all there is.
    }
    try {
      out.add(decodeURIComponent(spelt));
    } catch {
      // A lone % is not an escape; the spelt form stays.
    }
  }
  return [...out].filter((s) => s.length >= MIN_ECHO_LENGTH).sort((a, b) => b.length - a.length);
}

/**
 * Secrets reach logs, chat and the terminal only as '***'. URLs are split as pg reads them (last `@` of the
 * authority), then every password found that way is also masked wherever else the text repeats it (an error that
 * quotes it, a decoded copy); then tokens, `?password=` parameters, `key=value` secrets, bearer and AWS keys.
 */
export function maskSecrets(text: string): string {
  const echoes = urlSecrets(text);
  let out = text.replace(URL_TOKEN, (_m, scheme: string, rest: string) => {
    const parts = urlParts(scheme, rest);
    return parts.userinfo === null ? `${scheme}${rest}` : `${scheme}${maskedUserinfo(parts.userinfo)}@${parts.hostAndRest}`;
  });
  for (const secret of echoes) out = out.split(secret).join('***');
  return out
    .replace(SLACK_TOKEN, (t) => `${t.slice(0, 5)}***`)
    .replace(PASSWORD_PARAM, '$1***')
    .replace(KEY_VALUE, (_m, lead: string, key: string, eq: string) => `${lead}${key}${eq}***`)
    .replace(JSON_VALUE, '$1"***"')
    .replace(BEARER, '$1 ***')
    .replace(TOKEN_SCHEME, '$1 ***')
    .replace(AWS_KEY_ID, '$1***');
}

/** One masked line for any error: what a thread or a terminal may show; the log gets the full (masked) detail. */
export function maskError(err: unknown, max = 500): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = maskSecrets(text).split('\n')[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const PLACEHOLDERS_ONLY = /^(?:\{(?:name|customer|profile|cluster)\}|[-_.:/@])+$/;

/**
 * A credential command as config:check prints it. A literal argument may be a password or a token, and nothing
 * tells which, so only what is safe is shown: the program, flags (their `=value` masked) and arguments made only of
 * placeholders. That is what an operator checks: the tool, its options, and where the customer's names go.
 */
export function maskCommand(command: string): string {
  return command
    .trim()
    .split(/\s+/)
    .map((word, i) => {
      if (i === 0 || PLACEHOLDERS_ONLY.test(word)) return word;
      const flag = /^(--?[A-Za-z][A-Za-z0-9-]*)(=.*)?$/.exec(word);
      if (flag) return flag[2] === undefined ? word : `${flag[1]}=***`;
      return '***';
    })
    .join(' ');
}

const SECRET_KEY = /pass(word)?|secret|token|credential|^url$|writer|connectionString/i;

// Header values are secrets unless they are one of the few that never carry one (X-Api-Key, Cookie,
// Authorization: token ..., PRIVATE-TOKEN all do).
const PLAIN_HEADERS = new Set(['accept', 'content-type', 'user-agent']);

/** A headers object with every value masked except Accept, Content-Type and User-Agent. */
export function maskHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, PLAIN_HEADERS.has(k.toLowerCase()) ? v : '***']));
}

/** Deep copy with secret-looking values masked; for printing config. */
export function maskDeep(value: unknown, key = ''): unknown {
  if (/^headers$/i.test(key) && value && typeof value === 'object' && !Array.isArray(value)) return maskHeaders(value as Record<string, unknown>);
  if (typeof value === 'string') {
    if (key === 'command') return maskCommand(value);
    if (SECRET_KEY.test(key) && !/url/i.test(key)) return value.length ? '***' : value;
    return maskSecrets(value);
  }
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, k)]));
  }
  return value;
}
