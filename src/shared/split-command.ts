import { BotError } from './errors.js';

// A command line split into a program and its arguments, as a shell would but without one: nothing is ever
// interpreted (no variables, globs, pipes or redirections), so a value substituted later stays one argument.

function badTemplate(problem: string, what: string): BotError {
  return new BotError('BAD_CONFIG', `The ${what} ${problem}.`, {
    hint: 'Write it as a program and its arguments, e.g. command: "cresta-cli connstring -i --read-only {cluster} {cluster} {name}-{profile}"',
  });
}

/** Whitespace-separated words; '...' is literal, "..." allows \" and \\, a backslash outside quotes escapes one character. */
export function splitCommand(template: string, what = 'credential command'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && (template[i + 1] === '"' || template[i + 1] === '\\')) word += template[++i];
      else word += ch;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '\\' && i + 1 < template.length) word += template[++i];
      else word += ch;
    }
  }
  if (quote) throw badTemplate(`has an unterminated ${quote === '"' ? 'double' : 'single'} quote`, what);
  if (inWord) words.push(word);
  if (words.length === 0) throw badTemplate('is empty', what);
  return words;
}

