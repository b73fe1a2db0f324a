/**
 * `node dist/src/simulator/simulator.cli.js [--port 4100] [--seed 1] [--host 127.0.0.1]
 * [--alarms 2000]`: runs the USM simulator for demos and manual testing.
 *
 * Contract: prints the URLs and the default credentials, logs one line per request,
 * and on SIGINT/SIGTERM stops the server and exits 0. A bad flag exits 2 with a
 * message naming the flag and what it accepts; a port it cannot take exits 1 naming `--port`.
 */
import { startSimulator } from './simulator.js';

interface CliFlags {
  port: number;
  seed: number;
  host: string;
  alarms: number;
}

const USAGE = 'usage: simulator.cli.js [--port 4100] [--seed 1] [--host 127.0.0.1] [--alarms 2000]';

function parseFlags(argv: readonly string[]): CliFlags {
  const flags: CliFlags = { port: 4100, seed: 1, host: '127.0.0.1', alarms: 2000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${name} needs a value\n${USAGE}`);
    const integer = (min: number, max: number) => {
      const n = Number(value);
      if (!/^-?\d+$/.test(value) || n < min || n > max) {
        throw new Error(`${name} must be an integer from ${min} to ${max}; got '${value}'`);
      }
      return n;
    };
    switch (name) {
      case '--port':
        flags.port = integer(0, 65535);
        break;
      case '--seed':
        flags.seed = integer(-2147483648, 4294967295);
        break;
      case '--alarms':
        flags.alarms = integer(0, 200000);
        break;
      case '--host':
        flags.host = value;
        break;
      default:
        throw new Error(`unknown flag '${name}'\n${USAGE}`);
    }
  }
  return flags;
}

async function main(): Promise<void> {
  let flags: CliFlags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const simulator = await startSimulator({
    port: flags.port,
    portSetting: '--port',
    host: flags.host,
    seed: flags.seed,
    alarmsPerDeployment: flags.alarms,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const { central } = simulator;
  const lines = [
    `USM simulator listening on ${simulator.url} (seed ${flags.seed})`,
    ...simulator.deployments.map(
      (d) => `  Anywhere ${d.name.padEnd(12)} ${d.url}  client ${d.clientId} / ${d.clientSecret}`,
    ),
    `  Central  ${''.padEnd(12)} ${simulator.central.url}  client ${central.clientId} / ${central.clientSecret}`,
    `  Control  ${''.padEnd(12)} ${simulator.url}/__sim/stats (no OAuth)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const shutdown = (signal: string) => {
    process.stdout.write(`${signal}: stopping\n`);
    simulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // A taken --port says so by name (ListenError); nothing else is expected here.
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
