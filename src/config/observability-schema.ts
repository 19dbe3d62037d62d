import { z } from 'zod';

// `observability:` the small HTTP server with /metrics, /healthz and /readyz, started by serve and worker.
export const observabilitySchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(9090).describe('Port of /metrics, /healthz, /readyz; 0 picks a free one'),
    host: z.string().min(1).default('0.0.0.0'),
  })
  .strict();

export type ObservabilitySettings = z.infer<typeof observabilitySchema>;
