// The smallest Node init that forwards signals: spawn the command, pass every common
// signal on, exit with its code. Not a real init (it reaps nothing it did not spawn);
// a reference for what Node itself costs in RSS and in forwarding latency, so that
// ringmaster's own overhead can be told apart from the runtime's.
const { spawn } = require('node:child_process');

const [cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: 'inherit' });
for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']) {
  process.on(sig, () => child.kill(sig));
}
child.on('exit', (code, signal) => process.exit(code ?? 128 + (require('node:os').constants.signals[signal] ?? 0)));
