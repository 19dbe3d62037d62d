// Secrets reach logs, chat and the terminal only as '***': URL passwords, libpq keyword strings, tokens, keys,
// and anything under a secret-looking key. Error text from pg, BullMQ/ioredis, zod or Slack passes through here
// before anyone sees it.

// The user part may be empty (redis://:password@host).
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^:/?#@\s]*)(?::([^@/?#\s]*))?@/gi;
const SLACK_TOKEN = /\bxox[a-z]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+/g;
const PASSWORD_PARAM = /([?&](?:password|pass|pwd|token|secret)=)[^&\s]+/gi;
// libpq "host=db password=s3cret" and "password='a b'" (with \' inside quotes), and other key=value secrets.
const SECRET_WORD = String.raw`[A-Za-z_]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)`;
const KEY_VALUE = new RegExp(String.raw`(^|[\s;,(])(${SECRET_WORD})(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s;,)'"]+)`, 'gi');
const JSON_VALUE = new RegExp(String.raw`("${SECRET_WORD}"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'gi');
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
const AWS_KEY_ID = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g;

export function maskSecrets(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string, pass: string | undefined) =>
      pass === undefined ? `${scheme}${user}@` : `${scheme}${user}:***@`,
    )
    .replace(SLACK_TOKEN, (t) => `${t.slice(0, 5)}***`)
    .replace(PASSWORD_PARAM, '$1***')
    .replace(KEY_VALUE, (_m, lead: string, key: string, eq: string) => `${lead}${key}${eq}***`)
    .replace(JSON_VALUE, '$1"***"')
    .replace(BEARER, '$1 ***')
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

/** Deep copy with secret-looking values masked; for printing config. */
export function maskDeep(value: unknown, key = ''): unknown {
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
