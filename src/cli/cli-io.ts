/** What every CLI shell gets instead of reaching for process.*: tests pass their own streams, env and clock. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
}
