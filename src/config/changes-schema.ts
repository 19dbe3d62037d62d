import { z } from 'zod';
import { globProblem } from '../shared/glob.js';

// The `changes:` section of the config: where "what changed around then" comes from. Regexes and globs are checked
// here so a typo is listed with every other config problem instead of failing at the first report.

/** A regex given as text; `groups` demands that many capture groups (an extract rule reads the first). */
function regexText(example: string, groups = 0) {
  return z.string().superRefine((text, ctx) => {
    let re: RegExp;
    try {
      re = new RegExp(text);
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : 'invalid';
      ctx.addIssue({ code: 'custom', message: `is not a valid regular expression (${why}), e.g. ${example}` });
      return;
    }
    const captures = (new RegExp(`${re.source}|`).exec('')?.length ?? 1) - 1;
    if (captures < groups) ctx.addIssue({ code: 'custom', message: `needs a capture group (...) around the value to read, e.g. ${example}` });
  });
}

const glob = z.string().superRefine((text, ctx) => {
  const problem = globProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: `glob "${text}" ${problem}` });
});

const duration = z.string().regex(/^[1-9]\d{0,4}(s|m|h|d)$/, 'a duration in seconds, minutes, hours or days, e.g. "15m", "1h"');

/** "15m" -> 900000. */
export function durationMs(text: string): number {
  const n = Number(text.slice(0, -1));
  const unit = text.slice(-1);
  return n * (unit === 's' ? 1_000 : unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000);
}

const common = {
  name: z.string().min(1).max(80).describe('Shown in the report, e.g. "apiserver prod releases"'),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('A source slower than this is reported as unavailable'),
};

export const extractRuleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,30}$/, 'a short word, e.g. "tag"'),
    file: glob.optional().describe('Which changed file to read (default: any file the commit changed within `paths`)'),
    pattern: regexText('"^\\\\s*tag:\\\\s*(\\\\S+)"', 1).describe('Applied to each line of the file as of the commit; the first capture group is the value'),
  })
  .strict();

export const gitChangeSourceSchema = z
  .object({
    type: z.literal('git'),
    ...common,
    path: z.string().min(1).describe('A local clone; the bot only reads it (and fetches, with fetchEvery)'),
    ref: z.string().regex(/^[A-Za-z0-9_./@{}^~-]+$/, 'a branch, tag or commit, e.g. HEAD or origin/main').refine((r) => !r.startsWith('-'), 'must not start with "-"').default('HEAD'),
    paths: z.array(glob).default([]).describe('Path globs (git pathspecs), e.g. ["apps/apiserver/releases/**"]; empty: the whole repository'),
    subject: regexText('"prod-main|prod-early"').optional().describe('Only commits whose subject matches'),
    kind: z.enum(['deploy', 'flag', 'incident', 'other']).default('deploy'),
    extract: z.array(extractRuleSchema).default([]).describe('Values read from a changed file at the commit, e.g. the image tag'),
    title: z.string().min(1).default('{subject}').describe('Event title; {subject}, {sha}, {short} and each extract name are substituted'),
    link: z.string().optional().describe('Event link; {sha} is substituted, e.g. https://github.com/org/deployments/commit/{sha}'),
    fetchEvery: duration.optional().describe('git fetch before reading, at most this often, when the clone has a remote'),
  })
  .strict();

export const fileChangeSourceSchema = z
  .object({ type: z.literal('file'), ...common, path: z.string().min(1).describe('A YAML list of { at, title, kind, link }') })
  .strict();

export const httpChangeSourceSchema = z
  .object({
    type: z.literal('http'),
    ...common,
    url: z.string().url('e.g. https://changes.example.com/api/events'),
    headers: z.record(z.string(), z.string()).default({}).describe('Request headers, e.g. { Authorization: "Bearer ${CHANGES_TOKEN}" }'),
    maxBytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(5 * 1024 * 1024).describe('A larger answer is refused while it streams in (default 5 MB)'),
  })
  .strict();

export const changeSourceConfigSchema = z.discriminatedUnion('type', [gitChangeSourceSchema, fileChangeSourceSchema, httpChangeSourceSchema], {
  error: 'type must be git, file or http, e.g. { type: git, name: deploys, path: /srv/deployments }',
});

export const changesConfigSchema = z
  .array(changeSourceConfigSchema)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name "${s.name}"` });
      seen.add(s.name);
    });
  })
  .describe('Where "What changed around then" reads deployments, flags and incidents; without it the section is absent');

export type ChangeSourceConfig = z.infer<typeof changeSourceConfigSchema>;
export type GitChangeSourceConfig = z.infer<typeof gitChangeSourceSchema>;
export type FileChangeSourceConfig = z.infer<typeof fileChangeSourceSchema>;
export type HttpChangeSourceConfig = z.infer<typeof httpChangeSourceSchema>;
