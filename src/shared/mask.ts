// Secrets reach logs and chat only as '***': URL passwords, tokens, and anything under a secret-looking key.

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^:/?#@\s]+)(?::([^@/?#\s]*))?@/gi;
const SLACK_TOKEN = /\bxox[abposr]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+/g;
const PASSWORD_PARAM = /([?&](?:password|pass|pwd|token|secret)=)[^&\s]+/gi;

export function maskSecrets(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string, pass: string | undefined) =>
      pass === undefined ? `${scheme}${user}@` : `${scheme}${user}:***@`,
    )
    .replace(SLACK_TOKEN, (t) => `${t.slice(0, 5)}***`)
    .replace(PASSWORD_PARAM, '$1***');
}

const SECRET_KEY = /pass(word)?|secret|token|credential|^url$|writer|connectionString/i;

/** Deep copy with secret-looking values masked; for printing config. */
export function maskDeep(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key) && !/url/i.test(key)) return value.length ? '***' : value;
    return maskSecrets(value);
  }
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, k)]));
  }
  return value;
}
