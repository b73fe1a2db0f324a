/**
 * Readers for what deploy/, the Dockerfile and the code say, for manifests.test.ts: the
 * Kubernetes manifests and the compose file as plain objects, the Dockerfile as stages
 * of instructions, and the variable names the config sections declare.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { SETTING_SECTIONS } from '../../src/config/config.js';
import { PACKAGE_ROOT } from '../../src/config/package.root.js';
import { defaultsOf } from '../../src/config/setting.js';
import { DRAIN_SETTINGS } from '../../src/server/drain.settings.js';
import { stopLimitMs } from '../../src/server/shutdown.signals.js';

export const DEPLOY_DIR = path.join(PACKAGE_ROOT, 'deploy');
export const KUBERNETES_DIR = path.join(DEPLOY_DIR, 'kubernetes');
export const COMPOSE_FILE = path.join(DEPLOY_DIR, 'docker-compose.yml');
export const DOCKERFILE = path.join(PACKAGE_ROOT, 'Dockerfile');
export const DOCKERIGNORE = path.join(PACKAGE_ROOT, '.dockerignore');

export const readText = (file: string): string => readFileSync(file, 'utf8');

/** Every variable the facade reads: the settings of every section `config.ts` composes. */
export function configVariables(): Set<string> {
  return new Set(Object.values(SETTING_SECTIONS).flatMap((settings) => Object.values(settings).map((each) => each.env)));
}

/** How long the process may take after SIGTERM, with the drain settings at their defaults, before it exits anyway (`stopLimitMs`), in seconds. */
export function shutdownDeadlineSeconds(): number {
  return stopLimitMs(defaultsOf(DRAIN_SETTINGS)) / 1000;
}

// ---------------------------------------------------------------------------------------
// Kubernetes

export type Labels = Record<string, string>;

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: unknown;
  };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
}

export interface Probe {
  httpGet?: { path: string; port: number | string };
  exec?: { command: string[] };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: unknown[];
  ports?: ContainerPort[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  securityContext?: SecurityContext;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
}

export interface PodSpec {
  containers: Container[];
  volumes?: Array<{ name: string; configMap?: { name: string; items?: Array<{ key: string; path: string }> } }>;
  securityContext?: SecurityContext;
  enableServiceLinks?: boolean;
  terminationGracePeriodSeconds?: number;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels; annotations?: Record<string, string>; namespace?: string };
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Labels } & Labels;
    template?: { metadata: { labels: Labels; annotations?: Record<string, string> }; spec: PodSpec };
    ports?: Array<{ name?: string; port: number; targetPort?: number | string }>;
    maxUnavailable?: number | string;
    minAvailable?: number | string;
    podSelector?: { matchLabels: Labels };
    ingress?: Array<{ from?: Array<{ podSelector?: { matchLabels: Labels } }>; ports?: Array<{ port: number | string }> }>;
  };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface ManifestFile {
  /** e.g. `deployment.yaml` */
  file: string;
  documents: Manifest[];
}

/** Every .yaml/.yml file of deploy/kubernetes but kustomization.yaml, each document parsed. */
export function kubernetesFiles(): ManifestFile[] {
  return readdirSync(KUBERNETES_DIR)
    .filter((file) => /\.ya?ml$/.test(file) && !/^kustomization\.ya?ml$/.test(file))
    .sort()
    .map((file) => {
      const documents = parseAllDocuments(readText(path.join(KUBERNETES_DIR, file)));
      const parsed = (Array.isArray(documents) ? documents : [documents]).map((document) => {
        if (document.errors.length > 0) throw new Error(`deploy/kubernetes/${file}: ${document.errors[0]!.message}`);
        return document.toJS() as Manifest;
      });
      return { file, documents: parsed.filter((document) => document !== null) };
    });
}

export interface Kustomization {
  resources: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}

export function kustomization(): Kustomization {
  return parse(readText(path.join(KUBERNETES_DIR, 'kustomization.yaml'))) as Kustomization;
}

/** Whether `selector` selects pods labelled `labels` (every selector label present and equal). */
export function selects(selector: Labels | undefined, labels: Labels): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** The container port a probe or a Service's targetPort names (by name or number). */
export function containerPortOf(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

// ---------------------------------------------------------------------------------------
// docker compose

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  /** A name without a value takes the value from the shell running compose, if any. */
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  ports?: string[];
  expose?: Array<string | number>;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test: string[] | string };
  stop_grace_period?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** deploy/docker-compose.yml with its `<<` merge keys applied, as compose reads it. */
export function composeFile(): ComposeFile {
  return parse(readText(COMPOSE_FILE), { merge: true }) as ComposeFile;
}

/** A service's environment as name → value (undefined: passed through from the shell). */
export function composeEnvironment(service: ComposeService): Map<string, string | undefined> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return new Map(
      environment.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, undefined] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return new Map(Object.entries(environment).map(([name, value]) => [name, value === null ? undefined : String(value)]));
}

/** `host:container[:mode]` volumes whose host side is a file path: container path → host path. */
export function composeBindMounts(service: ComposeService): Map<string, string> {
  return new Map(
    (service.volumes ?? [])
      .map((volume) => volume.split(':'))
      .filter(([host]) => host!.startsWith('.') || host!.startsWith('/'))
      .map(([host, container]) => [container!, path.resolve(DEPLOY_DIR, host!)]),
  );
}

/** Seconds of a compose duration such as `20s`, `1m30s`. */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a compose duration: ${text}`);
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit!]!, 0);
}

// ---------------------------------------------------------------------------------------
// Dockerfile

export interface Instruction {
  keyword: string;
  /** The rest of the line, continuations joined. */
  args: string;
}

export interface Stage {
  /** The image, ARG defaults substituted. */
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The Dockerfile's stages, in order, with the ARGs declared before the first FROM substituted. */
export function dockerfileStages(): Stage[] {
  const lines = readText(DOCKERFILE)
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    const instruction = { keyword: keyword!.toUpperCase(), args: rest! };
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = rest!.split('=', 2);
      if (value !== undefined) args.set(name!, value);
    } else if (instruction.keyword === 'FROM') {
      const [image, as, name] = rest!.split(/\s+/);
      const from = image!.replace(/\$\{?(\w+)\}?/g, (_, arg: string) => args.get(arg) ?? '');
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return stages;
}

/** The stage and the stages it is built FROM, nearest first. */
export function lineage(stages: Stage[], stage: Stage): Stage[] {
  const parent = stages.find((candidate) => candidate.name !== undefined && candidate.name === stage.from);
  return parent === undefined ? [stage] : [stage, ...lineage(stages, parent)];
}

/** `ENV A=1 B=2` (or `ENV A 1`) as name → value. */
export function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const { args } of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    if (!args.includes('=')) {
      const [name, ...value] = args.split(/\s+/);
      env.set(name!, value.join(' '));
      continue;
    }
    for (const [, name, value] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env.set(name!, value!.replace(/^"|"$/g, ''));
  }
  return env;
}

export interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
}

export function copiesOf(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map(({ args }) => {
      const words = args.split(/\s+/);
      const flags = words.filter((word) => word.startsWith('--'));
      const paths = words.filter((word) => !word.startsWith('--'));
      const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
      return { from, sources: paths.slice(0, -1), destination: paths[paths.length - 1]! };
    });
}
