// The part of autocannon's API the tests use (it ships no types).
declare module 'autocannon' {
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    headers?: Record<string, string>;
  }
  interface Result {
    requests: { total: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
  }
  /** What autocannon returns when given a callback: stop() ends the run (at its next 1 s sample), then the callback gets the result. */
  interface Instance {
    stop(): void;
    on(event: 'response', listener: (client: unknown, statusCode: number) => void): Instance;
    on(event: 'reqError', listener: (error: Error) => void): Instance;
  }
  export default function autocannon(options: Options): Promise<Result>;
  export default function autocannon(options: Options, done: (err: Error | null, result: Result) => void): Instance;
}
