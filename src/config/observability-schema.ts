import { z } from 'zod';

// `observability:` the small HTTP server with /metrics, /healthz and /readyz, started by serve and worker.
export const observabilitySchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(9090).describe('Port of /metrics, /healthz, /readyz; 0 picks a free one'),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Listen address; 127.0.0.1 by default. In a container, 0.0.0.0 with a token, so only Prometheus reads /metrics'),
    token: z
      .string()
      .min(16, 'token must be at least 16 characters, e.g. ${METRICS_TOKEN} from `openssl rand -hex 24`')
      .optional()
      .describe('When set, /metrics answers only requests with "Authorization: Bearer <token>" (Prometheus: authorization.credentials)'),
  })
  .strict();

export type ObservabilitySettings = z.infer<typeof observabilitySchema>;
