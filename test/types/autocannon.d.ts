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
  export default function autocannon(options: Options): Promise<Result>;
}
