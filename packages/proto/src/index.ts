/**
 * The gRPC contracts of the team, loaded at run time from `protos/` with one set of loader
 * options (src/loader-options.json, shared with the type generator), and the TypeScript
 * types generated from them (`pnpm gen:protos`; `pnpm --filter @stats-agent/proto check`
 * fails when they are stale).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import loaderOptions from './loader-options.json' with { type: 'json' };
import type { ProtoGrpcType as ResearchProto } from './generated/research.js';
import type { ProtoGrpcType as SynthesisProto } from './generated/synthesis.js';
import type { ProtoGrpcType as VerificationProto } from './generated/verification.js';
import type { ProtoGrpcType as HealthProto } from './generated/health.js';
import type { ProtoGrpcType as WorkloadProto } from './generated/workload.js';

/** Folder holding the .proto files; `STATS_PROTO_DIR` overrides it (container images). */
export function protoRoot(): string {
  // Config-free on purpose: the loader must work before any service config exists.
  const fromEnv = process.env['STATS_PROTO_DIR'];
  if (fromEnv) return fromEnv;
  return fileURLToPath(new URL('../../../protos/', import.meta.url));
}

export const PROTO_FILES = {
  research: 'stats/research/v1/research.proto',
  synthesis: 'stats/synthesis/v1/synthesis.proto',
  verification: 'stats/verification/v1/verification.proto',
  health: 'grpc/health/v1/health.proto',
  workload: 'spiffe/workload/workload.proto',
} as const;

export interface Protos {
  research: ResearchProto['stats']['research']['v1'];
  synthesis: SynthesisProto['stats']['synthesis']['v1'];
  verification: VerificationProto['stats']['verification']['v1'];
  health: HealthProto['grpc']['health']['v1'];
  workload: WorkloadProto;
}

let cached: Protos | undefined;

/**
 * Loads every service definition once and returns the typed packages. Throws when the proto
 * folder is missing (naming it) or a file does not parse.
 */
export function loadProtos(): Protos {
  if (cached) return cached;
  const root = protoRoot();
  if (!existsSync(root)) {
    throw new Error(`proto: proto folder ${root} not found (set STATS_PROTO_DIR)`);
  }
  const options: Options = {
    ...loaderOptions,
    // The JSON names the types; the loader wants the constructors.
    longs: loaderOptions.longs === 'String' ? String : Number,
    enums: String,
    includeDirs: [root],
  };
  const load = <T>(file: string): T =>
    loadPackageDefinition(loadSync(file, options)) as unknown as T;
  cached = Object.freeze({
    research: load<ResearchProto>(PROTO_FILES.research).stats.research.v1,
    synthesis: load<SynthesisProto>(PROTO_FILES.synthesis).stats.synthesis.v1,
    verification: load<VerificationProto>(PROTO_FILES.verification).stats.verification.v1,
    health: load<HealthProto>(PROTO_FILES.health).grpc.health.v1,
    workload: load<WorkloadProto>(PROTO_FILES.workload),
  });
  return cached;
}

export type { Source, Source__Output } from './generated/stats/common/v1/Source.js';
export type {
  CandidateStatistic,
  CandidateStatistic__Output,
} from './generated/stats/common/v1/CandidateStatistic.js';
export type {
  ResearchServiceClient,
  ResearchServiceHandlers,
} from './generated/stats/research/v1/ResearchService.js';
export type { SearchRequest, SearchRequest__Output } from './generated/stats/research/v1/SearchRequest.js';
export type { SearchResponse, SearchResponse__Output } from './generated/stats/research/v1/SearchResponse.js';
export type { ForgetRequest, ForgetRequest__Output } from './generated/stats/research/v1/ForgetRequest.js';
export type { ForgetResponse, ForgetResponse__Output } from './generated/stats/research/v1/ForgetResponse.js';
export type {
  SynthesisServiceClient,
  SynthesisServiceHandlers,
} from './generated/stats/synthesis/v1/SynthesisService.js';
export type { ExtractRequest, ExtractRequest__Output } from './generated/stats/synthesis/v1/ExtractRequest.js';
export type { ExtractResponse, ExtractResponse__Output } from './generated/stats/synthesis/v1/ExtractResponse.js';
export type { SourceOutcome, SourceOutcome__Output } from './generated/stats/synthesis/v1/SourceOutcome.js';
export type {
  VerificationServiceClient,
  VerificationServiceHandlers,
} from './generated/stats/verification/v1/VerificationService.js';
export type { VerifyRequest, VerifyRequest__Output } from './generated/stats/verification/v1/VerifyRequest.js';
export type { VerifyResponse, VerifyResponse__Output } from './generated/stats/verification/v1/VerifyResponse.js';
export type {
  VerificationResult,
  VerificationResult__Output,
} from './generated/stats/verification/v1/VerificationResult.js';
export type { HealthClient, HealthHandlers } from './generated/grpc/health/v1/Health.js';
export type { HealthCheckResponse__Output } from './generated/grpc/health/v1/HealthCheckResponse.js';
export type {
  SpiffeWorkloadAPIClient,
  SpiffeWorkloadAPIHandlers,
} from './generated/SpiffeWorkloadAPI.js';
export type { X509SVIDResponse, X509SVIDResponse__Output } from './generated/X509SVIDResponse.js';
export type { X509SVID, X509SVID__Output } from './generated/X509SVID.js';
