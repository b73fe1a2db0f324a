/**
 * Metrics and traces. `METRICS_SETTINGS` fill `Config.metricsPort`; the tracing settings
 * decide whether and where spans go (`tracingOf` makes `Config.tracing` of them), and
 * the OpenTelemetry SDK reads the rest of the standard variables itself:
 * `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`, `_TIMEOUT`, `_COMPRESSION`,
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER[_ARG]`, `OTEL_BSP_*`.
 */
import { z } from 'zod';
import { defaultOf, flag, port, setting, text, type ValuesOf } from '../config/setting.js';

export const METRICS_SETTINGS = {
  metricsPort: setting({
    env: 'METRICS_PORT',
    default: '9464',
    schema: port('0 turns the metrics listener off'),
    doc: "Prometheus `/metrics` on a listener of its own on HOST (9464 is the OpenTelemetry Prometheus exporter's port); 0 turns it off.",
  }),
};

const TRACE_EXPORTERS = ['otlp', 'console', 'none'] as const;
const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/** An OTLP protocol; grpc is named, since it is the one a reader is likely to try. */
const otlpProtocol = () =>
  z.enum(OTLP_PROTOCOLS, { message: 'must be http/protobuf or http/json (grpc is not supported: use http/protobuf, port 4318)' });

/** An http(s) URL; empty counts as unset. */
const httpUrlOrEmpty = () =>
  z
    .string()
    .regex(/^(https?:\/\/\S+)?$/, 'must be an http:// or https:// URL, e.g. http://localhost:4318')
    .transform((url) => (url === '' ? undefined : url));

export const TRACING_SETTINGS = {
  sdkDisabled: setting({
    env: 'OTEL_SDK_DISABLED',
    default: 'false',
    schema: flag(),
    doc: 'true turns traces off whatever else is set.',
  }),
  exporters: setting({
    env: 'OTEL_TRACES_EXPORTER',
    schema: z.string().transform((list, ctx) => {
      const names = list.split(',').map((name) => name.trim()).filter((name) => name !== '');
      if (names.length === 0 || names.some((name) => !(TRACE_EXPORTERS as readonly string[]).includes(name))) {
        ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of ${TRACE_EXPORTERS.join(', ')}` });
        return z.NEVER;
      }
      return names as Array<(typeof TRACE_EXPORTERS)[number]>;
    }),
    doc: 'otlp, console or both (comma-separated) turn traces on; none keeps them off. Unset: otlp once an endpoint is set, else no traces.',
  }),
  endpoint: setting({
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    schema: httpUrlOrEmpty(),
    doc: 'The collector, e.g. http://collector:4318; setting it turns OTLP traces on.',
  }),
  tracesEndpoint: setting({
    env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    schema: httpUrlOrEmpty(),
    doc: 'The collector for traces alone; wins over OTEL_EXPORTER_OTLP_ENDPOINT.',
  }),
  protocol: setting({
    env: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    default: 'http/protobuf',
    schema: otlpProtocol(),
    doc: 'http/protobuf or http/json (grpc is not supported).',
  }),
  tracesProtocol: setting({
    env: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    schema: otlpProtocol(),
    doc: 'The same for traces alone; unset: OTEL_EXPORTER_OTLP_PROTOCOL.',
  }),
  serviceName: setting({
    env: 'OTEL_SERVICE_NAME',
    default: 'usm-graphql-facade',
    schema: text('must be a service name, e.g. usm-graphql-facade'),
    doc: "The traces' `service.name`.",
  }),
};

/** Traces (see `src/observability/tracing.ts`), off unless the settings above turn them on. */
export interface TracingConfig {
  /**
   * On when `OTEL_TRACES_EXPORTER` names `otlp` or `console`, or, with it unset, when
   * an OTLP endpoint is set. `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`
   * keep it off.
   */
  enabled: boolean;
  exporters: Array<'otlp' | 'console'>;
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
}

/** The service name spans carry when nothing else is given. */
export const DEFAULT_SERVICE_NAME = defaultOf(TRACING_SETTINGS.serviceName);

export function tracingOf(values: ValuesOf<typeof TRACING_SETTINGS>): TracingConfig {
  const endpoint = values.tracesEndpoint ?? values.endpoint;
  const named = values.exporters ?? (endpoint === undefined ? [] : ['otlp' as const]);
  const exporters = [...new Set(named.filter((name) => name !== 'none'))] as Array<'otlp' | 'console'>;
  return {
    enabled: !values.sdkDisabled && !named.includes('none') && exporters.length > 0,
    exporters,
    protocol: values.tracesProtocol ?? values.protocol,
    serviceName: values.serviceName,
  };
}
