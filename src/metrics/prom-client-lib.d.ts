// prom-client's files for the three classes ringmaster uses (see src/metrics/prom.ts); the
// package's types cover only its index, so these are typed there.
declare module 'prom-client/lib/registry.js' {
  const m: unknown;
  export default m;
}
declare module 'prom-client/lib/counter.js' {
  const m: unknown;
  export default m;
}
declare module 'prom-client/lib/gauge.js' {
  const m: unknown;
  export default m;
}
