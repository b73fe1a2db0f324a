/**
 * `npm run cluster -- [--replicas 3] [--port 4000] [--redis redis://127.0.0.1:6379]
 * [--metrics-port 9464] [--logs]`: the facade as a cluster on this machine (see
 * cluster.ts), for trying replicas by hand.
 *
 * Contract: prints where everything is (the front, each replica with its pid and log,
 * the simulator and its control API, Redis and the run's prefix, the admin key), then
 * runs until SIGINT/SIGTERM (Ctrl-C), which stops every process and deletes the run's
 * Redis keys, and exits 0. `--logs` sends the replicas' logs to this terminal instead of
 * a file each. A bad flag exits 2 with a message naming it and what it accepts.
 */
import { startCluster, type ClusterOptions } from './cluster.js';

const USAGE = 'usage: npm run cluster -- [--replicas 3] [--port 4000] [--redis redis://127.0.0.1:6379] [--metrics-port 9464] [--logs]';

function parseFlags(argv: readonly string[], redisFromEnv: string | undefined): ClusterOptions {
  const options: ClusterOptions = { replicas: 3, port: 4000, redisUrl: redisFromEnv ?? 'redis://127.0.0.1:6379', output: 'files' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--logs') {
      options.output = 'inherit';
      continue;
    }
    const [name, inline] = arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${name} needs a value\n${USAGE}`);
    const integer = (min: number, max: number) => {
      if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new Error(`${name} must be an integer from ${min} to ${max}; got '${value}'`);
      return Number(value);
    };
    switch (name) {
      case '--replicas':
        options.replicas = integer(1, 32);
        break;
      case '--port':
        options.port = integer(1, 65535 - 33);
        break;
      case '--metrics-port':
        options.metricsPort = integer(1, 65535 - 32);
        break;
      case '--redis':
        if (!/^rediss?:\/\//.test(value)) throw new Error(`--redis must be a redis:// or rediss:// URL; got '${value}'`);
        options.redisUrl = value;
        break;
      default:
        throw new Error(`unknown flag '${name}'\n${USAGE}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  let options: ClusterOptions;
  try {
    // The one variable a tool of the checkout reads itself, as the issue's operators expect of it.
    options = parseFlags(process.argv.slice(2), process.env['REDIS_URL']);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  process.stdout.write(`starting ${options.replicas} replicas on ${options.redisUrl} …\n`);
  const cluster = await startCluster(options);
  const sim = cluster.simulator;
  const lines = [
    `USM facade cluster: ${cluster.replicas.length} replicas on one Redis`,
    `  front      ${cluster.url}   (round robin, HTTP and WebSocket)`,
    ...cluster.replicas.map(
      (r) => `  replica ${r.index}  ${r.url}   pid ${r.pid}${r.metricsUrl ? `, metrics ${r.metricsUrl}` : ''}${r.logFile ? `, log ${r.logFile}` : ''}`,
    ),
    `  simulator  ${sim.url}   deployments ${sim.deployments.map((d) => d.name).join(', ')} and Central; control ${sim.url}/__sim/stats`,
    `  redis      ${cluster.redisUrl}   prefix ${cluster.redisPrefix}`,
    `  admin key  ${cluster.adminKey}`,
    '',
    `  curl -s ${cluster.url} -H 'content-type: application/json' -H 'authorization: Bearer ${cluster.adminKey}' \\`,
    `    -d '{"query":"{ deployments { name } }"}'`,
    '',
    'Ctrl-C stops them all.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping the cluster\n`);
    cluster.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`the cluster did not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
